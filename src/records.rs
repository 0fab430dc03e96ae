//! cartflow's records: what every input format is turned into (SPEC §3).
//!
//! Records borrow their text from the reader's row buffer, so reading a row
//! allocates nothing; the per-file aggregation interns whatever it keeps.

use crate::dataflow::{text_key, TextKey};
use crate::formats::fields::LocalTime;

/// One clickstream event: a view, a cart, a purchase, or a source's own action.
#[derive(Clone, Copy, Debug)]
pub struct Interaction<'a> {
    pub time: LocalTime,
    pub event_type: &'a str,
    pub user: &'a str,
    pub session: &'a str,
    pub product: &'a str,
    pub category_id: &'a str,
    pub category_code: &'a str,
    pub brand: &'a str,
    pub price_cents: i64,
}

/// One line of an order: the unit of every sales report (SPEC §3).
#[derive(Clone, Copy, Debug)]
pub struct OrderLine<'a> {
    pub time: LocalTime,
    pub order: OrderId<'a>,
    /// A cancellation (an online-retail invoice starting with `C`); only
    /// `monthly` counts these.
    pub cancelled: bool,
    /// Empty for a guest.
    pub customer: &'a str,
    pub product: &'a str,
    pub product_name: &'a str,
    pub category: &'a str,
    pub quantity: i64,
    pub unit_cents: i64,
    /// 0–100.
    pub discount_pct: u8,
    pub location: &'a str,
    pub online: bool,
    pub payment_method: &'a str,
    pub agent: &'a str,
    /// The branch of an offline sale, whose location the branch dimension gives.
    pub branch: &'a str,
    /// The unit price is the product dimension's, not the line's own (kiosk, techco).
    pub priced_by_dimension: bool,
    /// The line's amount as the source states it (qcompany app logs' totalAmount),
    /// which need not be a whole number of cents per unit; else quantity × unit price.
    pub stated_total_cents: Option<i64>,
}

/// What identifies an order: a column of its own, or, for sources without one,
/// the fields that make a basket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderId<'a> {
    Id(&'a str),
    /// Rows of one customer at one place (a kiosk, the app) at one written time
    /// are one basket.
    Basket {
        place: &'a str,
        customer: &'a str,
        time: &'a str,
    },
}

impl OrderId<'_> {
    /// The order's key: every worker and every process computes the same one.
    pub fn key(&self) -> TextKey {
        match *self {
            OrderId::Id(id) => text_key(id),
            OrderId::Basket { place, customer, time } => {
                let mut hasher = xxhash_rust::xxh3::Xxh3::new();
                for part in [place, customer, time] {
                    hasher.update(part.as_bytes());
                    // A separator no text holds keeps ("ab", "c") apart from ("a", "bc").
                    hasher.update(&[0xFF]);
                }
                hasher.digest().max(1)
            }
        }
    }
}

impl std::fmt::Display for OrderId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderId::Id(id) => f.write_str(id),
            OrderId::Basket { place, customer, time } => write!(f, "{place}|{customer}|{time}"),
        }
    }
}

