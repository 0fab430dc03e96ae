//! Sample-data generators behind `cartflow gen`, `cartflow demo` and `cartflow bench`.
//!
//! Only the `rees46` clickstream layout is generated today; see [`generate_rees46`].

mod rees46;
pub use rees46::*;

use std::path::PathBuf;

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
