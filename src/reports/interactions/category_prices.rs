//! `category_prices`
//!
//! ```sql
//! SELECT category_code, count(*) AS events, avg(price) AS avg_price,
//!        min(price) AS min_price, max(price) AS max_price
//! FROM interactions GROUP BY category_code
//! ORDER BY round(avg(price), 2) DESC, category_code
//! ```

use serde::{Deserialize, Serialize};

use crate::dataflow::diff::PriceTotals;
use crate::dataflow::{resolve, Counted, Desc, Dictionary, Interactions};
use crate::sinks::csv_out::{divide_rounded, Fields};
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, out: &mut Outputs) {
    let totals = facts
        .code_price
        .clone()
        .explode(|(code, price_cents)| Some((code, PriceTotals { events: 1, total_cents: price_cents })))
        .count();
    // Values reach `reduce` sorted, so the extremes are the first and last price.
    let range = facts.code_price.clone().reduce(|_code, prices: &Counted<i64>, output| {
        let mut present = prices.iter().filter(|(_, n)| *n > 0).map(|(price, _)| **price);
        if let Some(min) = present.next() {
            let max = present.next_back().unwrap_or(min);
            output.push(((min, max), 1isize));
        }
    });
    let rows = resolve(totals.join(range), names).map(|(category_code, (totals, (min_cents, max_cents)))| {
        let avg_cents = divide_rounded(i128::from(totals.total_cents), i128::from(totals.events)) as i64;
        CategoryPriceRow { avg_cents: Desc(avg_cents), category_code, events: totals.events, min_cents, max_cents }
    });
    out.report("category_prices", rows);
}

/// Sorted by the average as printed (rounded to cents), then the other columns.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CategoryPriceRow {
    pub avg_cents: Desc<i64>,
    pub category_code: String,
    pub events: i64,
    pub min_cents: i64,
    pub max_cents: i64,
}

impl ReportRow for CategoryPriceRow {
    const HEADER: &'static [&'static str] = &["category_code", "events", "avg_price", "min_price", "max_price"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields
            .text(&self.category_code)
            .int(self.events)
            .money(self.avg_cents.0)
            .money(self.min_cents)
            .money(self.max_cents);
    }
}
