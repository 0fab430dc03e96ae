//! Differences that carry sums: a record's diff holds its running totals, so
//! differential adds them up exactly where it consolidates, with no extra state.

use differential_dataflow::difference::{Abelian, IsZero, Monoid, Multiply, Semigroup};
use serde::{Deserialize, Serialize};

/// Declares a struct of sums (`i64` unless another integer type is named) and
/// makes it a differential difference type.
macro_rules! sums {
    ($(#[$meta:meta])* $name:ident { $($field:ident),+ $(,)? }) => {
        sums! { $(#[$meta])* $name: i64 { $($field),+ } }
    };
    ($(#[$meta:meta])* $name:ident: $int:ty { $($field:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name { $(pub $field: $int),+ }

        impl IsZero for $name {
            fn is_zero(&self) -> bool { $(self.$field == 0)&&+ }
        }
        impl Semigroup for $name {
            fn plus_equals(&mut self, other: &Self) { $(self.$field += other.$field;)+ }
        }
        impl Monoid for $name {
            fn zero() -> Self { Self::default() }
        }
        impl Abelian for $name {
            fn negate(&mut self) { $(self.$field = -self.$field;)+ }
        }
        impl Multiply<isize> for $name {
            type Output = Self;
            fn multiply(self, times: &isize) -> Self { Self { $($field: self.$field * *times as $int),+ } }
        }
        impl $name {
            /// Adds `other` into `self`; the same as `plus_equals`, for pre-aggregation.
            pub fn add(&mut self, other: &Self) { $(self.$field += other.$field;)+ }
        }
        impl std::ops::Mul<isize> for $name {
            type Output = Self;
            fn mul(self, times: isize) -> Self { self.multiply(&times) }
        }
        impl std::ops::AddAssign for $name {
            fn add_assign(&mut self, other: Self) { self.add(&other) }
        }
    };
}

sums! {
    /// Events along the shopping funnel; `events` counts every type, revenue is
    /// the sum of purchase prices.
    Funnel { events, views, carts, removes, purchases, revenue_cents }
}

sums! {
    /// A user's or a session's events, of every type and of each standard type.
    ///
    /// There is one per session and one per user, a million of them for 5M
    /// events, held in hash maps while files are read and in the running totals
    /// after: 32-bit counts make an entry 32 bytes with its key, where `Funnel`'s
    /// 64-bit sums made it 56. A user or session reaches 2^31 events in no real
    /// data set.
    Visits: i32 { events, views, carts, removes, purchases }
}

impl Visits {
    /// One event of the given kind.
    pub fn of(kind: crate::records::EventKind) -> Visits {
        use crate::records::EventKind::*;
        Visits {
            events: 1,
            views: i32::from(kind == View),
            carts: i32::from(kind == Cart),
            removes: i32::from(kind == RemoveFromCart),
            purchases: i32::from(kind == Purchase),
        }
    }

    /// Events of each standard type, by type name.
    pub fn by_type(&self) -> [(&'static str, i64); 4] {
        [
            ("view", i64::from(self.views)),
            ("cart", i64::from(self.carts)),
            ("remove_from_cart", i64::from(self.removes)),
            ("purchase", i64::from(self.purchases)),
        ]
    }
}

sums! {
    /// Counts that reports join on one key: events, and distinct users and sessions.
    EventTotals { events, users, sessions }
}

sums! {
    /// A price distribution's count and total, for averages.
    PriceTotals { events, total_cents }
}

sums! {
    /// Per-session facts summed over all sessions.
    SessionTotals { sessions, events, cart_sessions, purchase_sessions }
}

impl Funnel {
    /// One event, counted by `visit`, at the given price.
    pub fn of(visit: Visits, price_cents: i64) -> Funnel {
        Funnel {
            events: 1,
            views: i64::from(visit.views),
            carts: i64::from(visit.carts),
            removes: i64::from(visit.removes),
            purchases: i64::from(visit.purchases),
            revenue_cents: if visit.purchases > 0 { price_cents } else { 0 },
        }
    }
}

sums! {
    /// A brand's funnel and its distinct buyers.
    BrandTotals { events, views, carts, purchases, revenue_cents, buyers }
}

sums! {
    /// Order lines summed: lines, units (quantity) and revenue.
    LineTotals { lines, units, revenue_cents }
}

sums! {
    /// Order lines summed by where they were sold, online share apart.
    LocationTotals { lines, revenue_cents, online_cents }
}

sums! {
    /// A group's orders (distinct ids) beside its line sums.
    OrderTotals { orders, lines, units, revenue_cents, online_cents }
}

impl From<LineTotals> for OrderTotals {
    fn from(t: LineTotals) -> Self {
        OrderTotals { orders: 0, lines: t.lines, units: t.units, revenue_cents: t.revenue_cents, online_cents: 0 }
    }
}

impl From<LocationTotals> for OrderTotals {
    fn from(t: LocationTotals) -> Self {
        OrderTotals {
            orders: 0,
            lines: t.lines,
            units: 0,
            revenue_cents: t.revenue_cents,
            online_cents: t.online_cents,
        }
    }
}

sums! {
    /// The one row of `repeat_customers`, summed over customers and orders.
    RepeatTotals { customers, repeat_customers, orders, repeat_orders }
}

sums! {
    /// A month's orders, cancellations and customers.
    MonthTotals { orders, cancelled_orders, revenue_cents, cancelled_cents, active, new }
}
