//! One file, start to finish on one worker: read it, judge it against the
//! reject rate, and keep its facts only if it is accepted (SPEC §8).

use std::sync::atomic::AtomicU64;

use crate::aggregate::InteractionFacts;
use crate::formats::{scan_file, Format, Reject};
use crate::sinks::quality::{reason_counts, QualityRow};
use crate::sources::InputFile;

/// What became of one file.
pub struct FileOutcome {
    pub quality: QualityRow,
    pub rejects: Vec<Reject>,
    /// The facts to apply; `None` when the file was refused.
    pub facts: Option<InteractionFacts>,
}

pub fn read_file(file: &InputFile, format: Format, max_reject_rate: f64, bytes_read: &AtomicU64) -> FileOutcome {
    let mut facts = InteractionFacts::default();
    let scan = scan_file(&file.path, format, bytes_read, |event| facts.add(event));
    let refused = |rows: u64, reason: String, rejects: Vec<Reject>| {
        tracing::warn!(file = %file.name, "file refused: {reason}");
        FileOutcome {
            quality: QualityRow { file: file.name.clone(), rows, accepted: 0, rejected: rows, reason_counts: reason },
            rejects,
            facts: None,
        }
    };
    match scan {
        Err(unreadable) => refused(unreadable.rows, unreadable.reason, Vec::new()),
        Ok(scan) => {
            let rejected = scan.rejects.len() as u64;
            let reasons = reason_counts(&scan.rejects);
            if scan.rows > 0 && rejected as f64 > max_reject_rate * scan.rows as f64 {
                let share = rejected as f64 / scan.rows as f64;
                let reason =
                    format!("{rejected} of {} rows rejected ({share:.4} > {max_reject_rate}); {reasons}", scan.rows);
                return refused(scan.rows, reason, scan.rejects);
            }
            let quality = QualityRow {
                file: file.name.clone(),
                rows: scan.rows,
                accepted: scan.rows - rejected,
                rejected,
                reason_counts: reasons,
            };
            FileOutcome { quality, rejects: scan.rejects, facts: Some(facts) }
        }
    }
}
