//! The (user, category code, brand) counts by user, which three reports read.
//!
//! `user_preferences` groups the counts by user, `top_user_categories` sums them
//! per (user, code), and `engaged_users` ranks users within each (code, brand).
//! Every one of those groups lies within one user's counts, so one operator with
//! the users partitioned across workers keeps each user's counts in a hash map
//! and derives all three. Arranging the facts once per grouping would sort each
//! fact row three times and keep three copies of them, and each count ranking
//! would keep one more copy to look values up by their count.
//!
//! A user's preference is chosen here too, ties going to the smallest (code,
//! brand) by text: every worker holds the names of all codes and brands (see
//! [`SmallNames`]), so each worker ranks them by text (see `TextOrder`) and a
//! tie is two integer comparisons, instead of arranging every tied user's
//! candidates to choose among them by text downstream.
//!
//! Rankings are cut within each worker. A worker holds every (user, code) pair
//! and every (code, brand, user) of its own users, so its `k` best with ties
//! include every overall leader it holds, and the reports make the exact cut
//! over the few candidates of all workers.
//!
//! Updates wait until their epoch is complete, and epochs are applied in order:
//! the counts are those of every epoch so far, as an arrangement's would be.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use differential_dataflow::{AsCollection, Hashable};
use foldhash::fast::RandomState;
use serde::{Deserialize, Serialize};
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Partition;

use super::by_time::ByTime;
use super::small_names::{remember, text_of, Texts};
use super::{Coll, Desc, SmallNames, TextKey, Time, EMPTY};

/// A user's preferred (code, brand) pair, its events, and the user's events
/// with a code or a brand.
pub type Preference = (TextKey, TextKey, i64, i64);

/// (user, ((code, brand), events)): users leading a (code, brand) group.
pub type GroupLeaders<'s> = Coll<'s, (TextKey, ((TextKey, TextKey), Desc<i64>))>;

/// What the three reports read, each row on the worker of its user.
pub struct UserViews<'s> {
    /// (user, preference): the pair with the user's most events, ties going to
    /// the smallest (code, brand) by text
    pub preferences: Coll<'s, (TextKey, Preference)>,
    /// ((user, code), events): each worker's `top` pairs with most events, ties included
    pub top_pairs: Coll<'s, ((TextKey, TextKey), Desc<i64>)>,
    /// (user, ((code, brand), events)), non-empty brands only: each worker's
    /// `per_group` users with most events in each (code, brand), ties included
    pub engaged: GroupLeaders<'s>,
}

/// One derived row, before it is sorted into its view.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
enum View {
    Preference(TextKey, Preference),
    TopPair(TextKey, TextKey, Desc<i64>),
    Engaged(TextKey, (TextKey, TextKey), Desc<i64>),
}

type Triple = (TextKey, TextKey, TextKey);

/// A user's events on one (code, brand), the code and brand by their numbers in
/// the shard's [`Numbering`]: 16 bytes where three keys and a count take 32, for
/// every (user, code, brand) held.
type Count = (u32, u32, i64);

/// An update to a [`Count`], as held until its time is complete: (user, code,
/// brand, events).
type Update = (TextKey, u32, u32, i64);

