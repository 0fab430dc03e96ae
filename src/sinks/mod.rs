//! Sinks: where report collections land as files (SPEC §5).
//!
//! Each report's rows arrive as differential updates; a [`Table`] keeps the
//! current rows in report order, and after every epoch the tables that changed
//! are written out. Small reports are gathered to worker 0 and written once;
//! per-entity reports stay where their keys live and each worker writes its part.
//! Every report also has a change log, written by worker 0.

pub mod csv_out;
pub mod quality;

use std::cell::RefCell;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use differential_dataflow::{AsCollection, ExchangeData};
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::vec::Filter;
use timely::dataflow::operators::Exchange;

use crate::dataflow::{Coll, Time};
use csv_out::{commit, render, Closed, CsvOut, Fields};

/// A row of a report: its `Ord` is the report's row order, and it writes its
/// own columns.
pub trait ReportRow: ExchangeData + Hash {
    const HEADER: &'static [&'static str];
    fn write(&self, fields: &mut Fields<'_>);
}

/// The rows a report holds now, with how many times each occurs, each kept
/// encoded as its CSV line.
///
/// Updates are gathered as they arrive and applied in one go when the table is
/// read, sorted once. The rows are a sorted vector, not an ordered map: the
/// first step's sorted updates become the rows as they are, without a second
/// copy of every row while a map is built. A later step with few updates for
/// the table's size changes counts in place and keeps its new rows in a small
/// ordered map beside the vector, so a 1% file does not move every row of a
/// per-entity report; the two are merged once the map or the rows that left
/// grow past an eighth of the vector.
struct Table<R> {
    /// Rows in report order, each with how many times it occurs (0 for a row
    /// that left since the vector was last rebuilt).
    rows: Vec<(R, isize)>,
    /// Each row's CSV line, by the row's index.
    lines: Vec<Box<[u8]>>,
    /// Rows that arrived since then, none of them in `rows`.
    recent: BTreeMap<R, (isize, Box<[u8]>)>,
    /// How many of `rows` have a count of 0.
    left: usize,
    /// Updates not applied yet.
    pending: Vec<(R, isize)>,
    /// Net changes since the change log last took them; `None` without a log.
    log: Option<Vec<(R, isize)>>,
    changed: bool,
}

impl<R: ReportRow> Table<R> {
    fn new(log_changes: bool) -> Self {
        Table {
            rows: Vec::new(),
            lines: Vec::new(),
            recent: BTreeMap::new(),
            left: 0,
            pending: Vec::new(),
            log: log_changes.then(Vec::new),
            changed: false,
        }
    }

    fn update(&mut self, row: &R, diff: isize) {
        self.pending.push((row.clone(), diff));
        self.changed = true;
    }

    /// Applies the pending updates.
    fn settle(&mut self) {
        let mut updates = std::mem::take(&mut self.pending);
        consolidate_rows(&mut updates);
        self.apply(updates, Vec::new());
    }

    /// Applies the pending updates, first showing `see` their net changes in
    /// row order, each with its CSV line: a change log is written from them
    /// without a copy, and the table keeps the lines of the rows it gains
    /// instead of encoding them a second time.
    fn settle_showing<E>(&mut self, see: impl FnOnce(&[(R, isize)], &[Box<[u8]>]) -> Result<(), E>) -> Result<(), E> {
        let mut updates = std::mem::take(&mut self.pending);
        consolidate_rows(&mut updates);
        let lines: Vec<Box<[u8]>> = updates.iter().map(|(row, _)| render(|fields| row.write(fields))).collect();
        see(&updates, &lines)?;
        self.apply(updates, lines);
        Ok(())
    }

