//! The differential side of cartflow: the input collections every report reads,
//! and the few operators reports share.
//!
//! Rows never enter the dataflow one by one. Each worker pre-aggregates a file
//! into "facts" (see [`crate::aggregate`]): a key and a count or a sum, so what
//! crosses workers is proportional to the distinct keys of a file, not its rows.
//!
//! Text is carried as a 64-bit [`TextKey`]: sorting and exchanging 8 bytes is
//! several times cheaper than strings, and it needs no allocation per row. The
//! [`Dictionary`] maps keys back to text, and reports look up only the rows
//! they show.

pub mod by_time;
pub mod diff;
pub mod distinct;
pub mod local_sum;
pub mod small_names;
pub mod topk;
pub mod totals;
pub mod user_shard;

pub use small_names::SmallNames;

use std::cmp::Ordering;

use differential_dataflow::difference::Semigroup;
use differential_dataflow::input::{Input, InputSession};
use differential_dataflow::operators::arrange::{Arranged, TraceAgent};
use differential_dataflow::trace::cursor::{cursor_list, Cursor};
use differential_dataflow::trace::implementations::{KeySpine, ValSpine};
use differential_dataflow::trace::TraceReader;
use differential_dataflow::{ExchangeData, VecCollection};
use serde::{Deserialize, Serialize};
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::Probe;
use timely::dataflow::Scope;
use timely::progress::Antichain;

use diff::{Funnel, LineTotals, LocationTotals, Visits};

/// Logical time: the epoch number. Epoch 1 is the first set of files applied.
pub type Time = u64;

/// A collection at epoch granularity, counted by `isize` unless it carries sums.
pub type Coll<'s, D, R = isize> = VecCollection<'s, Time, D, R>;

/// What `reduce` hands its logic for a group: each value, in order, with its
/// accumulated count.
pub type Counted<'a, V> = [(&'a V, isize)];

/// A text value as 64 bits: a decimal number below 2⁶³ (no sign, no leading
/// zero) is the number itself with the top bit set; any other text is its
/// 63-bit xxh3 hash; the empty text is 0.
///
/// Identifiers in retail exports (users, products, customers, categories) are
/// mostly such numbers, and a key that holds its own text needs no dictionary
/// entry: no copy of the text per file, no arranged name, no join to show it.
/// xxh3 is a fixed algorithm, so keys are the same in every process and every
/// build. Two other texts share a key with probability about n²/2⁶⁴ (10⁻⁵ at
/// ten million distinct texts).
pub type TextKey = u64;

/// The top bit: set in the keys of decimal numbers (see [`TextKey`]).
const NUMBER: TextKey = 1 << 63;

/// The key of a text.
pub fn text_key(text: &str) -> TextKey {
    if text.is_empty() {
        EMPTY
    } else if let Some(number) = decimal(text.as_bytes()) {
        NUMBER | number
    } else {
        (xxhash_rust::xxh3::xxh3_64(text.as_bytes()) & !NUMBER).max(1)
    }
}

/// The number `digits` spells when they are a decimal number below 2⁶³ written
/// the one way `u64`'s `Display` writes it, so that the text comes back as it was.
///
/// Eight digits at a time from eight on: user and category ids of 9 to 19
/// digits are keyed for nearly every event, and a digit at a time is a chain
/// of dependent multiplies as long as the id.
fn decimal(digits: &[u8]) -> Option<u64> {
    let len = digits.len();
    if len > 19 || (len > 1 && digits[0] == b'0') {
        return None;
    }
    if len < 8 {
        // Too short for a word; most such texts fail on their first byte.
        let mut number: u64 = 0;
        for &byte in digits {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            number = number * 10 + u64::from(digit);
        }
        return Some(number);
    }
    let word_at = |at: usize| u64::from_le_bytes(digits[at..at + 8].try_into().expect("eight bytes"));
    let tail = len % 8;
    let mut number: u64 = 0;
    for at in (0..len - tail).step_by(8) {
        number = number * 100_000_000 + eight_digits(word_at(at))?;
    }
    if tail > 0 {
        // The last eight bytes, the ones already read (the lowest, the word
        // being little-endian) made '0's.
        let read = (1u64 << (8 * (8 - tail))) - 1;
        let word = (word_at(len - 8) & !read) | (0x3030_3030_3030_3030 & read);
        number = number * POWERS_OF_TEN[tail] + eight_digits(word)?;
    }
    // At most 19 digits: below 10¹⁹, which fits in 64 bits.
    (number < NUMBER).then_some(number)
}

