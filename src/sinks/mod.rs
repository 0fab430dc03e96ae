//! Sinks: where report collections land as files (SPEC §5).
//!
//! Each report's rows arrive as differential updates; a [`Table`] keeps the
//! current rows in report order, and after every epoch the tables that changed
//! are written out. Small reports are gathered to worker 0 and written once;
//! per-entity reports stay where their keys live and each worker writes its part.

pub mod csv_out;
pub mod quality;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use differential_dataflow::{AsCollection, ExchangeData};
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::Exchange;

use crate::dataflow::{Coll, Time};
use csv_out::{AtomicCsv, Fields};

/// A row of a report: its `Ord` is the report's row order, and it writes its
/// own columns.
pub trait ReportRow: ExchangeData + Hash {
    const HEADER: &'static [&'static str];
    fn write(&self, fields: &mut Fields<'_>);
}

/// The rows a report holds now, with how many times each occurs.
struct Table<R> {
    rows: BTreeMap<R, isize>,
    changed: bool,
}

impl<R: Ord + Clone> Table<R> {
    fn update(&mut self, row: &R, diff: isize) {
        let count = self.rows.entry(row.clone()).or_insert(0);
        *count += diff;
        if *count == 0 {
            self.rows.remove(row);
        }
        self.changed = true;
    }
}

/// Anything a worker writes after an epoch.
trait TableFile {
    fn write(&mut self, out_dir: &Path) -> io::Result<()>;
}

struct ReportFile<R> {
    relative_path: PathBuf,
    table: Rc<RefCell<Table<R>>>,
    /// The row a one-row report shows before any input.
    empty_row: Option<R>,
    written: bool,
}

impl<R: ReportRow> TableFile for ReportFile<R> {
    fn write(&mut self, out_dir: &Path) -> io::Result<()> {
        let mut table = self.table.borrow_mut();
        if self.written && !table.changed {
            return Ok(());
        }
        let mut csv = AtomicCsv::create(&out_dir.join(&self.relative_path), R::HEADER)?;
        let placeholder = self.empty_row.iter().filter(|_| table.rows.is_empty());
        let rows = table.rows.iter().flat_map(|(row, &n)| std::iter::repeat_n(row, n.max(0) as usize));
        for row in placeholder.chain(rows) {
            let mut fields = csv.row();
            row.write(&mut fields);
            fields.end()?;
        }
        csv.finish()?;
        table.changed = false;
        self.written = true;
        Ok(())
    }
}

/// The reports one worker has registered, and the probe that says when they are
/// up to date.
pub struct Outputs {
    worker: usize,
    probe: ProbeHandle<Time>,
    files: Vec<Box<dyn TableFile>>,
}

impl Outputs {
    pub fn new(worker: usize, probe: ProbeHandle<Time>) -> Self {
        Outputs { worker, probe, files: Vec::new() }
    }

    /// A report written as one file, `OUT/<name>.csv`, by worker 0.
    pub fn report<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) -> TableView<R> {
        self.gathered(name, rows, None)
    }

    /// A one-row report: `empty` is shown until there is input.
    pub fn single_row<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>, empty: R) -> TableView<R> {
        self.gathered(name, rows, Some(empty))
    }

    fn gathered<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>, empty_row: Option<R>) -> TableView<R> {
        let rows = rows.inner.exchange(|_| 0).as_collection();
        let table = self.follow(rows);
        if self.worker == 0 {
            let relative_path = PathBuf::from(format!("{name}.csv"));
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
    /// `OUT/<name>/part-NNNNN.csv`; their union is the report.
    pub fn per_entity<'s, R: ReportRow>(&mut self, name: &str, rows: Coll<'s, R>) {
        let table = self.follow(rows);
        let relative_path = part_path(name, self.worker);
        self.files.push(Box::new(ReportFile { relative_path, table, empty_row: None, written: false }));
    }

    fn follow<'s, R: ReportRow>(&mut self, rows: Coll<'s, R>) -> Rc<RefCell<Table<R>>> {
        let table = Rc::new(RefCell::new(Table { rows: BTreeMap::new(), changed: false }));
        let sink = Rc::clone(&table);
        rows.inspect(move |(row, _time, diff)| sink.borrow_mut().update(row, *diff)).probe_with(&self.probe);
        table
    }

    /// Writes every table that changed since the last call.
    pub fn write(&mut self, out_dir: &Path) -> io::Result<()> {
        self.files.iter_mut().try_for_each(|file| file.write(out_dir))
    }
}

/// A worker's read-only view of a gathered report (complete on worker 0 only).
pub struct TableView<R> {
    table: Rc<RefCell<Table<R>>>,
}

impl<R: Clone> TableView<R> {
    /// The current rows, in report order.
    pub fn rows(&self) -> Vec<R> {
        let table = self.table.borrow();
        table.rows.iter().flat_map(|(row, &n)| std::iter::repeat_n(row, n.max(0) as usize)).cloned().collect()
    }
}

/// Where worker `worker` writes its part of a per-entity report.
pub fn part_path(name: &str, worker: usize) -> PathBuf {
    Path::new(name).join(format!("part-{worker:05}.csv"))
}
