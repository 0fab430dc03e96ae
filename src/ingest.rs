//! Reading a file, or one range of a large file, on one worker, and judging the
//! whole file against the reject rate (SPEC §8): a file over the rate is
//! refused whole, so its facts are kept back until the verdict (a range other
//! than a file's first is applied before it, and taken back if the file is
//! refused: see `engine::apply`).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use serde::{Deserialize, Serialize};

use crate::aggregate::{FileFacts, MapSizes};
use crate::dimensions::Tables;
use crate::formats::{scan_file, FileKind, Reject};
use crate::records::Record;
use crate::reports::ReportSet;
use crate::sinks::quality::QualityRow;
use crate::sources::InputFile;

/// What one piece of a file (the whole file, or one of its ranges) produced.
pub struct Piece {
    pub rejects: Vec<Reject>,
    pub facts: FileFacts,
    pub tally: Tally,
}

/// A piece's counts: all that the verdict on its file needs, small enough to
/// send to every worker.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tally {
    /// The file's index in its epoch, and the piece's index in the file.
    pub file: usize,
    pub part: usize,
    pub rows: u64,
    /// Rejected rows by kind.
    pub rejected: BTreeMap<String, u64>,
    /// Why the piece could not be read as its format at all.
    pub unreadable: Option<String>,
}

/// The sizes a worker's last piece left its maps at, per byte of the piece.
///
/// A file's keys (users, sessions, (user, code, brand) triples) grow with its
/// bytes, so the next piece's maps are made at about the size they will reach:
/// grown by doubling instead, a map moves every key at each step, which took
/// 13% of a worker's reading in a profile of the 5M-event bench.
#[derive(Default)]
pub struct SizeHint {
    /// The format and whether compressed: a hint from another kind of file is no guide.
    kind: Option<(&'static str, bool)>,
    bytes: u64,
    sizes: MapSizes,
}

impl SizeHint {
    fn size(&self, facts: &mut FileFacts, kind: (&'static str, bool), bytes: u64) {
        if self.kind == Some(kind) && self.bytes > 0 {
            facts.reserve(&self.sizes, bytes as f64 / self.bytes as f64);
        }
    }

    fn learn(&mut self, facts: &FileFacts, kind: (&'static str, bool), bytes: u64) {
        *self = SizeHint { kind: Some(kind), bytes, sizes: facts.sizes() };
    }
}

#[allow(clippy::too_many_arguments)]
pub fn read_piece(
    file: &InputFile,
    index: usize,
    part: usize,
    format: FileKind<'_>,
    reports: ReportSet,
    tables: &Tables,
    bytes_read: &AtomicU64,
    hint: &mut SizeHint,
) -> Piece {
    let mut facts = FileFacts::for_reports(reports);
    let range = file.ranges.get(part).copied();
    let bytes = range.map_or(file.size, |range| range.end - range.start);
    let kind = (format.name(), crate::formats::is_compressed(&file.path));
    hint.size(&mut facts, kind, bytes);
    let scan = scan_file(&file.path, format, range, bytes_read, |record| {
        // Narrowed to the shorter of the row's and the tables' lifetimes.
        let mut record: Record<'_> = record;
        fill_from_dimensions(&mut record, tables);
        facts.add(&record);
    });
    let mut tally = Tally { file: index, part, ..Tally::default() };
    match scan {
        Err(unreadable) => {
            tally.rows = unreadable.rows;
            tally.unreadable = Some(unreadable.reason);
            Piece { rejects: Vec::new(), facts: FileFacts::default(), tally }
        }
        Ok(scan) => {
            hint.learn(&facts, kind, bytes);
            tally.rows = scan.rows;
            for reject in &scan.rejects {
                *tally.rejected.entry(reject.error.kind.to_string()).or_default() += 1;
            }
            Piece { rejects: scan.rejects, facts, tally }
        }
    }
}

/// Fills in what a record takes from the product dimension (SPEC §2: kiosk and
/// techco prices; the categories and brands logs lack), as the tables are now.
///
/// The record is changed in place: a record is a few hundred bytes, and most
/// rows (every clickstream row) take nothing from the tables.
fn fill_from_dimensions<'a>(record: &mut Record<'a>, tables: &'a Tables) {
    match record {
        Record::OrderLine(line) if line.priced_by_dimension => line.unit_cents = tables.price_of(line.product),
        Record::WebLog { event, priced_by_dimension, purchase } => {
            let product = tables.products.get(event.product);
            let price = product.and_then(|p| p.price_cents).unwrap_or(0);
            if event.category_code.is_empty() {
                event.category_code = product.map_or("", |p| p.category.as_str());
            }
            if event.brand.is_empty() {
                event.brand = product.map_or("", |p| p.brand.as_str());
            }
            if *priced_by_dimension {
                event.price_cents = price;
            }
            if let Some(line) = purchase {
                if line.category.is_empty() {
                    line.category = event.category_code;
                }
                if line.priced_by_dimension {
                    line.unit_cents = price;
                }
            }
        }
        _ => {}
    }
}

/// The verdict on a whole file from the tallies of all its pieces: its
/// `_quality.csv` row, and whether its facts are applied.
pub fn judge(file: &InputFile, tallies: &[&Tally], max_reject_rate: f64) -> (QualityRow, bool) {
    let counts = Counts::of(tallies);
    if let Some(reason) = counts.refusal(max_reject_rate) {
        tracing::warn!(file = %file.name, "file refused: {reason}");
        let rows = counts.rows;
        let row = QualityRow { file: file.name.clone(), rows, accepted: 0, rejected: rows, reason_counts: reason };
        return (row, false);
    }
    let Counts { rows, rejected, reasons, .. } = counts;
    let row = QualityRow { file: file.name.clone(), rows, accepted: rows - rejected, rejected, reason_counts: reasons };
    (row, true)
}

/// Whether a file is accepted, as [`judge`] decides, without its quality row.
pub fn accepted(tallies: &[&Tally], max_reject_rate: f64) -> bool {
    Counts::of(tallies).refusal(max_reject_rate).is_none()
}

/// A whole file's counts from the tallies of all its pieces.
struct Counts {
    rows: u64,
    rejected: u64,
    /// The rejects by kind, as `_quality.csv` words them.
    reasons: String,
    unreadable: Option<String>,
}

impl Counts {
    fn of(tallies: &[&Tally]) -> Counts {
        let rows: u64 = tallies.iter().map(|t| t.rows).sum();
        let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
        for tally in tallies {
            for (kind, n) in &tally.rejected {
                *kinds.entry(kind).or_default() += n;
            }
        }
        let rejected: u64 = kinds.values().sum();
        let reasons = kinds.iter().map(|(kind, n)| format!("{kind}: {n}")).collect::<Vec<_>>().join("; ");
        let unreadable = tallies.iter().find_map(|t| t.unreadable.clone());
        Counts { rows, rejected, reasons, unreadable }
    }

    /// Why the file is refused whole, if it is: unreadable, or over the reject rate.
    fn refusal(&self, max_reject_rate: f64) -> Option<String> {
        let Counts { rows, rejected, reasons, unreadable } = self;
        if unreadable.is_some() {
            return unreadable.clone();
        }
        if *rows > 0 && *rejected as f64 > max_reject_rate * *rows as f64 {
            let share = *rejected as f64 / *rows as f64;
            return Some(format!("{rejected} of {rows} rows rejected ({share:.4} > {max_reject_rate}); {reasons}"));
        }
        None
    }
}