/// Derives the three views from `((user, code, brand), events)`; `names` holds
/// the texts of every code and brand.
pub fn user_views<'s>(counts: Coll<'s, Triple>, names: &SmallNames<'s>, top: usize, per_group: usize) -> UserViews<'s> {
    // The same hash as differential's exchange by key, so that a view arranged
    // by user stays on the worker that derived it.
    let by_user = Exchange::new(|((user, _, _), _, _): &(Triple, Time, isize)| user.hashed());
    let stream =
        counts.inner.binary_frontier(names.stream(), by_user, Pipeline, "UserViews", move |_capability, _info| {
            let mut pending: ByTime<Vec<Update>> = ByTime::default();
            let mut shard = UserShard::new(top, per_group);
            let mut texts = Texts::default();
            move |(input, frontier), (names, names_frontier), output| {
                names.for_each(|_capability, batch| remember(&mut texts, batch));
                input.for_each(|capability, batch| {
                    for (triple, time, diff) in batch.drain(..) {
                        let update = shard.update_of(triple, diff);
                        pending.buffer(time, || capability.delayed(&time, output.output_index())).push(update);
                    }
                });
                // A time is applied once its counts and the names they use are all in.
                let open = |time: &Time| frontier.less_equal(time) || names_frontier.less_equal(time);
                while let Some((time, capability, updates)) = pending.next_complete(open) {
                    let mut session = output.session(&capability);
                    shard.apply(updates, &texts, |view, diff| session.give((view, time, diff)));
                }
            }
        });
    // Split by view in one pass: each report's stream then carries its own rows
    // only, where a filter per report would each receive a copy of all of them.
    let part = |view: &View| match view {
        View::Preference(..) => 0,
        View::TopPair(..) => 1,
        View::Engaged(..) => 2,
    };
    let mut parts = stream.partition(3, move |update: (View, Time, isize)| (part(&update.0), update)).into_iter();
    let mut next = move || parts.next().expect("three parts").as_collection();
    UserViews {
        preferences: next().flat_map(|view| match view {
            View::Preference(user, preference) => Some((user, preference)),
            _ => None,
        }),
        top_pairs: next().flat_map(|view| match view {
            View::TopPair(user, code, n) => Some(((user, code), n)),
            _ => None,
        }),
        engaged: next().flat_map(|view| match view {
            View::Engaged(user, group, n) => Some((user, (group, n))),
            _ => None,
        }),
    }
}

type Map<K, V> = HashMap<K, V, RandomState>;

/// Codes and brands numbered in the order a shard first meets them; the empty
/// text is number 0. Both are small domains, so the numbering is never pruned.
struct Numbering {
    numbers: Map<TextKey, u32>,
    keys: Vec<TextKey>,
}

impl Default for Numbering {
    fn default() -> Self {
        let mut numbering = Numbering { numbers: Map::default(), keys: Vec::new() };
        numbering.number(EMPTY);
        numbering
    }
}

impl Numbering {
    fn number(&mut self, key: TextKey) -> u32 {
        let keys = &mut self.keys;
        *self.numbers.entry(key).or_insert_with(|| {
            keys.push(key);
            u32::try_from(keys.len() - 1).expect("fewer than 2^32 codes and brands")
        })
    }

    fn key(&self, number: u32) -> TextKey {
        self.keys[number as usize]
    }
}

/// Each numbered code and brand's place in the order of their texts, so that
/// a tie between a user's pairs is broken by comparing two integers instead of
/// looking up and comparing four texts.
#[derive(Default)]
struct TextOrder {
    /// By number: equal for equal texts (a key whose text has not arrived reads
    /// as the empty text, as [`text_of`] leaves it).
    ranks: Vec<u32>,
    /// How many texts the ranks were computed with: texts are only ever added,
    /// so a different count means some may have arrived.
    texts_seen: usize,
}

impl TextOrder {
    /// Ranks every number again if a number or a text came since the last time.
    fn refresh(&mut self, numbering: &Numbering, texts: &Texts) {
        if self.ranks.len() == numbering.keys.len() && self.texts_seen == texts.len() {
            return;
        }
        let mut by_text: Vec<(std::borrow::Cow<'_, str>, u32)> = (0..numbering.keys.len() as u32)
            .map(|number| (text_of(texts, numbering.key(number)).unwrap_or_default(), number))
            .collect();
        by_text.sort_unstable();
        self.ranks = vec![0; by_text.len()];
        let mut rank = 0;
        for (place, (text, number)) in by_text.iter().enumerate() {
            if place > 0 && by_text[place - 1].0 != *text {
                rank = place as u32;
            }
            self.ranks[*number as usize] = rank;
        }
        self.texts_seen = texts.len();
    }

    /// Where a (code, brand) pair sorts by its two texts.
    fn place(&self, (code, brand): (u32, u32)) -> (u32, u32) {
        (self.ranks[code as usize], self.ranks[brand as usize])
    }
}

/// One worker's users and what it last derived from them.
struct UserShard {
    top: usize,
    per_group: usize,
    numbering: Numbering,
    text_order: TextOrder,
    /// Each user's counts, sorted by (code, brand) number, events > 0.
    users: Map<TextKey, Vec<Count>>,
    /// (user, code) pairs by their events.
    pairs: Ranking<(TextKey, TextKey)>,
    /// For each (code, non-empty brand) by number, its users by their events.
    groups: Map<(u32, u32), Ranking<TextKey>>,
}

impl UserShard {
    fn new(top: usize, per_group: usize) -> Self {
        UserShard {
            top,
            per_group,
            numbering: Numbering::default(),
            text_order: TextOrder::default(),
            users: Map::default(),
            pairs: Ranking::default(),
            groups: Map::default(),
        }
    }

