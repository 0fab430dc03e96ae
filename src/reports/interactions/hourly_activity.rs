//! `hourly_activity`
//!
//! ```sql
//! SELECT hour(event_time) AS hour,
//!        count(*) FILTER (WHERE event_type = 'view') AS views,
//!        count(*) FILTER (WHERE event_type = 'cart') AS carts,
//!        count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
//!        sum(price) FILTER (WHERE event_type = 'purchase') AS revenue
//! FROM interactions GROUP BY hour ORDER BY hour
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::Funnel;
use crate::dataflow::Interactions;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, out: &mut Outputs) {
    let rows = facts.hour.clone().count().map(|(hour, funnel)| HourRow { hour, funnel });
    out.report("hourly_activity", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct HourRow {
    pub hour: u8,
    pub funnel: Funnel,
}

impl ReportRow for HourRow {
    const HEADER: &'static [&'static str] = &["hour", "views", "carts", "purchases", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        let f = &self.funnel;
        fields.int(self.hour).int(f.views).int(f.carts).int(f.purchases).money(f.revenue_cents);
    }
}
