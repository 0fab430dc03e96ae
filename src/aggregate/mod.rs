//! Per-file pre-aggregation: a worker folds a file's records into facts before
//! anything enters the dataflow.
//!
//! Each text field is hashed to its [`TextKey`](crate::dataflow::TextKey) as the
//! row is read, so a row costs a few hashes and hash-map updates and no
//! allocation; a text is copied once per file, into the dictionary entries. A
//! file's facts are held back until the whole file is read, because a file over
//! the reject rate is refused whole.

mod interactions;
mod sales;

pub use interactions::InteractionFacts;
pub use sales::SalesFacts;

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::AddAssign;

use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

use crate::dataflow::{InteractionInputs, SalesInputs};
use crate::records::{EventKind, OrderLine, Record};

type Map<K, V> = HashMap<K, V, RandomState>;

/// Every fact of one file (or of one worker's files in an epoch).
///
/// They are also what the state directory keeps of each applied file, so that
/// its contribution can be retracted after the file changes or is deleted.
#[derive(Default, Serialize, Deserialize)]
pub struct FileFacts {
    pub interactions: InteractionFacts,
    pub sales: SalesFacts,
}

/// The dataflow's inputs, one set per record kind.
pub struct FactInputs {
    pub interactions: InteractionInputs,
    pub sales: SalesInputs,
}

impl FactInputs {
    /// Closes the current time and hands everything fed so far to the dataflow.
    pub fn advance_to(&mut self, time: crate::dataflow::Time) {
        self.interactions.advance_to(time);
        self.interactions.flush();
        self.sales.advance_to(time);
        self.sales.flush();
    }
}

impl FileFacts {
    /// Empty facts that gather what the reports of `set` read.
    pub fn for_reports(set: crate::reports::ReportSet) -> Self {
        FileFacts { interactions: InteractionFacts::default(), sales: SalesFacts::for_reports(set) }
    }

    pub fn add(&mut self, record: Record<'_>) {
        match record {
            Record::Interaction(event) => {
                self.interactions.add(&event);
                // Every clickstream purchase is an order line too (SPEC §2).
                if EventKind::of(event.event_type) == EventKind::Purchase {
                    self.sales.add(&OrderLine::from_purchase(&event));
                }
            }
            Record::OrderLine(line) => self.sales.add(&line),
            Record::WebLog { event, purchase, .. } => {
                self.interactions.add(&event);
                if let Some(line) = purchase {
                    self.sales.add(&line);
                }
            }
            // Dimension files are read into tables, never into facts.
            Record::Dimension(_) => {}
        }
    }

    /// Adds another file's facts into these: a worker merges the accepted files of
    /// an epoch, so a key shared by several files enters the dataflow once.
    pub fn absorb(&mut self, other: FileFacts) {
        self.interactions.absorb(other.interactions);
        self.sales.absorb(other.sales);
    }

    pub fn is_empty(&self) -> bool {
        self.interactions.is_empty() && self.sales.is_empty()
    }

    /// Hands the facts to the dataflow, each multiplied by `sign` (+1 applies
    /// them, -1 retracts them), calling `pause` every so often so the worker can
    /// drain its queues while a large file is fed.
    pub fn feed(self, inputs: &mut FactInputs, sign: isize, mut pause: impl FnMut()) {
        self.interactions.feed(&mut inputs.interactions, sign, &mut pause);
        self.sales.feed(&mut inputs.sales, sign, &mut pause);
    }
}

/// Adds `theirs` into `mine`, folding the smaller map into the larger (sums commute).
fn fold_into<K: Eq + Hash, V: AddAssign + Default>(mine: &mut Map<K, V>, mut theirs: Map<K, V>) {
    if theirs.len() > mine.len() {
        std::mem::swap(mine, &mut theirs);
    }
    for (key, value) in theirs {
        *mine.entry(key).or_default() += value;
    }
}

/// Adds the dictionary entries of `theirs` into `mine`: a key's text is the same in both.
fn fold_names_into<K: Eq + Hash>(mine: &mut Map<K, Box<str>>, mut theirs: Map<K, Box<str>>) {
    if theirs.len() > mine.len() {
        std::mem::swap(mine, &mut theirs);
    }
    for (key, text) in theirs {
        mine.entry(key).or_insert(text);
    }
}

/// Calls `pause` once every 100,000 facts fed.
struct Ticker<P> {
    fed: usize,
    pause: P,
}

impl<P: FnMut()> Ticker<P> {
    fn new(pause: P) -> Self {
        Ticker { fed: 0, pause }
    }

    fn tick(&mut self) {
        self.fed += 1;
        if self.fed % 100_000 == 0 {
            (self.pause)();
        }
    }
}
