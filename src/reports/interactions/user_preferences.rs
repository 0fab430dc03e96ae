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

use differential_dataflow::trace::implementations::{ValBuilder, ValSpine};

use crate::dataflow::{Counted, Dictionary, Interactions, SmallNames, TextKey, Time, EMPTY};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// A user's most frequent (code, brand), its events, the user's total, and
/// whether another pair has as many events.
type Candidate = (TextKey, TextKey, i64, i64, bool);

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, small_names: &SmallNames<'s>, out: &mut Outputs) {
    // Per user: the pairs with the most events (several when tied) and the total,
    // left arranged by user so that the user's text joins in without sorting again.
    let candidates = facts
        .user_code_brand
        .clone()
        .filter(|(_, code, brand)| !(*code == EMPTY && *brand == EMPTY))
        .map(|(user, code, brand)| (user, (code, brand)))
        .arrange_by_key()
        .reduce_abelian::<_, ValBuilder<TextKey, Candidate, Time, isize>, ValSpine<_, _, _, _>, _, _>(
            "UserPreferenceCandidates",
            |_user, pairs: &Counted<(TextKey, TextKey)>, output| {
                let total: isize = pairs.iter().map(|(_, n)| *n).sum();
                let most = pairs.iter().map(|(_, n)| *n).max().unwrap_or(0);
                let tied = pairs.iter().filter(|(_, n)| *n == most).count() > 1;
                for (&(code, brand), _) in pairs.iter().filter(|(_, n)| *n == most) {
                    output.push(((code, brand, most as i64, total as i64, tied), 1isize));
                }
            },
            |updates, user, candidates| {
                updates.clear();
                updates.extend(candidates.drain(..).map(|(candidate, time, diff)| ((*user, candidate), time, diff)));
            },
        );
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
