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

use crate::dataflow::user_shard::Candidate;
use crate::dataflow::{Coll, Counted, Dictionary, SmallNames, TextKey};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// `candidates`: (user, candidate), every pair tied for the user's most events
/// (see [`crate::dataflow::user_shard`]).
pub fn build<'s>(
    candidates: Coll<'s, (TextKey, Candidate)>,
    names: &Dictionary<'s>,
    small_names: &SmallNames<'s>,
    out: &mut Outputs,
) {
    // Arranged by user for the user's text to join in; the candidates are
    // already on their user's worker, so this moves nothing.
    let candidates = candidates.arrange_by_key();
    let candidates = candidates.join_core(names.clone(), |&user, &(code, brand, n, total, tied), user_id: &String| {
        Some(((code, brand), (user, user_id.clone(), n, total, tied)))
    });
    // Ties go to the smallest (code, brand) by text. Every row stays on the worker
    // of its user: a user without a tie has its choice already, and a tied user's
    // candidates are chosen among by the user's key.
    let candidates = small_names.resolve_pair(candidates);
    let single = candidates.clone().filter(|(_, (_, _, _, _, tied))| !tied).map(
        |((category_code, brand), (_, user_id, interactions, user_total, _))| UserPreferenceRow {
            user_id,
            category_code,
            brand,
            interactions,
            user_total,
        },
    );
    let chosen = candidates
        .filter(|(_, (_, _, _, _, tied))| *tied)
        .map(|((code, brand), (user, user_id, n, total, _))| (user, (code, brand, user_id, n, total)))
        .reduce(|_user, candidates: &Counted<(String, String, String, i64, i64)>, output| {
            output.push(((*candidates[0].0).clone(), 1isize));
        })
        .map(|(_, (category_code, brand, user_id, interactions, user_total))| UserPreferenceRow {
            user_id,
            category_code,
            brand,
            interactions,
            user_total,
        });
    out.per_entity("user_preferences", single.concat(chosen));
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
