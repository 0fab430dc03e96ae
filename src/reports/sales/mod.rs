//! The sales reports of SPEC §4.2, read from the order-line facts.
//!
//! Several reports group order lines by one key and count distinct orders
//! beside sums; [`orders_per`] does that once per key, and the views every
//! customer report shares (totals, first and last order day) and the product
//! names are built once in [`SalesViews`].

pub mod agent_daily;
pub mod customer_product_repeats;
pub mod customers;
pub mod monthly;
pub mod offers;
pub mod order_values;
pub mod payment_methods;
pub mod product_offers;
pub mod repeat_customers;
pub mod revenue_by_category;
pub mod revenue_by_location;
pub mod rfm;
pub mod time_of_day;
pub mod top_customers;
pub mod top_products;

use std::hash::Hash;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::implementations::ValSpine;
use differential_dataflow::ExchangeData;

use super::{ReportParams, ReportSet};
use crate::dataflow::diff::OrderTotals;
use crate::dataflow::{resolve, Coll, Counted, Day, Dictionary, Sales, TextKey, Time};
use crate::dimensions::Dimensions;
use crate::sinks::Outputs;

/// In the order SPEC §4.2 lists them; a job writes those its sources yield.
pub const REPORTS: [&str; 15] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_category",
    "revenue_by_location",
    "offers",
    "product_offers",
    "payment_methods",
    "agent_daily",
];

/// Collections several sales reports read.
pub struct SalesViews<'s> {
    /// (customer, orders and sums over the customer's lines), non-guests only.
    pub customers: Coll<'s, (TextKey, OrderTotals)>,
    /// (customer, (first order day, last order day)).
    pub customer_days: Coll<'s, (TextKey, (Day, Day))>,
    /// The name each product is shown with.
    pub product_names: ProductNames<'s>,
}

/// (product, name) for products that have a name, arranged for lookups.
pub type ProductNames<'s> = Arranged<'s, TraceAgent<ValSpine<TextKey, String, Time, isize>>>;

pub fn build<'s>(
    facts: &Sales<'s>,
    dimensions: &Dimensions<'s>,
    names: &Dictionary<'s>,
    set: ReportSet,
    params: &ReportParams,
    out: &mut Outputs,
) {
    let views = SalesViews {
        customers: orders_per(facts.customer_order.clone(), OrderTotals::from),
        customer_days: facts.customer_day.clone().reduce(|_customer, days: &Counted<Day>, output| {
            let mut present = days.iter().filter(|(_, n)| *n > 0).map(|(day, _)| **day);
            if let Some(first) = present.next() {
                output.push(((first, present.next_back().unwrap_or(first)), 1isize));
            }
        }),
        product_names: product_names(facts, dimensions, names),
    };
    top_products::build(facts, &views, names, params, out);
    customers::build(&views, names, out);
    repeat_customers::build(facts, &views, out);
    top_customers::build(&views, names, params, out);
    customer_product_repeats::build(facts, names, params, out);
    time_of_day::build(facts, out);
    monthly::build(facts, out);
    order_values::build(facts, out);
    rfm::build(facts, &views, names, out);
    if set.by_category {
        revenue_by_category::build(facts, names, out);
    }
    if set.by_location {
        revenue_by_location::build(facts, dimensions, names, out);
    }
    if set.offers {
        offers::build(facts, out);
        product_offers::build(facts, &views, names, params, out);
    }
    if set.payments {
        payment_methods::build(facts, names, out);
    }
    if set.agents {
        agent_daily::build(facts, &views, dimensions, names, out);
    }
}

/// Per group: distinct orders and the sums of the group's lines, from facts
/// keyed by (group, order).
pub fn orders_per<'s, K, R>(
    facts: Coll<'s, (K, TextKey), R>,
    totals: fn(R) -> OrderTotals,
) -> Coll<'s, (K, OrderTotals)>
where
    K: ExchangeData + Hash,
    R: ExchangeData + Semigroup + Hash,
{
    facts
        .count()
        .explode(move |((group, _order), sums)| Some((group, OrderTotals { orders: 1, ..totals(sums) })))
        .count()
}

/// A product's name: the product dimension's, else the most frequent name on its
/// lines, ties to the smallest.
fn product_names<'s>(facts: &Sales<'s>, dimensions: &Dimensions<'s>, names: &Dictionary<'s>) -> ProductNames<'s> {
    let most_frequent = facts
        .product_name
        .clone()
        .reduce(|_product, spellings: &Counted<TextKey>, output| {
            let most = spellings.iter().map(|(_, n)| *n).max().unwrap_or(0);
            if most > 0 {
                output.extend(spellings.iter().filter(|(_, n)| *n == most).map(|(name, _)| (**name, 1isize)));
            }
        })
        .map(|(product, name)| (name, product));
    let from_lines = resolve(most_frequent, names)
        .map(|(name, product)| (product, name))
        .reduce(|_product, candidates: &Counted<String>, output| output.push((candidates[0].0.clone(), 1isize)));
    let from_dimension = resolve(dimensions.product_name.clone().map(|(product, name)| (name, product)), names)
        .map(|(name, product)| (product, name));
    let named_by_dimension = dimensions.product_name.clone().map(|(product, _)| product);
    from_dimension.concat(from_lines.antijoin(named_by_dimension)).arrange_by_key()
}

/// Replaces each row's key by the dimension's text for it, else by the key's own text.
pub fn resolve_or_own<'s, V: ExchangeData>(
    rows: Coll<'s, (TextKey, V)>,
    dimension: &Coll<'s, (TextKey, TextKey)>,
    names: &Dictionary<'s>,
) -> Coll<'s, (String, V)> {
    let by_dimension = dimension.clone().arrange_by_key();
    let mapped = rows.clone().join_core(by_dimension, |_key, value, text| Some((*text, value.clone())));
    let own = rows.antijoin(dimension.clone().map(|(key, _)| key));
    resolve(mapped.concat(own), names)
}

/// Adds each row's product name: empty for a product no line names.
pub fn with_product_name<'s, V: ExchangeData>(
    rows: Coll<'s, (TextKey, V)>,
    product_names: &ProductNames<'s>,
) -> Coll<'s, (TextKey, (String, V))> {
    let named = rows.clone().join_core(product_names.clone(), |product, value, name: &String| {
        Some((*product, (name.clone(), value.clone())))
    });
    let known = product_names.clone().as_collection(|product, _| *product);
    let unnamed = rows.antijoin(known).map(|(product, value)| (product, (String::new(), value)));
    named.concat(unnamed)
}