    /// Applies sorted, consolidated updates; `lines` holds their CSV lines, or
    /// is empty for the table to encode the rows it gains itself.
    fn apply(&mut self, updates: Vec<(R, isize)>, lines: Vec<Box<[u8]>>) {
        if updates.is_empty() {
            return;
        }
        let mut lines = lines.into_iter();
        if let Some(log) = &mut self.log {
            log.extend(updates.iter().cloned());
        }
        if updates.len() * 16 > self.rows.len() {
            self.fold_recent();
            self.merge(updates, lines);
            return;
        }
        for (row, diff) in updates {
            let line = lines.next();
            match self.rows.binary_search_by(|(kept, _)| kept.cmp(&row)) {
                Ok(at) => {
                    let n = &mut self.rows[at].1;
                    let before = *n;
                    *n += diff;
                    match (before == 0, *n == 0) {
                        (false, true) => self.left += 1,
                        (true, false) => self.left -= 1,
                        _ => {}
                    }
                }
                Err(_) => match self.recent.entry(row) {
                    Entry::Occupied(mut entry) => {
                        entry.get_mut().0 += diff;
                        if entry.get().0 == 0 {
                            entry.remove();
                        }
                    }
                    Entry::Vacant(entry) => {
                        let line = line.unwrap_or_else(|| render(|fields| entry.key().write(fields)));
                        entry.insert((diff, line));
                    }
                },
            }
        }
        if (self.recent.len() + self.left) * 8 > self.rows.len() {
            self.fold_recent();
        }
    }

    /// Rebuilds the vector with the recent rows in it and the rows that left out.
    fn fold_recent(&mut self) {
        if self.recent.is_empty() && self.left == 0 {
            return;
        }
        let capacity = self.rows.len() - self.left + self.recent.len();
        let (mut rows, mut lines) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
        let kept = std::mem::take(&mut self.rows).into_iter().zip(std::mem::take(&mut self.lines));
        let mut recent = std::mem::take(&mut self.recent).into_iter().peekable();
        for ((row, n), line) in kept.filter(|((_, n), _)| *n != 0) {
            while let Some((before, (m, line))) = recent.next_if(|(new, _)| *new < row) {
                rows.push((before, m));
                lines.push(line);
            }
            rows.push((row, n));
            lines.push(line);
        }
        for (row, (n, line)) in recent {
            rows.push((row, n));
            lines.push(line);
        }
        (self.rows, self.lines, self.left) = (rows, lines, 0);
    }

    /// Merges sorted updates into the vector, which has no recent rows beside
    /// it; `given` yields the updates' lines, if it was given them.
    fn merge(&mut self, updates: Vec<(R, isize)>, mut given: std::vec::IntoIter<Box<[u8]>>) {
        let encode = |row: &R| render(|fields| row.write(fields));
        if self.rows.is_empty() {
            self.lines = updates.iter().map(|(row, _)| given.next().unwrap_or_else(|| encode(row))).collect();
            self.rows = updates;
            return;
        }
        let capacity = self.rows.len() + updates.len();
        let (mut rows, mut lines) = (Vec::with_capacity(capacity), Vec::with_capacity(capacity));
        let mut old = std::mem::take(&mut self.rows).into_iter().zip(std::mem::take(&mut self.lines)).peekable();
        for (row, diff) in updates {
            let given_line = given.next();
            while let Some(((before, n), line)) = old.next_if(|((kept, _), _)| *kept < row) {
                rows.push((before, n));
                lines.push(line);
            }
            match old.next_if(|((kept, _), _)| *kept == row) {
                Some(((kept, n), line)) if n + diff != 0 => {
                    rows.push((kept, n + diff));
                    lines.push(line);
                }
                Some(_) => {}
                None => {
                    lines.push(given_line.unwrap_or_else(|| encode(&row)));
                    rows.push((row, diff));
                }
            }
        }
        for ((row, n), line) in old {
            rows.push((row, n));
            lines.push(line);
        }
        (self.rows, self.lines) = (rows, lines);
    }

    /// The net changes since the last call, in row order.
    fn take_log(&mut self) -> Vec<(R, isize)> {
        self.settle();
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Whether no row is present.
    fn is_empty(&self) -> bool {
        self.rows.len() == self.left && self.recent.is_empty()
    }

    /// Every row with its count and line, in report order.
    fn entries(&self) -> impl Iterator<Item = (&R, isize, &[u8])> {
        let mut kept = self.rows.iter().zip(&self.lines).map(|((row, n), line)| (row, *n, &line[..])).peekable();
        let mut recent = self.recent.iter().map(|(row, (n, line))| (row, *n, &line[..])).peekable();
        std::iter::from_fn(move || match (kept.peek(), recent.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => recent.next(),
            (Some(_), _) => kept.next(),
            (None, _) => recent.next(),
        })
        .filter(|(_, n, _)| *n != 0)
    }

    /// The encoded lines in report order, each as often as its row occurs.
    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        self.entries().flat_map(|(_, n, line)| std::iter::repeat_n(line, n.max(0) as usize))
    }
}

