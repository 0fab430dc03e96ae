//! `user_preferences` (per entity: one part per worker)
//!
//! ```sql
//! WITH pairs AS (
//!   SELECT user_id, category_code, brand, count(*) AS interactions
//!   FROM interactions WHERE category_code <> '' OR brand <> ''
//!   GROUP BY user_id, category_code, brand)
//! SELECT user_id, category_code, brand, interactions,
//!        interactions / sum(interactions) OVER (PARTITION BY user_id) AS share
//! FROM pairs
//! QUALIFY row_number() OVER (PARTITION BY user_id
//!                            ORDER BY interactions DESC, category_code, brand) = 1
//! ORDER BY user_id
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::user_shard::Preference;
use crate::dataflow::{resolve, Coll, Dictionary, SmallNames, TextKey};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// `preferences`: (user, preference), ties already broken by text (see
/// [`crate::dataflow::user_shard`]).
pub fn build<'s>(
    preferences: Coll<'s, (TextKey, Preference)>,
    names: &Dictionary<'s>,
    small_names: &SmallNames<'s>,
    out: &mut Outputs,
) {
    // The preferences are already on their user's worker: looking the user's
    // text up by user moves nothing.
    let preferences =
        resolve(preferences, names).map(|(user_id, (code, brand, n, total))| ((code, brand), (user_id, n, total)));
    let rows =
        small_names.resolve_pair(preferences).map(|((category_code, brand), (user_id, interactions, user_total))| {
            UserPreferenceRow { user_id, category_code, brand, interactions, user_total }
        });
    out.per_entity("user_preferences", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserPreferenceRow {
    pub user_id: String,
    pub category_code: String,
    pub brand: String,
    pub interactions: i64,
    /// The user's events where code and brand are not both empty.
    pub user_total: i64,
}

impl ReportRow for UserPreferenceRow {
    const HEADER: &'static [&'static str] = &["user_id", "category_code", "brand", "interactions", "share"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields
            .text(&self.user_id)
            .text(&self.category_code)
            .text(&self.brand)
            .int(self.interactions)
            .rate(self.interactions, self.user_total);
    }
}
