//! `payment_methods`
//!
//! ```sql
//! SELECT payment_method, count(DISTINCT order_id) AS orders, sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY payment_method
//! ORDER BY revenue DESC, payment_method, orders
//! ```

use serde::{Deserialize, Serialize};

use super::orders_per;
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::{resolve, Desc, Dictionary, Sales};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let methods = orders_per(facts.payment_order.clone(), OrderTotals::from);
    let rows = resolve(methods, names).map(|(payment_method, t)| PaymentMethodRow {
        revenue_cents: Desc(t.revenue_cents),
        payment_method,
        orders: t.orders,
    });
    out.report("payment_methods", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PaymentMethodRow {
    pub revenue_cents: Desc<i64>,
    pub payment_method: String,
    pub orders: i64,
}

impl ReportRow for PaymentMethodRow {
    const HEADER: &'static [&'static str] = &["payment_method", "orders", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.payment_method).int(self.orders).money(self.revenue_cents.0);
    }
}