    /// A (user, code, brand) update in the shard's compact form.
    fn update_of(&mut self, (user, code, brand): Triple, diff: isize) -> Update {
        (user, self.numbering.number(code), self.numbering.number(brand), diff as i64)
    }

    /// Applies one time's updates and emits how the views change.
    fn apply(&mut self, mut updates: Vec<Update>, texts: &Texts, mut emit: impl FnMut(View, isize)) {
        // Sorted by user, the views change in user order, which for user ids of
        // one length is the text order the per-user reports' tables keep: their
        // sorts then find runs already in order. The sort compares the key alone,
        // as one integer: the order of one key's updates does not matter, as
        // `merge` sums them.
        updates.sort_unstable_by_key(|&(user, code, brand, _)| {
            (u128::from(user) << 64) | (u128::from(code) << 32) | u128::from(brand)
        });
        if self.users.is_empty() {
            // Every user is new: the map is made at its final size instead of
            // growing by doubling, which moves every user at each step.
            self.users.reserve(updates.chunk_by(|a, b| a.0 == b.0).count());
        }
        self.text_order.refresh(&self.numbering, texts);
        let (top, per_group) = (self.top, self.per_group);
        let (numbering, text_order) = (&self.numbering, &self.text_order);
        let key = |number: u32| numbering.key(number);
        let mut dirty_groups = Vec::new();
        // Reused for every user: most users change once, and a user's lists are short.
        let (mut sums_before, mut sums_after, mut code_changes) = (Vec::new(), Vec::new(), Vec::new());
        let (mut branded_before, mut branded_after, mut group_changes) = (Vec::new(), Vec::new(), Vec::new());
        for run in updates.chunk_by(|a, b| a.0 == b.0) {
            let user = run[0].0;
            // One search of the shard's largest map per user, kept open to store the result.
            let mut slot = self.users.entry(user);
            let before = match &mut slot {
                Entry::Occupied(counts) => std::mem::take(counts.get_mut()),
                Entry::Vacant(_) => Vec::new(),
            };
            let after = merge(&before, run.iter().map(|&(_, code, brand, diff)| ((code, brand), diff)));

            let (old, new) = (preference(&before, numbering, text_order), preference(&after, numbering, text_order));
            if old != new {
                old.into_iter().for_each(|preference| emit(View::Preference(user, preference), -1));
                new.into_iter().for_each(|preference| emit(View::Preference(user, preference), 1));
            }
            if top > 0 {
                code_sums(&before, &mut sums_before);
                code_sums(&after, &mut sums_after);
                changes(&sums_before, &sums_after, &mut code_changes);
                for &(code, old, new) in &code_changes {
                    self.pairs.update((user, key(code)), old, new, top);
                }
            }
            if per_group > 0 {
                branded(&before, &mut branded_before);
                branded(&after, &mut branded_after);
                changes(&branded_before, &branded_after, &mut group_changes);
                for &(group, old, new) in &group_changes {
                    if self.groups.entry(group).or_default().update(user, old, new, per_group) {
                        dirty_groups.push(group);
                    }
                }
            }
            match slot {
                Entry::Occupied(counts) if after.is_empty() => _ = counts.remove(),
                Entry::Occupied(mut counts) => *counts.get_mut() = after,
                Entry::Vacant(slot) if !after.is_empty() => _ = slot.insert(after),
                Entry::Vacant(_) => {}
            }
        }

        let pairs_short = self.pairs.dirty && !self.pairs.complete(top);
        let short_groups: Vec<_> =
            dirty_groups.iter().copied().filter(|group| !self.groups[group].complete(per_group)).collect();
        if pairs_short || !short_groups.is_empty() {
            self.rescan(pairs_short, short_groups);
        }
        if self.pairs.dirty {
            self.pairs.refresh(top, |&(n, (user, code)), diff| emit(View::TopPair(user, code, n), diff));
        }
        for group in dirty_groups {
            let ranking = self.groups.get_mut(&group).expect("a dirty group is ranked");
            let keys = (self.numbering.key(group.0), self.numbering.key(group.1));
            ranking.refresh(per_group, |&(n, user), diff| emit(View::Engaged(user, keys, n), diff));
            if ranking.above_floor.is_empty() {
                self.groups.remove(&group);
            }
        }
    }

