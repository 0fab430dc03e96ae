//! `top_products`
//!
//! ```sql
//! SELECT product_id, product_name, sum(quantity) AS units,
//!        count(DISTINCT order_id) AS orders, sum(amount) AS revenue
//! FROM order_lines WHERE NOT cancelled GROUP BY product_id
//! ORDER BY units DESC, product_id LIMIT :top
//! ```

use serde::{Deserialize, Serialize};

use super::{orders_per, with_product_name, SalesViews};
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::topk::{first_k, top_k_by_score};
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
    let products = orders_per(facts.product_order.clone(), OrderTotals::from);
    let ranked = products.map(|(product, totals)| ((), (Desc(totals.units), (product, totals))));
    let leaders = top_k_by_score(ranked, params.top, 16).map(|((), (_units, row))| row);
    let named = with_product_name(leaders, &views.product_names);
    let rows = resolve(named, names).map(|(product_id, (product_name, t))| {
        let row = TopProductRow {
            units: Desc(t.units),
            product_id,
            product_name,
            orders: t.orders,
            revenue_cents: t.revenue_cents,
        };
        ((), row)
    });
    out.report("top_products", first_k(rows, params.top).map(|((), (_rank, row))| row));
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopProductRow {
    pub units: Desc<i64>,
    pub product_id: String,
    pub product_name: String,
    pub orders: i64,
    pub revenue_cents: i64,
}

impl ReportRow for TopProductRow {
    const HEADER: &'static [&'static str] = &["product_id", "product_name", "units", "orders", "revenue"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields
            .text(&self.product_id)
            .text(&self.product_name)
            .int(self.units.0)
            .int(self.orders)
            .money(self.revenue_cents);
    }
}
