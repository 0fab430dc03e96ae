//! The reports: one module each, reading fact collections and registering the
//! result with the sinks. Each module opens with the SQL it replaces.

pub mod brand_funnel;
pub mod category_prices;
pub mod engaged_users;
pub mod event_counts;
pub mod hourly_activity;
pub mod price_bands;
pub mod session_summary;
pub mod top_categories;
pub mod top_user_categories;
pub mod user_preferences;

use crate::dataflow::{Dictionary, Interactions};
use crate::sinks::Outputs;

/// Settings every report may read.
#[derive(Clone, Copy, Debug)]
pub struct ReportParams {
    /// Leaderboard length (`--top`).
    pub top: usize,
    /// Rows per group in per-group rankings (`--per-group`).
    pub per_group: usize,
}

/// The interaction reports of SPEC §4.1, in the order the SPEC lists them.
pub const INTERACTION_REPORTS: [&str; 10] = [
    "event_counts",
    "top_categories",
    "category_prices",
    "price_bands",
    "user_preferences",
    "top_user_categories",
    "engaged_users",
    "brand_funnel",
    "hourly_activity",
    "session_summary",
];

/// Reports written as parts, one per worker (SPEC §5).
pub const PER_ENTITY_REPORTS: [&str; 1] = ["user_preferences"];

pub fn build_interaction_reports<'s>(facts: &Interactions<'s>, params: &ReportParams, out: &mut Outputs) {
    let names: &Dictionary<'s> = &facts.names.clone().distinct().arrange_by_key();
    event_counts::build(facts, names, out);
    top_categories::build(facts, names, params, out);
    category_prices::build(facts, names, out);
    price_bands::build(facts, names, out);
    user_preferences::build(facts, names, out);
    top_user_categories::build(facts, names, params, out);
    engaged_users::build(facts, names, params, out);
    brand_funnel::build(facts, names, out);
    hourly_activity::build(facts, out);
    session_summary::build(facts, out);
}