/// A net change for a change log: the row, its change, and its CSV line when
/// it is already encoded.
type Change<'a, R> = (&'a R, isize, Option<&'a [u8]>);

/// Two lists of net changes in row order, merged: a row in both is summed.
/// `a_lines` holds the lines of `a`'s rows.
fn merge_changes<'a, R: Ord>(a: &'a [(R, isize)], a_lines: &'a [Box<[u8]>], b: &'a [(R, isize)]) -> Vec<Change<'a, R>> {
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let line = a_lines.get(i).map(|line| &line[..]);
        let (row, diff, line) = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                (i, j) = (i + 1, j + 1);
                (&x.0, x.1 + y.1, line)
            }
            (Some(x), y) if y.is_none_or(|y| x.0 < y.0) => {
                i += 1;
                (&x.0, x.1, line)
            }
            (_, Some(y)) => {
                j += 1;
                (&y.0, y.1, None)
            }
            _ => unreachable!("one list has rows left"),
        };
        if diff != 0 {
            merged.push((row, diff, line));
        }
    }
    merged
}

/// Sorts updates into row order and sums each row's changes, dropping rows that
/// net to nothing. Rows that compare equal are equal, so the sort need not be
/// stable, and an unstable sort of a per-entity report's long rows is faster.
fn consolidate_rows<R: Ord>(updates: &mut Vec<(R, isize)>) {
    updates.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    updates.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    updates.retain(|(_, diff)| *diff != 0);
}

/// Anything a worker writes after a step: `epoch` is the epoch just applied, or
/// `None` when the step only restored a checkpoint (nothing changed since it was
/// written, so change logs get no rows).
trait OutputFile {
    /// Writes the file if it changed; `closed` takes it, for [`commit`] to make durable.
    fn write(&mut self, out_dir: &Path, epoch: Option<u64>, closed: &mut Vec<Closed>) -> io::Result<()>;
}

struct ReportFile<R> {
    relative_path: PathBuf,
    table: Rc<RefCell<Table<R>>>,
    /// The row a one-row report shows before any input.
    empty_row: Option<R>,
    written: bool,
}

impl<R: ReportRow> OutputFile for ReportFile<R> {
    fn write(&mut self, out_dir: &Path, _epoch: Option<u64>, closed: &mut Vec<Closed>) -> io::Result<()> {
        let mut table = self.table.borrow_mut();
        table.settle();
        if self.written && !table.changed {
            return Ok(());
        }
        let mut csv = CsvOut::replace(&out_dir.join(&self.relative_path), R::HEADER)?;
        if let Some(placeholder) = self.empty_row.as_ref().filter(|_| table.is_empty()) {
            let mut fields = csv.row();
            placeholder.write(&mut fields);
            fields.end()?;
        }
        for line in table.lines() {
            csv.rendered(line)?;
        }
        closed.push(csv.close()?);
        table.changed = false;
        self.written = true;
        Ok(())
    }
}

/// `changes/<report>.csv`: `epoch,diff,<report columns>`, one line per row that
/// left (-1) or entered (+1) the report in an epoch. Within an epoch the rows that
/// left come first, then those that entered, each in report order, so the log is
/// the same whatever the number of workers.
struct ChangeLog<R> {
    name: String,
    /// Where the changes since the last write come from.
    source: ChangeSource<R>,
    /// For one-row reports: the placeholder row, and whether the report shows it.
    placeholder: Option<(R, Rc<RefCell<Table<R>>>)>,
    showing_placeholder: bool,
    /// Whether the log exists on disk, header and all, since this process started.
    started: bool,
}

