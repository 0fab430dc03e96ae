//! `event_counts`
//!
//! ```sql
//! SELECT event_type, count(*) AS events, count(DISTINCT user_id) AS users,
//!        count(DISTINCT user_session) AS sessions
//! FROM interactions GROUP BY event_type
//! UNION ALL
//! SELECT 'all', count(*), count(DISTINCT user_id), count(DISTINCT user_session) FROM interactions
//! ORDER BY event_type
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::{EventTotals, Visits};
use crate::dataflow::local_sum::sum_locally_by;
use crate::dataflow::totals::totals_by_key;
use crate::dataflow::{resolve, text_key, Dictionary, Interactions, TextKey};
use crate::reports::interactions::SessionFunnels;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// The row over every event type; it sorts among the types like any other name.
const ALL: &str = "all";

pub fn build<'s>(facts: &Interactions<'s>, sessions: &SessionFunnels<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    // Rows are keyed by `Some(event type)`, or `None` for `all`. The four standard
    // types come from each user's and each session's funnel; other types from
    // their own (usually empty) facts. A few rows from every user and session:
    // summed within each worker before they meet on the worker of their event type.
    let users = sum_locally_by(totals_by_key(facts.user.clone()), |(_user, f)| {
        let all = (None, EventTotals { events: i64::from(f.events), users: 1, sessions: 0 });
        per_standard_type(&f, |events| EventTotals { events, users: 1, sessions: 0 }).chain(Some(all))
    });
    let sessions = sum_locally_by(sessions.clone(), |(_session, f)| {
        let all = (None, EventTotals { events: 0, users: 0, sessions: 1 });
        per_standard_type(&f, |_| EventTotals { events: 0, users: 0, sessions: 1 }).chain(Some(all))
    });
    let other_users = facts.other_type_user.clone().count().map(|((event_type, _user), events)| {
        (Some(event_type), EventTotals { events: events as i64, users: 1, sessions: 0 })
    });
    let other_sessions = facts
        .other_type_session
        .clone()
        .distinct()
        .map(|(event_type, _session)| (Some(event_type), EventTotals { events: 0, users: 0, sessions: 1 }));
    let others = sum_locally_by(other_users.concat(other_sessions), Some);
    let totals = users.concat(sessions).concat(others).count();
    let all =
        totals.clone().filter(|(event_type, _)| event_type.is_none()).map(|(_, totals)| (ALL.to_string(), totals));
    let per_type = resolve(totals.flat_map(|(event_type, totals)| event_type.map(|key| (key, totals))), names);
    let rows = per_type.concat(all).map(|(event_type, totals)| EventCountRow { event_type, totals });
    out.report("event_counts", rows);
}

/// `(Some(type key), totals)` for each standard type with events.
fn per_standard_type(
    visits: &Visits,
    totals: impl Fn(i64) -> EventTotals,
) -> impl Iterator<Item = (Option<TextKey>, EventTotals)> {
    visits.by_type().into_iter().filter(|(_, n)| *n > 0).map(move |(name, n)| (Some(text_key(name)), totals(n)))
}

/// One row of `event_counts`, ordered by event type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventCountRow {
    pub event_type: String,
    pub totals: EventTotals,
}

impl ReportRow for EventCountRow {
    const HEADER: &'static [&'static str] = &["event_type", "events", "users", "sessions"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.event_type).int(self.totals.events).int(self.totals.users).int(self.totals.sessions);
    }
}
