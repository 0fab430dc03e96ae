//! Runs a job on timely workers: every worker builds the same dataflow, reads its
//! share of each epoch's files, and writes its outputs once the epoch is complete.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, Result};
use differential_dataflow::input::Input;
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::{Exchange, Input as TimelyInput, Probe};
use timely::worker::Worker;
use timely::{CommunicationConfig, Config, WorkerConfig};

use crate::aggregate::InteractionFacts;
use crate::dataflow::{InteractionInputs, Time};
use crate::formats::Format;
use crate::ingest::read_file;
use crate::reports::{build_interaction_reports, ReportParams, PER_ENTITY_REPORTS};
use crate::sinks::quality::{write_epoch, write_rejects, EpochRecord, QualityRow};
use crate::sinks::Outputs;
use crate::sources::EpochPlan;

/// Everything a run needs, decided before any worker starts.
#[derive(Clone, Debug)]
pub struct Job {
    pub epochs: Vec<EpochPlan>,
    pub format: Format,
    pub out_dir: PathBuf,
    pub workers: usize,
    pub params: ReportParams,
    pub max_reject_rate: f64,
}

/// What a run did, as seen from worker 0.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub epochs: Vec<EpochRecord>,
    pub quality: Vec<QualityRow>,
}

/// Runs `job` to completion. `bytes_read` counts input bytes as workers read
/// them, for progress display.
pub fn run(job: Job, bytes_read: Arc<AtomicU64>) -> Result<RunSummary> {
    std::fs::create_dir_all(&job.out_dir)
        .map_err(|e| anyhow!("output {}: cannot create it: {e}", job.out_dir.display()))?;
    remove_stale_parts(&job)?;
    let communication = match job.workers {
        0 | 1 => CommunicationConfig::Thread,
        n => CommunicationConfig::Process(n),
    };
    let mut worker_config = WorkerConfig::default();
    differential_dataflow::configure(
        &mut worker_config,
        &differential_dataflow::Config::default().idle_merge_effort(None),
    );
    let config = Config { communication, worker: worker_config };
    let job = Arc::new(job);
    let guards =
        timely::execute(config, move |worker| run_worker(worker, &job, &bytes_read)).map_err(|e| anyhow!(e))?;
    let mut summary = RunSummary::default();
    for result in guards.join() {
        if let Some(s) = result.map_err(|e| anyhow!(e))? {
            summary = s;
        }
    }
    Ok(summary)
}

/// Stops the whole process. Workers wait on each other at every epoch, so a
/// worker that gave up alone would leave the others waiting forever.
fn fail(message: String) -> ! {
    eprintln!("cartflow: error: {message}");
    std::process::exit(1)
}

/// One worker's whole run. Worker 0 returns the summary.
fn run_worker(worker: &mut Worker, job: &Job, bytes_read: &AtomicU64) -> Option<RunSummary> {
    let index = worker.index();
    let peers = worker.peers();
    let probe = ProbeHandle::<Time>::new();

    let (mut facts_in, mut quality_in, mut outputs, quality_table) = worker.dataflow::<Time, _, _>(|scope| {
        let (facts_in, facts) = InteractionInputs::new(scope);
        let (mut quality_in, quality) = scope.new_collection::<QualityRow, isize>();
        quality_in.advance_to(1);
        let mut outputs = Outputs::new(index, probe.clone());
        build_interaction_reports(&facts, &job.params, &mut outputs);
        let quality_table = outputs.report("_quality", quality);
        (facts_in, quality_in, outputs, quality_table)
    });
    // Every worker says when it has written an epoch's outputs; worker 0 waits for
    // all of them before it writes `_epoch.json`.
    let barrier_probe = ProbeHandle::<Time>::new();
    let mut barrier_in = worker.dataflow::<Time, _, _>(|scope| {
        let (barrier_in, stream) = scope.new_input::<Vec<()>>();
        stream.exchange(|_| 0).probe_with(&barrier_probe);
        barrier_in
    });

    let mut summary = RunSummary::default();
    for (i, plan) in job.epochs.iter().enumerate() {
        let epoch = i as Time + 1;
        let started = Instant::now();
        let mut epoch_facts = InteractionFacts::default();
        for file in plan.files.iter().skip(index).step_by(peers) {
            let outcome = read_file(file, job.format, job.max_reject_rate, bytes_read);
            if !outcome.rejects.is_empty() {
                if let Err(e) = write_rejects(&job.out_dir, &file.name, &outcome.rejects) {
                    fail(format!("output {}: cannot write rejects: {e}", job.out_dir.display()));
                }
            }
            quality_in.insert(outcome.quality);
            if let Some(facts) = outcome.facts {
                if epoch_facts.is_empty() {
                    epoch_facts = facts;
                } else {
                    epoch_facts.absorb(facts);
                }
            }
        }
        epoch_facts.feed(&mut facts_in, || {
            worker.step();
        });
        facts_in.advance_to(epoch + 1);
        facts_in.flush();
        quality_in.advance_to(epoch + 1);
        quality_in.flush();
        worker.step_or_park_while(None, || probe.less_than(&(epoch + 1)));

        if let Err(e) = outputs.write(&job.out_dir) {
            fail(format!("output {}: cannot write reports: {e}", job.out_dir.display()));
        }
        barrier_in.advance_to(epoch + 1);
        if index == 0 {
            worker.step_or_park_while(None, || barrier_probe.less_than(&(epoch + 1)));
            let record = EpochRecord {
                epoch,
                files: plan.files.iter().map(|f| f.name.clone()).collect(),
                duplicates: plan.duplicates.clone(),
                seconds: started.elapsed().as_secs_f64(),
                workers: peers,
            };
            if let Err(e) = write_epoch(&job.out_dir, &record) {
                fail(format!("output {}: cannot write _epoch.json: {e}", job.out_dir.display()));
            }
            tracing::info!(epoch, files = record.files.len(), seconds = record.seconds, "epoch applied");
            summary.epochs.push(record);
        }
    }
    drop((facts_in, quality_in, barrier_in));
    worker.step_or_park_while(None, || !probe.done() || !barrier_probe.done());
    summary.quality = quality_table.rows();
    (index == 0).then_some(summary)
}

/// Parts from an earlier run with more workers would otherwise stay in the
/// union of a per-entity report.
fn remove_stale_parts(job: &Job) -> Result<()> {
    for report in PER_ENTITY_REPORTS {
        let dir = job.out_dir.join(report);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let part =
                name.strip_prefix("part-").and_then(|n| n.strip_suffix(".csv")).and_then(|n| n.parse::<usize>().ok());
            if part.is_some_and(|p| p >= job.workers.max(1)) {
                std::fs::remove_file(entry.path())
                    .map_err(|e| anyhow!("output {}: cannot remove a stale part: {e}", dir.display()))?;
            }
        }
    }
    Ok(())
}