const POWERS_OF_TEN: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// The value of eight ASCII digits read as a little-endian word (the first
/// digit in the lowest byte), or `None` if any byte is not a digit.
fn eight_digits(word: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // A byte is a digit when its high nibble is 3 and adding 6 leaves it 3 (a
    // byte that carries out of itself has high nibble F and fails on its own).
    let plus_six = word.wrapping_add(0x0606_0606_0606_0606);
    if (word & HIGH_NIBBLES) | ((plus_six & HIGH_NIBBLES) >> 4) != 0x3333_3333_3333_3333 {
        return None;
    }
    // Digit values, then pairs, quadruples and the eight combined in lanes
    // of 16, 32 and 64 bits; no lane overflows into the next.
    let values = word - 0x3030_3030_3030_3030;
    let pairs = (values.wrapping_mul(10) + (values >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100) + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((quads.wrapping_mul(10_000) + (quads >> 32)) & 0xFFFF_FFFF)
}

/// Whether `key` holds its own text, so that no dictionary has it.
pub fn holds_own_text(key: TextKey) -> bool {
    key & NUMBER != 0
}

/// The text of a key that holds its own text.
pub fn own_text(key: TextKey) -> Option<String> {
    holds_own_text(key).then(|| (key & !NUMBER).to_string())
}

/// The key of the empty text.
pub const EMPTY: TextKey = 0;

/// Every text a report may show, by key, arranged once and shared by all reports.
pub type Dictionary<'s> = Arranged<'s, TraceAgent<ValSpine<TextKey, String, Time, isize>>>;

/// Replaces the key of each row by its text: a number's from the key itself,
/// any other from the dictionary.
pub fn resolve<'s, V: ExchangeData>(
    rows: Coll<'s, (TextKey, V)>,
    dictionary: &Dictionary<'s>,
) -> Coll<'s, (String, V)> {
    let own = rows.clone().flat_map(|(key, value)| own_text(key).map(|text| (text, value)));
    let named = rows.filter(|(key, _)| !holds_own_text(*key));
    own.concat(named.join_core(dictionary.clone(), |_key, value, text: &String| Some((text.clone(), value.clone()))))
}

/// Replaces both keys of each row by their texts.
pub fn resolve_pair<'s, V: ExchangeData>(
    rows: Coll<'s, ((TextKey, TextKey), V)>,
    dictionary: &Dictionary<'s>,
) -> Coll<'s, ((String, String), V)> {
    let first = resolve(rows.map(|((a, b), value)| (a, (b, value))), dictionary);
    resolve(first.map(|(a, (b, value))| (b, (a, value))), dictionary).map(|(b, (a, value))| ((a, b), value))
}

/// Declares the fact collections: one input session per fact on the feeding side,
/// the matching collection on the dataflow side, and what a checkpoint keeps of them.
macro_rules! facts {
    (
        $inputs:ident, $collections:ident, $traces:ident, $snapshot:ident
        { $($(#[$doc:meta])* $name:ident: $data:ty, $diff:ty;)+ }
    ) => {
        /// Where a worker feeds its pre-aggregated facts.
        pub struct $inputs { $(pub $name: InputSession<Time, $data, $diff>,)+ }

        /// The facts as collections, for reports to read.
        #[derive(Clone)]
        pub struct $collections<'s> { $($(#[$doc])* pub $name: Coll<'s, $data, $diff>,)+ }

        /// Every fact collection arranged by itself: the worker's shard of all the
        /// facts applied so far, which is what a checkpoint writes.
        pub struct $traces { $(pub $name: FactTrace<$data, $diff>,)+ }

        /// One worker's shard of the facts, consolidated: proportional to distinct keys.
        #[derive(Default, Serialize, Deserialize)]
        pub struct $snapshot { $(pub $name: Vec<($data, $diff)>,)+ }

        impl $inputs {
            pub fn new<'s>(scope: Scope<'s, Time>) -> ($inputs, $collections<'s>) {
                $(let $name = scope.new_collection::<$data, $diff>();)+
                let mut inputs = $inputs { $($name: $name.0,)+ };
                // Time 0 stays empty: the first step is applied at time 1.
                inputs.advance_to(1);
                (inputs, $collections { $($name: $name.1,)+ })
            }

            pub fn advance_to(&mut self, time: Time) {
                $(self.$name.advance_to(time);)+
            }

            pub fn flush(&mut self) {
                $(self.$name.flush();)+
            }

            /// Feeds a checkpoint's shard back in; any worker may feed any shard.
            pub fn restore(&mut self, snapshot: $snapshot) {
                $(for (data, diff) in snapshot.$name { self.$name.update(data, diff); })+
            }
        }

        impl<'s> $collections<'s> {
            pub fn arrange_for_checkpoint(&self, probe: &ProbeHandle<Time>) -> $traces {
                $traces { $($name: {
                    let arranged = self.$name.clone().arrange_by_self();
                    arranged.stream.probe_with(probe);
                    arranged.trace
                },)+ }
            }
        }

        impl $traces {
            /// Reads this worker's shard as of every completed time.
            pub fn snapshot(&mut self) -> $snapshot {
                $snapshot { $($name: read_trace(&mut self.$name),)+ }
            }

            /// Lets the traces forget history before `time`, so they hold one
            /// consolidated copy of the facts however many epochs were applied.
            pub fn compact_to(&mut self, time: Time) {
                $(compact_trace(&mut self.$name, time);)+
            }
        }
    };
}