enum ChangeSource<R> {
    /// A gathered report's own table, which keeps its net changes.
    Table(Rc<RefCell<Table<R>>>),
    /// A per-entity report: worker 0's own part, which shows its changes as it
    /// takes them in, and the rows of every other worker's part, gathered to
    /// worker 0 as they arrive. Worker 0's rows are not gathered again: at one
    /// worker that would be a second copy of every row of the report.
    Parts { own: Rc<RefCell<Table<R>>>, others: Rc<RefCell<Vec<(R, isize)>>> },
}

impl<R: ReportRow> ChangeLog<R> {
    fn path(&self, out_dir: &Path) -> PathBuf {
        out_dir.join("changes").join(format!("{}.csv", self.name))
    }
}

impl<R: ReportRow> OutputFile for ChangeLog<R> {
    fn write(&mut self, out_dir: &Path, epoch: Option<u64>, closed: &mut Vec<Closed>) -> io::Result<()> {
        let (own, mut others) = match &self.source {
            ChangeSource::Table(table) => {
                let pending = table.borrow_mut().take_log();
                return self.write_gathered(out_dir, epoch, pending, closed);
            }
            ChangeSource::Parts { own, others } => (Rc::clone(own), std::mem::take(&mut *others.borrow_mut())),
        };
        consolidate_rows(&mut others);
        let mut own = own.borrow_mut();
        own.settle_showing(|changes, lines| {
            self.append(out_dir, epoch, &merge_changes(changes, lines, &others), closed)
        })
    }
}

impl<R: ReportRow> ChangeLog<R> {
    fn write_gathered(
        &mut self,
        out_dir: &Path,
        epoch: Option<u64>,
        mut pending: Vec<(R, isize)>,
        closed: &mut Vec<Closed>,
    ) -> io::Result<()> {
        if let Some((row, table)) = &self.placeholder {
            let mut table = table.borrow_mut();
            table.settle();
            let showing = table.is_empty();
            if showing != self.showing_placeholder {
                pending.push((row.clone(), if showing { 1 } else { -1 }));
                self.showing_placeholder = showing;
            }
        }
        // In row order, each row once with its net change, none unchanged.
        consolidate_rows(&mut pending);
        let changes: Vec<Change<'_, R>> = pending.iter().map(|(row, diff)| (row, *diff, None)).collect();
        self.append(out_dir, epoch, &changes, closed)
    }

    /// Appends `epoch`'s net changes, in row order, to the log: the rows that
    /// left, then those that entered.
    fn append(
        &mut self,
        out_dir: &Path,
        epoch: Option<u64>,
        changes: &[Change<'_, R>],
        closed: &mut Vec<Closed>,
    ) -> io::Result<()> {
        let Some(epoch) = epoch else { return Ok(()) };
        if self.started && changes.is_empty() {
            return Ok(());
        }
        let path = self.path(out_dir);
        let header: Vec<&str> = ["epoch", "diff"].iter().chain(R::HEADER).copied().collect();
        let mut csv = CsvOut::append(&path, &header)?;
        for sign in [-1, 1] {
            let prefix = format!("{epoch},{sign},");
            for &(row, diff, line) in changes.iter().filter(|(_, diff, _)| diff.signum() == sign) {
                for _ in 0..diff.abs() {
                    match line {
                        // A row of one empty field is encoded `""` only to keep
                        // it from being a blank line, which the prefix does here.
                        Some(line) if line != b"\"\"\n" => {
                            csv.rendered(prefix.as_bytes())?;
                            csv.rendered(line)?;
                        }
                        _ => {
                            let mut fields = csv.row();
                            fields.int(epoch).int(sign);
                            row.write(&mut fields);
                            fields.end()?;
                        }
                    }
                }
            }
        }
        closed.push(csv.close()?);
        self.started = true;
        Ok(())
    }
}

/// The reports one worker has registered, and the probe that says when they are
/// up to date.
pub struct Outputs {
    worker: usize,
    probe: ProbeHandle<Time>,
    files: Vec<Box<dyn OutputFile>>,
}

impl Outputs {
    pub fn new(worker: usize, probe: ProbeHandle<Time>) -> Self {
        Outputs { worker, probe, files: Vec::new() }
    }

