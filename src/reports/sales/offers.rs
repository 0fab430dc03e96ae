//! `offers`
//!
//! ```sql
//! SELECT discount_pct, count(*) AS lines, sum(quantity) AS units, sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY discount_pct
//! ORDER BY lines DESC, discount_pct
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::{Desc, Sales};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, out: &mut Outputs) {
    let rows = facts.discount.clone().count().map(|(discount_pct, t)| OfferRow {
        lines: Desc(t.lines),
        discount_pct,
        units: t.units,
        revenue_cents: t.revenue_cents,
    });
    out.report("offers", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OfferRow {
    pub lines: Desc<i64>,
    pub discount_pct: u8,
    pub units: i64,
    pub revenue_cents: i64,
}

impl ReportRow for OfferRow {
    const HEADER: &'static [&'static str] = &["discount_pct", "lines", "units", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.int(self.discount_pct).int(self.lines.0).int(self.units).money(self.revenue_cents);
    }
}
