//! `cartflow bench`: throughput, incremental update time, checkpoints and memory,
//! measured on generated data by running `cartflow run` as a child process per
//! setting and reading the figures from its JSON log.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::Value;

use crate::formats::Format;
use crate::gen::{
    generate_kiosk, generate_online_retail, generate_qcompany, generate_qcompany_app, generate_rees46, generate_techco,
    GenOptions,
};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Events in the base data set.
    #[arg(long, default_value_t = 5_000_000)]
    pub events: u64,
    /// Files the base data set is split into.
    #[arg(long, default_value_t = 8)]
    pub files: usize,
    /// Worker counts to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub workers: Vec<usize>,
    /// Runs per setting; the tables show medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Small epochs for the memory-over-time run (its data is a tenth of `--events`).
    #[arg(long, default_value_t = 200)]
    pub small_epochs: usize,
    /// The suite: `rees46` (clickstream and its sales reports) or `online-retail`
    /// (sales reports from invoice lines; the main table only).
    #[arg(long, value_enum, default_value_t = Format::Rees46)]
    pub format: Format,
    /// Working directory for data and outputs (reused when the data is there).
    #[arg(long, default_value = "target/cartflow-bench")]
    pub dir: PathBuf,
}

/// What one child run logged, and its peak memory.
struct ChildRun {
    wall: f64,
    peak_rss_mb: f64,
    log: Vec<Value>,
}

impl ChildRun {
    /// The `fields` of every log line with this message.
    fn events(&self, message: &str) -> Vec<&Value> {
        self.log.iter().filter(|v| v["fields"]["message"] == message).map(|v| &v["fields"]).collect()
    }

    fn seconds(&self, message: &str) -> Vec<f64> {
        self.events(message).iter().filter_map(|f| f["seconds"].as_f64()).collect()
    }
}

/// Generates `events` rows of `format` in `files` files under `dir`, once.
fn data_set(format: Format, dir: &Path, events: u64, seed: u64, files: usize) -> Result<PathBuf> {
    if !dir.join(".complete").exists() {
        let options = GenOptions { events, seed, files, out: dir.to_path_buf(), gzip: false };
        match format {
            Format::Rees46 => generate_rees46(&options)?,
            Format::OnlineRetail => generate_online_retail(&options)?,
            Format::Qcompany => generate_qcompany(&options)?,
            Format::QcompanyApp => generate_qcompany_app(&options)?,
            Format::Kiosk => generate_kiosk(&options)?,
            Format::Techco => generate_techco(&options)?,
        };
        std::fs::write(dir.join(".complete"), b"")?;
    }
    Ok(dir.to_path_buf())
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    let format = args.format;
    let name = |what: &str| args.dir.join(format!("{}-{}-{what}", format.name(), args.events));
    let base = data_set(format, &name("base"), args.events, 42, args.files)?;
    let one_percent = (args.events / 100).max(1);
    let tenth_percent = (args.events / 1000).max(1);
    let update = data_set(format, &name("update-1pct"), one_percent, 4242, 1)?;
    let small_update = data_set(format, &name("update-0.1pct"), tenth_percent, 4343, 1)?;
    let input_bytes = dir_bytes(&base)?;
    println!(
        "cartflow bench: {} {} rows ({:.0} MB of CSV in {} files), then a file of {one_percent} rows (1%) \
         and one of {tenth_percent} (0.1%), each its own epoch; median of {} runs\n",
        args.events,
        format.name(),
        input_bytes as f64 / 1e6,
        args.files,
        args.runs
    );
    println!(
        "| workers | wall s | full epoch s | events/s | MB/s | +1% file s | +1% / full | +0.1% file s | +0.1% / full | peak RSS MB | RSS / CSV |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &workers in &args.workers {
        let mut runs = Vec::new();
        for run in 0..args.runs {
            let out = args.dir.join(format!("out-w{workers}-{run}"));
            let mut command = run_command(format, &base, &out, workers);
            command.arg("--then").arg(&update).arg("--then").arg(&small_update);
            let child = spawn(command)?;
            let epochs = child.seconds("epoch applied");
            let [full, step, small_step] = epochs[..] else {
                bail!("expected three epochs in the log, found {}", epochs.len())
            };
            runs.push([child.wall, full, step, small_step, child.peak_rss_mb]);
        }
        let [wall, full, step, small_step, rss] = std::array::from_fn(|i| median(runs.iter().map(|r| r[i])));
        println!(
            "| {workers} | {wall:.2} | {full:.2} | {:.0} | {:.1} | {step:.3} | {:.1}% | {small_step:.3} | {:.2}% | {rss:.0} | {:.2} |",
            args.events as f64 / full,
            input_bytes as f64 / 1e6 / full,
            100.0 * step / full,
            100.0 * small_step / full,
            rss * 1e6 / input_bytes as f64,
        );
    }

    if format != Format::Rees46 {
        return Ok(());
    }
    let workers = args.workers.last().copied().unwrap_or(1);
    bench_cluster(args, &base)?;
    bench_checkpoints(args, &base, workers)?;
    bench_small_epochs(args, workers)?;
    Ok(())
}

