//! The sales facts of a file: what the order-line reports read.

use serde::{Deserialize, Serialize};

use super::{fold_into, Map, Names, Ticker};
use crate::dataflow::diff::{LineTotals, LocationTotals};
use crate::dataflow::{Day, Month, SalesInputs, TextKey};
use crate::formats::fields::{civil_from_days, hour_of_day, SECONDS_PER_DAY};
use crate::records::OrderLine;
use crate::reports::ReportSet;

/// The sales facts of one file (see [`SalesInputs`] for their meaning).
#[derive(Default, Serialize, Deserialize)]
pub struct SalesFacts {
    names: Names,
    product_order: Map<(TextKey, TextKey), LineTotals>,
    product_name: Map<(TextKey, TextKey), i64>,
    customer_order: Map<(TextKey, TextKey), LineTotals>,
    customer_day: Map<(TextKey, Day), i64>,
    customer_product: Map<(TextKey, TextKey), i64>,
    daypart: [LineTotals; 3],
    month_order: Map<(Month, bool, TextKey), LineTotals>,
    customer_month: Map<(TextKey, Month), i64>,
    day: Map<Day, i64>,
    category_order: Map<(TextKey, TextKey), LineTotals>,
    location_order: Map<(TextKey, TextKey), LocationTotals>,
    branch_order: Map<(TextKey, TextKey), LocationTotals>,
    discount: Map<u8, LineTotals>,
    product_discount: Map<(TextKey, u8), i64>,
    payment_order: Map<(TextKey, TextKey), LineTotals>,
    agent_day_product: Map<(TextKey, Day, TextKey), LineTotals>,
    /// The facts only some reports read, gathered only for jobs that write them:
    /// a clickstream has no payment methods, and a fact per order for them would
    /// cost as much as the orders themselves. In a job that writes them, every
    /// line counts, those of sources without the field as empty or 0.
    #[serde(skip)]
    gather: ReportSet,
    /// The month of the last day seen: lines come in time order, so this
    /// spares a calendar conversion per line.
    #[serde(skip)]
    last_month: Option<(Day, Month)>,
}

/// Calls `$apply!` with the given fields, then every hash map of the facts, in
/// one fixed order: the order of [`SalesFacts::sizes`] and `reserve`, and of `absorb`.
macro_rules! with_maps {
    ($apply:ident $(, $first:ident)*) => {
        $apply! {
            $($first,)*
            product_order,
            product_name,
            customer_order,
            customer_day,
            customer_product,
            month_order,
            customer_month,
            day,
            category_order,
            location_order,
            branch_order,
            discount,
            product_discount,
            payment_order,
            agent_day_product
        }
    };
}

/// `Morning` before 12:00, `Afternoon` before 17:00, `Evening` after (SPEC §4.2).
pub fn daypart(hour: u8) -> u8 {
    match hour {
        0..12 => 0,
        12..17 => 1,
        _ => 2,
    }
}

impl SalesFacts {
    /// Facts for the reports of `set`.
    pub fn for_reports(set: ReportSet) -> Self {
        SalesFacts { gather: set, ..SalesFacts::default() }
    }

