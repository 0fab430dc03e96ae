//! `cartflow bench`: throughput, incremental update time and peak memory, measured
//! on generated data by running `cartflow run` as a child process per setting.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::gen::{generate_rees46, GenOptions};

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
    /// Runs per setting; the table shows medians.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Working directory for data and outputs (reused when the data is there).
    #[arg(long, default_value = "target/cartflow-bench")]
    pub dir: PathBuf,
}

/// Figures of one child run.
struct Measurement {
    wall: f64,
    full_epoch: f64,
    update_epoch: f64,
    peak_rss_mb: f64,
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    let base = args.dir.join(format!("rees46-{}", args.events));
    let update = args.dir.join(format!("rees46-{}-update", args.events));
    let update_events = (args.events / 100).max(1);
    if !base.join(".complete").exists() {
        generate_rees46(&GenOptions {
            events: args.events,
            seed: 42,
            files: args.files,
            out: base.clone(),
            gzip: false,
        })?;
        std::fs::write(base.join(".complete"), b"")?;
    }
    if !update.join(".complete").exists() {
        generate_rees46(&GenOptions { events: update_events, seed: 4242, files: 1, out: update.clone(), gzip: false })?;
        std::fs::write(update.join(".complete"), b"")?;
    }
    let input_bytes = dir_bytes(&base)?;
    println!(
        "cartflow bench: {} events ({:.0} MB of CSV in {} files), then one file of {update_events} events (1%); median of {} runs\n",
        args.events,
        input_bytes as f64 / 1e6,
        args.files,
        args.runs
    );
    println!(
        "| workers | wall s | full epoch s | events/s | MB/s | +1% file s | +1% / full | peak RSS MB | RSS / CSV |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for &workers in &args.workers {
        let mut runs = Vec::new();
        for run in 0..args.runs {
            let out = args.dir.join(format!("out-w{workers}-{run}"));
            runs.push(measure(&base, &update, &out, workers)?);
        }
        let wall = median(runs.iter().map(|m| m.wall));
        let full = median(runs.iter().map(|m| m.full_epoch));
        let step = median(runs.iter().map(|m| m.update_epoch));
        let rss = median(runs.iter().map(|m| m.peak_rss_mb));
        println!(
            "| {workers} | {wall:.2} | {full:.2} | {:.0} | {:.1} | {step:.3} | {:.1}% | {rss:.0} | {:.2} |",
            args.events as f64 / full,
            input_bytes as f64 / 1e6 / full,
            100.0 * step / full,
            rss * 1e6 / input_bytes as f64,
        );
    }
    Ok(())
}

/// Runs `cartflow run` over the base files, then the update file as a second epoch.
fn measure(base: &Path, update: &Path, out: &Path, workers: usize) -> Result<Measurement> {
    let exe = std::env::current_exe().context("cannot find the cartflow executable")?;
    let started = Instant::now();
    let child = Command::new(exe)
        .args(["--log-format", "json", "run", "--format", "rees46", "--workers", &workers.to_string()])
        .arg("--input")
        .arg(base)
        .arg("--then")
        .arg(update)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start cartflow run")?;
    let pid = child.id() as libc::pid_t;
    let stderr = child.stderr.context("no stderr")?;
    let log = std::io::read_to_string(stderr)?;
    let (status, peak_rss_kb) = wait_with_peak_rss(pid)?;
    let wall = started.elapsed().as_secs_f64();
    if status != 0 {
        bail!("cartflow run failed ({status}): {log}");
    }
    let epochs: Vec<f64> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v["fields"]["seconds"].as_f64())
        .collect();
    let [full_epoch, update_epoch] = epochs[..] else {
        bail!("expected two epochs in the log, found {}: {log}", epochs.len())
    };
    Ok(Measurement { wall, full_epoch, update_epoch, peak_rss_mb: peak_rss_kb as f64 / 1024.0 * 1.048_576 })
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
    values[values.len() / 2]
}
