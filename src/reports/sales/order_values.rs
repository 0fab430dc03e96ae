//! `order_values`
//!
//! ```sql
//! WITH o AS (SELECT order_id, sum(amount) AS total
//!            FROM order_lines WHERE NOT cancelled GROUP BY order_id)
//! SELECT count(*) AS orders, avg(total) AS mean, median(total) AS median,
//!        mode(total) AS mode, min(total) AS min, max(total) AS max
//! FROM o
//! ```
//!
//! Exact order statistics without sorting every order total each epoch: totals
//! are grouped into buckets of neighbouring values (about 1/200 of a value
//! wide), each bucket keeps its count, sum, extremes and mode, and one group
//! combines the few thousand bucket summaries to find which bucket holds each
//! middle rank. Only those buckets are then read value by value. A new file
//! re-reads the buckets its orders fall in, the summaries, and the median's
//! buckets.

use serde::{Deserialize, Serialize};

use crate::dataflow::{Coll, Counted, Sales};
use crate::sinks::csv_out::{divide_rounded, Fields};
use crate::sinks::{Outputs, ReportRow};

pub fn build<'s>(facts: &Sales<'s>, out: &mut Outputs) {
    let totals: Coll<'s, i64> = facts
        .month_order
        .clone()
        .filter(|(_month, cancelled, _order)| !cancelled)
        .map(|(_month, _cancelled, order)| order)
        .count()
        .map(|(_order, sums)| sums.revenue_cents);
    let summaries =
        totals.clone().map(|total| (bucket(total), total)).reduce(|_bucket, values: &Counted<i64>, output| {
            if let Some(summary) = Summary::of(values) {
                output.push((summary, 1isize));
            }
        });
    let overall = summaries.map(|(bucket, summary)| ((), (bucket, summary))).reduce(
        |(), buckets: &Counted<(i64, Summary)>, output| {
            if let Some(overall) = Overall::of(buckets) {
                output.push((overall, 1isize));
            }
        },
    );
    let requests = overall
        .clone()
        .flat_map(|((), overall)| overall.middle.into_iter().map(|(bucket, rank)| (bucket, Probe::Rank(rank))));
    let middles = totals
        .map(|total| (bucket(total), Probe::Value(total)))
        .concat(requests)
        .reduce(|_bucket, probes: &Counted<Probe>, output| {
            // Ranks sort before values, so the requests come first.
            let present = || probes.iter().filter(|(_, n)| *n > 0);
            let ranks: Vec<i64> =
                present().map_while(|(p, _)| if let Probe::Rank(r) = p { Some(*r) } else { None }).collect();
            let mut seen = 0i64;
            let mut pending = ranks.iter().peekable();
            for (probe, n) in present() {
                if let Probe::Value(value) = probe {
                    seen += *n as i64;
                    while let Some(&&rank) = pending.peek().filter(|&&&rank| rank <= seen) {
                        output.push(((rank, *value), 1isize));
                        pending.next();
                    }
                }
            }
        })
        .map(|(bucket, (rank, value))| ((), Part::Middle { bucket, rank, value }));
    let rows = overall
        .map(|((), overall)| ((), Part::Overall(overall)))
        .concat(middles)
        .reduce(|(), parts: &Counted<Part>, output| {
            let mut overall = None;
            let mut middle = Vec::new();
            for (part, _) in parts.iter().filter(|(_, n)| *n > 0) {
                match part {
                    Part::Overall(o) => overall = Some(o),
                    Part::Middle { bucket, rank, value } => middle.push(((*bucket, *rank), *value)),
                }
            }
            let Some(overall) = overall else { return };
            // Both come from the same epoch's data, so every middle rank is answered.
            let values: Vec<i64> = overall
                .middle
                .iter()
                .filter_map(|wanted| middle.iter().find(|(at, _)| at == wanted).map(|(_, v)| *v))
                .collect();
            if values.len() != overall.middle.len() || values.is_empty() {
                return;
            }
            let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
            let median = divide_rounded(sum, values.len() as i128) as i64;
            output.push((OrderValuesRow { values: Some(overall.stats(median)) }, 1isize));
        })
        .map(|((), row)| row);
    out.single_row("order_values", rows, OrderValuesRow { values: None });
}

