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
use timely::dataflow::operators::Exchange;

use crate::dataflow::{Coll, Time};
use csv_out::{render, CsvOut, Fields};

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
/// read: sorting a step's updates once costs far less than an ordered-map search
/// (two, for a new row) per update, and the first step, where every row is new,
/// builds the map from sorted rows at once.
struct Table<R> {
    rows: BTreeMap<R, (isize, Box<[u8]>)>,
    /// Updates not applied yet.
    pending: Vec<(R, isize)>,
    /// Net changes since the change log last took them; `None` without a log.
    log: Option<Vec<(R, isize)>>,
    changed: bool,
}

impl<R: ReportRow> Table<R> {
    fn new(log_changes: bool) -> Self {
        Table { rows: BTreeMap::new(), pending: Vec::new(), log: log_changes.then(Vec::new), changed: false }
    }

    fn update(&mut self, row: &R, diff: isize) {
        self.pending.push((row.clone(), diff));
        self.changed = true;
    }

    /// Applies the pending updates.
    fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut updates = std::mem::take(&mut self.pending);
        consolidate_rows(&mut updates);
        if let Some(log) = &mut self.log {
            log.extend(updates.iter().cloned());
        }
        if self.rows.is_empty() {
            let encoded = |(row, n): (R, isize)| {
                let line = render(|fields| row.write(fields));
                (row, (n, line))
            };
            self.rows = updates.into_iter().map(encoded).collect();
            return;
        }
        for (row, diff) in updates {
            match self.rows.entry(row) {
                Entry::Occupied(mut entry) => {
                    entry.get_mut().0 += diff;
                    if entry.get().0 == 0 {
                        entry.remove();
                    }
                }
                Entry::Vacant(entry) => {
                    let line = render(|fields| entry.key().write(fields));
                    entry.insert((diff, line));
                }
            }
        }
    }

    /// The net changes since the last call, in row order.
    fn take_log(&mut self) -> Vec<(R, isize)> {
        self.settle();
        self.log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The encoded lines in report order, each as often as its row occurs.
    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        self.rows.values().flat_map(|(n, line)| std::iter::repeat_n(&line[..], (*n).max(0) as usize))
    }
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
    fn write(&mut self, out_dir: &Path, epoch: Option<u64>) -> io::Result<()>;
}

struct ReportFile<R> {
    relative_path: PathBuf,
    table: Rc<RefCell<Table<R>>>,
    /// The row a one-row report shows before any input.
    empty_row: Option<R>,
    written: bool,
}

impl<R: ReportRow> OutputFile for ReportFile<R> {
    fn write(&mut self, out_dir: &Path, _epoch: Option<u64>) -> io::Result<()> {
        let mut table = self.table.borrow_mut();
        table.settle();
        if self.written && !table.changed {
            return Ok(());
        }
        let mut csv = CsvOut::replace(&out_dir.join(&self.relative_path), R::HEADER)?;
        if let Some(placeholder) = self.empty_row.as_ref().filter(|_| table.rows.is_empty()) {
            let mut fields = csv.row();
            placeholder.write(&mut fields);
            fields.end()?;
        }
        for line in table.lines() {
            csv.rendered(line)?;
        }
        csv.finish()?;
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
    /// A per-entity report's rows, gathered to worker 0 as they arrive.
    Updates(Rc<RefCell<Vec<(R, isize)>>>),
}

impl<R: ReportRow> ChangeLog<R> {
    fn path(&self, out_dir: &Path) -> PathBuf {
        out_dir.join("changes").join(format!("{}.csv", self.name))
    }
}

impl<R: ReportRow> OutputFile for ChangeLog<R> {
    fn write(&mut self, out_dir: &Path, epoch: Option<u64>) -> io::Result<()> {
        let mut pending = match &self.source {
            ChangeSource::Table(table) => table.borrow_mut().take_log(),
            ChangeSource::Updates(updates) => std::mem::take(&mut *updates.borrow_mut()),
        };
        if let Some((row, table)) = &self.placeholder {
            let mut table = table.borrow_mut();
            table.settle();
            let showing = table.rows.is_empty();
            if showing != self.showing_placeholder {
                pending.push((row.clone(), if showing { 1 } else { -1 }));
                self.showing_placeholder = showing;
            }
        }
        let Some(epoch) = epoch else { return Ok(()) };
        // In row order, each row once with its net change, none unchanged.
        consolidate_rows(&mut pending);
        if self.started && pending.is_empty() {
            return Ok(());
        }
        let path = self.path(out_dir);
        let header: Vec<&str> = ["epoch", "diff"].iter().chain(R::HEADER).copied().collect();
        let mut csv = CsvOut::append(&path, &header)?;
        for sign in [-1, 1] {
            for (row, diff) in pending.iter().filter(|(_, diff)| diff.signum() == sign) {
                for _ in 0..diff.abs() {
                    let mut fields = csv.row();
                    fields.int(epoch).int(sign);
                    row.write(&mut fields);
                    fields.end()?;
                }
            }
        }
        csv.finish()?;
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
    /// `OUT/<name>/part-NNNNN.csv`; their union is the report. Its changes are
    /// gathered to worker 0 for the one change log.
    pub fn per_entity<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) {
        let table = Rc::new(RefCell::new(Table::new(false)));
        let sink = Rc::clone(&table);
        rows.clone().inspect(move |(row, _time, diff)| sink.borrow_mut().update(row, *diff)).probe_with(&self.probe);
        let relative_path = part_path(name, self.worker);
        self.files.push(Box::new(ReportFile { relative_path, table, empty_row: None, written: false }));

        let pending = Rc::new(RefCell::new(Vec::new()));
        let changes = Rc::clone(&pending);
        rows.inner
            .exchange(|_| 0)
            .as_collection()
            .inspect(move |(row, _time, diff)| changes.borrow_mut().push((row.clone(), *diff)))
            .probe_with(&self.probe);
        if self.worker == 0 {
            self.change_log(name, ChangeSource::Updates(pending), None);
        }
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
        self.files.iter_mut().try_for_each(|file| file.write(out_dir, epoch))
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
        table.rows.iter().flat_map(|(row, &(n, _))| std::iter::repeat_n(row, n.max(0) as usize)).cloned().collect()
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
