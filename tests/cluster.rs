//! Cluster mode (SPEC §7): several processes on loopback, joined by
//! `cluster/local.sh` or started by hand, give the same reports as one process;
//! a late process still joins; a lost process stops the others with a message.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;

fn local_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cluster/local.sh")
}

/// `cluster/local.sh P W ARGS...` with this build's binary.
fn cluster(processes: usize, workers: usize, args: &[&str]) -> Output {
    let output = Command::new(local_sh())
        .arg(processes.to_string())
        .arg(workers.to_string())
        .args(args)
        .env("CARTFLOW", cartflow_bin())
        .output()
        .expect("cluster/local.sh runs");
    assert!(
        output.status.success(),
        "cluster/local.sh {processes} {workers} {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file of a report directory, by relative path, for comparing two runs byte for byte.
fn report_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for report in REPORTS {
        let path = out.join(format!("{report}.csv"));
        if path.exists() {
            files.push((report.to_string(), fs::read(path).unwrap()));
        }
    }
    files.push(("_quality".into(), fs::read(out.join("_quality.csv")).unwrap()));
    files
}

/// Free loopback ports, one per process, written as a hostfile.
fn hostfile(dir: &Path, processes: usize) -> PathBuf {
    let lines: Vec<String> = (0..processes).map(|_| format!("127.0.0.1:{}\n", free_port())).collect();
    let path = dir.join("hosts");
    fs::write(&path, lines.concat()).unwrap();
    path
}

/// A loopback port free now, below Linux's ephemeral range (32768 and up): a port
/// the kernel hands out for port 0 may be taken, before a test's process listens
/// on it, as the source port of a connection another test running alongside
/// makes. Each call takes the next port of this test binary's own sequence.
fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (std::process::id().wrapping_mul(7).wrapping_add(n)) % 12_000;
        let port = u16::try_from(port).expect("below 32000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn start(args: &[&str], hostfile: &Path, processes: usize, process: usize, log: &Path) -> Child {
    Command::new(cartflow_bin())
        .args(args)
        .args(["--processes", &processes.to_string(), "--process", &process.to_string(), "--hostfile"])
        .arg(hostfile)
        .stdout(Stdio::null())
        .stderr(fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

fn wait_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn two_and_three_processes_write_the_same_reports_as_one() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    generate(&input, 20_000, 5, 5);
    let single = root.path().join("single");
    run_reports(&[&input], &single, &["-w", "1"]);
    let files = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&single), "single");
    for (processes, workers) in [(2, 1), (3, 2)] {
        let out = root.path().join(format!("p{processes}w{workers}"));
        let input = input.display().to_string();
        let out_arg = out.display().to_string();
        cluster(processes, workers, &["run", "--input", &input, "--format", "rees46", "--out", &out_arg]);
        let context = format!("{processes} processes of {workers}");
        assert_reports_eq(&read_output(&single), &read_output(&out), &context);
        assert_eq!(report_files(&single), report_files(&out), "{context}: files differ byte for byte");
        let parts = fs::read_dir(out.join("user_preferences")).unwrap().count();
        assert_eq!(parts, processes * workers, "{context}: one part per worker");
    }
}