/// The bucket of a value: its sign, bit length and next 7 bits, so buckets are
/// contiguous ranges in value order, each about 1/128–1/256 of its values wide.
fn bucket(value: i64) -> i64 {
    let magnitude = value.unsigned_abs();
    let length = 64 - magnitude.leading_zeros();
    let top = if length > 8 { magnitude >> (length - 8) } else { magnitude };
    let code = (i64::from(length) << 8 | top as i64) + 1;
    if value < 0 {
        -code
    } else {
        code
    }
}

/// One bucket's order totals, summarised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Summary {
    orders: i64,
    sum: i64,
    min: i64,
    max: i64,
    /// The most frequent total and how often it occurs (the smallest of ties).
    mode: (i64, i64),
}

impl Summary {
    fn of(values: &Counted<i64>) -> Option<Summary> {
        let mut present = values.iter().filter(|(_, n)| *n > 0).map(|(v, n)| (**v, *n as i64));
        let (first, count) = present.next()?;
        let mut summary = Summary { orders: count, sum: first * count, min: first, max: first, mode: (first, count) };
        for (value, count) in present {
            summary.orders += count;
            summary.sum += value * count;
            summary.max = value;
            if count > summary.mode.1 {
                summary.mode = (value, count);
            }
        }
        Some(summary)
    }
}

/// Every bucket combined, and where the middle ranks are: (bucket, rank within it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
struct Overall {
    orders: i64,
    sum: i64,
    min: i64,
    max: i64,
    mode: i64,
    middle: Vec<(i64, i64)>,
}

impl Overall {
    fn of(buckets: &Counted<(i64, Summary)>) -> Option<Overall> {
        let present: Vec<&(i64, Summary)> = buckets.iter().filter(|(_, n)| *n > 0).map(|(b, _)| *b).collect();
        let orders: i64 = present.iter().map(|(_, s)| s.orders).sum();
        if orders == 0 {
            return None;
        }
        // Buckets come in value order, so the first of equally frequent modes is the smallest.
        let mut mode = present[0].1.mode;
        for (_, summary) in &present[1..] {
            if summary.mode.1 > mode.1 {
                mode = summary.mode;
            }
        }
        let wanted = if orders % 2 == 1 { vec![(orders + 1) / 2] } else { vec![orders / 2, orders / 2 + 1] };
        let mut middle = Vec::new();
        let mut before = 0;
        for (bucket, summary) in &present {
            for &rank in &wanted {
                if rank > before && rank <= before + summary.orders {
                    middle.push((*bucket, rank - before));
                }
            }
            before += summary.orders;
        }
        Some(Overall {
            orders,
            sum: present.iter().map(|(_, s)| s.sum).sum(),
            min: present[0].1.min,
            max: present[present.len() - 1].1.max,
            mode: mode.0,
            middle,
        })
    }

    fn stats(&self, median: i64) -> OrderStats {
        OrderStats {
            orders: self.orders,
            mean: divide_rounded(i128::from(self.sum), i128::from(self.orders)) as i64,
            median,
            mode: self.mode,
            min: self.min,
            max: self.max,
        }
    }
}

/// What the per-bucket search reads: the ranks asked of a bucket (sorted first), and its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Probe {
    Rank(i64),
    Value(i64),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
enum Part {
    Overall(Overall),
    Middle { bucket: i64, rank: i64, value: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderStats {
    pub orders: i64,
    pub mean: i64,
    pub median: i64,
    pub mode: i64,
    pub min: i64,
    pub max: i64,
}

/// `None` before there is any order: `0,,,,,`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OrderValuesRow {
    pub values: Option<OrderStats>,
}

impl ReportRow for OrderValuesRow {
    const HEADER: &'static [&'static str] = &["orders", "mean", "median", "mode", "min", "max"];

    fn write(&self, fields: &mut Fields<'_>) {
        let v = self.values.as_ref();
        fields
            .int(v.map_or(0, |v| v.orders))
            .money_or_empty(v.map(|v| v.mean))
            .money_or_empty(v.map(|v| v.median))
            .money_or_empty(v.map(|v| v.mode))
            .money_or_empty(v.map(|v| v.min))
            .money_or_empty(v.map(|v| v.max));
    }
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_are_contiguous_in_value_order() {
        let values: Vec<i64> = (-70_000..70_000).step_by(7).chain([i64::MIN + 1, i64::MAX, 0, 1, -1]).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            assert!(bucket(pair[0]) <= bucket(pair[1]), "{} then {}", pair[0], pair[1]);
        }
        assert_ne!(bucket(0), bucket(1));
        assert_ne!(bucket(-1), bucket(0));
    }
}
