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
    fn bands_include_their_lower_bound() {
        assert_eq!(PRICE_BANDS[price_band(0) as usize].1, "0-10");
        assert_eq!(PRICE_BANDS[price_band(999) as usize].1, "0-10");
        assert_eq!(PRICE_BANDS[price_band(1_000) as usize].1, "10-25");
        assert_eq!(PRICE_BANDS[price_band(99_999) as usize].1, "500-1000");
        assert_eq!(PRICE_BANDS[price_band(100_000) as usize].1, "1000+");
    }
}
