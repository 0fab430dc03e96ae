//! Cluster mode (SPEC §7): the same command on every host, each process with
//! `--processes P --process I --hostfile FILE`, joined into one timely
//! computation whose workers are numbered across all processes.
//!
//! cartflow makes the connections itself and hands them to timely: a process
//! connects to every lower-numbered process and accepts every higher-numbered
//! one, as timely does, but with a deadline (`--connect-timeout`), an error that
//! names the peer it could not reach, and a greeting that checks that every
//! process runs with the same number of processes and workers. Timely's
//! connections are not authenticated: run a cluster on a trusted network only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::{AllocatorBuilder, Hooks};

/// This process's place in the cluster.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    pub processes: usize,
    pub process: usize,
    /// `host:port` of every process, in process order.
    pub addresses: Vec<String>,
    pub connect_timeout: Duration,
}

/// The greeting's first bytes: anything else on the port is not a cartflow peer.
const MAGIC: &[u8; 8] = b"cartflw1";

impl ClusterOptions {
    /// Reads the hostfile (`process` < `processes` is the caller's to check): one
    /// `host:port` per process, blank lines and `#` comments ignored.
    pub fn new(processes: usize, process: usize, hostfile: &Path, connect_timeout: Duration) -> Result<Self> {
        let text = std::fs::read_to_string(hostfile)
            .with_context(|| format!("hostfile {}: cannot read it", hostfile.display()))?;
        let mut addresses = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let valid =
                line.rsplit_once(':').is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if !valid {
                bail!("hostfile {}, line {}: expected host:port, found {line:?}", hostfile.display(), number + 1);
            }
            addresses.push(line.to_string());
        }
        if addresses.len() != processes {
            bail!(
                "hostfile {}: lists {} processes but --processes is {processes}; give one host:port line per process",
                hostfile.display(),
                addresses.len()
            );
        }
        Ok(ClusterOptions { processes, process, addresses, connect_timeout })
    }

    /// Connects to every peer and builds timely's allocators for `threads`
    /// workers in this process.
    pub fn allocators(&self, threads: usize) -> Result<(Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>)> {
        let sockets = self.connect(threads)?;
        let hooks = Hooks::default();
        let process_allocators = ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), hooks.spill.clone());
        let (builders, guard) =
            initialize_networking_from_sockets(process_allocators, sockets, self.process, threads, hooks)
                .map_err(|e| anyhow!("cluster: cannot start networking: {e}"))?;
        Ok((builders.into_iter().map(AllocatorBuilder::Tcp).collect(), Box::new(guard)))
    }

    /// One stream per peer, by process index (`None` for this process).
    fn connect(&self, threads: usize) -> Result<Vec<Option<TcpStream>>> {
        let deadline = Instant::now() + self.connect_timeout;
        let listener = TcpListener::bind(&self.addresses[self.process]).map_err(|e| {
            anyhow!("cluster: cannot listen on {} (process {}): {e}", self.addresses[self.process], self.process)
        })?;
        let greeting = self.greeting(threads);
        // Accept from higher processes while connecting to lower ones, as both may take a while.
        let accepting = {
            let options = self.clone();
            std::thread::spawn(move || options.accept_all(listener, deadline, threads))
        };
        let mut sockets: Vec<Option<TcpStream>> = Vec::new();
        for peer in 0..self.process {
            sockets.push(Some(self.connect_to(peer, &greeting, deadline)?));
        }
        sockets.push(None);
        sockets.extend(accepting.join().map_err(|_| anyhow!("cluster: the accepting thread panicked"))??);
        Ok(sockets)
    }

    fn greeting(&self, threads: usize) -> Vec<u8> {
        let mut greeting = MAGIC.to_vec();
        for n in [self.process, self.processes, threads] {
            greeting.extend_from_slice(&(n as u64).to_be_bytes());
        }
        greeting
    }

    fn connect_to(&self, peer: usize, greeting: &[u8], deadline: Instant) -> Result<TcpStream> {
        let address = &self.addresses[peer];
        let mut logged = false;
        loop {
            match TcpStream::connect(address) {
                Ok(mut stream) => {
                    stream.set_nodelay(true)?;
                    stream.write_all(greeting)?;
                    return Ok(stream);
                }
                Err(e) if Instant::now() >= deadline => bail!(
                    "cluster: cannot reach process {peer} at {address} within {}: {e}; check that it is running \
                     with the same --hostfile and that the port is open",
                    humantime::format_duration(self.connect_timeout)
                ),
                Err(e) => {
                    if !logged {
                        tracing::info!(peer, %address, "waiting for a cluster peer: {e}");
                        logged = true;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }

    /// Streams from every higher-numbered process, in process order.
    fn accept_all(&self, listener: TcpListener, deadline: Instant, threads: usize) -> Result<Vec<Option<TcpStream>>> {
        let higher = self.processes - self.process - 1;
        let mut accepted: Vec<Option<TcpStream>> = (0..higher).map(|_| None).collect();
        listener.set_nonblocking(true)?;
        while accepted.iter().any(Option::is_none) {
            match listener.accept() {
                Ok((mut stream, from)) => {
                    stream.set_nonblocking(false)?;
                    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
                    let peer = self.read_greeting(&mut stream, threads).with_context(|| format!("cluster: {from}"))?;
                    stream.set_read_timeout(None)?;
                    stream.set_nodelay(true)?;
                    if peer <= self.process || accepted[peer - self.process - 1].is_some() {
                        bail!("cluster: {from} says it is process {peer}, which this process does not expect");
                    }
                    accepted[peer - self.process - 1] = Some(stream);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        let missing: Vec<String> = (self.process + 1..self.processes)
                            .filter(|p| accepted[p - self.process - 1].is_none())
                            .map(|p| format!("process {p} ({})", self.addresses[p]))
                            .collect();
                        bail!(
                            "cluster: {} did not connect within {}; check that it is running with the same --hostfile",
                            missing.join(", "),
                            humantime::format_duration(self.connect_timeout)
                        );
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(accepted)
    }

    /// Reads a peer's greeting; returns its process index.
    fn read_greeting(&self, stream: &mut TcpStream, threads: usize) -> Result<usize> {
        let mut bytes = [0u8; 32];
        stream.read_exact(&mut bytes).map_err(|e| anyhow!("sent no cartflow greeting: {e}"))?;
        if &bytes[..8] != MAGIC {
            bail!("is not a cartflow process (unexpected greeting)");
        }
        let field = |i: usize| u64::from_be_bytes(bytes[8 + 8 * i..16 + 8 * i].try_into().expect("8 bytes")) as usize;
        let (peer, processes, peer_threads) = (field(0), field(1), field(2));
        if processes != self.processes || peer_threads != threads {
            bail!(
                "process {peer} runs with --processes {processes} and {peer_threads} workers, this one with \
                 --processes {} and {threads} workers: every process needs the same --processes and -w",
                self.processes
            );
        }
        Ok(peer)
    }
}