impl<'a> OrderLine<'a> {
    /// A clickstream purchase as an order line (SPEC §9): order = session,
    /// customer = user, one unit at the event's price, category = category code.
    pub fn from_purchase(event: &Interaction<'a>) -> OrderLine<'a> {
        OrderLine {
            time: event.time,
            order: OrderId::Id(event.session),
            cancelled: false,
            customer: event.user,
            product: event.product,
            product_name: "",
            category: event.category_code,
            quantity: 1,
            unit_cents: event.price_cents,
            discount_pct: 0,
            location: "",
            online: true,
            payment_method: "",
            agent: "",
            branch: "",
            priced_by_dimension: false,
            stated_total_cents: None,
        }
    }

    /// quantity × unit price × (1 − discount), in cents, rounded half away
    /// from zero once per line so that every sum over lines is exact.
    pub fn amount_cents(&self) -> i64 {
        if let Some(total) = self.stated_total_cents {
            return total;
        }
        let gross = i128::from(self.quantity) * i128::from(self.unit_cents);
        if self.discount_pct == 0 {
            return gross as i64;
        }
        let scaled = gross * i128::from(100 - self.discount_pct.min(100));
        let (quotient, remainder) = (scaled / 100, scaled % 100);
        let rounded = if remainder.abs() * 2 >= 100 { quotient + remainder.signum() } else { quotient };
        rounded as i64
    }
}

/// One row of a dimension file (SPEC §3): a key and its attributes.
#[derive(Clone, Copy, Debug)]
pub enum DimensionRow<'a> {
    Product { id: &'a str, name: &'a str, category: &'a str, brand: &'a str, price_cents: Option<i64> },
    Agent { id: &'a str, name: &'a str },
    Branch { id: &'a str, location: &'a str },
}

/// What a format hands over for each good row.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    Interaction(Interaction<'a>),
    OrderLine(OrderLine<'a>),
    Dimension(DimensionRow<'a>),
    /// A web or app log: an interaction that takes the category and brand it
    /// lacks from the product dimension (and its price too, when
    /// `priced_by_dimension`), and, for a purchase, its own order line (not one
    /// derived from the session, as a clickstream purchase's is).
    WebLog {
        event: Interaction<'a>,
        priced_by_dimension: bool,
        purchase: Option<OrderLine<'a>>,
    },
}

/// The event types the funnel reports single out; anything else is `Other` and
/// still counts as an event (SPEC §3: "or the source's own action name").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    View,
    Cart,
    RemoveFromCart,
    Purchase,
    Other,
}

impl EventKind {
    /// Event types are case-sensitive (SPEC §9).
    pub fn of(event_type: &str) -> EventKind {
        match event_type {
            "view" => EventKind::View,
            "cart" => EventKind::Cart,
            "remove_from_cart" => EventKind::RemoveFromCart,
            "purchase" => EventKind::Purchase,
            _ => EventKind::Other,
        }
    }
}

/// Price bands of `price_bands`, as (lower bound in cents, label); a band holds
/// prices from its lower bound up to the next band's.
pub const PRICE_BANDS: [(i64, &str); 8] = [
    (0, "0-10"),
    (1_000, "10-25"),
    (2_500, "25-50"),
    (5_000, "50-100"),
    (10_000, "100-250"),
    (25_000, "250-500"),
    (50_000, "500-1000"),
    (100_000, "1000+"),
];

/// Index into [`PRICE_BANDS`] of the band holding `price_cents`.
pub fn price_band(price_cents: i64) -> u8 {
    PRICE_BANDS.iter().rposition(|&(lower, _)| price_cents >= lower).unwrap_or(0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discounted_amounts_round_half_away_from_zero() {
        let mut line = OrderLine::from_purchase(&Interaction {
            time: 0,
            event_type: "purchase",
            user: "u",
            session: "s",
            product: "p",
            category_id: "",
            category_code: "",
            brand: "",
            price_cents: 250,
        });
        assert_eq!(line.amount_cents(), 250);
        line.quantity = 3;
        line.discount_pct = 15; // 750 × 0.85 = 637.5
        assert_eq!(line.amount_cents(), 638);
        line.quantity = -3;
        assert_eq!(line.amount_cents(), -638);
    }

    #[test]
    fn bands_include_their_lower_bound() {
        assert_eq!(PRICE_BANDS[price_band(0) as usize].1, "0-10");
        assert_eq!(PRICE_BANDS[price_band(999) as usize].1, "0-10");
        assert_eq!(PRICE_BANDS[price_band(1_000) as usize].1, "10-25");
        assert_eq!(PRICE_BANDS[price_band(99_999) as usize].1, "500-1000");
        assert_eq!(PRICE_BANDS[price_band(100_000) as usize].1, "1000+");
    }
}