/// One process of one and of two workers against two processes of one worker,
/// on loopback, and the bytes the two processes send each other per event.
fn bench_cluster(args: &BenchArgs, base: &Path) -> Result<()> {
    println!("\nProcesses × workers on the same files (full epoch s, median of {} runs)\n", args.runs);
    println!("| processes × workers | full epoch s | events/s | speed-up over 1 × 1 | loopback bytes per event |");
    println!("|---|---|---|---|---|");
    let mut single = f64::NAN;
    for (processes, workers) in [(1, 1), (1, 2), (2, 1)] {
        let mut runs = Vec::new();
        for run in 0..args.runs {
            let out = args.dir.join(format!("cluster-out-{processes}x{workers}-{run}"));
            let before = loopback_bytes();
            let first = if processes == 1 {
                spawn(run_command(Format::Rees46, base, &out, workers))?
            } else {
                let hostfile = args.dir.join("bench-hosts");
                let ports: Vec<std::net::TcpListener> =
                    (0..processes).map(|_| std::net::TcpListener::bind("127.0.0.1:0")).collect::<Result<_, _>>()?;
                let lines: Vec<String> =
                    ports.iter().map(|l| l.local_addr().map(|a| format!("{a}\n"))).collect::<Result<_, _>>()?;
                std::fs::write(&hostfile, lines.concat())?;
                drop(ports);
                let cluster = |process: usize| {
                    let mut command = run_command(Format::Rees46, base, &out, workers);
                    command.args(["--processes", &processes.to_string(), "--process", &process.to_string()]);
                    command.arg("--hostfile").arg(&hostfile);
                    command
                };
                let others: Vec<std::process::Child> = (1..processes)
                    .map(|p| cluster(p).stdout(Stdio::null()).stderr(Stdio::null()).spawn())
                    .collect::<Result<_, _>>()?;
                let first = spawn(cluster(0))?;
                for mut other in others {
                    if !other.wait()?.success() {
                        bail!("a cluster process failed");
                    }
                }
                first
            };
            let sent = loopback_bytes().saturating_sub(before) as f64;
            runs.push([first.seconds("epoch applied")[0], sent]);
        }
        let [full, sent] = std::array::from_fn(|i| median(runs.iter().map(|r| r[i])));
        if processes * workers == 1 {
            single = full;
        }
        let per_event = if processes > 1 { format!("{:.1}", sent / args.events as f64) } else { "—".into() };
        println!(
            "| {processes} × {workers} | {full:.2} | {:.0} | {:.2}× | {per_event} |",
            args.events as f64 / full,
            single / full
        );
    }
    Ok(())
}

