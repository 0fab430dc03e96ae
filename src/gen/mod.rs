//! Sample-data generators behind `cartflow gen`, `cartflow demo` and `cartflow bench`.
//!
//! [`generate_rees46`] writes a clickstream export, [`generate_online_retail`] an
//! invoice-line export, [`generate_qcompany`] sales transactions (and
//! [`generate_qcompany_app`] the same company's app logs), [`generate_kiosk`] kiosk
//! sales and [`generate_techco`] web logs, both with their product dimension.
//! All write their files in parallel, each file from its own
//! random stream, so the output does not depend on the number of threads.

mod kiosk;
mod online_retail;
mod qcompany;
mod rees46;
mod techco;
pub use kiosk::*;
pub use online_retail::*;
pub use qcompany::*;
pub use rees46::*;
pub use techco::*;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{Context, Result};
use flate2::{write::GzEncoder, Compression};

/// What to generate. The same options always give byte-identical files.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Total data rows over all files (exact).
    pub events: u64,
    /// Drives the events; the store's catalogue and customer base do not depend on it.
    pub seed: u64,
    /// Number of time-ordered files the month is split into (0 is taken as 1).
    pub files: usize,
    /// Directory to write into; created when missing.
    pub out: PathBuf,
    /// Write `events-NNNNN.csv.gz` instead of `events-NNNNN.csv`.
    pub gzip: bool,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct GenSummary {
    /// The files, in time order.
    pub files: Vec<PathBuf>,
    /// Data rows written (equals `GenOptions::events`).
    pub events: u64,
    /// Bytes on disk over all files (compressed size for gzip).
    pub bytes: u64,
}

/// Writes file `k` of `opts.files` as `<stem>-NNNNN.<extension>` (or `.<extension>.gz`)
/// by calling `write_rows(out, k, first row's global index, rows)`, files in parallel.
fn write_files(
    opts: &GenOptions,
    stem: &str,
    extension: &str,
    write_rows: impl Fn(&mut dyn Write, usize, u64, u64) -> Result<()> + Sync,
) -> Result<GenSummary> {
    let files = opts.files.max(1);
    fs::create_dir_all(&opts.out).with_context(|| format!("cannot create {}", opts.out.display()))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    // One slot per file, filled by whichever thread wrote it: (path, bytes) or the error.
    type Slot = Option<Result<(PathBuf, u64)>>;
    let results: Mutex<Vec<Slot>> = Mutex::new((0..files).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                if k >= files || failed.load(Ordering::Relaxed) {
                    break;
                }
                let result = write_file(opts, stem, extension, k, &write_rows);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                results.lock().unwrap_or_else(|e| e.into_inner())[k] = Some(result);
            });
        }
    });

    let mut summary = GenSummary { files: Vec::with_capacity(files), events: opts.events, bytes: 0 };
    for result in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        // A file left as None was skipped after another failed; that failure is reported.
        let Some(result) = result else { continue };
        let (path, bytes) = result?;
        summary.files.push(path);
        summary.bytes += bytes;
    }
    if summary.files.len() != files {
        anyhow::bail!("generation stopped before all {files} files were written");
    }
    Ok(summary)
}

/// Popularity: a skewed pick in `0..n`, index i about (n/i)^½ times as likely as the
/// last, so a few products, customers or kiosks take much of the traffic.
fn skewed(rng: &mut rand_pcg::Pcg64Mcg, n: u64) -> u64 {
    use rand_core::RngCore;
    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    ((n as f64 * u * u) as u64).min(n - 1)
}

/// Rows of file `k` of `files`: the first row's global index and the count. Counts differ
/// by at most one, the earlier files taking the remainder.
fn file_rows(rows: u64, files: usize, k: usize) -> (u64, u64) {
    let (files, k) = (files as u64, k as u64);
    let (base, extra) = (rows / files, rows % files);
    (k * base + k.min(extra), base + u64::from(k < extra))
}

fn write_file(
    opts: &GenOptions,
    stem: &str,
    extension: &str,
    k: usize,
    write_rows: &(impl Fn(&mut dyn Write, usize, u64, u64) -> Result<()> + Sync),
) -> Result<(PathBuf, u64)> {
    let name = format!("{stem}-{:05}.{extension}{}", k + 1, if opts.gzip { ".gz" } else { "" });
    let path = opts.out.join(&name);
    let part = opts.out.join(format!(".{name}.part"));
    let (first, rows) = file_rows(opts.events, opts.files.max(1), k);
    let written = (|| -> Result<()> {
        let file = File::create(&part)?;
        if opts.gzip {
            // Level 1: generated data is for feeding the engine, and compression dominates
            // the run time at higher levels. The gzip header carries no time, so output is
            // still byte-identical between runs.
            let mut gz = GzEncoder::new(BufWriter::with_capacity(1 << 20, file), Compression::fast());
            write_rows(&mut gz, k, first, rows)?;
            gz.finish()?.into_inner().map_err(|e| e.into_error())?;
        } else {
            // Rows are gathered in large chunks by the writers; no BufWriter needed.
            let mut file = file;
            write_rows(&mut file, k, first, rows)?;
        }
        fs::rename(&part, &path)?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&part);
        return Err(e.context(format!("cannot write {}", path.display())));
    }
    let bytes = fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?.len();
    Ok((path, bytes))
}
