//! Rankings: top-k per group without ever reducing a whole large group at once.
//!
//! Reports rank by a count and break ties by text, but text is only looked up
//! for the rows a report shows. So ranking runs in two phases:
//!
//! 1. [`top_k_by_count`] on keys: the k values of each group with the largest
//!    counts, plus every value tied with the k-th, so that no value the text
//!    tie-break could pick is lost. `reduce` re-reads a group whenever it
//!    changes, so values are first spread by hash over buckets; each bucket
//!    keeps its own top k with ties, and survivors merge 256 buckets at a time.
//!    A change then re-reads one small bucket and a few k-sized merges. The
//!    first round counts too: `reduce` sees each value's accumulated diff, so
//!    no separate `count` (and its copy of the data) is needed.
//! 2. The survivors' texts are resolved, and [`first_k`] makes the exact cut.

use std::hash::Hash;

use differential_dataflow::{ExchangeData, Hashable};

use super::{Coll, Counted, Desc};

/// For each group, the values whose count (the collection's diff) is among the
/// `k` largest, ties included, as `(group, (Desc(count), value))`. Values are
/// first spread over 2^`bucket_bits` buckets per group: use more bits the
/// larger the groups get.
pub fn top_k_by_count<'s, G, V>(rows: Coll<'s, (G, V)>, k: usize, bucket_bits: u32) -> Coll<'s, (G, (Desc<i64>, V))>
where
    G: ExchangeData + Hash,
    V: ExchangeData + Hash,
{
    let bits = bucket_bits.min(63);
    let survivors = rows
        .map(move |(group, value)| {
            let bucket = if bits == 0 { 0 } else { value.hashed() >> (64 - bits) };
            ((group, bucket), value)
        })
        .reduce(move |_bucket, values: &Counted<V>, output: &mut Vec<((Desc<i64>, V), isize)>| {
            let mut counted: Vec<(Desc<i64>, &V)> =
                values.iter().filter(|(_, n)| *n > 0).map(|(value, n)| (Desc(*n as i64), *value)).collect();
            counted.sort_unstable();
            let kept = kept_with_ties(&counted, k, |row| &row.0);
            output.extend(counted[..kept].iter().map(|(n, value)| ((*n, (*value).clone()), 1)));
        });
    merge_buckets(survivors, k, bits)
}

/// For each group, the rows whose score is among the `k` best (smallest by
/// `Ord`: wrap in [`Desc`] to rank largest first), ties with the k-th included.
/// Each row must be present once. Rows are spread over 2^`bucket_bits`
/// buckets per group like [`top_k_by_count`]'s.
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
    use super::kept_with_ties;

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
