//! `revenue_by_location`
//!
//! ```sql
//! SELECT location, count(DISTINCT order_id) AS orders, sum(amount) AS revenue,
//!        sum(amount) FILTER (WHERE channel = 'online') AS online_revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY location
//! ORDER BY revenue DESC, location
//! ```
//!
//! An offline sale's location is its branch's, from the branch dimension; a branch
//! the dimension does not locate shows as its id.

use serde::{Deserialize, Serialize};

use super::orders_per;
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::{resolve, Desc, Dictionary, Sales};
use crate::dimensions::Dimensions;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, dimensions: &Dimensions<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let branches = facts.branch_order.clone();
    let located =
        branches.clone().join_core(dimensions.branch_location.clone().arrange_by_key(), |_branch, order, location| {
            Some((*location, *order))
        });
    let unlocated = branches.antijoin(dimensions.branch_location.clone().map(|(branch, _)| branch));
    let lines = facts.location_order.clone().concat(located).concat(unlocated);
    let locations = orders_per(lines, OrderTotals::from);
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
