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

use crate::dataflow::{resolve, resolve_pair, Counted, Desc, Dictionary, Interactions, TextKey, EMPTY};
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    // Per user: the pairs with the most events (several when tied) and the total.
    let candidates = facts
        .user_code_brand
        .clone()
        .filter(|(_, code, brand)| !(*code == EMPTY && *brand == EMPTY))
        .map(|(user, code, brand)| (user, (code, brand)))
        .reduce(|_user, pairs: &Counted<(TextKey, TextKey)>, output| {
            let total: isize = pairs.iter().map(|(_, n)| *n).sum();
            let most = pairs.iter().map(|(_, n)| *n).max().unwrap_or(0);
            let tied = pairs.iter().filter(|(_, n)| *n == most).count() > 1;
            for (&(code, brand), _) in pairs.iter().filter(|(_, n)| *n == most) {
                output.push(((code, brand, most as i64, total as i64, tied), 1isize));
            }
        })
        .map(|(user, (code, brand, n, total, tied))| ((code, brand), (user, n, total, tied)));
    // Ties go to the smallest (code, brand) by text, so resolve before choosing;
    // a user without a tie has its choice already.
    let candidates = resolve_pair(candidates, names)
        .map(|((code, brand), (user, n, total, tied))| ((user, tied), (Desc(n), code, brand, total)));
    let single = candidates.clone().filter(|((_, tied), _)| !tied).map(|((user, _), choice)| (user, choice));
    let chosen = candidates.filter(|((_, tied), _)| *tied).map(|((user, _), choice)| (user, choice)).reduce(
        |_user, candidates: &Counted<(Desc<i64>, String, String, i64)>, output| {
            output.push(((*candidates[0].0).clone(), 1isize));
        },
    );
    let choices = single.concat(chosen);
    let rows = resolve(choices, names).map(|(user_id, (interactions, category_code, brand, user_total))| {
        UserPreferenceRow { user_id, category_code, brand, interactions: interactions.0, user_total }
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