#[test]
fn a_watched_directory_in_a_cluster_matches_one_process() {
    let root = tempfile::tempdir().unwrap();
    let gen = root.path().join("gen");
    generate(&gen, 12_000, 9, 3);
    let files = dir_files(&gen);
    let (input, out, state) = (root.path().join("in"), root.path().join("out"), root.path().join("state"));
    fs::create_dir_all(&input).unwrap();
    let args: Vec<String> = ["watch", "--format", "rees46", "--poll", "10ms", "--settle", "50ms"]
        .iter()
        .map(|s| s.to_string())
        .chain(["--input".into(), input.display().to_string()])
        .chain(["--out".into(), out.display().to_string()])
        .chain(["--state".into(), state.display().to_string()])
        .collect();
    let mut script = Command::new(local_sh())
        .args(["3", "1"])
        .args(&args)
        .env("CARTFLOW", cartflow_bin())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut applied = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name = file.file_name().unwrap().to_str().unwrap();
        fs::copy(file, input.join(format!("{name}.part"))).unwrap();
        fs::rename(input.join(format!("{name}.part")), input.join(name)).unwrap();
        applied.push(file.clone());
        let want = expected(&applied, Params::default(), DEFAULT_MAX_REJECT_RATE);
        let deadline = Instant::now() + Duration::from_secs(60);
        while read_output(&out) != want {
            assert!(Instant::now() < deadline, "epoch {} never matched the reference", i + 1);
            assert!(script.try_wait().unwrap().is_none(), "the cluster stopped early");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    unsafe { libc::kill(script.id() as i32, libc::SIGTERM) };
    let status = wait_within(&mut script, Duration::from_secs(30)).expect("the cluster stops on SIGTERM");
    assert!(status.success(), "the cluster exited {status} after SIGTERM");
}

#[test]
fn a_process_started_late_still_joins() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    generate(&input, 6_000, 3, 2);
    let hosts = hostfile(root.path(), 2);
    let out = root.path().join("out");
    let args = ["run", "--input", input.to_str().unwrap(), "--format", "rees46", "--out", out.to_str().unwrap()];
    let mut second = start(&args, &hosts, 2, 1, &root.path().join("p1.log"));
    std::thread::sleep(Duration::from_secs(2));
    let mut first = start(&args, &hosts, 2, 0, &root.path().join("p0.log"));
    for (name, child) in [("process 0", &mut first), ("process 1", &mut second)] {
        let status = wait_within(child, Duration::from_secs(60)).unwrap_or_else(|| panic!("{name} hung"));
        assert!(status.success(), "{name} exited {status}");
    }
    let files = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&out), "late");
}

#[test]
fn a_missing_peer_is_named_after_the_connect_timeout() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    generate(&input, 1_000, 3, 1);
    let hosts = hostfile(root.path(), 2);
    let out = root.path().join("out");
    let args = [
        "run",
        "--input",
        input.to_str().unwrap(),
        "--format",
        "rees46",
        "--out",
        out.to_str().unwrap(),
        "--connect-timeout",
        "1s",
    ];
    let log = root.path().join("p1.log");
    let mut alone = start(&args, &hosts, 2, 1, &log);
    let status = wait_within(&mut alone, Duration::from_secs(30)).expect("gives up after the timeout");
    assert_eq!(status.code(), Some(1));
    let message = fs::read_to_string(&log).unwrap();
    let peer = fs::read_to_string(&hosts).unwrap().lines().next().unwrap().to_string();
    assert!(message.contains("cannot reach process 0") && message.contains(&peer), "{message}");
}

#[test]
fn when_a_process_dies_the_others_stop_with_a_message() {
    let root = tempfile::tempdir().unwrap();
    let gen = root.path().join("gen");
    generate(&gen, 2_000, 3, 1);
    for victim in [1, 0] {
        let dir = root.path().join(format!("victim-{victim}"));
        let input = dir.join("in");
        fs::create_dir_all(&input).unwrap();
        fs::copy(dir_files(&gen).remove(0), input.join("a.csv")).unwrap();
        let (out, state) = (dir.join("out"), dir.join("state"));
        let args = [
            "watch",
            "--format",
            "rees46",
            "--poll",
            "10ms",
            "--settle",
            "0ms",
            "--input",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
        ];
        let hosts = hostfile(&dir, 2);
        let logs = [dir.join("p0.log"), dir.join("p1.log")];
        let mut children: Vec<Child> = (0..2).map(|i| start(&args, &hosts, 2, i, &logs[i])).collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !out.join("_epoch.json").exists() {
            assert!(Instant::now() < deadline, "no epoch: {}", fs::read_to_string(&logs[0]).unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
        children[victim].kill().unwrap();
        children[victim].wait().unwrap();
        let survivor = 1 - victim;
        let status = wait_within(&mut children[survivor], Duration::from_secs(30))
            .unwrap_or_else(|| panic!("process {survivor} still runs 30 s after process {victim} died"));
        assert!(!status.success(), "process {survivor} exited 0 after losing process {victim}");
        let log = fs::read_to_string(&logs[survivor]).unwrap();
        assert!(log.contains("lost the connection to another cluster process"), "{log}");
    }
}

#[test]
fn cluster_flags_are_checked_before_anything_runs() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    generate(&input, 100, 3, 1);
    let out = root.path().join("out");
    let base = ["run", "--input", input.to_str().unwrap(), "--format", "rees46", "--out", out.to_str().unwrap()];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        cartflow(&args)
    };
    assert_eq!(with(&["--processes", "2"]).status.code(), Some(2), "--processes without --hostfile");
    let hosts = hostfile(root.path(), 3);
    let hosts = hosts.to_str().unwrap();
    assert_eq!(with(&["--processes", "2", "--process", "2", "--hostfile", hosts]).status.code(), Some(2));
    let wrong_count = with(&["--processes", "2", "--hostfile", hosts]);
    assert_eq!(wrong_count.status.code(), Some(1));
    let message = String::from_utf8_lossy(&wrong_count.stderr);
    assert!(message.contains("lists 3 processes but --processes is 2"), "{message}");
}

