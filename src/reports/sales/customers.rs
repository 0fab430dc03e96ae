//! `customers` (per entity: one part per worker)
//!
//! ```sql
//! SELECT customer_id, count(DISTINCT order_id) AS orders, sum(quantity) AS units,
//!        sum(amount) AS revenue, min(date) AS first_order, max(date) AS last_order
//! FROM order_lines WHERE NOT cancelled AND customer_id <> ''
//! GROUP BY customer_id ORDER BY customer_id
//! ```

use serde::{Deserialize, Serialize};

use super::SalesViews;
use crate::dataflow::{resolve, Day, Dictionary};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(views: &SalesViews<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let joined = views.customers.clone().join(views.customer_days.clone());
    let rows = resolve(joined, names).map(|(customer_id, (t, (first_order, last_order)))| CustomerRow {
        customer_id,
        orders: t.orders,
        units: t.units,
        revenue_cents: t.revenue_cents,
        first_order,
        last_order,
    });
    out.per_entity("customers", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CustomerRow {
    pub customer_id: String,
    pub orders: i64,
    pub units: i64,
    pub revenue_cents: i64,
    pub first_order: Day,
    pub last_order: Day,
}

impl ReportRow for CustomerRow {
    const HEADER: &'static [&'static str] = &["customer_id", "orders", "units", "revenue", "first_order", "last_order"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields
            .text(&self.customer_id)
            .int(self.orders)
            .int(self.units)
            .money(self.revenue_cents)
            .date(self.first_order)
            .date(self.last_order);
    }
}