/// A fact collection arranged by itself, as held outside the dataflow.
pub type FactTrace<D, R> = TraceAgent<KeySpine<D, Time, R>>;

/// The accumulated contents of a trace, for the times its upper frontier has passed.
pub fn read_trace<D, R>(trace: &mut FactTrace<D, R>) -> Vec<(D, R)>
where
    D: ExchangeData,
    R: ExchangeData + Semigroup,
{
    let mut upper = Antichain::new();
    trace.read_upper(&mut upper);
    let Some(batches) = trace.batches_through(upper.borrow()) else {
        panic!("a fact trace cannot be read through its own upper frontier");
    };
    let (mut cursor, storage) = cursor_list(batches);
    let mut rows = Vec::new();
    while let Some(key) = cursor.get_key(&storage) {
        let mut sum: Option<R> = None;
        cursor.map_times(&storage, |_time, diff| match &mut sum {
            Some(sum) => sum.plus_equals(diff),
            None => sum = Some(diff.clone()),
        });
        if let Some(sum) = sum.filter(|sum| !sum.is_zero()) {
            rows.push((key.clone(), sum));
        }
        cursor.step_key(&storage);
    }
    rows
}

/// Lets a trace forget the history before `time`.
pub fn compact_trace<D, R>(trace: &mut FactTrace<D, R>, time: Time)
where
    D: ExchangeData,
    R: ExchangeData + Semigroup,
{
    let frontier = Antichain::from_elem(time);
    trace.set_logical_compaction(frontier.borrow());
    trace.set_physical_compaction(frontier.borrow());
}

facts!(InteractionInputs, Interactions, InteractionTraces, InteractionSnapshot {
    /// (text key, text) for every event type, category id, code and brand read:
    /// small domains, so every worker keeps them all (see [`SmallNames`])
    names: (TextKey, String), isize;
    /// (text key, text) for every user read
    user_names: (TextKey, String), isize;
    /// (user_id, funnel over all the user's events)
    user: TextKey, Visits;
    /// (user_session, funnel over all the session's events)
    session: TextKey, Visits;
    /// ((event_type, user_id), events), for event types outside the standard four
    other_type_user: (TextKey, TextKey), isize;
    /// ((event_type, user_session), events), for event types outside the standard four
    other_type_session: (TextKey, TextKey), isize;
    /// ((category_id, category_code), events)
    category: (TextKey, TextKey), isize;
    /// ((category_code, price in cents), events)
    code_price: (TextKey, i64), isize;
    /// ((category_code, price band), funnel)
    code_band: (TextKey, u8), Funnel;
    /// ((user_id, category_code, brand), events)
    user_code_brand: (TextKey, TextKey, TextKey), isize;
    /// (brand, funnel), for non-empty brands
    brand: TextKey, Funnel;
    /// ((brand, user_id), purchases), for non-empty brands
    brand_buyer: (TextKey, TextKey), isize;
    /// (hour of day, funnel)
    hour: u8, Funnel;
});

