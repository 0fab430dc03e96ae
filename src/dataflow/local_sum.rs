//! Sums a collection's updates within each worker before they cross workers.
//!
//! `arrange` and `reduce` exchange every update first and consolidate after, so
//! a collection with few distinct rows but many updates (a histogram of counts,
//! one update per value counted) would send all of them to the worker of each
//! row, and hold them in that worker's batcher until the time completes.

use std::collections::HashMap;
use std::hash::Hash;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::{AsCollection, ExchangeData};
use foldhash::fast::RandomState;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::by_time::ByTime;
use super::Coll;

/// The same collection, each worker's updates of one row and time summed into one.
/// Updates are held until their time is complete.
pub fn sum_locally<'s, D, R>(rows: Coll<'s, D, R>) -> Coll<'s, D, R>
where
    D: ExchangeData + Hash + Eq,
    R: ExchangeData + Semigroup,
{
    let stream = rows.inner.unary_frontier(Pipeline, "SumLocally", |_capability, _info| {
        let mut pending: ByTime<HashMap<D, R, RandomState>> = ByTime::default();
        move |(input, frontier), output| {
            input.for_each(|capability, batch| {
                for (row, time, diff) in batch.drain(..) {
                    let sums = pending.buffer(time, || capability.delayed(&time, output.output_index()));
                    super::totals::add(sums, row, diff);
                }
            });
            while let Some((time, capability, sums)) = pending.next_complete(|time| frontier.less_equal(time)) {
                let mut session = output.session(&capability);
                for (row, diff) in sums.into_iter().filter(|(_, diff)| !diff.is_zero()) {
                    session.give((row, time, diff));
                }
            }
        }
    });
    stream.as_collection()
}
