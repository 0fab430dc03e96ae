//! A custom CSV layout (SPEC §2): the job file maps a file's column names onto
//! the fields of cartflow's records, for exports no built-in format knows.
//!
//! ```toml
//! [[source]]
//! input = "pos-exports"
//! [source.order_lines]       # or [source.interactions]
//! time = "Sold At"           # record field = "column name"
//! order = "Receipt"
//! product = "SKU"
//! unit_price = "Price"
//! quantity = "Qty"
//! customer = "Member No"
//! location = "Store"
//! ```
//!
//! Columns are matched like every header (case-insensitive, surrounding spaces
//! ignored); a file without a mapped column is refused whole. The fields every
//! record of the kind needs are required keys and must not be empty in a row; the
//! others may be left out of the layout, and then read as empty. Values read as
//! the built-in formats read them (times, plain-decimal prices, integer quantities),
//! plus:
//! - `quantity` left out: every line is one unit;
//! - `discount_pct`: a whole percent 0–100, `%` allowed (`15`, `15%`); empty is 0;
//! - `channel`: `online` or `offline` (any case); empty or left out is online;
//! - `cancelled`: a flag (`true/false`, `1/0`, `yes/no`, `t/f`, `y/n`); empty is no;
//! - `branch`: locates a line whose `location` is empty, through the branch dimension.
//!
//! Interactions read like the clickstream: each `purchase` is an order line too
//! (order = session, customer = user, one unit at the event's price).

use serde::Deserialize;

use super::fields::{parse_flag, parse_quantity, parse_time};
use super::{Columns, Row, RowError};
use crate::records::{Interaction, OrderId, OrderLine, Record};
use crate::reports::ReportSet;

/// A job file's description of a CSV layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomLayout {
    OrderLines(OrderLineColumns),
    Interactions(InteractionColumns),
}

/// Order-line fields and the columns they are read from.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLineColumns {
    time: String,
    order: String,
    product: String,
    unit_price: String,
    quantity: Option<String>,
    customer: Option<String>,
    product_name: Option<String>,
    category: Option<String>,
    discount_pct: Option<String>,
    location: Option<String>,
    channel: Option<String>,
    payment_method: Option<String>,
    agent: Option<String>,
    branch: Option<String>,
    cancelled: Option<String>,
}

/// Interaction fields and the columns they are read from.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionColumns {
    time: String,
    event_type: String,
    user: String,
    product: String,
    price: String,
    session: Option<String>,
    category_id: Option<String>,
    category_code: Option<String>,
    brand: Option<String>,
}

impl CustomLayout {
    /// The reports a source of this layout yields: those whose fields it maps.
    pub fn reports(&self) -> ReportSet {
        match self {
            CustomLayout::Interactions(_) => ReportSet::for_format(super::Format::Rees46),
            CustomLayout::OrderLines(c) => ReportSet {
                sales: true,
                by_category: c.category.is_some(),
                by_location: c.location.is_some() || c.branch.is_some(),
                offers: c.discount_pct.is_some(),
                payments: c.payment_method.is_some(),
                agents: c.agent.is_some(),
                ..ReportSet::default()
            },
        }
    }

    /// Where each mapped field sits in a file with this header.
    pub fn resolve(&self, columns: &Columns) -> Result<ResolvedLayout, String> {
        let required = |name: &String| columns.required(&name.trim().to_ascii_lowercase());
        let optional =
            |name: &Option<String>| -> Result<Option<usize>, String> { name.as_ref().map(required).transpose() };
        Ok(match self {
            CustomLayout::OrderLines(c) => ResolvedLayout::OrderLines(ResolvedLines {
                time: required(&c.time)?,
                order: required(&c.order)?,
                product: required(&c.product)?,
                unit_price: required(&c.unit_price)?,
                quantity: optional(&c.quantity)?,
                customer: optional(&c.customer)?,
                product_name: optional(&c.product_name)?,
                category: optional(&c.category)?,
                discount_pct: optional(&c.discount_pct)?,
                location: optional(&c.location)?,
                channel: optional(&c.channel)?,
                payment_method: optional(&c.payment_method)?,
                agent: optional(&c.agent)?,
                branch: optional(&c.branch)?,
                cancelled: optional(&c.cancelled)?,
            }),
            CustomLayout::Interactions(c) => ResolvedLayout::Interactions(ResolvedEvents {
                time: required(&c.time)?,
                event_type: required(&c.event_type)?,
                user: required(&c.user)?,
                product: required(&c.product)?,
                price: required(&c.price)?,
                session: optional(&c.session)?,
                category_id: optional(&c.category_id)?,
                category_code: optional(&c.category_code)?,
                brand: optional(&c.brand)?,
            }),
        })
    }
}

