//! `top_categories`
//!
//! ```sql
//! SELECT category_id, category_code, count(*) AS interactions
//! FROM interactions GROUP BY category_id, category_code
//! ORDER BY interactions DESC, category_id, category_code LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::topk::{first_k, top_k_by_count};
use crate::dataflow::{resolve_pair, Desc, Dictionary, Interactions};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, params: &ReportParams, out: &mut Outputs) {
    // A few hundred categories: no spreading needed.
    let categories = facts.category.clone().map(|category| ((), category));
    let leaders = top_k_by_count(categories, params.top, 0).map(|((), (n, category))| (category, n));
    let rows = resolve_pair(leaders, names).map(|((category_id, category_code), interactions)| {
        ((), TopCategoryRow { interactions, category_id, category_code })
    });
    out.report("top_categories", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopCategoryRow {
    pub interactions: Desc<i64>,
    pub category_id: String,
    pub category_code: String,
}

impl ReportRow for TopCategoryRow {
    const HEADER: &'static [&'static str] = &["category_id", "category_code", "interactions"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.category_id).text(&self.category_code).int(self.interactions.0);
    }
}