/// Two processes in two network namespaces joined by a veth pair, as two hosts
/// with their own addresses. Needs root and `ip netns`; says so and passes otherwise.
#[test]
fn two_network_namespaces_act_as_two_hosts() {
    let run = |args: &[&str]| Command::new("ip").args(args).output().map(|o| o.status.success()).unwrap_or(false);
    let suffix = std::process::id();
    let (a, b) = (format!("cfa{suffix}"), format!("cfb{suffix}"));
    let (va, vb) = (format!("cva{}", suffix % 100_000), format!("cvb{}", suffix % 100_000));
    let setup = run(&["netns", "add", &a])
        && run(&["netns", "add", &b])
        && run(&["link", "add", &va, "type", "veth", "peer", "name", &vb])
        && run(&["link", "set", &va, "netns", &a])
        && run(&["link", "set", &vb, "netns", &b])
        && run(&["-n", &a, "addr", "add", "10.231.0.1/24", "dev", &va])
        && run(&["-n", &b, "addr", "add", "10.231.0.2/24", "dev", &vb])
        && run(&["-n", &a, "link", "set", &va, "up"])
        && run(&["-n", &b, "link", "set", &vb, "up"])
        && run(&["-n", &a, "link", "set", "lo", "up"])
        && run(&["-n", &b, "link", "set", "lo", "up"]);
    let cleanup = || {
        run(&["netns", "delete", &a]);
        run(&["netns", "delete", &b]);
    };
    if !setup {
        cleanup();
        eprintln!("skipped: network namespaces are not available here (needs root and `ip netns`)");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    generate(&input, 6_000, 4, 2);
    let hosts = root.path().join("hosts");
    fs::write(&hosts, "10.231.0.1:7311\n10.231.0.2:7311\n").unwrap();
    let out = root.path().join("out");
    let children: Vec<Child> = [&a, &b]
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            Command::new("ip")
                .args(["netns", "exec", ns, cartflow_bin(), "run", "--format", "rees46", "--input"])
                .arg(&input)
                .arg("--out")
                .arg(&out)
                .args(["--processes", "2", "--process", &i.to_string(), "--hostfile"])
                .arg(&hosts)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    cleanup();
    for (i, output) in outputs.iter().enumerate() {
        assert!(output.status.success(), "process {i}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let files = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&out), "netns");
}

/// A cluster with a state directory stops, and a cluster of another shape
/// resumes from its checkpoint and applies only the files it has not seen.
#[test]
fn a_cluster_resumes_from_its_checkpoint_with_another_process_count() {
    let root = tempfile::tempdir().unwrap();
    let gen = root.path().join("gen");
    generate(&gen, 12_000, 21, 4);
    let files = dir_files(&gen);
    let input = root.path().join("in");
    fs::create_dir_all(&input).unwrap();
    let (out, state) = (root.path().join("out"), root.path().join("state"));
    let args = |input: &Path| -> Vec<String> {
        ["run", "--format", "rees46", "--epoch-per-file"]
            .iter()
            .map(|s| s.to_string())
            .chain(["--input".into(), input.display().to_string()])
            .chain(["--out".into(), out.display().to_string()])
            .chain(["--state".into(), state.display().to_string()])
            .collect()
    };
    for file in &files[..2] {
        fs::copy(file, input.join(file.file_name().unwrap())).unwrap();
    }
    let first: Vec<String> = args(&input);
    cluster(2, 2, &first.iter().map(String::as_str).collect::<Vec<_>>());
    for file in &files[2..] {
        fs::copy(file, input.join(file.file_name().unwrap())).unwrap();
    }
    cluster(3, 1, &first.iter().map(String::as_str).collect::<Vec<_>>());
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&out), "resumed");
    assert_eq!(read_quality(&out).len(), 4, "each file applied once");
    let record: serde_json::Value = serde_json::from_slice(&fs::read(out.join("_epoch.json")).unwrap()).unwrap();
    assert_eq!(record["epoch"], 4, "{record}");
}
