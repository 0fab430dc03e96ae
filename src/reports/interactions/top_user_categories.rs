//! `top_user_categories`
//!
//! ```sql
//! SELECT user_id, category_code, count(*) AS interactions
//! FROM interactions GROUP BY user_id, category_code
//! ORDER BY interactions DESC, user_id, category_code LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::topk::first_k;
use crate::dataflow::{resolve_pair, Coll, Desc, Dictionary, TextKey};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

/// `leaders`: ((user, code), interactions), each worker's best with ties (see
/// [`crate::dataflow::user_shard`]), of which the first `top` by text are kept.
pub fn build<'s>(
    leaders: Coll<'s, ((TextKey, TextKey), Desc<i64>)>,
    names: &Dictionary<'s>,
    params: &ReportParams,
    out: &mut Outputs,
) {
    let rows = resolve_pair(leaders, names).map(|((user_id, category_code), interactions)| {
        ((), TopUserCategoryRow { interactions, user_id, category_code })
    });
    out.report("top_user_categories", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopUserCategoryRow {
    pub interactions: Desc<i64>,
    pub user_id: String,
    pub category_code: String,
}

impl ReportRow for TopUserCategoryRow {
    const HEADER: &'static [&'static str] = &["user_id", "category_code", "interactions"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.user_id).text(&self.category_code).int(self.interactions.0);
    }
}
