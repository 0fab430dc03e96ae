//! `customer_product_repeats`
//!
//! ```sql
//! SELECT customer_id, product_id, count(*) AS purchases
//! FROM order_lines WHERE NOT cancelled AND customer_id <> ''
//! GROUP BY customer_id, product_id
//! ORDER BY purchases DESC, customer_id, product_id LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::topk::{first_k, top_k_by_count};
use crate::dataflow::{resolve_pair, Desc, Dictionary, Sales};
use crate::reports::ReportParams;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, names: &Dictionary<'s>, params: &ReportParams, out: &mut Outputs) {
    let pairs = facts.customer_product.clone().map(|pair| ((), pair));
    let leaders = top_k_by_count(pairs, params.top, 8).map(|((), (n, pair))| (pair, n));
    let rows = resolve_pair(leaders, names)
        .map(|((customer_id, product_id), purchases)| ((), CustomerProductRow { purchases, customer_id, product_id }));
    out.report("customer_product_repeats", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CustomerProductRow {
    pub purchases: Desc<i64>,
    pub customer_id: String,
    pub product_id: String,
}

impl ReportRow for CustomerProductRow {
    const HEADER: &'static [&'static str] = &["customer_id", "product_id", "purchases"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.text(&self.customer_id).text(&self.product_id).int(self.purchases.0);
    }
}
