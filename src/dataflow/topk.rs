//! Rankings: top-k per group without ever reducing a whole large group at once.
//!
//! Reports rank by a number and break ties by text, but text is only looked up
//! for the rows a report shows. So ranking runs in two phases:
//!
//! 1. [`top_k_with_ties`] on keys: the first k rows of each group by score, plus
//!    every row tied with the k-th, so that no row the text tie-break could pick
//!    is lost. `reduce` re-reads a group whenever it changes, so rows are first
//!    spread by hash over many small buckets; each bucket keeps its own top k
//!    with ties, and the survivors are merged in two more rounds. A change then
//!    re-reads one small bucket and a few k-sized merges.
//! 2. The survivors' texts are resolved, and [`first_k`] makes the exact cut.

use std::hash::Hash;

use differential_dataflow::{ExchangeData, Hashable};

use super::Coll;

/// Buckets in the first round (2^16), and the fan-in of the second (2^8).
const FIRST_ROUND_BITS: u32 = 16;
const SECOND_ROUND_BITS: u32 = 8;

/// For each group, the rows whose score is among the `k` best, ties included.
/// Rows are `(score, rest)`; a smaller score ranks first (wrap it in `Desc` for
/// largest-first). Rows must be distinct within a group.
pub fn top_k_with_ties<'s, G, S, R>(rows: Coll<'s, (G, (S, R))>, k: usize) -> Coll<'s, (G, (S, R))>
where
    G: ExchangeData + Hash,
    S: ExchangeData + Hash,
    R: ExchangeData + Hash,
{
    rows.map(|(group, row)| {
        let bucket = row.hashed() >> (64 - FIRST_ROUND_BITS);
        ((group, bucket), row)
    })
    .reduce(keep_top(k))
    .map(|((group, bucket), row)| ((group, bucket >> (FIRST_ROUND_BITS - SECOND_ROUND_BITS)), row))
    .reduce(keep_top(k))
    .map(|((group, _), row)| (group, row))
    .reduce(keep_top(k))
}

/// The `reduce` logic of one round: the first `k` rows and any tied with the k-th.
fn keep_top<K, S: Clone + PartialEq, R: Clone>(k: usize) -> impl FnMut(&K, &[(&(S, R), isize)], &mut Vec<((S, R), isize)>) {
    move |_group, input, output| {
        // `reduce` presents values in sorted order, so the best scores come first.
        let mut boundary: Option<&S> = None;
        for (kept, (row, _)) in input.iter().filter(|(_, n)| *n > 0).enumerate() {
            if kept >= k && boundary != Some(&row.0) {
                break;
            }
            if kept + 1 == k {
                boundary = Some(&row.0);
            }
            output.push(((*row).clone(), 1));
        }
    }
}

/// The first `k` rows of each group in the rows' own `Ord` order, with their rank
/// (1 = first). One `reduce` per group: use it on few rows per group.
pub fn first_k<'s, G, R>(rows: Coll<'s, (G, R)>, k: usize) -> Coll<'s, (G, (u32, R))>
where
    G: ExchangeData + Hash,
    R: ExchangeData,
{
    rows.reduce(move |_group, input: &[(&R, isize)], output: &mut Vec<((u32, R), isize)>| {
        let present = input.iter().filter(|(_, n)| *n > 0).take(k);
        output.extend(present.enumerate().map(|(i, (row, _))| ((i as u32 + 1, (*row).clone()), 1)));
    })
}