    pub fn add(&mut self, line: &OrderLine<'_>) {
        let day = line.time.div_euclid(SECONDS_PER_DAY) as Day;
        let month = self.month_of(day);
        // Orders are only ever counted, never shown: they need no dictionary entry.
        let order = line.order.key();
        let amount = line.amount_cents();
        if line.cancelled {
            let cancelled = LineTotals { lines: 1, units: line.quantity, revenue_cents: amount.abs() };
            self.month_order.entry((month, true, order)).or_default().add(&cancelled);
            return;
        }
        let totals = LineTotals { lines: 1, units: line.quantity, revenue_cents: amount };
        self.month_order.entry((month, false, order)).or_default().add(&totals);
        let product = self.name(line.product);
        self.product_order.entry((product, order)).or_default().add(&totals);
        if !line.product_name.is_empty() {
            let name = self.name(line.product_name);
            *self.product_name.entry((product, name)).or_default() += 1;
        }
        let category = self.name(line.category);
        self.category_order.entry((category, order)).or_default().add(&totals);
        let sold =
            LocationTotals { lines: 1, revenue_cents: amount, online_cents: if line.online { amount } else { 0 } };
        if line.branch.is_empty() {
            let location = self.name(line.location);
            self.location_order.entry((location, order)).or_default().add(&sold);
        } else {
            let branch = self.name(line.branch);
            self.branch_order.entry((branch, order)).or_default().add(&sold);
        }
        self.daypart[daypart(hour_of_day(line.time)) as usize].add(&totals);
        *self.day.entry(day).or_default() += 1;
        if !line.customer.is_empty() {
            let customer = self.name(line.customer);
            self.customer_order.entry((customer, order)).or_default().add(&totals);
            *self.customer_day.entry((customer, day)).or_default() += 1;
            *self.customer_product.entry((customer, product)).or_default() += 1;
            *self.customer_month.entry((customer, month)).or_default() += 1;
        }
        if self.gather.offers {
            self.discount.entry(line.discount_pct).or_default().add(&totals);
            if line.discount_pct > 0 {
                *self.product_discount.entry((product, line.discount_pct)).or_default() += 1;
            }
        }
        if self.gather.payments {
            let method = self.name(line.payment_method);
            self.payment_order.entry((method, order)).or_default().add(&totals);
        }
        if self.gather.agents && !line.agent.is_empty() {
            let agent = self.name(line.agent);
            self.agent_day_product.entry((agent, day, product)).or_default().add(&totals);
        }
    }

    fn month_of(&mut self, day: Day) -> Month {
        match self.last_month {
            Some((last, month)) if last == day => month,
            _ => {
                let (year, month, _) = civil_from_days(i64::from(day));
                let month = (year * 12 + month - 1) as Month;
                self.last_month = Some((day, month));
                month
            }
        }
    }

    /// The key of a text a report may show, remembering the text.
    fn name(&mut self, text: &str) -> TextKey {
        self.names.remember(text)
    }

    with_maps!(map_sizes, names);

    /// See [`super::FileFacts::absorb`].
    pub fn absorb(&mut self, other: SalesFacts) {
        macro_rules! absorb {
            ($($name:ident),+) => {
                $(fold_into(&mut self.$name, other.$name);)+
            };
        }
        with_maps!(absorb);
        self.names.absorb(other.names);
        for (mine, theirs) in self.daypart.iter_mut().zip(other.daypart) {
            *mine += theirs;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.month_order.is_empty()
    }

    /// See [`super::FileFacts::feed`].
    pub fn feed(self, inputs: &mut SalesInputs, sign: isize, pause: impl FnMut()) {
        let mut ticker = Ticker::new(pause);
        macro_rules! feed {
            ($name:ident, $convert:expr) => {
                for (data, diff) in self.$name {
                    inputs.$name.update(data, $convert(diff));
                    ticker.tick();
                }
            };
        }
        let count = |n: i64| n as isize * sign;
        let lines = |t: LineTotals| t * sign;
        feed!(product_order, lines);
        feed!(product_name, count);
        feed!(customer_order, lines);
        feed!(customer_day, count);
        feed!(customer_product, count);
        feed!(month_order, lines);
        feed!(customer_month, count);
        feed!(day, count);
        feed!(category_order, lines);
        feed!(location_order, |t: LocationTotals| t * sign);
        feed!(branch_order, |t: LocationTotals| t * sign);
        feed!(discount, lines);
        feed!(product_discount, count);
        feed!(payment_order, lines);
        feed!(agent_day_product, lines);
        self.names.feed(&mut inputs.names, sign, &mut ticker);
        for (part, totals) in self.daypart.into_iter().enumerate() {
            if totals.lines != 0 {
                inputs.daypart.update(part as u8, totals * sign);
            }
        }
    }
}
