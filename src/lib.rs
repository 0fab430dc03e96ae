//! cartflow: retail and e-commerce files in, incremental business reports out.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! sources ─▶ formats ─▶ records ─▶ aggregate ─▶ dataflow ─▶ reports ─▶ sinks
//! (which     (bytes to   (typed     (per-file    (fact       (one module  (CSV files,
//!  files,     fields,     rows)      facts per    collections  per report)  quality,
//!  epochs)    rejects)               worker)      on timely)               epochs)
//! ```
//!
//! [`dimensions`] reads product, agent and branch tables beside the facts; the
//! reports join them as collections.
//!
//! [`engine`] runs that pipeline on timely workers, one step at a time as
//! [`epochs`] plans them; [`state`] keeps what a restart needs (manifest,
//! checkpoints); [`cli`] is the command line.

pub mod aggregate;
pub mod bench;
pub mod cli;
pub mod cluster;
pub mod dataflow;
pub mod demo;
pub mod dimensions;
pub mod engine;
pub mod epochs;
pub mod formats;
pub mod gen;
pub mod ingest;
pub mod job_file;
pub mod records;
pub mod reports;
pub mod sinks;
pub mod sources;
pub mod state;

/// A fixed pseudo-random sequence for unit tests (xorshift64): each call gives a
/// number below its `bound`, the same ones in every run.
#[cfg(test)]
pub(crate) fn test_sequence(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    }
}
