//! `revenue_by_location`
//!
//! ```sql
//! SELECT location, count(DISTINCT order_id) AS orders, sum(amount) AS revenue,
//!        sum(amount) FILTER (WHERE channel = 'online') AS online_revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY location
//! ORDER BY revenue DESC, location
//! ```

use serde::{Deserialize, Serialize};

use super::orders_per;
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::{resolve, Desc, Dictionary, Sales};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let locations = orders_per(facts.location_order.clone(), OrderTotals::from);
    let rows = resolve(locations, names).map(|(location, t)| LocationRevenueRow {
        revenue_cents: Desc(t.revenue_cents),
        location,
        orders: t.orders,
        online_cents: t.online_cents,
    });
    out.report("revenue_by_location", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LocationRevenueRow {
    pub revenue_cents: Desc<i64>,
    pub location: String,
    pub orders: i64,
    pub online_cents: i64,
}

impl ReportRow for LocationRevenueRow {
    const HEADER: &'static [&'static str] = &["location", "orders", "revenue", "online_revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.location).int(self.orders).money(self.revenue_cents.0).money(self.online_cents);
    }
}
