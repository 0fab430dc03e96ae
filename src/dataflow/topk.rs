//! Rankings: top-k per group without ever reducing a whole large group at once.
//!
//! Reports rank by a count and break ties by text, but text is only looked up
//! for the rows a report shows. So ranking runs in two phases:
//!
//! 1. On keys, every value of a group whose count is at least the group's k-th
//!    largest count: the k leaders and every value tied with the k-th, so that no
//!    value the text tie-break could pick is lost. [`top_k_by_count`] finds that
//!    threshold from a histogram of counts, so a change to one value's count
//!    re-reads a few histogram entries, not the value's group;
//!    [`top_k_by_score`] spreads rows over buckets whose survivors merge 256
//!    buckets at a time.
//! 2. The survivors' texts are resolved, and [`first_k`] makes the exact cut.

use std::hash::Hash;

use differential_dataflow::operators::CountTotal;
use differential_dataflow::{ExchangeData, Hashable};

use super::local_sum::sum_locally_by;
use super::{Coll, Counted, Desc};

/// For each group, the values whose count (the collection's diff) is among the
/// `k` largest, ties included, as `(group, (Desc(count), value))`.
///
/// As SQL, `WHERE count >= (the group's k-th largest count)`, computed as:
///
/// 1. each value's count (`count_total`, which keeps no copy of its output);
/// 2. each group's histogram of counts, summed within each worker first so that
///    no single worker receives an update for every value of a large group;
/// 3. from the histogram, the counts a survivor may have: the largest ones
///    until k values are covered;
/// 4. the values whose `(group, count)` is one of those, by a join.
///
/// A value whose count changes below the threshold touches only its histogram
/// entries; only a moving threshold reads the values at the counts it passes.
/// The values of one count are spread over 2^`bucket_bits` join keys: use 8 for
/// one group of millions of values, 0 when there are many groups.
pub fn top_k_by_count<'s, G, V>(rows: Coll<'s, (G, V)>, k: usize, bucket_bits: u32) -> Coll<'s, (G, (Desc<i64>, V))>
where
    G: ExchangeData + Hash,
    V: ExchangeData + Hash,
{
    let bits = bucket_bits.min(16);
    let bucket = move |value: &V| if bits == 0 { 0 } else { value.hashed() >> (64 - bits) };
    let counts = rows.count_total().filter(|(_, n)| *n > 0);
    let histogram = sum_locally_by(counts.clone(), |((group, _value), n)| Some(((group, n as i64), 1isize)));
    let allowed_counts = histogram.reduce(move |_group, histogram: &Counted<i64>, output: &mut Vec<(i64, isize)>| {
        // The histogram comes in ascending order of counts: take the largest
        // counts until they hold k values.
        let mut covered = 0;
        for (count, values) in histogram.iter().rev().filter(|(_, values)| *values > 0) {
            if covered >= k {
                break;
            }
            output.push((**count, 1));
            covered += *values as usize;
        }
    });
    let join_keys = allowed_counts.flat_map(move |(group, n)| (0..1u64 << bits).map(move |b| (group.clone(), n, b)));
    counts
        .map(move |((group, value), n)| ((group, n as i64, bucket(&value)), value))
        .semijoin(join_keys)
        .map(|((group, n, _bucket), value)| (group, (Desc(n), value)))
}

/// For each group, the rows whose score is among the `k` best (smallest by
/// `Ord`: wrap in [`Desc`] to rank largest first), ties with the k-th included.
/// Each row must be present once. Rows are spread over 2^`bucket_bits`
/// buckets per group; each bucket keeps its own best k with ties, so a change
/// re-reads one small bucket and a few k-sized merges of 256 buckets each.
pub fn top_k_by_score<'s, G, S, V>(rows: Coll<'s, (G, (S, V))>, k: usize, bucket_bits: u32) -> Coll<'s, (G, (S, V))>
where
    G: ExchangeData + Hash,
    S: ExchangeData + Hash,
    V: ExchangeData + Hash,
{
    let bits = bucket_bits.min(63);
    let survivors = rows
        .map(move |(group, (score, value))| {
            let bucket = if bits == 0 { 0 } else { value.hashed() >> (64 - bits) };
            ((group, bucket), (score, value))
        })
        .reduce(move |_, input, output| keep_top(k, input, output));
    merge_buckets(survivors, k, bits)
}

/// Merges each group's bucket survivors 256 buckets at a time, down to one.
fn merge_buckets<'s, G, S, V>(
    mut survivors: Coll<'s, ((G, u64), (S, V))>,
    k: usize,
    mut bits: u32,
) -> Coll<'s, (G, (S, V))>
where
    G: ExchangeData + Hash,
    S: ExchangeData,
    V: ExchangeData,
{
    while bits > 8 {
        bits -= 8;
        survivors = survivors
            .map(|((group, bucket), row)| ((group, bucket >> 8), row))
            .reduce(move |_, input, output| keep_top(k, input, output));
    }
    survivors.map(|((group, _), row)| (group, row)).reduce(move |_, input, output| keep_top(k, input, output))
}

/// Rows and their counts, as `reduce` logic writes them.
type Output<T> = Vec<(T, isize)>;

