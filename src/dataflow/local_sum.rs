//! Sums a collection's updates within each worker before they cross workers.
//!
//! `arrange` and `reduce` exchange every update first and consolidate after, so
//! a collection with few distinct rows but many updates (a histogram of counts,
//! one update per value counted) would send all of them to the worker of each
//! row, and hold them in that worker's batcher until the time completes.
//!
//! The rows to sum are derived in the same operator that sums them: a `map` or
//! `explode` in front would emit every derived row of an epoch at once (a few
//! per session and per user: millions), all held in its output queue until the
//! sum reads them.

use std::collections::HashMap;
use std::hash::Hash;

use differential_dataflow::difference::{Multiply, Semigroup};
use differential_dataflow::{AsCollection, ExchangeData};
use foldhash::fast::RandomState;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::by_time::ByTime;
use super::Coll;

/// `(key, sum)` rows from each row of `rows` by `logic`, multiplied by the
/// row's count, and each worker's sums of one key and time added into one:
/// `explode` followed by consolidation within the worker. Updates are held
/// until their time is complete.
pub fn sum_locally_by<'s, D, K, R, I, L>(rows: Coll<'s, D>, logic: L) -> Coll<'s, K, R>
where
    D: ExchangeData,
    K: ExchangeData + Hash + Eq,
    R: ExchangeData + Semigroup + Multiply<isize, Output = R>,
    I: IntoIterator<Item = (K, R)>,
    L: Fn(D) -> I + 'static,
{
    let stream = rows.inner.unary_frontier(Pipeline, "SumLocally", move |_capability, _info| {
        let mut pending: ByTime<HashMap<K, R, RandomState>> = ByTime::default();
        move |(input, frontier), output| {
            input.for_each(|capability, batch| {
                for (row, time, count) in batch.drain(..) {
                    let sums = pending.buffer(time, || capability.delayed(&time, output.output_index()));
                    for (key, sum) in logic(row) {
                        super::totals::add(sums, key, sum.multiply(&count));
                    }
                }
            });
            while let Some((time, capability, sums)) = pending.next_complete(|time| frontier.less_equal(time)) {
                let mut session = output.session(&capability);
                for (key, sum) in sums.into_iter().filter(|(_, sum)| !sum.is_zero()) {
                    session.give((key, time, sum));
                }
            }
        }
    });
    stream.as_collection()
}
