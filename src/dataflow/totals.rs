//! Each key's running total, kept in a hash map rather than an arrangement.
//!
//! `count` arranges its input to look each key's total up again when the key
//! changes: it sorts every update into batches and merges the batches as they
//! grow. For a collection of a million sessions whose totals are only ever
//! read as they change, a hash map keyed by session finds the same totals
//! without sorting anything.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::{AsCollection, ExchangeData, Hashable};
use foldhash::fast::RandomState;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;

use super::by_time::ByTime;
use super::{Coll, Time};

/// `(key, total)` for every key whose updates do not sum to zero: the same
/// collection as `count`, each key's total changing as its updates arrive.
///
/// Updates wait until their time is complete, and times are applied in order.
pub fn totals_by_key<'s, K, R>(rows: Coll<'s, K, R>) -> Coll<'s, (K, R)>
where
    K: ExchangeData + Hash + Eq,
    R: ExchangeData + Semigroup,
{
    let by_key = Exchange::new(|(key, _, _): &(K, Time, R)| key.hashed());
    let stream = rows.inner.unary_frontier(by_key, "TotalsByKey", |_capability, _info| {
        let mut pending: ByTime<HashMap<K, R, RandomState>> = ByTime::default();
        let mut totals: HashMap<K, R, RandomState> = HashMap::default();
        move |(input, frontier), output| {
            input.for_each(|capability, batch| {
                for (key, time, diff) in batch.drain(..) {
                    let sums = pending.buffer(time, || capability.delayed(&time, output.output_index()));
                    add(sums, key, diff);
                }
            });
            while let Some((time, capability, mut sums)) = pending.next_complete(|time| frontier.less_equal(time)) {
                let mut session = output.session(&capability);
                if totals.is_empty() {
                    // Every key is new: the time's sums become the totals, sparing a
                    // second table of every key and its growth by doubling.
                    sums.retain(|_, diff| !diff.is_zero());
                    totals = sums;
                    for (key, total) in &totals {
                        session.give(((key.clone(), total.clone()), time, 1));
                    }
                    continue;
                }
                for (key, diff) in sums.into_iter().filter(|(_, diff)| !diff.is_zero()) {
                    match totals.entry(key) {
                        Entry::Vacant(vacant) => {
                            session.give(((vacant.key().clone(), diff.clone()), time, 1));
                            vacant.insert(diff);
                        }
                        Entry::Occupied(mut occupied) => {
                            session.give(((occupied.key().clone(), occupied.get().clone()), time, -1));
                            occupied.get_mut().plus_equals(&diff);
                            if occupied.get().is_zero() {
                                occupied.remove();
                            } else {
                                session.give(((occupied.key().clone(), occupied.get().clone()), time, 1));
                            }
                        }
                    }
                }
            }
        }
    });
    stream.as_collection()
}

/// Adds `diff` to the sum at `key`.
pub(super) fn add<K: Hash + Eq, R: Semigroup>(sums: &mut HashMap<K, R, RandomState>, key: K, diff: R) {
    match sums.entry(key) {
        Entry::Vacant(vacant) => {
            vacant.insert(diff);
        }
        Entry::Occupied(mut occupied) => occupied.get_mut().plus_equals(&diff),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use differential_dataflow::input::Input;

    use super::totals_by_key;
    use crate::dataflow::diff::PriceTotals;

    #[test]
    fn totals_follow_updates_that_rise_fall_and_cancel() {
        let epochs: Vec<Vec<(u8, i64)>> =
            vec![vec![(1, 5), (2, 3), (1, 2)], vec![(1, -7), (2, 1), (3, 4)], vec![(3, -4), (3, 4), (2, -4)], vec![]];
        timely::execute_directly(move |worker| {
            let seen: Rc<RefCell<BTreeMap<(u8, PriceTotals), isize>>> = Rc::default();
            let record = Rc::clone(&seen);
            let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                let (input, rows) = scope.new_collection::<u8, PriceTotals>();
                let probe = totals_by_key(rows)
                    .inspect(move |(row, _time, diff)| *record.borrow_mut().entry(*row).or_default() += diff)
                    .probe()
                    .0;
                (input, probe)
            });
            let mut expected: BTreeMap<u8, i64> = BTreeMap::new();
            for (epoch, updates) in epochs.iter().enumerate() {
                for &(key, cents) in updates {
                    input.update(key, PriceTotals { events: cents, total_cents: cents });
                    *expected.entry(key).or_default() += cents;
                }
                input.advance_to(epoch as u64 + 1);
                input.flush();
                worker.step_while(|| probe.less_than(input.time()));
                let now: Vec<(u8, i64)> = seen
                    .borrow()
                    .iter()
                    .filter(|(_, n)| **n != 0)
                    .inspect(|(_, n)| assert_eq!(**n, 1, "after epoch {epoch}"))
                    .map(|((key, totals), _)| (*key, totals.total_cents))
                    .collect();
                let want: Vec<(u8, i64)> = expected.iter().filter(|(_, n)| **n != 0).map(|(k, n)| (*k, *n)).collect();
                assert_eq!(now, want, "after epoch {epoch}");
            }
        });
    }
}