/// A custom layout placed on one file's header.
pub enum ResolvedLayout {
    OrderLines(ResolvedLines),
    Interactions(ResolvedEvents),
}

pub struct ResolvedLines {
    time: usize,
    order: usize,
    product: usize,
    unit_price: usize,
    quantity: Option<usize>,
    customer: Option<usize>,
    product_name: Option<usize>,
    category: Option<usize>,
    discount_pct: Option<usize>,
    location: Option<usize>,
    channel: Option<usize>,
    payment_method: Option<usize>,
    agent: Option<usize>,
    branch: Option<usize>,
    cancelled: Option<usize>,
}

pub struct ResolvedEvents {
    time: usize,
    event_type: usize,
    user: usize,
    product: usize,
    price: usize,
    session: Option<usize>,
    category_id: Option<usize>,
    category_code: Option<usize>,
    brand: Option<usize>,
}

impl ResolvedLayout {
    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<Record<'r>, RowError> {
        match self {
            ResolvedLayout::OrderLines(layout) => layout.parse(row).map(Record::OrderLine),
            ResolvedLayout::Interactions(layout) => layout.parse(row).map(Record::Interaction),
        }
    }
}

fn price<'r>(row: &Row<'r>, column: usize, name: &'static str) -> Result<i64, RowError> {
    RowError::price(row.required(column, name)?)
}

impl ResolvedLines {
    fn parse<'r>(&self, row: &Row<'r>) -> Result<OrderLine<'r>, RowError> {
        let time_text = row.required(self.time, "time")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("time", why, time_text))?;
        let order = row.required(self.order, "order")?;
        let product = row.required(self.product, "product")?;
        let unit_cents = price(row, self.unit_price, "unit_price")?;
        let quantity = match self.quantity {
            None => 1,
            Some(column) => {
                let text = row.required(column, "quantity")?;
                parse_quantity(text).map_err(|why| RowError::field("quantity", why, text))?
            }
        };
        let discount_text = row.optional(self.discount_pct)?;
        let discount_pct = parse_percent(discount_text).ok_or_else(|| {
            RowError::new("unparsable discount", format!("not a whole percent 0-100: {discount_text:?}"))
        })?;
        let channel = row.optional(self.channel)?;
        let online = if channel.is_empty() || channel.eq_ignore_ascii_case("online") {
            true
        } else if channel.eq_ignore_ascii_case("offline") {
            false
        } else {
            return Err(RowError::new("unparsable channel", format!("not online or offline: {channel:?}")));
        };
        let cancelled_text = row.optional(self.cancelled)?;
        let cancelled = parse_flag(cancelled_text).ok_or_else(|| {
            RowError::new("unparsable flag", format!("cancelled: {cancelled_text:?} is not true or false"))
        })?;
        let location = row.optional(self.location)?;
        let branch = if location.is_empty() { row.optional(self.branch)? } else { "" };
        Ok(OrderLine {
            time,
            order: OrderId::Id(order),
            cancelled,
            customer: row.optional(self.customer)?,
            product,
            product_name: row.optional(self.product_name)?,
            category: row.optional(self.category)?,
            quantity,
            unit_cents,
            discount_pct,
            location,
            online,
            payment_method: row.optional(self.payment_method)?,
            agent: row.optional(self.agent)?,
            branch,
            priced_by_dimension: false,
            stated_total_cents: None,
        })
    }
}

impl ResolvedEvents {
    fn parse<'r>(&self, row: &Row<'r>) -> Result<Interaction<'r>, RowError> {
        let time_text = row.required(self.time, "time")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("time", why, time_text))?;
        let price_cents = price(row, self.price, "price")?;
        Ok(Interaction {
            time,
            event_type: row.required(self.event_type, "event_type")?,
            user: row.required(self.user, "user")?,
            product: row.required(self.product, "product")?,
            session: row.optional(self.session)?,
            category_id: row.optional(self.category_id)?,
            category_code: row.optional(self.category_code)?,
            brand: row.optional(self.brand)?,
            price_cents,
        })
    }
}

/// `15`, `15%` or empty (0): a whole percent from 0 to 100.
fn parse_percent(text: &str) -> Option<u8> {
    let digits = text.strip_suffix('%').unwrap_or(text).trim_end();
    if digits.is_empty() {
        return text.is_empty().then_some(0);
    }
    if digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u8>().ok().filter(|&pct| pct <= 100)
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percents_are_whole_and_at_most_100() {
        assert_eq!(parse_percent(""), Some(0));
        assert_eq!(parse_percent("15"), Some(15));
        assert_eq!(parse_percent("15%"), Some(15));
        assert_eq!(parse_percent("100"), Some(100));
        for bad in ["101", "%", "1.5", "-5", "0x10", "1000"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }
}
