//! `rfm` (per entity: one part per worker)
//!
//! ```sql
//! WITH c AS (
//!   SELECT customer_id, max(date) AS last_order, count(DISTINCT order_id) AS frequency,
//!          sum(amount) AS monetary
//!   FROM order_lines WHERE NOT cancelled AND customer_id <> '' GROUP BY customer_id),
//! ref AS (SELECT max(date) + 1 AS day FROM order_lines WHERE NOT cancelled),
//! s AS (
//!   SELECT c.*, ref.day - last_order AS recency_days,
//!     1 + 5 * (row_number() OVER (ORDER BY ref.day - last_order DESC, customer_id) - 1) / count(*) OVER () AS r,
//!     1 + 5 * (row_number() OVER (ORDER BY frequency, customer_id) - 1) / count(*) OVER () AS f,
//!     1 + 5 * (row_number() OVER (ORDER BY monetary, customer_id) - 1) / count(*) OVER () AS m
//!   FROM c, ref)
//! SELECT customer_id, recency_days, frequency, monetary, r, f, m,
//!        CASE WHEN r >= 4 AND f >= 4 THEN 'Champions' WHEN r >= 2 AND f >= 4 THEN 'Loyal'
//!             WHEN r <= 2 AND f >= 3 THEN 'At risk' WHEN r >= 4 THEN 'Promising'
//!             WHEN r = 3 THEN 'Needs attention' ELSE 'Hibernating' END AS segment
//! FROM s ORDER BY customer_id
//! ```
//!
//! Scores are ranks among all customers, and recency moves with the latest
//! date, so any new order can change every row: one operator, on worker 0,
//! holds every customer in customer_id order and ranks them all after each
//! epoch (three sorts of integers), then sends only the rows that changed.
//! `reduce` would do the same sorts but also re-read the whole group and
//! compare its whole new output with the old one every epoch.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use differential_dataflow::{AsCollection, Hashable};
use serde::{Deserialize, Serialize};
use timely::dataflow::channels::pact::Exchange as ExchangePact;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Exchange;

use super::SalesViews;
use crate::dataflow::by_time::ByTime;
use crate::dataflow::{resolve, Coll, Counted, Day, Dictionary, Sales, Time};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, views: &SalesViews<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let customers = views.customers.clone().join(views.customer_days.clone()).map(|(key, (t, (_first, last)))| {
        (key, Figures { last_order: last, frequency: t.orders, monetary_cents: t.revenue_cents })
    });
    let customers = resolve(customers, names);
    let reference = facts.day.clone().map(|day| ((), day)).reduce(|(), days: &Counted<Day>, output| {
        if let Some((last, _)) = days.iter().rfind(|(_, n)| *n > 0) {
            output.push((**last + 1, 1isize));
        }
    });
    let rows = ranked(customers, reference.map(|((), day)| day));
    // Spread the rows over the workers by customer, for the per-entity parts.
    let rows = rows.inner.exchange(|(row, _, _): &(RfmRow, _, _)| row.customer_id.hashed()).as_collection();
    out.per_entity("rfm", rows);
}

/// What a customer's scores are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Figures {
    last_order: Day,
    frequency: i64,
    monetary_cents: i64,
}

/// Every customer's row, scored against the reference day, as a collection
/// that changes only where a row does. Runs on worker 0, which sees all.
fn ranked<'s>(customers: Coll<'s, (String, Figures)>, reference: Coll<'s, Day>) -> Coll<'s, RfmRow> {
    type Changes = (Vec<((String, Figures), isize)>, Vec<(Day, isize)>);
    let stream = customers.inner.binary_frontier(
        reference.inner,
        ExchangePact::new(|_: &((String, Figures), Time, isize)| 0u64),
        ExchangePact::new(|_: &(Day, Time, isize)| 0u64),
        "RankCustomers",
        |_capability, _info| {
            let mut pending: ByTime<Changes> = ByTime::default();
            // Counts, so that a customer's old figures and new ones may arrive in either order.
            let mut held: BTreeMap<(String, Figures), isize> = BTreeMap::new();
            let mut days: BTreeMap<Day, isize> = BTreeMap::new();
            // The rows sent so far, in customer_id order.
            let mut shown: Vec<RfmRow> = Vec::new();
            move |(customers, customers_frontier), (reference, reference_frontier), output| {
                customers.for_each(|capability, batch| {
                    for (row, time, diff) in batch.drain(..) {
                        let changes = pending.buffer(time, || capability.delayed(&time, output.output_index()));
                        changes.0.push((row, diff));
                    }
                });
                reference.for_each(|capability, batch| {
                    for (day, time, diff) in batch.drain(..) {
                        let changes = pending.buffer(time, || capability.delayed(&time, output.output_index()));
                        changes.1.push((day, diff));
                    }
                });
                let open = |time: &Time| customers_frontier.less_equal(time) || reference_frontier.less_equal(time);
                while let Some((time, capability, (customer_changes, day_changes))) = pending.next_complete(open) {
                    for (row, diff) in customer_changes {
                        add_count(&mut held, row, diff);
                    }
                    for (day, diff) in day_changes {
                        add_count(&mut days, day, diff);
                    }
                    let rows = match days.iter().find(|(_, n)| **n > 0) {
                        Some((&day, _)) => score(held.iter().filter(|(_, n)| **n > 0).map(|(row, _)| row), day),
                        None => Vec::new(),
                    };
                    let mut session = output.session(&capability);
                    for_each_change(&shown, &rows, |row, diff| session.give((row.clone(), time, diff)));
                    shown = rows;
                }
            }
        },
    );
    stream.as_collection()
}

