//! Per-file pre-aggregation: a worker folds a file's records into facts before
//! anything enters the dataflow.
//!
//! Each text field is hashed to its [`TextKey`](crate::dataflow::TextKey) as the
//! row is read, so a row costs a few hashes and hash-map updates and no
//! allocation; a text is copied once per file, into the dictionary entries. A
//! file's facts are held back until the whole file is read, because a file over
//! the reject rate is refused whole (a range of a large file other than its first
//! is applied before that and taken back if need be: see `engine::apply`).

/// Implements `sizes` and `reserve` for a facts type over the maps named, in
/// the order given: the order [`FileFacts::sizes`] and `reserve` rely on.
macro_rules! map_sizes {
    ($($map:ident),+ $(,)?) => {
        /// Appends how many keys each map holds, in [`Self::reserve`]'s order.
        pub(super) fn sizes(&self, sizes: &mut Vec<usize>) {
            $(sizes.push(self.$map.len());)+
        }

        /// Makes room in each map, in [`Self::sizes`]' order, for the next count `wanted` gives.
        pub(super) fn reserve(&mut self, wanted: &mut impl Iterator<Item = usize>) {
            $(self.$map.reserve(wanted.next().unwrap_or(0));)+
        }

        /// How many keys each map has room for, in [`Self::sizes`]' order.
        #[cfg(test)]
        pub(super) fn capacities(&self, capacities: &mut Vec<usize>) {
            $(capacities.push(self.$map.capacity());)+
        }
    };
}

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

    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.0.capacity()
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

#[cfg(test)]
mod tests {
    use super::{FileFacts, MapSizes};
    use crate::formats::Format;
    use crate::records::{Interaction, Record};
    use crate::reports::ReportSet;

    #[test]
    fn reserve_makes_room_in_each_map_for_its_own_count() {
        // Events with different numbers of users, sessions, codes, brands and
        // prices, and purchases for the sales maps, so that the maps' counts differ
        // and a count given to the wrong map would show.
        let mut facts = FileFacts::for_reports(ReportSet::for_format(Format::Rees46));
        let texts: Vec<[String; 5]> =
            (0..60).map(|i| [i % 7, i % 23, i % 3, i % 11, i % 13].map(|n| format!("{n}x"))).collect();
        for (i, [user, session, code, brand, product]) in texts.iter().enumerate() {
            let event_type = if i % 4 == 0 { "purchase" } else { "view" };
            let event = Interaction {
                time: 1_570_000_000 + i as i64 * 60,
                event_type,
                user,
                session,
                product,
                category_id: "1",
                category_code: code,
                brand,
                price_cents: 100 + (i as i64 % 17),
            };
            facts.add(&Record::Interaction(event));
        }
        let MapSizes(sizes) = facts.sizes();
        assert!(sizes.iter().filter(|&&n| n > 0).count() > 8, "{sizes:?}");

        let mut fresh = FileFacts::for_reports(ReportSet::for_format(Format::Rees46));
        fresh.reserve(&facts.sizes(), 4.0);
        let mut capacities = Vec::new();
        fresh.interactions.capacities(&mut capacities);
        fresh.sales.capacities(&mut capacities);
        assert_eq!(capacities.len(), sizes.len());
        for (map, (&size, &capacity)) in sizes.iter().zip(&capacities).enumerate() {
            assert!(capacity >= 4 * size, "map {map}: room for {capacity}, {size} keys: {sizes:?} {capacities:?}");
        }
    }
}