facts!(SalesInputs, Sales, SalesTraces, SalesSnapshot {
    /// (text key, text) for every product, name, customer, category and location read
    names: (TextKey, String), isize;
    /// ((product, order), lines), non-cancelled lines only, as every fact below
    /// unless it says otherwise
    product_order: (TextKey, TextKey), LineTotals;
    /// ((product, product name), lines), for non-empty names
    product_name: (TextKey, TextKey), isize;
    /// ((customer, order), lines), for non-guest customers
    customer_order: (TextKey, TextKey), LineTotals;
    /// ((customer, day), lines), for non-guest customers
    customer_day: (TextKey, Day), isize;
    /// ((customer, product), lines), for non-guest customers
    customer_product: (TextKey, TextKey), isize;
    /// (daypart: 0 morning, 1 afternoon, 2 evening; lines)
    daypart: u8, LineTotals;
    /// ((month, cancelled, order), lines): cancelled lines too, their revenue
    /// being Σ |quantity × unit price|
    month_order: (Month, bool, TextKey), LineTotals;
    /// ((customer, month), lines), for non-guest customers
    customer_month: (TextKey, Month), isize;
    /// (day, lines), guests included
    day: Day, isize;
    /// ((category, order), lines)
    category_order: (TextKey, TextKey), LineTotals;
    /// ((location, order), lines), for lines located by their own fields
    location_order: (TextKey, TextKey), LocationTotals;
    /// ((branch, order), lines), for offline lines located by their branch
    branch_order: (TextKey, TextKey), LocationTotals;
    /// (discount percent, lines), for sources with offers
    discount: u8, LineTotals;
    /// ((product, discount percent), lines), for discounts above 0
    product_discount: (TextKey, u8), isize;
    /// ((payment method, order), lines), for sources that name payment methods
    payment_order: (TextKey, TextKey), LineTotals;
    /// ((agent, day, product), lines), for lines that name their agent
    agent_day_product: (TextKey, Day, TextKey), LineTotals;
});

/// A calendar day: days since 1970-01-01 on the record's local clock.
pub type Day = i32;

/// A calendar month: year × 12 + (month − 1).
pub type Month = u32;

/// Orders its value in reverse, for report columns sorted descending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Desc<T>(pub T);

impl<T: Ord> PartialOrd for Desc<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> Ord for Desc<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.cmp(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{decimal, holds_own_text, own_text, text_key, EMPTY, NUMBER};

    #[test]
    fn decimal_numbers_hold_their_own_text_and_other_texts_are_hashed() {
        let numbers = ["0", "7", "42", "512345678", "2053013555631882655", "9223372036854775807"];
        for text in numbers {
            let key = text_key(text);
            assert!(holds_own_text(key), "{text}");
            assert_eq!(own_text(key).as_deref(), Some(text));
        }
        // Not written as `u64` writes them, or not below 2^63: hashed, so that
        // no two texts share a number's key.
        let others =
            ["007", "00", "-5", "+5", "1.0", " 1", "1e3", "9223372036854775808", "18446744073709551616", "١٢", "a1"];
        for text in others {
            let key = text_key(text);
            assert!(!holds_own_text(key) && key != EMPTY, "{text}");
            assert_eq!(own_text(key), None);
        }
        assert_eq!(text_key(""), EMPTY);
        assert_ne!(text_key("007"), text_key("7"));
    }

    /// `decimal` as the definition reads: one digit at a time.
    fn decimal_by_digit(digits: &[u8]) -> Option<u64> {
        if digits.len() > 19 || (digits.len() > 1 && digits[0] == b'0') || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let number = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (number < NUMBER).then_some(number)
    }

    #[test]
    fn decimal_reads_eight_digits_at_a_time_as_it_would_one_at_a_time() {
        // Every length up to 21, digits mixed with the bytes on either side of
        // '0'..='9' and ones whose adding 6 would carry, at random positions.
        let mut next = crate::test_sequence(0x5851_f42d_4c95_7f2d);
        let odd = [b'/', b':', b'?', 0xF9, 0xFA, 0xFF, 0x00, b' ', 0x80];
        for len in 0..=21 {
            for _ in 0..2_000 {
                let mut text: Vec<u8> = (0..len).map(|_| b'0' + next(10) as u8).collect();
                if len > 0 && next(3) == 0 {
                    text[next(len as u64) as usize] = odd[next(odd.len() as u64) as usize];
                }
                assert_eq!(decimal(&text), decimal_by_digit(&text), "{text:?}");
            }
        }
        for text in ["9223372036854775807", "9223372036854775808", "9999999999999999999", "99999999", "10000000"] {
            assert_eq!(decimal(text.as_bytes()), decimal_by_digit(text.as_bytes()), "{text}");
        }
    }
}
