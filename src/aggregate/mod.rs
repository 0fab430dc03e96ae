//! Per-file pre-aggregation: a worker folds a file's records into facts before
//! anything enters the dataflow.
//!
//! Each text field is hashed to its [`TextKey`](crate::dataflow::TextKey) as the
//! row is read, so a row costs a few hashes and hash-map updates and no
//! allocation; a text is copied once per file, into the dictionary entries. A
//! file's facts are held back until the whole file is read, because a file over
//! the reject rate is refused whole (a range of a large file other than its first
//! is applied before that and taken back if need be: see `engine::apply`).

mod interactions;
mod sales;

pub use interactions::InteractionFacts;
pub use sales::SalesFacts;

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::AddAssign;

use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};

use crate::dataflow::{holds_own_text, text_key, InteractionInputs, SalesInputs, TextKey};
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

    pub fn add(&mut self, record: &Record<'_>) {
        match record {
            Record::Interaction(event) => {
                self.interactions.add(event);
                // Every clickstream purchase is an order line too (SPEC §2).
                if EventKind::of(event.event_type) == EventKind::Purchase {
                    self.sales.add(&OrderLine::from_purchase(event));
                }
            }
            Record::OrderLine(line) => self.sales.add(line),
            Record::WebLog { event, purchase, .. } => {
                self.interactions.add(event);
                if let Some(line) = purchase {
                    self.sales.add(line);
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

    /// How many keys each map holds.
    pub fn sizes(&self) -> MapSizes {
        let mut sizes = MapSizes::default();
        self.interactions.sizes(&mut sizes.0);
        self.sales.sizes(&mut sizes.0);
        sizes
    }

    /// Makes room in each map for its count in `sizes` times `scale`.
    pub fn reserve(&mut self, sizes: &MapSizes, scale: f64) {
        let mut wanted = sizes.0.iter().map(|&size| (size as f64 * scale) as usize);
        self.interactions.reserve(&mut wanted);
        self.sales.reserve(&mut wanted);
    }

    /// Hands the facts that seldom recur in another file to the dataflow at
    /// once (see [`InteractionFacts::feed_per_file`]); the rest wait to be folded
    /// with the other files' and fed by [`FileFacts::feed`].
    pub fn feed_per_file(&mut self, inputs: &mut FactInputs, sign: isize, pause: impl FnMut()) {
        self.interactions.feed_per_file(&mut inputs.interactions, sign, pause);
    }

    /// Hands the facts to the dataflow, each multiplied by `sign` (+1 applies
    /// them, -1 retracts them), calling `pause` every so often so the worker can
    /// drain its queues while a large file is fed.
    pub fn feed(self, inputs: &mut FactInputs, sign: isize, mut pause: impl FnMut()) {
        self.interactions.feed(&mut inputs.interactions, sign, &mut pause);
        self.sales.feed(&mut inputs.sales, sign, &mut pause);
    }
}

/// The key counts of every map of a [`FileFacts`], in the order its parts list them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapSizes(Vec<usize>);

/// Adds `theirs` into `mine`, folding the smaller map into the larger (sums commute).
fn fold_into<K: Eq + Hash, V: AddAssign + Default>(mine: &mut Map<K, V>, mut theirs: Map<K, V>) {
    if theirs.len() > mine.len() {
        std::mem::swap(mine, &mut theirs);
    }
    for (key, value) in theirs {
        *mine.entry(key).or_default() += value;
    }
}

/// The texts a file's facts name, by key, each with the number of files that
/// hold it.
///
/// The dictionary keeps a name while its count of files is above zero. Folding
/// two files' names therefore adds their counts: a text that two files of one
/// epoch share must stay when one of them is taken back (a changed file under
/// `--replace-changed`, a deleted one), since the other still uses it.
#[derive(Default, Serialize, Deserialize)]
pub struct Names(Map<TextKey, (Box<str>, u32)>);

impl Names {
    /// The key of `text`, remembering the text.
    fn remember(&mut self, text: &str) -> TextKey {
        let key = text_key(text);
        if !holds_own_text(key) {
            self.0.entry(key).or_insert_with(|| (text.into(), 1));
        }
        key
    }

    /// Files `text` under `key`, which the caller knows is not here yet.
    fn insert_new(&mut self, key: TextKey, text: &str) {
        if !holds_own_text(key) {
            self.0.insert(key, (text.into(), 1));
        }
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional);
    }

    /// Adds another file's names into these; a key's text is the same in both.
    fn absorb(&mut self, mut theirs: Names) {
        if theirs.0.len() > self.0.len() {
            std::mem::swap(self, &mut theirs);
        }
        for (key, (text, files)) in theirs.0 {
            self.0.entry(key).or_insert((text, 0)).1 += files;
        }
    }

    /// Feeds each name with its count of files, times `sign`.
    fn feed<P: FnMut()>(self, input: &mut NameInput, sign: isize, ticker: &mut Ticker<P>) {
        for (key, (text, files)) in self.0 {
            input.update((key, text.into_string()), files as isize * sign);
            ticker.tick();
        }
    }
}

type NameInput = differential_dataflow::input::InputSession<crate::dataflow::Time, (TextKey, String), isize>;

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
