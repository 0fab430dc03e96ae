//! cartflow's records: what every input format is turned into (SPEC §3).
//!
//! Records borrow their text from the reader's row buffer, so reading a row
//! allocates nothing; the per-file aggregation interns whatever it keeps.

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
    pub order: &'a str,
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
}

impl<'a> OrderLine<'a> {
    /// A clickstream purchase as an order line (SPEC §9): order = session,
    /// customer = user, one unit at the event's price, category = category code.
    pub fn from_purchase(event: &Interaction<'a>) -> OrderLine<'a> {
        OrderLine {
            time: event.time,
            order: event.session,
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
        }
    }

    /// quantity × unit price × (1 − discount), in cents, rounded half away
    /// from zero once per line so that every sum over lines is exact.
    pub fn amount_cents(&self) -> i64 {
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

/// What a format hands over for each good row.
#[derive(Clone, Copy, Debug)]
pub enum Record<'a> {
    Interaction(Interaction<'a>),
    OrderLine(OrderLine<'a>),
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