/// The `reduce` logic of a merge round: the first `k` rows and any tied with the k-th.
fn keep_top<S: Clone + PartialEq, R: Clone>(k: usize, input: &Counted<(S, R)>, output: &mut Output<(S, R)>) {
    // `reduce` presents values in sorted order, so the best scores come first.
    let present: Vec<&(S, R)> = input.iter().filter(|(_, n)| *n > 0).map(|(row, _)| *row).collect();
    let kept = kept_with_ties(&present, k, |row| &row.0);
    output.extend(present[..kept].iter().map(|row| ((*row).clone(), 1)));
}

/// How many of the sorted `rows` to keep: the first `k`, and any after them
/// whose score equals the k-th's.
fn kept_with_ties<T, S: PartialEq>(rows: &[T], k: usize, score: impl Fn(&T) -> &S) -> usize {
    if k == 0 || rows.len() <= k {
        return if k == 0 { 0 } else { rows.len() };
    }
    let boundary = score(&rows[k - 1]);
    k + rows[k..].iter().take_while(|row| score(row) == boundary).count()
}

/// The first `k` rows of each group in the rows' own `Ord` order, with their rank
/// (1 = first). One `reduce` per group: use it on few rows per group.
pub fn first_k<'s, G, R>(rows: Coll<'s, (G, R)>, k: usize) -> Coll<'s, (G, (u32, R))>
where
    G: ExchangeData + Hash,
    R: ExchangeData,
{
    rows.reduce(move |_group, input: &Counted<R>, output: &mut Vec<((u32, R), isize)>| {
        let present = input.iter().filter(|(_, n)| *n > 0).take(k);
        output.extend(present.enumerate().map(|(i, (row, _))| ((i as u32 + 1, (*row).clone()), 1)));
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::rc::Rc;

    use differential_dataflow::input::Input;

    use super::{kept_with_ties, top_k_by_count, Desc};

    type Ranked = (u8, (Desc<i64>, u32));

    /// Values of each group with a count at least the group's k-th largest.
    fn expected(counts: &BTreeMap<(u8, u32), isize>, k: usize) -> Vec<Ranked> {
        let mut by_group: BTreeMap<u8, Vec<(Desc<i64>, u32)>> = BTreeMap::new();
        for (&(group, value), &n) in counts.iter().filter(|(_, n)| **n > 0) {
            by_group.entry(group).or_default().push((Desc(n as i64), value));
        }
        let mut rows = Vec::new();
        for (group, mut values) in by_group {
            values.sort();
            let kept = kept_with_ties(&values, k, |row| &row.0);
            rows.extend(values[..kept].iter().map(|row| (group, *row)));
        }
        rows
    }

    #[test]
    fn top_k_by_count_follows_counts_as_they_rise_and_fall() {
        let k = 3;
        // Epochs of (group, value, change): ties at the threshold, a threshold
        // that rises and falls back, a group that empties and one smaller than k.
        let epochs: Vec<Vec<(u8, u32, isize)>> = vec![
            vec![(0, 1, 5), (0, 2, 3), (0, 3, 3), (0, 4, 3), (0, 5, 1), (1, 1, 2), (2, 7, 1)],
            vec![(0, 5, 9), (0, 2, 1), (1, 2, 2), (1, 3, 2), (1, 4, 1)],
            vec![(0, 5, -9), (0, 1, -4), (1, 1, -2), (2, 7, -1), (2, 8, 4)],
            vec![(0, 6, 2), (0, 7, 2), (0, 8, 2), (1, 9, 7)],
            vec![(0, 2, -4), (0, 3, -3), (0, 4, -3), (1, 2, -2), (1, 3, -2), (1, 4, -1)],
        ];
        for bits in [0, 2] {
            let epochs = epochs.clone();
            timely::execute_directly(move |worker| {
                let seen: Rc<RefCell<BTreeMap<Ranked, isize>>> = Rc::default();
                let record = Rc::clone(&seen);
                let (mut input, probe) = worker.dataflow::<u64, _, _>(|scope| {
                    let (input, rows) = scope.new_collection::<(u8, u32), isize>();
                    let probe = top_k_by_count(rows, k, bits)
                        .inspect(move |(row, _time, diff)| *record.borrow_mut().entry(*row).or_default() += diff)
                        .probe()
                        .0;
                    (input, probe)
                });
                let mut counts = BTreeMap::new();
                for (epoch, changes) in epochs.iter().enumerate() {
                    for &(group, value, change) in changes {
                        input.update((group, value), change);
                        *counts.entry((group, value)).or_default() += change;
                    }
                    input.advance_to(epoch as u64 + 1);
                    input.flush();
                    worker.step_while(|| probe.less_than(input.time()));
                    let mut now: Vec<_> = seen.borrow().iter().filter(|(_, n)| **n != 0).map(|(row, _)| *row).collect();
                    now.sort();
                    assert_eq!(now, expected(&counts, k), "bits {bits}, after epoch {epoch}");
                    assert!(seen.borrow().values().all(|n| *n == 0 || *n == 1));
                }
            });
        }
    }

    #[test]
    fn keeps_ties_at_the_boundary() {
        let scores = [9, 7, 7, 7, 3];
        assert_eq!(kept_with_ties(&scores, 2, |s| s), 4);
        assert_eq!(kept_with_ties(&scores, 1, |s| s), 1);
        assert_eq!(kept_with_ties(&scores, 4, |s| s), 4);
        assert_eq!(kept_with_ties(&scores, 9, |s| s), 5);
        assert_eq!(kept_with_ties(&scores, 0, |s| s), 0);
    }
}
