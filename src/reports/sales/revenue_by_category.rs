//! `revenue_by_category`
//!
//! ```sql
//! SELECT category, count(DISTINCT order_id) AS orders, sum(quantity) AS units,
//!        sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY category
//! ORDER BY revenue DESC, category
//! ```

use serde::{Deserialize, Serialize};

use super::orders_per;
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::{resolve, Desc, Dictionary, Sales};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let categories = orders_per(facts.category_order.clone(), OrderTotals::from);
    let rows = resolve(categories, names).map(|(category, t)| CategoryRevenueRow {
        revenue_cents: Desc(t.revenue_cents),
        category,
        orders: t.orders,
        units: t.units,
    });
    out.report("revenue_by_category", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CategoryRevenueRow {
    pub revenue_cents: Desc<i64>,
    pub category: String,
    pub orders: i64,
    pub units: i64,
}

impl ReportRow for CategoryRevenueRow {
    const HEADER: &'static [&'static str] = &["category", "orders", "units", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.category).int(self.orders).int(self.units).money(self.revenue_cents.0);
    }
}
