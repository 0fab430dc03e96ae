//! `agent_daily`
//!
//! ```sql
//! SELECT date(time) AS date, agent, product_name, sum(quantity) AS units
//! FROM order_lines WHERE NOT cancelled AND agent <> ''
//! GROUP BY date, agent, product_id
//! ORDER BY date, units DESC, agent, product_name
//! ```
//!
//! The agent is shown by the agent dimension's name, else by its id; the product by
//! the name `top_products` shows.

use serde::{Deserialize, Serialize};

use super::{resolve_or_own, with_product_name, SalesViews};
use crate::dataflow::{Day, Desc, Dictionary, Sales, TextKey};
use crate::dimensions::Dimensions;
use crate::sinks::csv_out::Fields;
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(
    facts: &Sales<'s>,
    views: &SalesViews<'s>,
    dimensions: &Dimensions<'s>,
    names: &Dictionary<'s>,
    out: &mut Outputs,
) {
    let sold =
        facts.agent_day_product.clone().count().map(|((agent, day, product), t)| (product, (agent, day, t.units)));
    let named = with_product_name(sold, &views.product_names)
        .map(|(product, (product_name, (agent, day, units)))| (agent, (day, units, product_name, product)));
    let rows =
        resolve_or_own(named, &dimensions.agent_name, names).map(|(agent, (date, units, product_name, product))| {
            AgentDailyRow { date, units: Desc(units), agent, product_name, product }
        });
    out.report("agent_daily", rows);
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AgentDailyRow {
    pub date: Day,
    pub units: Desc<i64>,
    pub agent: String,
    pub product_name: String,
    /// Two products may share a name: the key keeps their rows apart (both print alike).
    pub product: TextKey,
}

impl ReportRow for AgentDailyRow {
    const HEADER: &'static [&'static str] = &["date", "agent", "product_name", "units"];

    fn write(&self, fields: &mut Fields<'_>) {
        fields.date(self.date).text(&self.agent).text(&self.product_name).int(self.units.0);
    }
}
