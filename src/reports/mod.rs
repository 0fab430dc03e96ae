//! The reports: one module each, reading fact collections and registering the
//! result with the sinks. Each module opens with the SQL it replaces.

pub mod interactions;
pub mod sales;

use crate::dataflow::distinct::each_once;
use crate::dataflow::{Coll, Dictionary, Interactions, Sales, TextKey};
use crate::dimensions::Dimensions;
use crate::formats::{FileKind, Format};
use crate::sinks::Outputs;

/// Settings every report may read.
#[derive(Clone, Copy, Debug)]
pub struct ReportParams {
    /// Leaderboard length (`--top`).
    pub top: usize,
    /// Rows per group in per-group rankings (`--per-group`).
    pub per_group: usize,
}

/// Which reports a job writes: those its sources yield the records for (SPEC §4.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportSet {
    pub interactions: bool,
    pub sales: bool,
    pub by_category: bool,
    pub by_location: bool,
    /// `offers` and `product_offers`: sources whose lines carry discounts.
    pub offers: bool,
    /// `payment_methods`: sources that name how each order was paid.
    pub payments: bool,
    /// `agent_daily`: sources that name the sales agent of each line.
    pub agents: bool,
}

impl ReportSet {
    pub fn for_format(format: Format) -> ReportSet {
        match format {
            Format::Rees46 => ReportSet { interactions: true, sales: true, by_category: true, ..ReportSet::default() },
            Format::OnlineRetail => ReportSet { sales: true, by_location: true, ..ReportSet::default() },
            Format::Kiosk => ReportSet { sales: true, by_category: true, by_location: true, ..ReportSet::default() },
            Format::Techco => ReportSet { interactions: true, sales: true, by_category: true, ..ReportSet::default() },
            Format::QcompanyApp => {
                ReportSet { interactions: true, sales: true, by_category: true, payments: true, ..ReportSet::default() }
            }
            Format::Qcompany => ReportSet {
                interactions: false,
                sales: true,
                by_category: true,
                by_location: true,
                offers: true,
                payments: true,
                agents: true,
            },
        }
    }

    /// The reports a file read as `kind` yields.
    pub fn for_kind(kind: FileKind<'_>) -> ReportSet {
        match kind {
            FileKind::Facts(format) => ReportSet::for_format(format),
            FileKind::Custom(layout) => layout.reports(),
            FileKind::Dimension(_) => ReportSet::default(),
        }
    }

    /// The reports either set yields.
    pub fn union(self, other: ReportSet) -> ReportSet {
        ReportSet {
            interactions: self.interactions || other.interactions,
            sales: self.sales || other.sales,
            by_category: self.by_category || other.by_category,
            by_location: self.by_location || other.by_location,
            offers: self.offers || other.offers,
            payments: self.payments || other.payments,
            agents: self.agents || other.agents,
        }
    }

    /// The report names, interaction reports first, each group in SPEC order.
    pub fn names(&self) -> Vec<&'static str> {
        let interactions = interactions::REPORTS.iter().filter(|_| self.interactions);
        let sales = sales::REPORTS.iter().filter(|name| {
            self.sales
                && match **name {
                    "revenue_by_category" => self.by_category,
                    "revenue_by_location" => self.by_location,
                    "offers" | "product_offers" => self.offers,
                    "payment_methods" => self.payments,
                    "agent_daily" => self.agents,
                    _ => true,
                }
        });
        interactions.chain(sales).copied().collect()
    }
}

/// Reports written as parts, one per worker (SPEC §5).
pub const PER_ENTITY_REPORTS: [&str; 3] = ["user_preferences", "customers", "rfm"];

pub fn build_reports<'s>(
    set: ReportSet,
    interaction_facts: &Interactions<'s>,
    sales_facts: &Sales<'s>,
    dimensions: &Dimensions<'s>,
    params: &ReportParams,
    out: &mut Outputs,
) {
    // Every text a report may show, from facts and dimensions alike, looked up in one place.
    let names: &Dictionary<'s> = &dictionary(
        interaction_facts
            .names
            .clone()
            .concat(interaction_facts.user_names.clone())
            .concat(sales_facts.names.clone())
            .concat(dimensions.names.clone()),
    );
    if set.interactions {
        interactions::build(interaction_facts, names, params, out);
    }
    if set.sales {
        sales::build(sales_facts, dimensions, names, set, params, out);
    }
}

/// Each text once under its key, however many files or workers read it,
/// arranged by key for reports to look texts up.
fn dictionary<'s>(names: Coll<'s, (TextKey, String)>) -> Dictionary<'s> {
    each_once(names).arrange_by_key_named("Dictionary")
}