    /// Indexes again, from every user's counts, the rankings that lost values
    /// below their floor and no longer hold their best k: this takes a count that
    /// falls, as when a file is retracted, and is rare.
    fn rescan(&mut self, pairs: bool, groups: Vec<(u32, u32)>) {
        tracing::debug!(pairs, groups = groups.len(), "re-indexing rankings");
        if pairs {
            self.pairs.clear();
        }
        for group in &groups {
            self.groups.get_mut(group).expect("a short group is ranked").clear();
        }
        let groups: std::collections::HashSet<_, RandomState> = groups.into_iter().collect();
        let (mut sums, mut groups_of_user) = (Vec::new(), Vec::new());
        for (&user, counts) in &self.users {
            if pairs {
                code_sums(counts, &mut sums);
                for &(code, n) in &sums {
                    self.pairs.update((user, self.numbering.key(code)), 0, n, self.top);
                }
            }
            if groups.is_empty() {
                continue;
            }
            branded(counts, &mut groups_of_user);
            for &(group, n) in groups_of_user.iter().filter(|(group, _)| groups.contains(group)) {
                self.groups.get_mut(&group).expect("a short group is ranked").update(user, 0, n, self.per_group);
            }
        }
    }
}

/// `counts` with `updates` added, both sorted by key; keys whose events reach 0 leave.
fn merge(counts: &[Count], updates: impl ExactSizeIterator<Item = ((u32, u32), i64)>) -> Vec<Count> {
    // Room for every update to be a new key: growing by doubling instead would
    // leave up to half of the shard's largest allocation unused.
    let mut merged: Vec<Count> = Vec::with_capacity(counts.len() + updates.len());
    let mut counts = counts.iter().copied().peekable();
    let push = |merged: &mut Vec<Count>, (code, brand, n): Count| match merged.last_mut() {
        Some(last) if (last.0, last.1) == (code, brand) => last.2 += n,
        _ => merged.push((code, brand, n)),
    };
    for ((code, brand), diff) in updates {
        while let Some(&count) = counts.peek().filter(|count| (count.0, count.1) < (code, brand)) {
            push(&mut merged, count);
            counts.next();
        }
        push(&mut merged, (code, brand, diff));
    }
    counts.for_each(|count| push(&mut merged, count));
    merged.retain(|(_, _, n)| *n != 0);
    if merged.capacity() > merged.len() + merged.len() / 4 {
        merged.shrink_to_fit();
    }
    merged
}

/// The user's preference: the (code, brand) with the most events, the smallest
/// by text among ties, leaving out events with neither a code nor a brand.
fn preference(counts: &[Count], numbering: &Numbering, text_order: &TextOrder) -> Option<Preference> {
    // Number 0 is the empty text.
    let shown = || counts.iter().filter(|(code, brand, _)| !(*code == 0 && *brand == 0));
    let total: i64 = shown().map(|(_, _, n)| n).sum();
    let most = shown().map(|(_, _, n)| *n).max()?;
    let chosen = shown()
        .filter(|(_, _, n)| *n == most)
        .min_by_key(|(code, brand, _)| text_order.place((*code, *brand)))
        .expect("the most events belong to some pair");
    Some((numbering.key(chosen.0), numbering.key(chosen.1), most, total))
}

/// Sets `branded` to the user's events per (code, brand) with a brand, sorted.
fn branded(counts: &[Count], branded: &mut Vec<((u32, u32), i64)>) {
    branded.clear();
    branded.extend(counts.iter().filter(|(_, brand, _)| *brand != 0).map(|&(code, brand, n)| ((code, brand), n)));
}

/// Sets `sums` to the user's events per code, sorted by code.
fn code_sums(counts: &[Count], sums: &mut Vec<(u32, i64)>) {
    sums.clear();
    for &(code, _, n) in counts {
        match sums.last_mut() {
            Some(last) if last.0 == code => last.1 += n,
            _ => sums.push((code, n)),
        }
    }
}

/// Sets `changed` to the keys whose count differs between two lists sorted by
/// key, with the count before and after (0 when absent).
fn changes<K: Ord + Copy>(before: &[(K, i64)], after: &[(K, i64)], changed: &mut Vec<(K, i64, i64)>) {
    changed.clear();
    let (mut b, mut a) = (before.iter().peekable(), after.iter().peekable());
    loop {
        match (b.peek(), a.peek()) {
            (Some(&&(kb, nb)), Some(&&(ka, na))) if kb == ka => {
                if nb != na {
                    changed.push((kb, nb, na));
                }
                b.next();
                a.next();
            }
            (Some(&&(kb, nb)), Some(&&(ka, _))) if kb < ka => {
                changed.push((kb, nb, 0));
                b.next();
            }
            (Some(_), Some(&&(ka, na))) => {
                changed.push((ka, 0, na));
                a.next();
            }
            (Some(&&(kb, nb)), None) => {
                changed.push((kb, nb, 0));
                b.next();
            }
            (None, Some(&&(ka, na))) => {
                changed.push((ka, 0, na));
                a.next();
            }
            (None, None) => return,
        }
    }
}

/// Values by their count, as far down as the best `k` with ties need, and the
/// rows last shown.
///
/// Only values counted at least `floor` are indexed: below the k-th count a
/// value can rise into the ranking (it is indexed as it passes the floor) but
/// is never shown, and most values of a large ranking are there. The floor rises
/// to the k-th count whenever the index grows well past the rows it must show.
struct Ranking<V> {
    /// Every value whose count is at least `floor`.
    above_floor: BTreeSet<(Desc<i64>, V)>,
    floor: i64,
    /// How large the index may grow before the floor is raised.
    limit: usize,
    shown: Vec<(Desc<i64>, V)>,
    /// Whether an update since the last refresh may have changed the shown rows.
    dirty: bool,
}

/// The index size below which the floor is never raised; small in unit tests,
/// so that they raise it and index again.
const MIN_LIMIT: usize = if cfg!(test) { 4 } else { 64 };

impl<V> Default for Ranking<V> {
    fn default() -> Self {
        Ranking { above_floor: BTreeSet::new(), floor: 1, limit: MIN_LIMIT, shown: Vec::new(), dirty: false }
    }
}

impl<V: Ord + Copy> Ranking<V> {
    /// Moves `value` from count `old` to `new` (0: absent). Returns whether this
    /// made the ranking dirty.
    ///
    /// Moving a value between two counts below the k-th largest changes neither
    /// the k largest counts nor which values reach them, so it leaves the shown
    /// rows as they are.
    fn update(&mut self, value: V, old: i64, new: i64, k: usize) -> bool {
        if old >= self.floor {
            self.above_floor.remove(&(Desc(old), value));
        }
        if new >= self.floor {
            self.above_floor.insert((Desc(new), value));
            if self.above_floor.len() > self.limit {
                self.raise_floor(k);
            }
        }
        let boundary = if self.shown.len() >= k { self.shown.last().map(|row| row.0 .0) } else { None };
        let matters = boundary.is_none_or(|boundary| old.max(new) >= boundary);
        let newly = matters && !self.dirty;
        self.dirty |= matters;
        newly
    }

