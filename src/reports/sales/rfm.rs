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
//! holds every customer in customer_id order with the scores it last sent,
//! ranks them all after each epoch (three sorts of integers), then sends only
//! the rows that changed.
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

/// A customer's figures as the operator holds them: how many times they are
/// in the input (a customer's old figures and new ones may arrive in either
/// order) and the recency and scores of the row last sent for them.
struct Held {
    count: isize,
    shown: Option<(i64, [u8; 3])>,
}

/// Every customer's row, scored against the reference day, as a collection
/// that changes only where a row does. Runs on worker 0, which sees all; a
/// row's text is copied only when the row changes.
fn ranked<'s>(customers: Coll<'s, (String, Figures)>, reference: Coll<'s, Day>) -> Coll<'s, RfmRow> {
    type Changes = (Vec<((String, Figures), isize)>, Vec<(Day, isize)>);
    let stream = customers.inner.binary_frontier(
        reference.inner,
        ExchangePact::new(|_: &((String, Figures), Time, isize)| 0u64),
        ExchangePact::new(|_: &(Day, Time, isize)| 0u64),
        "RankCustomers",
        |_capability, _info| {
            let mut pending: ByTime<Changes> = ByTime::default();
            // In customer_id order, the order ties are broken in.
            let mut held: BTreeMap<(String, Figures), Held> = BTreeMap::new();
            let mut days: BTreeMap<Day, isize> = BTreeMap::new();
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
                    let mut session = output.session(&capability);
                    let mut send = |(customer_id, figures): &(String, Figures), shown: (i64, [u8; 3]), diff| {
                        session.give((row(customer_id, figures, shown), time, diff));
                    };
                    for (customer, diff) in customer_changes {
                        match held.entry(customer) {
                            Entry::Vacant(vacant) => {
                                vacant.insert(Held { count: diff, shown: None });
                            }
                            Entry::Occupied(mut occupied) => {
                                occupied.get_mut().count += diff;
                                if occupied.get().count == 0 {
                                    let (customer, gone) = occupied.remove_entry();
                                    gone.shown.into_iter().for_each(|shown| send(&customer, shown, -1));
                                }
                            }
                        }
                    }
                    for (day, diff) in day_changes {
                        *days.entry(day).or_default() += diff;
                    }
                    days.retain(|_, n| *n != 0);
                    let reference = days.iter().find(|(_, n)| **n > 0).map(|(&day, _)| day);
                    let scored = match reference {
                        Some(day) => score(held.iter().filter(|(_, h)| h.count > 0).map(|((_, f), _)| f), day),
                        None => Vec::new(),
                    };
                    let mut scored = scored.into_iter();
                    for (customer, h) in held.iter_mut() {
                        let now = if h.count > 0 { scored.next() } else { None };
                        if h.shown != now {
                            h.shown.into_iter().for_each(|shown| send(customer, shown, -1));
                            now.into_iter().for_each(|shown| send(customer, shown, 1));
                            h.shown = now;
                        }
                    }
                }
            }
        },
    );
    stream.as_collection()
}

fn row(customer_id: &str, figures: &Figures, (recency_days, scores): (i64, [u8; 3])) -> RfmRow {
    RfmRow {
        customer_id: customer_id.to_string(),
        recency_days,
        frequency: figures.frequency,
        monetary_cents: figures.monetary_cents,
        scores,
    }
}

/// Scores the customers (given in customer_id order) against the reference
/// day: each one's recency in days and its r, f and m, in the same order.
fn score<'a>(customers: impl Iterator<Item = &'a Figures>, reference: Day) -> Vec<(i64, [u8; 3])> {
    let figures: Vec<&Figures> = customers.collect();
    let mut rows: Vec<(i64, [u8; 3])> = figures.iter().map(|f| (i64::from(reference - f.last_order), [0; 3])).collect();
    let n = rows.len();
    let quintile = |rank: usize| (1 + 5 * rank / n) as u8;
    // Rows are in customer_id order, so a row's index breaks ties as the SQL does.
    // Keys and indices sorted together, not indices by a key looked up elsewhere,
    // keep each sort's comparisons in cache.
    let mut order: Vec<(i64, usize)> = Vec::with_capacity(n);
    for (column, key) in
        [|_: &Figures, recency: i64| -recency, |f: &Figures, _| f.frequency, |f: &Figures, _| f.monetary_cents]
            .into_iter()
            .enumerate()
    {
        order.clear();
        order.extend(figures.iter().zip(&rows).enumerate().map(|(i, (f, row))| (key(f, row.0), i)));
        order.sort_unstable();
        for (rank, &(_, i)) in order.iter().enumerate() {
            rows[i].1[column] = quintile(rank);
        }
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