    /// A report written as one file, `OUT/<name>.csv`, by worker 0, with its change log.
    pub fn report<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) {
        self.gathered(name, rows, None, true);
    }

    /// A one-row report: `empty` is shown until there is input.
    pub fn single_row<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>, empty: R) {
        self.gathered(name, rows, Some(empty), true);
    }

    /// A table written like a report but without a change log (`_quality.csv`).
    pub fn table<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) -> TableView<R> {
        self.gathered(name, rows, None, false)
    }

    fn gathered<'s, R: ReportRow>(
        &mut self,
        name: &str,
        rows: Coll<'s, R>,
        empty_row: Option<R>,
        log_changes: bool,
    ) -> TableView<R> {
        let rows = rows.inner.exchange(|_| 0).as_collection();
        let table = Rc::new(RefCell::new(Table::new(log_changes)));
        let sink = Rc::clone(&table);
        rows.inspect(move |(row, _time, diff)| sink.borrow_mut().update(row, *diff)).probe_with(&self.probe);
        if self.worker == 0 {
            let relative_path = PathBuf::from(format!("{name}.csv"));
            if log_changes {
                let placeholder = empty_row.clone().map(|row| (row, Rc::clone(&table)));
                self.change_log(name, ChangeSource::Table(Rc::clone(&table)), placeholder);
            }
            self.files.push(Box::new(ReportFile {
                relative_path,
                table: Rc::clone(&table),
                empty_row,
                written: false,
            }));
        }
        TableView { table }
    }

    /// A per-entity report: each worker writes the rows it holds as
    /// `OUT/<name>/part-NNNNN.csv`; their union is the report. The other
    /// workers' changes are gathered to worker 0 for the one change log, which
    /// reads worker 0's own from its part's table.
    pub fn per_entity<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) {
        let table = Rc::new(RefCell::new(Table::new(false)));
        let sink = Rc::clone(&table);
        rows.clone().inspect(move |(row, _time, diff)| sink.borrow_mut().update(row, *diff)).probe_with(&self.probe);

        let others = Rc::new(RefCell::new(Vec::new()));
        let changes = Rc::clone(&others);
        let worker = self.worker;
        rows.inner
            .filter(move |_| worker != 0)
            .exchange(|_| 0)
            .as_collection()
            .inspect(move |(row, _time, diff)| changes.borrow_mut().push((row.clone(), *diff)))
            .probe_with(&self.probe);
        if self.worker == 0 {
            // Before the part is written: the log sees the changes as the table takes them in.
            self.change_log(name, ChangeSource::Parts { own: Rc::clone(&table), others }, None);
        }
        let relative_path = part_path(name, self.worker);
        self.files.push(Box::new(ReportFile { relative_path, table, empty_row: None, written: false }));
    }

    fn change_log<R: ReportRow>(
        &mut self,
        name: &str,
        source: ChangeSource<R>,
        placeholder: Option<(R, Rc<RefCell<Table<R>>>)>,
    ) {
        self.files.push(Box::new(ChangeLog {
            name: name.to_string(),
            source,
            placeholder,
            showing_placeholder: false,
            started: false,
        }));
    }

    /// Writes every table that changed in the step just completed, and the
    /// change logs for `epoch`.
    pub fn write(&mut self, out_dir: &Path, epoch: Option<u64>) -> io::Result<()> {
        let mut closed = Vec::new();
        for file in &mut self.files {
            file.write(out_dir, epoch, &mut closed)?;
        }
        commit(closed)
    }
}

/// A worker's read-only view of a gathered report (complete on worker 0 only).
pub struct TableView<R> {
    table: Rc<RefCell<Table<R>>>,
}

impl<R: ReportRow> TableView<R> {
    /// The current rows, in report order.
    pub fn rows(&self) -> Vec<R> {
        let mut table = self.table.borrow_mut();
        table.settle();
        table.entries().flat_map(|(row, n, _)| std::iter::repeat_n(row, n.max(0) as usize)).cloned().collect()
    }
}

