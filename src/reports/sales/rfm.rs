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
//! date, so any new order can change every row: one group ranks them all.
//! That costs a sort of the customers per epoch. The group's output is kept
//! small and fixed-size (the customer's key, not its text), because `reduce`
//! compares the whole new output with the old one every time; the dictionary
//! join then adds the text to the rows that changed only.

use differential_dataflow::{AsCollection, Hashable};
use serde::{Deserialize, Serialize};
use timely::dataflow::operators::Exchange;

use super::SalesViews;
use crate::dataflow::{resolve, Counted, Day, Dictionary, Sales, TextKey};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, views: &SalesViews<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let customers = views
        .customers
        .clone()
        .join(views.customer_days.clone())
        .map(|(key, (t, (_first, last)))| (key, (key, last, t.orders, t.revenue_cents)));
    let customers = resolve(customers, names).map(|(customer_id, (key, last_order, frequency, monetary_cents))| {
        ((), Scored::Customer { customer_id, key, last_order, frequency, monetary_cents })
    });
    let latest = facts.day.clone().map(|day| ((), day)).reduce(|(), days: &Counted<Day>, output| {
        if let Some((last, _)) = days.iter().rfind(|(_, n)| *n > 0) {
            output.push((Scored::Reference(**last + 1), 1isize));
        }
    });
    let scores = latest
        .concat(customers)
        .reduce(|(), inputs: &Counted<Scored>, output| {
            // The reference day sorts first.
            let Some((Scored::Reference(reference), _)) = inputs.iter().find(|(_, n)| *n > 0) else { return };
            let reference = *reference;
            let customers: Vec<&Scored> = inputs.iter().filter(|(_, n)| *n > 0).map(|(s, _)| *s).skip(1).collect();
            output.extend(score(&customers, reference).into_iter().map(|row| (row, 1isize)));
        })
        .map(|((), row)| (row.key, row));
    let rows = resolve(scores, names).map(|(customer_id, row)| RfmRow {
        customer_id,
        recency_days: row.recency_days,
        frequency: row.frequency,
        monetary_cents: row.monetary_cents,
        scores: row.scores,
    });
    // Spread the rows over the workers by customer, for the per-entity parts.
    let rows = rows.inner.exchange(|(row, _, _): &(RfmRow, _, _)| row.customer_id.hashed()).as_collection();
    out.per_entity("rfm", rows);
}

/// What the ranking group sees.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Scored {
    /// The day after the latest order line.
    Reference(Day),
    Customer {
        customer_id: String,
        key: TextKey,
        last_order: Day,
        frequency: i64,
        monetary_cents: i64,
    },
}

/// One customer's scores, by the customer's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Score {
    key: TextKey,
    recency_days: i64,
    frequency: i64,
    monetary_cents: i64,
    /// r, f, m.
    scores: [u8; 3],
}

/// Scores the customers (given in customer_id order) against the reference day.
fn score(customers: &[&Scored], reference: Day) -> Vec<Score> {
    let mut rows: Vec<Score> = customers
        .iter()
        .filter_map(|s| match s {
            Scored::Customer { key, last_order, frequency, monetary_cents, .. } => Some(Score {
                key: *key,
                recency_days: i64::from(reference - last_order),
                frequency: *frequency,
                monetary_cents: *monetary_cents,
                scores: [0; 3],
            }),
            Scored::Reference(_) => None,
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
