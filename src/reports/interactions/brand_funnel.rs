//! `brand_funnel`
//!
//! ```sql
//! SELECT brand, count(*) FILTER (WHERE event_type = 'view') AS views,
//!        count(*) FILTER (WHERE event_type = 'cart') AS carts,
//!        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
//!        sum(price) FILTER (WHERE event_type = 'purchase') AS revenue,
//!        carts / views AS cart_rate, purchases / views AS purchase_rate,
//!        count(DISTINCT user_id) FILTER (WHERE event_type = 'purchase') AS buyers
//! FROM interactions WHERE brand <> '' GROUP BY brand
//! ORDER BY revenue DESC, brand
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::BrandTotals;
use crate::dataflow::{resolve, Desc, Dictionary, Interactions};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let funnels = facts.brand.clone().count().explode(|(brand, f)| {
        let totals = BrandTotals {
            events: f.events,
            views: f.views,
            carts: f.carts,
            purchases: f.purchases,
            revenue_cents: f.revenue_cents,
            buyers: 0,
        };
        Some((brand, totals))
    });
    let buyers = facts
        .brand_buyer
        .clone()
        .distinct()
        .explode(|(brand, _user)| Some((brand, BrandTotals { buyers: 1, ..BrandTotals::default() })));
    let rows = resolve(funnels.concat(buyers).count(), names).map(|(brand, t)| BrandFunnelRow {
        revenue_cents: Desc(t.revenue_cents),
        brand,
        views: t.views,
        carts: t.carts,
        purchases: t.purchases,
        buyers: t.buyers,
    });
    out.report("brand_funnel", rows);
}

/// Sorted by revenue, then brand (which is unique, so later columns never decide).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BrandFunnelRow {
    pub revenue_cents: Desc<i64>,
    pub brand: String,
    pub views: i64,
    pub carts: i64,
    pub purchases: i64,
    pub buyers: i64,
}

impl ReportRow for BrandFunnelRow {
    const HEADER: &'static [&'static str] =
        &["brand", "views", "carts", "purchases", "revenue", "cart_rate", "purchase_rate", "buyers"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields
            .text(&self.brand)
            .int(self.views)
            .int(self.carts)
            .int(self.purchases)
            .money(self.revenue_cents.0)
            .rate(self.carts, self.views)
            .rate(self.purchases, self.views)
            .int(self.buyers);
    }
}
