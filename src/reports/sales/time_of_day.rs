//! `time_of_day`
//!
//! ```sql
//! SELECT CASE WHEN hour < 12 THEN 'Morning' WHEN hour < 17 THEN 'Afternoon'
//!             ELSE 'Evening' END AS daypart,
//!        count(*) AS lines, sum(quantity) AS units, sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY daypart
//! ORDER BY Morning, Afternoon, Evening
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::LineTotals;
use crate::dataflow::Sales;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// Indexed by the daypart number the facts carry.
const DAYPARTS: [&str; 3] = ["Morning", "Afternoon", "Evening"];

pub fn build<'s>(facts: &Sales<'s>, out: &mut Outputs) {
    let rows = facts.daypart.clone().count().map(|(daypart, totals)| TimeOfDayRow { daypart, totals });
    out.report("time_of_day", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TimeOfDayRow {
    pub daypart: u8,
    pub totals: LineTotals,
}

impl ReportRow for TimeOfDayRow {
    const HEADER: &'static [&'static str] = &["daypart", "lines", "units", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        let t = &self.totals;
        fields.text(DAYPARTS[self.daypart as usize]).int(t.lines).int(t.units).money(t.revenue_cents);
    }
}
