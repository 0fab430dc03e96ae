//! `engaged_users`
//!
//! ```sql
//! SELECT category_code, brand, rank, user_id, interactions FROM (
//!   SELECT category_code, brand, user_id, count(*) AS interactions,
//!          row_number() OVER (PARTITION BY category_code, brand
//!                             ORDER BY count(*) DESC, user_id) AS rank
//!   FROM interactions WHERE brand <> '' GROUP BY category_code, brand, user_id)
//! WHERE rank <= :per_group
//! ORDER BY category_code, brand, rank
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::topk::first_k;
use crate::dataflow::user_shard::GroupLeaders;
use crate::dataflow::{resolve, resolve_pair, Dictionary};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// `leaders`: (user, ((code, brand), interactions)), each worker's best users of
/// each group with ties (see [`crate::dataflow::user_shard`]), of which the
/// first `per_group` by text are kept.
pub fn build<'s>(leaders: GroupLeaders<'s>, names: &Dictionary<'s>, params: &ReportParams, out: &mut Outputs) {
    let leaders = resolve(leaders, names).map(|(user, (group, n))| (group, (n, user)));
    let leaders = resolve_pair(leaders, names);
    let rows = first_k(leaders, params.per_group).map(|((category_code, brand), (rank, (interactions, user_id)))| {
        EngagedUserRow { category_code, brand, rank, user_id, interactions: interactions.0 }
    });
    out.report("engaged_users", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EngagedUserRow {
    pub category_code: String,
    pub brand: String,
    pub rank: u32,
    pub user_id: String,
    pub interactions: i64,
}

impl ReportRow for EngagedUserRow {
    const HEADER: &'static [&'static str] = &["category_code", "brand", "rank", "user_id", "interactions"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.category_code).text(&self.brand).int(self.rank).text(&self.user_id).int(self.interactions);
    }
}