fn add_count<K: Ord>(counts: &mut BTreeMap<K, isize>, key: K, diff: isize) {
    match counts.entry(key) {
        Entry::Vacant(vacant) => {
            vacant.insert(diff);
        }
        Entry::Occupied(mut occupied) => {
            *occupied.get_mut() += diff;
            if *occupied.get() == 0 {
                occupied.remove();
            }
        }
    }
}

/// Calls `change` with every row of `old` not in `new` (-1) and of `new` not
/// in `old` (+1); both are sorted.
fn for_each_change(old: &[RfmRow], new: &[RfmRow], mut change: impl FnMut(&RfmRow, isize)) {
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(a), Some(b)) if a == b => (i, j) = (i + 1, j + 1),
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                change(a, -1);
                i += 1;
            }
            (_, Some(b)) => {
                change(b, 1);
                j += 1;
            }
            _ => unreachable!("one list has rows left"),
        }
    }
}

/// Scores the customers (given in customer_id order) against the reference
/// day: the report's rows, in customer_id order.
fn score<'a>(customers: impl Iterator<Item = &'a (String, Figures)>, reference: Day) -> Vec<RfmRow> {
    let mut rows: Vec<RfmRow> = customers
        .map(|(customer_id, figures)| RfmRow {
            customer_id: customer_id.clone(),
            recency_days: i64::from(reference - figures.last_order),
            frequency: figures.frequency,
            monetary_cents: figures.monetary_cents,
            scores: [0; 3],
        })
        .collect();
    let n = rows.len();
    let quintile = |rank: usize| (1 + 5 * rank / n) as u8;
    let mut order: Vec<usize> = (0..n).collect();
    // Rows are in customer_id order, and stable sorts keep it among ties.
    order.sort_by_key(|&i| std::cmp::Reverse(rows[i].recency_days));
    for (rank, &i) in order.iter().enumerate() {
        rows[i].scores[0] = quintile(rank);
    }
    order.sort_by_key(|&i| (rows[i].frequency, i));
    for (rank, &i) in order.iter().enumerate() {
        rows[i].scores[1] = quintile(rank);
    }
    order.sort_by_key(|&i| (rows[i].monetary_cents, i));
    for (rank, &i) in order.iter().enumerate() {
        rows[i].scores[2] = quintile(rank);
    }
    rows
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RfmRow {
    pub customer_id: String,
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary_cents: i64,
    /// r, f, m.
    pub scores: [u8; 3],
}

impl RfmRow {
    fn segment(&self) -> &'static str {
        let [r, f, _] = self.scores;
        match () {
            _ if r >= 4 && f >= 4 => "Champions",
            _ if r >= 2 && f >= 4 => "Loyal",
            _ if r <= 2 && f >= 3 => "At risk",
            _ if r >= 4 => "Promising",
            _ if r == 3 => "Needs attention",
            _ => "Hibernating",
        }
    }
}

impl ReportRow for RfmRow {
    const HEADER: &'static [&'static str] =
        &["customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"];

    fn write(&self, fields: &mut Fields<'_>) {
        let [r, f, m] = self.scores;
        fields
            .text(&self.customer_id)
            .int(self.recency_days)
            .int(self.frequency)
            .money(self.monetary_cents)
            .int(r)
            .int(f)
            .int(m)
            .text(self.segment());
    }
}
