//! `session_summary`
//!
//! ```sql
//! WITH s AS (
//!   SELECT user_session, count(*) AS events,
//!          bool_or(event_type = 'cart') AS carted, bool_or(event_type = 'purchase') AS bought
//!   FROM interactions GROUP BY user_session)
//! SELECT count(*) AS sessions, avg(events) AS avg_events,
//!        count(*) FILTER (WHERE carted) AS cart_sessions,
//!        count(*) FILTER (WHERE bought) AS purchase_sessions,
//!        purchase_sessions / sessions AS purchase_session_rate
//! FROM s
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::SessionTotals;
use crate::dataflow::local_sum::sum_locally_by;
use crate::reports::interactions::SessionFunnels;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(sessions: &SessionFunnels<'s>, out: &mut Outputs) {
    // One row from every session: summed within each worker before they meet.
    let totals = sum_locally_by(sessions.clone(), |(_session, f)| {
        let totals = SessionTotals {
            sessions: 1,
            events: i64::from(f.events),
            cart_sessions: i64::from(f.carts > 0),
            purchase_sessions: i64::from(f.purchases > 0),
        };
        Some(((), totals))
    });
    let rows = totals.count().map(|((), totals)| SessionSummaryRow { totals });
    out.single_row("session_summary", rows, SessionSummaryRow { totals: SessionTotals::default() });
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SessionSummaryRow {
    pub totals: SessionTotals,
}

impl ReportRow for SessionSummaryRow {
    const HEADER: &'static [&'static str] =
        &["sessions", "avg_events", "cart_sessions", "purchase_sessions", "purchase_session_rate"];

    fn write(&self, fields: &mut Fields<'_>) {
        let t = &self.totals;
        fields
            .int(t.sessions)
            .ratio(t.events, t.sessions, 2)
            .int(t.cart_sessions)
            .int(t.purchase_sessions)
            .rate(t.purchase_sessions, t.sessions);
    }
}
