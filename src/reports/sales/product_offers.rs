//! `product_offers`
//!
//! ```sql
//! SELECT product_id, product_name, discount_pct, count(*) AS lines
//! FROM order_lines WHERE NOT cancelled AND discount_pct > 0
//! GROUP BY product_id, discount_pct
//! ORDER BY lines DESC, product_id, product_name, discount_pct LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use super::{with_product_name, SalesViews};
use crate::dataflow::topk::{first_k, top_k_by_count};
use crate::dataflow::{resolve, Desc, Dictionary, Sales};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(
    facts: &Sales<'s>,
    views: &SalesViews<'s>,
    names: &Dictionary<'s>,
    params: &ReportParams,
    out: &mut Outputs,
) {
    let pairs = facts.product_discount.clone().map(|pair| ((), pair));
    let leaders = top_k_by_count(pairs, params.top, 8).map(|((), (lines, (product, pct)))| (product, (pct, lines)));
    let named = with_product_name(leaders, &views.product_names);
    let rows = resolve(named, names).map(|(product_id, (product_name, (discount_pct, lines)))| {
        ((), ProductOfferRow { lines, product_id, product_name, discount_pct })
    });
    out.report("product_offers", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProductOfferRow {
    pub lines: Desc<i64>,
    pub product_id: String,
    pub product_name: String,
    pub discount_pct: u8,
}

impl ReportRow for ProductOfferRow {
    const HEADER: &'static [&'static str] = &["product_id", "product_name", "discount_pct", "lines"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.product_id).text(&self.product_name).int(self.discount_pct).int(self.lines.0);
    }
}
