//! Data quality outputs: `_quality.csv`, `_rejects/<file>.csv` and `_epoch.json`
//! (SPEC §5, §8, §9).

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::csv_out::{write_atomically, CsvOut, Fields};
use super::ReportRow;
use crate::formats::Reject;

/// One input file's row of `_quality.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualityRow {
    pub file: String,
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub reason_counts: String,
}

impl ReportRow for QualityRow {
    const HEADER: &'static [&'static str] = &["file", "rows", "accepted", "rejected", "reason_counts"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.file).int(self.rows).int(self.accepted).int(self.rejected).text(&self.reason_counts);
    }
}

/// Writes `_rejects/<file name>.csv`: `line,reason,raw` for every rejected row.
pub fn write_rejects(out_dir: &Path, file_name: &str, rejects: &[Reject]) -> io::Result<()> {
    let mut csv =
        CsvOut::replace(&out_dir.join("_rejects").join(format!("{file_name}.csv")), &["line", "reason", "raw"])?;
    for reject in rejects {
        let reason = format!("{}: {}", reject.error.kind, reject.error.detail);
        csv.row().int(reject.line).text(&reason).text(&reject.raw).end()?;
    }
    csv.finish()
}

/// Removes `_rejects/<file name>.csv`, if there is one: the file now has no rejected rows.
pub fn remove_rejects(out_dir: &Path, file_name: &str) -> io::Result<()> {
    match std::fs::remove_file(out_dir.join("_rejects").join(format!("{file_name}.csv"))) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `_epoch.json`: written last, so a reader that sees epoch E sees every report as of E.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: u64,
    /// The files this epoch applied (refused files included: they were read and counted).
    pub files: Vec<String>,
    /// Files not applied because their content equals an already applied file.
    pub duplicates: Vec<Duplicate>,
    /// Applied files whose contribution this epoch took back (changed or deleted).
    pub retracted: Vec<String>,
    /// Files that changed after they were applied and were skipped.
    pub changed: Vec<String>,
    /// True when the reports were rewritten from a checkpoint after a restart:
    /// `files` are then the files of the checkpoint's last epoch.
    pub restored: bool,
    pub seconds: f64,
    pub workers: usize,
}

impl EpochRecord {
    pub fn restored(epoch: u64, files: Vec<String>, seconds: f64, workers: usize) -> EpochRecord {
        EpochRecord {
            epoch,
            files,
            duplicates: Vec::new(),
            retracted: Vec::new(),
            changed: Vec::new(),
            restored: true,
            seconds,
            workers,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Duplicate {
    pub file: String,
    pub same_as: String,
}

pub fn write_epoch(out_dir: &Path, record: &EpochRecord) -> io::Result<()> {
    let mut json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
    json.push(b'\n');
    write_atomically(&out_dir.join("_epoch.json"), &json)
}
