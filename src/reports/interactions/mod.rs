//! The clickstream reports of SPEC §4.1, read from the interaction facts.

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

use super::ReportParams;
use crate::dataflow::diff::Visits;
use crate::dataflow::totals::totals_by_key;
use crate::dataflow::user_shard::user_views;
use crate::dataflow::{Coll, Dictionary, Interactions, SmallNames, TextKey};
use crate::sinks::Outputs;

/// (user_session, the session's events by type), as `count` leaves it.
pub type SessionFunnels<'s> = Coll<'s, (TextKey, Visits)>;

/// In the order SPEC §4.1 lists them.
pub const REPORTS: [&str; 10] = [
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

pub fn build<'s>(facts: &Interactions<'s>, names: &Dictionary<'s>, params: &ReportParams, out: &mut Outputs) {
    // Each session's funnel over every epoch: two reports read it, and there is
    // one per session, so it is totalled once, in a hash map (see `totals_by_key`).
    let session_funnels = totals_by_key(facts.session.clone());
    let small_names = SmallNames::broadcast(&facts.names);
    // Three reports group the (user, code, brand) counts within a user: one
    // operator holds them by user and derives what each reads.
    let by_user = user_views(facts.user_code_brand.clone(), &small_names, params.top, params.per_group);
    event_counts::build(facts, &session_funnels, names, out);
    top_categories::build(facts, names, params, out);
    category_prices::build(facts, names, out);
    price_bands::build(facts, names, out);
    user_preferences::build(by_user.preferences, names, &small_names, out);
    top_user_categories::build(by_user.top_pairs, names, params, out);
    engaged_users::build(by_user.engaged, names, params, out);
    brand_funnel::build(facts, names, out);
    hourly_activity::build(facts, out);
    session_summary::build(&session_funnels, out);
}