    /// Whether the index holds the best `k` with ties: it does while it holds `k`
    /// values, or when no value is below the floor.
    fn complete(&self, k: usize) -> bool {
        self.floor <= 1 || self.above_floor.len() >= k
    }

    /// Raises the floor to the k-th largest count, forgetting the values below it.
    fn raise_floor(&mut self, k: usize) {
        if let Some(&(Desc(kth), _)) = self.above_floor.iter().nth(k.saturating_sub(1)) {
            if kth > self.floor {
                self.floor = kth;
                self.above_floor.retain(|(Desc(n), _)| *n >= kth);
            }
        }
        // Ties at the k-th count may keep the index large: let it double before
        // the next try, so that raising the floor stays a small share of the work.
        self.limit = MIN_LIMIT.max(2 * self.above_floor.len());
    }

    /// Forgets the index, to be filled again from every value.
    fn clear(&mut self) {
        self.above_floor.clear();
        self.floor = 1;
        self.limit = MIN_LIMIT;
    }

    /// Recomputes the shown rows, emitting the ones that left (−1) and came (+1).
    fn refresh(&mut self, k: usize, mut emit: impl FnMut(&(Desc<i64>, V), isize)) {
        self.dirty = false;
        let mut now: Vec<(Desc<i64>, V)> = Vec::with_capacity(k);
        for row in &self.above_floor {
            if now.len() >= k && now.last().map(|last| last.0) != Some(row.0) {
                break;
            }
            now.push(*row);
        }
        let (mut old, mut new) = (self.shown.iter().peekable(), now.iter().peekable());
        loop {
            match (old.peek(), new.peek()) {
                (Some(o), Some(n)) if o == n => {
                    old.next();
                    new.next();
                }
                (Some(o), Some(n)) if o < n => emit(old.next().expect("peeked"), -1),
                (Some(_), Some(_)) | (None, Some(_)) => emit(new.next().expect("peeked"), 1),
                (Some(_), None) => emit(old.next().expect("peeked"), -1),
                (None, None) => break,
            }
        }
        self.shown = now;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{
        changes, merge, preference, Count, Desc, Numbering, Preference, Ranking, TextOrder, Texts, Triple, UserShard,
        View, EMPTY,
    };

    /// Texts whose order is not the order of their keys, so that breaking a tie
    /// by key instead of by text would show.
    fn texts() -> Texts {
        (0..10u64).map(|key| (key, if key == EMPTY { String::new() } else { format!("t{}", 9 - key) })).collect()
    }

    /// A fixed pseudo-random sequence: `next(bound)` is below `bound`.
    fn sequence() -> impl FnMut(u64) -> u64 {
        crate::test_sequence(0x9e37_79b9_7f4a_7c15)
    }

    /// The values with a count at least the k-th largest, best first.
    fn expected(counts: &BTreeMap<u32, i64>, k: usize) -> Vec<(Desc<i64>, u32)> {
        let mut rows: Vec<(Desc<i64>, u32)> =
            counts.iter().filter(|(_, n)| **n > 0).map(|(v, n)| (Desc(*n), *v)).collect();
        rows.sort();
        if k == 0 {
            return Vec::new();
        }
        match rows.get(k - 1).map(|row| row.0) {
            Some(boundary) => rows.into_iter().filter(|row| row.0 <= boundary).collect(),
            None => rows,
        }
    }

    #[test]
    fn ranking_shows_the_best_k_with_ties_as_counts_move() {
        // A random walk over 40 values, so that ties, values below the boundary
        // and values crossing it and the floor all occur.
        let mut next = sequence();
        for k in [0, 1, 3, 8] {
            let mut ranking: Ranking<u32> = Ranking::default();
            let mut counts: BTreeMap<u32, i64> = BTreeMap::new();
            let mut shown: BTreeMap<(Desc<i64>, u32), isize> = BTreeMap::new();
            for round in 0..300 {
                for _ in 0..1 + next(6) {
                    let value = next(40) as u32;
                    let old = counts.get(&value).copied().unwrap_or(0);
                    let new = (old + next(7) as i64 - 3).max(0);
                    counts.insert(value, new);
                    ranking.update(value, old, new, k);
                }
                if ranking.dirty && !ranking.complete(k) {
                    ranking.clear();
                    counts.iter().for_each(|(&value, &n)| _ = ranking.update(value, 0, n, k));
                }
                if ranking.dirty {
                    ranking.refresh(k, |row, diff| *shown.entry(*row).or_default() += diff);
                }
                shown.retain(|_, n| *n != 0);
                assert!(shown.values().all(|n| *n == 1), "k {k}, round {round}");
                let now: Vec<_> = shown.keys().copied().collect();
                assert_eq!(now, expected(&counts, k), "k {k}, round {round}");
            }
        }
    }

    /// A user's preference from (code key, brand key, events), computed directly.
    fn preference_of(counts: &[(u64, u64, i64)], texts: &Texts) -> Option<Preference> {
        let text = |key: u64| texts.get(&key).map_or("", String::as_str);
        let shown: Vec<_> = counts.iter().filter(|(code, brand, _)| (*code, *brand) != (EMPTY, EMPTY)).collect();
        let most = shown.iter().map(|(_, _, n)| *n).max()?;
        let total = shown.iter().map(|(_, _, n)| n).sum();
        let tied = shown.iter().filter(|(_, _, n)| *n == most);
        let chosen = tied.min_by_key(|(code, brand, _)| (text(*code), text(*brand))).expect("a pair has the most");
        Some((chosen.0, chosen.1, most, total))
    }

    /// `counts` by key as the shard holds them, numbered so that the order of
    /// numbers is neither the order of keys nor that of texts.
    fn numbered(counts: &[(u64, u64, i64)]) -> (Vec<Count>, Numbering) {
        let mut numbering = Numbering::default();
        for key in [5, 2, 8, 1, 9, 3, 7, 4, 6] {
            numbering.number(key);
        }
        let mut numbered: Vec<Count> =
            counts.iter().map(|&(code, brand, n)| (numbering.number(code), numbering.number(brand), n)).collect();
        numbered.sort_unstable();
        (numbered, numbering)
    }

    /// [`preference`] of counts given by key.
    fn preference_by_key(counts: &[(u64, u64, i64)], texts: &Texts) -> Option<Preference> {
        let (counts, numbering) = numbered(counts);
        let mut text_order = TextOrder::default();
        text_order.refresh(&numbering, texts);
        preference(&counts, &numbering, &text_order)
    }

    #[test]
    fn text_order_follows_texts_that_arrive_after_their_numbers() {
        let mut texts = texts();
        let (_, mut numbering) = numbered(&[]);
        let late = numbering.number(42);
        let mut text_order = TextOrder::default();
        text_order.refresh(&numbering, &texts);
        // No text yet: 42 reads as the empty text, as number 0 does.
        assert_eq!(text_order.place((late, 0)), text_order.place((0, 0)));
        texts.insert(42, "t45".into());
        text_order.refresh(&numbering, &texts);
        // "t45" sorts after "t4" (key 5) and before "t5" (key 4).
        let place = |key| text_order.place((numbering.numbers[&key], 0));
        assert!(place(5) < place(42) && place(42) < place(4), "{:?}", text_order.ranks);
    }

    /// The three views of `counts`, computed directly.
    fn views_of(counts: &BTreeMap<Triple, i64>, texts: &Texts, top: usize, per_group: usize) -> Vec<View> {
        let mut views = Vec::new();
        let mut by_user: BTreeMap<u64, Vec<(u64, u64, i64)>> = BTreeMap::new();
        let mut pairs: BTreeMap<(u64, u64), i64> = BTreeMap::new();
        let mut groups: BTreeMap<(u64, u64), BTreeMap<u64, i64>> = BTreeMap::new();
        for (&(user, code, brand), &n) in counts.iter().filter(|(_, n)| **n > 0) {
            by_user.entry(user).or_default().push((code, brand, n));
            *pairs.entry((user, code)).or_default() += n;
            if brand != EMPTY {
                groups.entry((code, brand)).or_default().insert(user, n);
            }
        }
        for (user, counts) in &by_user {
            views.extend(preference_of(counts, texts).map(|preference| View::Preference(*user, preference)));
        }
        let best = |values: Vec<(Desc<i64>, (u64, u64))>, k: usize| {
            let mut values = values;
            values.sort();
            let boundary = values.get(k.max(1) - 1).map(|row| row.0);
            let kept = values.into_iter().filter(move |row| k > 0 && boundary.is_none_or(|b| row.0 <= b));
            kept.collect::<Vec<_>>()
        };
        let pair_rows = pairs.iter().map(|(&pair, &n)| (Desc(n), pair)).collect();
        views.extend(best(pair_rows, top).into_iter().map(|(n, (user, code))| View::TopPair(user, code, n)));
        for (group, users) in groups {
            let rows = users.iter().map(|(&user, &n)| (Desc(n), (user, 0))).collect();
            views.extend(best(rows, per_group).into_iter().map(|(n, (user, _))| View::Engaged(user, group, n)));
        }
        views.sort();
        views
    }

    #[test]
    fn user_shard_views_follow_counts_that_rise_and_fall() {
        // 30 users over 4 codes and 3 brands (0 is the empty text), with updates
        // that add and retract events, as files that arrive, change and leave.
        let mut next = sequence();
        for (top, per_group) in [(1, 1), (3, 2), (10, 3)] {
            let mut shard = UserShard::new(top, per_group);
            let texts = texts();
            let mut counts: BTreeMap<Triple, i64> = BTreeMap::new();
            let mut views: BTreeMap<View, isize> = BTreeMap::new();
            for epoch in 0..200 {
                let mut updates = Vec::new();
                for _ in 0..1 + next(40) {
                    let triple = (1 + next(30), next(4), next(3));
                    let count = counts.entry(triple).or_default();
                    let diff = (next(5) as i64 - 2).max(-*count);
                    *count += diff;
                    updates.push((triple, diff as isize));
                }
                let updates = updates.into_iter().map(|(triple, diff)| shard.update_of(triple, diff)).collect();
                shard.apply(updates, &texts, |view, diff| *views.entry(view).or_default() += diff);
                views.retain(|_, n| *n != 0);
                assert!(views.values().all(|n| *n == 1), "top {top}, per group {per_group}, epoch {epoch}");
                let now: Vec<View> = views.keys().cloned().collect();
                assert_eq!(
                    now,
                    views_of(&counts, &texts, top, per_group),
                    "top {top}, per group {per_group}, epoch {epoch}"
                );
            }
        }
    }

    #[test]
    fn merge_adds_updates_and_drops_zero_counts() {
        let counts = [(1, 0, 2), (1, 5, 1), (3, 0, 4)];
        let updates = [((0, 9), 1), ((1, 5), -1), ((2, 2), 1), ((2, 2), 2), ((3, 0), 1)];
        assert_eq!(merge(&counts, updates.into_iter()), vec![(0, 9, 1), (1, 0, 2), (2, 2, 3), (3, 0, 5)]);
    }

    #[test]
    fn preference_leaves_out_events_with_neither_code_nor_brand() {
        let texts = texts();
        assert_eq!(preference_by_key(&[(0, 0, 9), (0, 4, 3)], &texts), Some((0, 4, 3, 3)));
        assert_eq!(preference_by_key(&[(0, 0, 9)], &texts), None);
    }

    #[test]
    fn preference_breaks_ties_by_text_then_brand() {
        let texts = texts();
        // Code 2 reads "t7", code 1 reads "t8": code 2 comes first by text.
        assert_eq!(preference_by_key(&[(0, 0, 9), (1, 0, 2), (2, 3, 2)], &texts), Some((2, 3, 2, 4)));
        // The same code: brand 3 ("t6") before brand 1 ("t8"); the empty code first of all.
        assert_eq!(preference_by_key(&[(1, 1, 2), (1, 3, 2)], &texts), Some((1, 3, 2, 4)));
        assert_eq!(preference_by_key(&[(0, 5, 1), (1, 3, 1)], &texts), Some((0, 5, 1, 2)));
    }

    #[test]
    fn changes_pairs_counts_by_key() {
        let before = [(1, 2), (3, 1), (5, 5)];
        let after = [(0, 1), (3, 1), (5, 6), (7, 2)];
        let mut changed = vec![(9, 9, 9)];
        changes(&before, &after, &mut changed);
        assert_eq!(changed, vec![(0, 0, 1), (1, 2, 0), (5, 5, 6), (7, 0, 2)]);
    }
}
