//! `monthly`
//!
//! ```sql
//! WITH m AS (
//!   SELECT month,
//!          count(DISTINCT order_id) FILTER (WHERE NOT cancelled) AS orders,
//!          count(DISTINCT order_id) FILTER (WHERE cancelled) AS cancelled_orders,
//!          sum(amount) FILTER (WHERE NOT cancelled) AS revenue,
//!          sum(abs(quantity * unit_price)) FILTER (WHERE cancelled) AS cancelled_revenue,
//!          count(DISTINCT customer_id) FILTER (WHERE NOT cancelled AND customer_id <> '')
//!            AS active_customers,
//!          count(DISTINCT customer_id) FILTER (WHERE NOT cancelled AND customer_id <> ''
//!            AND first_month(customer_id) = month) AS new_customers
//!   FROM order_lines GROUP BY month)
//! SELECT m.*, (m.revenue - p.revenue) / p.revenue * 100 AS growth_pct,
//!        active_customers - new_customers AS returning_customers
//! FROM m LEFT JOIN m AS p ON p.month = m.month - INTERVAL '1 month'
//! ORDER BY month
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::MonthTotals;
use crate::dataflow::{Counted, Month, Sales};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, out: &mut Outputs) {
    let orders = facts.month_order.clone().count().explode(|((month, cancelled, _order), t)| {
        let totals = if cancelled {
            MonthTotals { cancelled_orders: 1, cancelled_cents: t.revenue_cents, ..MonthTotals::default() }
        } else {
            MonthTotals { orders: 1, revenue_cents: t.revenue_cents, ..MonthTotals::default() }
        };
        Some((month, totals))
    });
    let active = facts
        .customer_month
        .clone()
        .distinct()
        .explode(|(_customer, month)| Some((month, MonthTotals { active: 1, ..MonthTotals::default() })));
    let new = facts
        .customer_month
        .clone()
        .reduce(|_customer, months: &Counted<Month>, output| {
            if let Some((first, _)) = months.iter().find(|(_, n)| *n > 0) {
                output.push((**first, 1isize));
            }
        })
        .explode(|(_customer, month)| Some((month, MonthTotals { new: 1, ..MonthTotals::default() })));
    // A handful of months: one group sees them all, in order, to compare each
    // with the calendar month before it.
    let rows = orders
        .concat(active)
        .concat(new)
        .count()
        .map(|(month, totals)| ((), (month, totals)))
        .reduce(|(), months: &Counted<(Month, MonthTotals)>, output| {
            let mut previous: Option<(Month, i64)> = None;
            for ((month, totals), _) in months.iter().filter(|(_, n)| *n > 0) {
                let before = previous.filter(|(m, revenue)| m + 1 == *month && *revenue != 0).map(|(_, r)| r);
                output.push((MonthlyRow { month: *month, totals: *totals, previous_revenue: before }, 1isize));
                previous = Some((*month, totals.revenue_cents));
            }
        })
        .map(|((), row)| row);
    out.report("monthly", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MonthlyRow {
    pub month: Month,
    pub totals: MonthTotals,
    /// The previous calendar month's revenue, when it has any.
    pub previous_revenue: Option<i64>,
}

impl ReportRow for MonthlyRow {
    const HEADER: &'static [&'static str] = &[
        "month",
        "orders",
        "cancelled_orders",
        "revenue",
        "cancelled_revenue",
        "growth_pct",
        "active_customers",
        "new_customers",
        "returning_customers",
    ];

    fn write(&self, fields: &mut Fields<'_>) {
        let t = &self.totals;
        fields.month(self.month).int(t.orders).int(t.cancelled_orders).money(t.revenue_cents).money(t.cancelled_cents);
        match self.previous_revenue {
            Some(before) => fields.ratio((t.revenue_cents - before) * 100, before, 2),
            None => fields.text(""),
        };
        fields.int(t.active).int(t.new).int(t.active - t.new);
    }
}