/// Bytes received on the loopback interface so far (Linux; 0 elsewhere).
fn loopback_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    text.lines()
        .find_map(|line| line.trim_start().strip_prefix("lo:"))
        .and_then(|fields| fields.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Checkpoint size and time, and restoring it against replaying every file.
fn bench_checkpoints(args: &BenchArgs, base: &Path, workers: usize) -> Result<()> {
    println!(
        "\nState directory, {workers} workers: checkpoint after the full epoch, then a restart that restores it\n"
    );
    println!(
        "| full epoch (replay) s | checkpoint write s | checkpoint MB | retraction data MB | restore s | restore / replay | peak RSS MB with --state |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut runs = Vec::new();
    for run in 0..args.runs {
        let out = args.dir.join(format!("state-out-{run}"));
        let state = args.dir.join(format!("state-{run}"));
        let _ = std::fs::remove_dir_all(&state);
        let mut first = run_command(Format::Rees46, base, &out, workers);
        first.arg("--state").arg(&state);
        let first = spawn(first)?;
        let written = first.events("checkpoint written");
        let Some(written) = written.first() else { bail!("the run logged no checkpoint") };
        let mut restart = run_command(Format::Rees46, base, &out, workers);
        restart.arg("--state").arg(&state);
        let restart = spawn(restart)?;
        let restored = restart.seconds("checkpoint restored");
        runs.push([
            first.seconds("epoch applied")[0],
            written["seconds"].as_f64().unwrap_or(f64::NAN),
            written["checkpoint_bytes"].as_f64().unwrap_or(f64::NAN) / 1e6,
            written["retraction_bytes"].as_f64().unwrap_or(f64::NAN) / 1e6,
            restored.first().copied().unwrap_or(f64::NAN),
            first.peak_rss_mb,
        ]);
    }
    let [replay, write, checkpoint_mb, retraction_mb, restore, rss] =
        std::array::from_fn(|i| median(runs.iter().map(|r| r[i])));
    println!(
        "| {replay:.2} | {write:.2} | {checkpoint_mb:.0} | {retraction_mb:.0} | {restore:.2} | {:.0}% | {rss:.0} |",
        100.0 * restore / replay
    );
    Ok(())
}

/// Resident memory over many small epochs with a state directory, as `watch`
/// runs: once with new keys in every epoch, once with the same keys (every file
/// the same rows in another order, so each is new content but no new key).
fn bench_small_epochs(args: &BenchArgs, workers: usize) -> Result<()> {
    let epochs = args.small_epochs;
    let events = (args.events / 10).max(epochs as u64);
    let growing = data_set(Format::Rees46, &args.dir.join(format!("rees46-{events}-in-{epochs}")), events, 77, epochs)?;
    let same_keys = args.dir.join(format!("rees46-{}-rotated-{epochs}", events / epochs as u64));
    if !same_keys.join(".complete").exists() {
        let source = data_set(
            Format::Rees46,
            &args.dir.join(format!("rees46-{}", events / epochs as u64)),
            events / epochs as u64,
            78,
            1,
        )?;
        let text = std::fs::read_to_string(
            std::fs::read_dir(&source)?
                .flatten()
                .find(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .context("no generated file")?
                .path(),
        )?;
        let (header, rows) = text.split_once('\n').context("an empty generated file")?;
        let rows: Vec<&str> = rows.lines().collect();
        std::fs::create_dir_all(&same_keys)?;
        for i in 0..epochs {
            let shift = i * rows.len() / epochs;
            let mut file = format!("{header}\n");
            for row in rows[shift..].iter().chain(&rows[..shift]) {
                file.push_str(row);
                file.push('\n');
            }
            std::fs::write(same_keys.join(format!("rotated-{i:05}.csv")), file)?;
        }
        std::fs::write(same_keys.join(".complete"), b"")?;
    }
    let every = (epochs / 4).max(1);
    println!(
        "\n{epochs} epochs of {} events each, {workers} workers, a checkpoint every {every} epochs. A checkpoint's \
         size follows the distinct keys held: resident memory should follow it, not the number of epochs\n",
        events / epochs as u64
    );
    println!("| data | after epoch | resident MB | checkpoint MB |");
    println!("|---|---|---|---|");
    for (label, input) in [("new keys every epoch", &growing), ("the same keys every epoch", &same_keys)] {
        let out = args.dir.join("small-epochs-out");
        let state = args.dir.join("small-epochs-state");
        let _ = std::fs::remove_dir_all(&state);
        let _ = std::fs::remove_dir_all(&out);
        let mut command = run_command(Format::Rees46, input, &out, workers);
        command.arg("--epoch-per-file").arg("--state").arg(&state).args(["--checkpoint-every", &every.to_string()]);
        let child = spawn(command)?;
        let resident: Vec<f64> =
            child.events("epoch applied").iter().filter_map(|f| f["resident_mb"].as_f64()).collect();
        for written in child.events("checkpoint written") {
            let (Some(epoch), Some(bytes)) = (written["epoch"].as_u64(), written["checkpoint_bytes"].as_f64()) else {
                continue;
            };
            let Some(&resident_mb) = resident.get(epoch as usize - 1) else { continue };
            println!("| {label} | {epoch} | {resident_mb:.0} | {:.1} |", bytes / 1e6);
        }
        println!(
            "| {label} | peak RSS {:.0} MB, median epoch {:.3} s | | |",
            child.peak_rss_mb,
            median(child.seconds("epoch applied").into_iter())
        );
    }
    Ok(())
}

fn run_command(format: Format, input: &Path, out: &Path, workers: usize) -> Command {
    let exe = std::env::current_exe().expect("the running executable has a path");
    let mut command = Command::new(exe);
    command
        .args(["--log-format", "json", "run", "--format", format.name(), "--workers", &workers.to_string()])
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out);
    // The dimension tables `gen` writes beside the facts: kiosk and techco lines are
    // priced by the products, qcompany lines located and named by branches and agents.
    let dimensions = input.join("dimensions");
    let tables: &[(&str, &str)] = match format {
        Format::Kiosk | Format::Techco => &[("--products", "")],
        Format::Qcompany => &[("--branches", "branches.csv"), ("--agents", "agents.csv")],
        _ => &[],
    };
    for (flag, file) in tables {
        if dimensions.join(file).exists() {
            command.arg(flag).arg(dimensions.join(file));
        }
    }
    command
}

fn spawn(mut command: Command) -> Result<ChildRun> {
    let started = Instant::now();
    let child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().context("cannot start cartflow run")?;
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr.context("no stderr")?;
    let text = std::io::read_to_string(stderr)?;
    let (status, peak_rss_kb) = wait_with_peak_rss(pid)?;
    if status != 0 {
        bail!("cartflow run failed ({status}): {text}");
    }
    let log = text.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    Ok(ChildRun { wall: started.elapsed().as_secs_f64(), peak_rss_mb: peak_rss_kb as f64 * 1024.0 / 1e6, log })
}

/// Waits for a child and returns its exit status and peak resident memory in KiB.
fn wait_with_peak_rss(pid: libc::pid_t) -> Result<(i32, i64)> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, and both pointers are valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        bail!("waiting for cartflow run: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
    Ok((code, usage.ru_maxrss))
}

fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
