//! `price_bands`
//!
//! ```sql
//! SELECT category_code, band(price) AS band,
//!        count(*) FILTER (WHERE event_type = 'view') AS views,
//!        count(*) FILTER (WHERE event_type = 'cart') AS carts,
//!        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
//!        sum(price) FILTER (WHERE event_type = 'purchase') AS revenue,
//!        purchases / views AS purchase_rate
//! FROM interactions GROUP BY category_code, band
//! ORDER BY category_code, lower_bound(band)
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::Funnel;
use crate::dataflow::{resolve, Dictionary, Interactions};
use crate::records::PRICE_BANDS;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let bands = facts.code_band.clone().count().map(|((code, band), funnel)| (code, (band, funnel)));
    let rows =
        resolve(bands, names).map(|(category_code, (band, funnel))| PriceBandRow { category_code, band, funnel });
    out.report("price_bands", rows);
}

/// `band` indexes [`PRICE_BANDS`], so rows sort by the band's lower bound.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PriceBandRow {
    pub category_code: String,
    pub band: u8,
    pub funnel: Funnel,
}

impl ReportRow for PriceBandRow {
    const HEADER: &'static [&'static str] =
        &["category_code", "band", "views", "carts", "purchases", "revenue", "purchase_rate"];

    fn write(&self, fields: &mut Fields<'_>) {
        let f = &self.funnel;
        fields
            .text(&self.category_code)
            .text(PRICE_BANDS[self.band as usize].1)
            .int(f.views)
            .int(f.carts)
            .int(f.purchases)
            .money(f.revenue_cents)
            .rate(f.purchases, f.views);
    }
}