/// The length in bytes of every change log in `out_dir/changes`.
pub fn change_log_lengths(out_dir: &Path) -> io::Result<BTreeMap<String, u64>> {
    let mut lengths = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(out_dir.join("changes")) else { return Ok(lengths) };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if let Some(report) = file_name.strip_suffix(".csv") {
            lengths.insert(report.to_string(), entry.metadata()?.len());
        }
    }
    Ok(lengths)
}

/// Cuts the change logs in `out_dir/changes` back to the lengths a checkpoint
/// recorded (`None`: no checkpoint, so every log starts over). A restart redoes
/// the epochs after the checkpoint, and their lines must not appear twice.
pub fn rewind_change_logs(out_dir: &Path, lengths: Option<&BTreeMap<String, u64>>) -> io::Result<()> {
    let Ok(entries) = std::fs::read_dir(out_dir.join("changes")) else { return Ok(()) };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(report) = file_name.strip_suffix(".csv") else { continue };
        match lengths.and_then(|l| l.get(report)) {
            Some(&length) => {
                let file = std::fs::OpenOptions::new().write(true).open(entry.path())?;
                if file.metadata()?.len() > length {
                    file.set_len(length)?;
                }
            }
            None => std::fs::remove_file(entry.path())?,
        }
    }
    Ok(())
}

/// Where worker `worker` writes its part of a per-entity report.
pub fn part_path(name: &str, worker: usize) -> PathBuf {
    Path::new(name).join(format!("part-{worker:05}.csv"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::{csv_out::Fields, merge_changes, ReportRow, Table};

    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    struct Row(u32, String);

    impl ReportRow for Row {
        const HEADER: &'static [&'static str] = &["n", "text"];
        fn write(&self, fields: &mut Fields<'_>) {
            fields.int(self.0).text(&self.1);
        }
    }

    #[test]
    fn a_table_shows_its_rows_in_order_through_large_and_small_steps() {
        // Steps of every size against a table of a few hundred rows, so that
        // updates go both through a whole merge and in place beside the vector.
        let mut next = crate::test_sequence(0x2545_f491_4f6c_dd1d);
        let mut table: Table<Row> = Table::new(true);
        let mut model: BTreeMap<Row, isize> = BTreeMap::new();
        for step in 0..300 {
            let size = [400, 1, 3, 10, 30][step % 5];
            let mut expected_log: BTreeMap<Row, isize> = BTreeMap::new();
            for _ in 0..size {
                let row = Row(next(600) as u32, format!("t{}", next(3)));
                let count = model.get(&row).copied().unwrap_or(0);
                let diff = if count > 0 && next(2) == 0 { -1 } else { 1 };
                *model.entry(row.clone()).or_default() += diff;
                *expected_log.entry(row.clone()).or_default() += diff;
                table.update(&row, diff);
            }
            model.retain(|_, n| *n != 0);
            expected_log.retain(|_, n| *n != 0);
            assert_eq!(table.take_log(), expected_log.into_iter().collect::<Vec<_>>(), "step {step}");
            let expected: Vec<Vec<u8>> = model
                .iter()
                .flat_map(|(row, n)| std::iter::repeat_n(row, *n as usize))
                .map(|row| format!("{},{}\n", row.0, row.1).into_bytes())
                .collect();
            let lines: Vec<Vec<u8>> = table.lines().map(<[u8]>::to_vec).collect();
            assert_eq!(lines, expected, "step {step}");
            assert_eq!(table.is_empty(), model.is_empty(), "step {step}");
        }
    }

    #[test]
    fn merged_changes_sum_a_row_in_both_lists() {
        let a = [(1, 1), (3, -1), (5, 1)];
        let b = [(2, 1), (3, 1), (6, -1)];
        let a_lines: Vec<Box<[u8]>> = ["1", "3", "5"].iter().map(|line| line.as_bytes().into()).collect();
        let line = |text: &'static str| Some(text.as_bytes());
        assert_eq!(
            merge_changes(&a, &a_lines, &b),
            vec![(&1, 1, line("1")), (&2, 1, None), (&5, 1, line("5")), (&6, -1, None)]
        );
    }
}
