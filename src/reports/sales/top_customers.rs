//! `top_customers`
//!
//! ```sql
//! SELECT customer_id, count(DISTINCT order_id) AS orders, sum(quantity) AS units,
//!        sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled AND customer_id <> ''
//! GROUP BY customer_id ORDER BY orders DESC, customer_id LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use super::SalesViews;
use crate::dataflow::topk::{first_k, top_k_by_score};
use crate::dataflow::{resolve, Desc, Dictionary};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(views: &SalesViews<'s>, names: &Dictionary<'s>, params: &ReportParams, out: &mut Outputs) {
    let ranked = views.customers.clone().map(|(customer, totals)| ((), (Desc(totals.orders), (customer, totals))));
    let leaders = top_k_by_score(ranked, params.top, 16).map(|((), (_orders, row))| row);
    let rows = resolve(leaders, names).map(|(customer_id, t)| {
        let row =
            TopCustomerRow { orders: Desc(t.orders), customer_id, units: t.units, revenue_cents: t.revenue_cents };
        ((), row)
    });
    out.report("top_customers", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopCustomerRow {
    pub orders: Desc<i64>,
    pub customer_id: String,
    pub units: i64,
    pub revenue_cents: i64,
}

impl ReportRow for TopCustomerRow {
    const HEADER: &'static [&'static str] = &["customer_id", "orders", "units", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.customer_id).int(self.orders.0).int(self.units).money(self.revenue_cents);
    }
}
