//! `repeat_customers`
//!
//! ```sql
//! WITH c AS (
//!   SELECT customer_id, count(DISTINCT order_id) AS orders
//!   FROM order_lines WHERE NOT cancelled AND customer_id <> '' GROUP BY customer_id)
//! SELECT count(*) AS customers, count(*) FILTER (WHERE orders >= 2) AS repeat_customers,
//!        repeat_customers / customers AS repeat_rate,
//!        (SELECT count(DISTINCT order_id) FROM order_lines
//!          WHERE NOT cancelled AND customer_id <> '') AS orders,
//!        (SELECT count(DISTINCT order_id) FROM order_lines
//!          WHERE NOT cancelled AND customer_id IN (SELECT customer_id FROM c WHERE orders >= 2))
//!          AS repeat_orders
//! FROM c
//! ```

use serde::{Deserialize, Serialize};

use super::SalesViews;
use crate::dataflow::diff::RepeatTotals;
use crate::dataflow::Sales;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, views: &SalesViews<'s>, out: &mut Outputs) {
    let customers = views.customers.clone().explode(|(_customer, t)| {
        Some(((), RepeatTotals { customers: 1, repeat_customers: i64::from(t.orders >= 2), ..RepeatTotals::default() }))
    });
    let repeaters = views.customers.clone().filter(|(_, t)| t.orders >= 2).map(|(customer, _)| customer);
    let orders = facts
        .customer_order
        .clone()
        .map(|(_customer, order)| order)
        .distinct()
        .explode(|_order| Some(((), RepeatTotals { orders: 1, ..RepeatTotals::default() })));
    let repeat_orders = facts
        .customer_order
        .clone()
        .semijoin(repeaters)
        .map(|(_customer, order)| order)
        .distinct()
        .explode(|_order| Some(((), RepeatTotals { repeat_orders: 1, ..RepeatTotals::default() })));
    let rows = customers.concat(orders).concat(repeat_orders).count().map(|((), totals)| RepeatCustomersRow { totals });
    out.single_row("repeat_customers", rows, RepeatCustomersRow { totals: RepeatTotals::default() });
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RepeatCustomersRow {
    pub totals: RepeatTotals,
}

impl ReportRow for RepeatCustomersRow {
    const HEADER: &'static [&'static str] =
        &["customers", "repeat_customers", "repeat_rate", "orders", "repeat_orders"];

    fn write(&self, fields: &mut Fields<'_>) {
        let t = &self.totals;
        fields
            .int(t.customers)
            .int(t.repeat_customers)
            .rate(t.repeat_customers, t.customers)
            .int(t.orders)
            .int(t.repeat_orders);
    }
}
