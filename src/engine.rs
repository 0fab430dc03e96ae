//! Runs a job on timely workers. Every worker builds the same dataflow; worker 0
//! plans each step (restore, apply an epoch, checkpoint) and the plan reaches
//! every worker through the dataflow, so all of them take the same steps. Each
//! worker reads its share of an epoch's files, and writes its outputs once the
//! epoch is complete everywhere.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::time::Instant;
use std::{cell::RefCell, rc::Rc};

use anyhow::{anyhow, Result};
use differential_dataflow::input::Input;
use serde::{Deserialize, Serialize};
use timely::dataflow::operators::probe::Handle as ProbeHandle;
use timely::dataflow::operators::vec::{Broadcast, Input as TimelyInput};
use timely::dataflow::operators::{Exchange, Inspect, Probe};
use timely::dataflow::InputHandleVec;
use timely::worker::Worker;
use timely::{CommunicationConfig, WorkerConfig};

use crate::aggregate::{FactInputs, FileFacts};
use crate::cluster::ClusterOptions;
use crate::dataflow::{
    FactTrace, InteractionInputs, InteractionSnapshot, InteractionTraces, SalesInputs, SalesSnapshot, SalesTraces, Time,
};
use crate::dimensions::{DimensionInputs, DimensionSources, DimensionWatch, Tables};
use crate::epochs::{CheckpointPolicy, EpochPlan, Planner, Retraction, Schedule, Step};
use crate::formats::custom::CustomLayout;
use crate::formats::Reject;
use crate::formats::{FileKind, Format};
use crate::ingest::{accepted, judge, read_piece, Piece, SizeHint, Tally};
use crate::reports::{build_reports, ReportParams, ReportSet, PER_ENTITY_REPORTS};
use crate::sinks::csv_out::write_atomically;
use crate::sinks::quality::{remove_rejects, write_epoch, write_rejects, EpochRecord, QualityRow};
use crate::sinks::{change_log_lengths, rewind_change_logs, Outputs};
use crate::sources::{InputFile, Split};
use crate::state::{read_binary, write_binary, CheckpointRef, FileContribution, Manifest, StateDir};

/// Everything a run needs, decided before any worker starts.
#[derive(Clone, Debug)]
pub struct Job {
    pub schedule: Schedule,
    /// Where the facts come from, each source in its own format.
    pub sources: Vec<Source>,
    /// Product, agent and branch tables to read beside the facts.
    pub dimensions: DimensionSources,
    pub out_dir: PathBuf,
    pub workers: usize,
    pub params: ReportParams,
    pub max_reject_rate: f64,
    pub state: Option<StateOptions>,
    /// Plain files larger than this are read in ranges by several workers.
    pub split_bytes: u64,
    /// `None` for a single process.
    pub cluster: Option<ClusterOptions>,
}

/// Files of one format: files, or directories standing for the files in them.
#[derive(Clone, Debug)]
pub struct Source {
    pub format: SourceFormat,
    pub paths: Vec<PathBuf>,
}

/// How a source's files are read: a built-in format, or a CSV layout its job file describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Builtin(Format),
    Custom(Arc<CustomLayout>),
}

impl From<Format> for SourceFormat {
    fn from(format: Format) -> Self {
        SourceFormat::Builtin(format)
    }
}

impl SourceFormat {
    /// How a file of this source is read: a qcompany source's app logs are JSON,
    /// told apart from its CSV transactions by their names.
    pub fn for_file(&self, path: &Path) -> FileKind<'_> {
        match self {
            SourceFormat::Builtin(format) => FileKind::Facts(format.for_file(path)),
            SourceFormat::Custom(layout) => FileKind::Custom(layout),
        }
    }
}

impl Job {
    /// How an input file is read: as the source naming it or its directory reads
    /// a file of this name.
    pub fn format_of(&self, path: &Path) -> FileKind<'_> {
        let named = |source: &&Source| source.paths.iter().any(|p| p == path || Some(p.as_path()) == path.parent());
        let source = self.sources.iter().find(named).or(self.sources.first());
        source.map_or(FileKind::Facts(Format::Rees46), |s| s.format.for_file(path))
    }

    /// The reports every source together yields: by their formats, and, since `run`
    /// knows all its files up front, by the formats its files are read in (a
    /// qcompany directory holding app logs yields the interaction reports too).
    pub fn report_set(&self) -> ReportSet {
        let declared = self.sources.iter().map(|source| match &source.format {
            SourceFormat::Builtin(format) => ReportSet::for_format(*format),
            SourceFormat::Custom(layout) => layout.reports(),
        });
        let listed: Vec<ReportSet> = match &self.schedule {
            Schedule::Batch(epochs) => {
                epochs.iter().flatten().map(|file| ReportSet::for_kind(self.format_of(&file.path))).collect()
            }
            Schedule::Watch(_) => Vec::new(),
        };
        declared.chain(listed).fold(ReportSet::default(), ReportSet::union)
    }

    /// Worker threads in all processes.
    pub fn total_workers(&self) -> usize {
        self.workers.max(1) * self.cluster.as_ref().map_or(1, |c| c.processes)
    }

    /// The process that plans, holds the state's lock and writes the shared outputs.
    fn is_first_process(&self) -> bool {
        self.cluster.as_ref().is_none_or(|c| c.process == 0)
    }
}

/// `--state` and what goes with it.
#[derive(Clone, Debug)]
pub struct StateOptions {
    pub dir: PathBuf,
    pub policy: CheckpointPolicy,
    pub replace_changed: bool,
}

/// What a run did, as seen from worker 0.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub epochs: Vec<EpochRecord>,
    pub quality: Vec<QualityRow>,
}

/// One worker's part of a checkpoint.
#[derive(Default, Serialize, Deserialize)]
struct CheckpointPart {
    interactions: InteractionSnapshot,
    sales: SalesSnapshot,
    quality: Vec<(QualityRow, isize)>,
}

/// A checkpoint's dimension tables, beside its parts: every worker restores them,
/// the reports show them again, and a dimension file changed since the checkpoint
/// is then one epoch's change.
const DIMENSIONS_FILE: &str = "dimensions.bin";

/// Runs `job` until its schedule ends or `stop` is set. `bytes_read` counts
/// input bytes as workers read them, for progress display.
pub fn run(job: Job, bytes_read: Arc<AtomicU64>, stop: &'static AtomicBool) -> Result<RunSummary> {
    std::fs::create_dir_all(&job.out_dir)
        .map_err(|e| anyhow!("output {}: cannot create it: {e}", job.out_dir.display()))?;
    let state = job.state.as_ref().map(|s| StateDir::open(&s.dir)).transpose()?;
    let first = job.is_first_process();
    let _lock = state.as_ref().filter(|_| first).map(StateDir::lock).transpose()?;
    let resume = match &state {
        Some(state) if first => state.load_manifest()?,
        _ => None,
    };
    if let Some(manifest) = &resume {
        tracing::info!(epoch = manifest.epoch, files = manifest.files.len(), "resuming from the checkpoint");
    }
    if first {
        rewind_change_logs(&job.out_dir, resume.as_ref().map(|m| &m.change_logs))
            .map_err(|e| anyhow!("output {}: cannot rewind the change logs: {e}", job.out_dir.display()))?;
        remove_stale_parts(&job)?;
    }

    let (builders, others) = match &job.cluster {
        Some(cluster) => cluster.allocators(job.workers.max(1))?,
        None if job.workers > 1 => CommunicationConfig::Process(job.workers).try_build().map_err(|e| anyhow!(e))?,
        None => CommunicationConfig::Thread.try_build().map_err(|e| anyhow!(e))?,
    };
    let mut worker_config = WorkerConfig::default();
    differential_dataflow::configure(
        &mut worker_config,
        &differential_dataflow::Config::default().idle_merge_effort(None),
    );
    let workers_here = job.workers.max(1);
    let alone = job.cluster.is_none();
    let shared = Arc::new((job, state, resume));
    let (finished, results) = std::sync::mpsc::channel();
    let guards = timely::execute::execute_from(builders, others, worker_config, move |worker| {
        let (job, state, resume) = &*shared;
        let finished = |summary| _ = finished.send(summary);
        run_worker(worker, job, state.as_ref(), resume.as_ref(), &bytes_read, stop, &finished);
    })
    .map_err(|e| anyhow!(e))?;
    if alone {
        // A process alone need not wait while its workers wind their dataflows
        // down and free a run's worth of small allocations (tens of milliseconds
        // on a large run): it goes on, and exits, as soon as each has handed
        // over. Processes of a cluster join their workers, which close their
        // connections in order.
        let summaries: Vec<Option<RunSummary>> = results.iter().take(workers_here).collect();
        if summaries.len() == workers_here {
            std::mem::forget(guards);
            return Ok(summaries.into_iter().flatten().next().unwrap_or_default());
        }
    }
    for result in guards.join() {
        result.map_err(|e| anyhow!(e))?;
    }
    Ok(results.try_iter().flatten().next().unwrap_or_default())
}

/// Stops the whole process. Workers wait on each other at every step, so a
/// worker that gave up alone would leave the others waiting forever.
fn fail(message: String) -> ! {
    eprintln!("cartflow: error: {message}");
    std::process::exit(1)
}

/// The dataflow one worker drives, and its handles.
struct WorkerDataflow {
    facts_in: FactInputs,
    dimensions_in: DimensionInputs,
    quality_in: differential_dataflow::input::InputSession<Time, QualityRow, isize>,
    outputs: Outputs,
    quality_table: crate::sinks::TableView<QualityRow>,
    /// What a checkpoint reads; only with a state directory.
    traces: Option<CheckpointTraces>,
}

/// Everything a checkpoint reads, arranged inside the dataflow.
struct CheckpointTraces {
    interactions: InteractionTraces,
    sales: SalesTraces,
    quality: FactTrace<QualityRow, isize>,
}

impl CheckpointTraces {
    fn snapshot(&mut self) -> CheckpointPart {
        CheckpointPart {
            interactions: self.interactions.snapshot(),
            sales: self.sales.snapshot(),
            quality: crate::dataflow::read_trace(&mut self.quality),
        }
    }

    fn compact_to(&mut self, time: Time) {
        self.interactions.compact_to(time);
        self.sales.compact_to(time);
        crate::dataflow::compact_trace(&mut self.quality, time);
    }
}

impl WorkerDataflow {
    fn advance_to(&mut self, time: Time) {
        self.facts_in.advance_to(time);
        self.dimensions_in.advance_to(time);
        self.quality_in.advance_to(time);
        self.quality_in.flush();
    }
}

/// One worker's whole run; it hands `finished` its summary (worker 0's only) once
/// every output is written.
fn run_worker(
    worker: &mut Worker,
    job: &Job,
    state: Option<&StateDir>,
    resume: Option<&Manifest>,
    bytes_read: &AtomicU64,
    stop: &'static AtomicBool,
    finished: &dyn Fn(Option<RunSummary>),
) {
    let index = worker.index();
    let peers = worker.peers();
    let probe = ProbeHandle::<Time>::new();
    let set = job.report_set();
    let mut flow = worker.dataflow::<Time, _, _>(|scope| {
        let (interactions_in, interactions) = InteractionInputs::new(scope);
        let (sales_in, sales) = SalesInputs::new(scope);
        let facts_in = FactInputs { interactions: interactions_in, sales: sales_in };
        let (dimensions_in, dimensions) = DimensionInputs::new(scope);
        let (mut quality_in, quality) = scope.new_collection::<QualityRow, isize>();
        quality_in.advance_to(1);
        let mut outputs = Outputs::new(index, probe.clone());
        build_reports(set, &interactions, &sales, &dimensions, &job.params, &mut outputs);
        // Dimension files are read afresh at every start, so their rows stay out of the checkpoint.
        let quality_table = outputs.table("_quality", quality.clone().concat(dimensions.quality.clone()));
        let traces = state.is_some().then(|| {
            let quality = quality.arrange_by_self();
            quality.stream.probe_with(&probe);
            CheckpointTraces {
                interactions: interactions.arrange_for_checkpoint(&probe),
                sales: sales.arrange_for_checkpoint(&probe),
                quality: quality.trace,
            }
        });
        WorkerDataflow { facts_in, dimensions_in, quality_in, outputs, quality_table, traces }
    });
    let mut control = Control::new(worker);
    let mut tallies = AllToAll::new(worker);
    // Kept from epoch to epoch: a worker's next file is most often like its last.
    let mut size_hint = SizeHint::default();
    let mut barrier = Barrier::new(worker);
    let mut planner = (index == 0).then(|| {
        let replace_changed = job.state.as_ref().is_some_and(|s| s.replace_changed);
        let policy = job.state.as_ref().map_or(CheckpointPolicy { every: 1, interval: None }, |s| s.policy);
        let split = Split { bytes: job.split_bytes, workers: peers };
        let dimensions = DimensionWatch::new(job.dimensions.clone(), job.out_dir.clone(), job.max_reject_rate);
        Planner::new(job.schedule.clone(), resume, state.is_some(), policy, replace_changed, split, dimensions, stop)
    });

    let mut summary = RunSummary::default();
    let mut tables = Tables::default();
    let mut time: Time = 1;
    loop {
        if let Some(planner) = &mut planner {
            match planner.next_step() {
                Ok(Some(step)) => control.send(step),
                Ok(None) => control.close(),
                Err(e) => fail(format!("{e:#}")),
            }
        }
        let Some(step) = control.receive(worker) else { break };
        let started = Instant::now();
        if let Some(new) = step.dimensions() {
            if index == 0 {
                flow.dimensions_in.update(&tables, new);
            }
            tables = new.clone();
        }
        match &step {
            Step::Restore { checkpoint, parts, .. } => {
                let state = state.expect("a restore needs a state directory");
                let path = state.checkpoint_dir(checkpoint).join(DIMENSIONS_FILE);
                if path.exists() {
                    tables = read_binary(&path).unwrap_or_else(|e| fail(format!("{e:#}")));
                    if index == 0 {
                        flow.dimensions_in.update(&Tables::default(), &tables);
                    }
                    if let Some(planner) = &mut planner {
                        planner.restored_dimensions(tables.clone());
                    }
                }
                for part in (index..*parts).step_by(peers) {
                    let path = state.checkpoint_part(checkpoint, part);
                    let part: CheckpointPart = read_binary(&path).unwrap_or_else(|e| fail(format!("{e:#}")));
                    flow.facts_in.interactions.restore(part.interactions);
                    flow.facts_in.sales.restore(part.sales);
                    for (row, diff) in part.quality {
                        flow.quality_in.update(row, diff);
                    }
                }
            }
            Step::Apply(plan) => {
                let context = StepContext { job, reports: set, state, bytes_read, tables: &tables };
                apply(worker, &mut flow, &mut tallies, time, &context, plan, &mut size_hint)
            }
            Step::Checkpoint { .. } => {}
        }
        time += 1;
        flow.advance_to(time);
        worker.step_or_park_while(None, || probe.less_than(&time));

        match step {
            Step::Restore { epoch, files, .. } => {
                write_outputs(&mut flow.outputs, &job.out_dir, None);
                barrier.pass(worker, time);
                if index == 0 {
                    let record = EpochRecord::restored(epoch, files, started.elapsed().as_secs_f64(), peers);
                    publish(&job.out_dir, &record);
                    tracing::info!(epoch, seconds = record.seconds, "checkpoint restored");
                }
            }
            Step::Apply(plan) => {
                let computed = started.elapsed().as_secs_f64();
                write_outputs(&mut flow.outputs, &job.out_dir, Some(plan.epoch));
                let written = started.elapsed().as_secs_f64() - computed;
                tracing::debug!(worker = index, written_seconds = written, "outputs written");
                crash_point("after-outputs", plan.epoch);
                barrier.pass(worker, time);
                if index == 0 {
                    let record = EpochRecord {
                        epoch: plan.epoch,
                        files: plan.files.iter().map(|f| f.name.clone()).collect(),
                        duplicates: plan.duplicates,
                        retracted: plan.retract.into_iter().map(|r| r.name).collect(),
                        changed: plan.changed,
                        restored: false,
                        seconds: started.elapsed().as_secs_f64(),
                        workers: peers,
                    };
                    publish(&job.out_dir, &record);
                    tracing::info!(
                        epoch = record.epoch,
                        files = record.files.len(),
                        seconds = record.seconds,
                        computed_seconds = computed,
                        resident_mb = resident_mb(),
                        "epoch applied"
                    );
                    summary.epochs.push(record);
                }
            }
            Step::Checkpoint { dir, epoch } => {
                let state = state.expect("a checkpoint needs a state directory");
                let part = flow.traces.as_mut().expect("traces are kept with a state directory").snapshot();
                if index == 0 && tables != Tables::default() {
                    let path = state.checkpoint_dir(&dir).join(DIMENSIONS_FILE);
                    if let Err(e) = write_binary(&path, &tables) {
                        fail(format!("state {}: cannot write a checkpoint: {e}", path.display()));
                    }
                }
                if let Err(e) = write_binary(&state.checkpoint_part(&dir, index), &part) {
                    fail(format!("state {}: cannot write a checkpoint: {e}", state.checkpoint_dir(&dir).display()));
                }
                drop(part);
                crash_point("mid-checkpoint", epoch);
                barrier.pass(worker, time);
                if let Some(planner) = &planner {
                    commit_checkpoint(state, &job.out_dir, dir, epoch, peers, planner);
                    let (checkpoint_bytes, retraction_bytes) = state.bytes();
                    tracing::info!(
                        epoch,
                        seconds = started.elapsed().as_secs_f64(),
                        checkpoint_bytes,
                        retraction_bytes,
                        "checkpoint written"
                    );
                    crash_point("after-checkpoint", epoch);
                }
            }
        }
        if let Some(traces) = &mut flow.traces {
            traces.compact_to(time);
        }
    }
    // Every output is written (the schedule ends between steps): the summary is
    // final before the dataflow winds down.
    summary.quality = flow.quality_table.rows();
    finished((index == 0).then_some(summary));
    drop(flow.facts_in);
    drop(flow.dimensions_in);
    drop(flow.quality_in);
    drop(barrier);
    worker.step_or_park_while(None, || !probe.done());
}

/// Reads this worker's share of an epoch's files (whole files, and ranges of
/// large ones), agrees with every worker on which files are accepted, and takes
/// back its share of the retracted ones, feeding the difference into the dataflow.
fn apply(
    worker: &mut Worker,
    flow: &mut WorkerDataflow,
    tallies: &mut AllToAll<Tally>,
    time: Time,
    context: &StepContext<'_>,
    plan: &EpochPlan,
    size_hint: &mut SizeHint,
) {
    let StepContext { job, reports, state, bytes_read, tables } = *context;
    let (index, peers) = (worker.index(), worker.peers());
    let started = std::time::Instant::now();
    let mut units: Vec<(usize, usize)> =
        plan.files.iter().enumerate().flat_map(|(i, file)| (0..file.parts()).map(move |part| (i, part))).collect();
    // The first ranges of split files, which wait for their file's verdict, are
    // dealt last: each worker then holds its share of them, and for the
    // shortest time. Dealt in file order, they would all fall to the same
    // workers whenever a file's range count is a multiple of the worker count.
    units.sort_by_key(|&(i, part)| (part == 0 && plan.files[i].parts() > 1, i, part));
    let mut epoch_facts = FileFacts::default();
    // Pieces of split files, judged once every worker's counts of their file are in.
    let mut waiting = Vec::new();
    let mut applied_early = Vec::new();
    for &(i, part) in units.iter().skip(index).step_by(peers) {
        let file = &plan.files[i];
        let piece = read_piece(file, i, part, job.format_of(&file.path), reports, tables, bytes_read, size_hint);
        if file.parts() > 1 && part > 0 {
            // Written, or cleared of what a run that died may have left.
            let name = rejects_part_name(&file.name, part);
            let written = if piece.rejects.is_empty() {
                remove_rejects(&job.out_dir, &name)
            } else {
                write_rejects(&job.out_dir, &name, &piece.rejects)
            };
            written.unwrap_or_else(|e| fail(format!("output {}: cannot write rejects: {e}", job.out_dir.display())));
        }
        tallies.send(piece.tally.clone());
        if file.parts() == 1 {
            // A whole file's own counts are its verdict: settled now, its facts join
            // the epoch's and its maps are freed before the next file is read.
            let tally = piece.tally.clone();
            if let Some(facts) = settle(flow, context, file, piece, &[&tally]) {
                take_in(worker, flow, facts, &mut epoch_facts);
            }
        } else if part == 0 {
            // The first range carries the file's quality row, which needs the verdict.
            waiting.push(piece);
        } else {
            // A later range is applied before its file's verdict, while its maps
            // are fresh in cache, and freed before the next range is read: holding
            // every range's maps until all workers have read cost more time than
            // reading them. Should the file be refused, the range is read again
            // and taken back (see `take_back`); a refusal is rare.
            let contribution = FileContribution { quality: None, facts: Some(piece.facts) };
            record_contribution(context, file, part, &contribution);
            take_in(worker, flow, contribution.facts.expect("just set"), &mut epoch_facts);
            applied_early.push((i, part));
        }
    }
    crash_point("after-read", plan.epoch);
    let read_at = std::time::Instant::now();
    // Every worker learns the counts of every piece, so all judge each file alike.
    let all = tallies.round(worker, time);
    for piece in waiting {
        let i = piece.tally.file;
        let of_file: Vec<&Tally> = all.iter().filter(|t| t.file == i).collect();
        if let Some(facts) = settle(flow, context, &plan.files[i], piece, &of_file) {
            take_in(worker, flow, facts, &mut epoch_facts);
        }
    }
    for (i, part) in applied_early {
        let of_file: Vec<&Tally> = all.iter().filter(|t| t.file == i).collect();
        if !accepted(&of_file, job.max_reject_rate) {
            take_back(worker, flow, context, &plan.files[i], i, part);
        }
    }
    epoch_facts.feed(&mut flow.facts_in, 1, || {
        worker.step();
    });
    let (read, fed) = (read_at.duration_since(started), read_at.elapsed());
    tracing::debug!(worker = index, read_seconds = read.as_secs_f64(), fed_seconds = fed.as_secs_f64(), "files read");
    let retracted: Vec<(&Retraction, usize)> =
        plan.retract.iter().flat_map(|r| (0..r.parts).map(move |part| (r, part))).collect();
    for &(retraction, part) in retracted.iter().skip(index).step_by(peers) {
        let state = state.expect("retraction needs a state directory");
        let path = state.contribution_path(retraction.hash, part);
        let old: FileContribution = read_binary(&path).unwrap_or_else(|e| fail(format!("{e:#}")));
        if let Some(quality) = old.quality {
            flow.quality_in.update(quality, -1);
        }
        if let Some(facts) = old.facts {
            facts.feed(&mut flow.facts_in, -1, || {
                worker.step();
            });
        }
        if retraction.deleted && part == 0 {
            if let Err(e) = remove_rejects(&job.out_dir, &retraction.name) {
                fail(format!("output {}: cannot remove rejects: {e}", job.out_dir.display()));
            }
        }
    }
}

/// Judges one piece of a file by the counts of all its file's pieces: records
/// the file's quality row and rejects (from its first piece), keeps what the
/// state needs to take the piece back, and returns an accepted piece's facts.
fn settle(
    flow: &mut WorkerDataflow,
    context: &StepContext<'_>,
    file: &InputFile,
    piece: Piece,
    of_file: &[&Tally],
) -> Option<FileFacts> {
    let job = context.job;
    let (quality, accepted) = judge(file, of_file, job.max_reject_rate);
    let first = piece.tally.part == 0;
    if first {
        let unreadable = of_file.iter().any(|t| t.unreadable.is_some());
        publish_rejects(&job.out_dir, file, &piece.rejects, unreadable)
            .unwrap_or_else(|e| fail(format!("output {}: cannot write rejects: {e}", job.out_dir.display())));
        flow.quality_in.insert(quality.clone());
    }
    let contribution = FileContribution { quality: first.then_some(quality), facts: accepted.then_some(piece.facts) };
    record_contribution(context, file, piece.tally.part, &contribution);
    contribution.facts
}

/// Keeps what the state needs to take a piece back later, if there is a state.
fn record_contribution(context: &StepContext<'_>, file: &InputFile, part: usize, contribution: &FileContribution) {
    if let Some(state) = context.state {
        let path = state.contribution_path(file.hash, part);
        if let Err(e) = write_binary(&path, contribution) {
            fail(format!("state {}: cannot write it: {e}", path.display()));
        }
    }
}

/// Takes back a range applied before its file was refused: the same bytes read
/// again give the same facts, fed negated within the same epoch, so that no
/// report ever sees them.
fn take_back(
    worker: &mut Worker,
    flow: &mut WorkerDataflow,
    context: &StepContext<'_>,
    file: &InputFile,
    index: usize,
    part: usize,
) {
    let StepContext { job, reports, tables, .. } = *context;
    // Not counted again in the bytes read.
    let uncounted = AtomicU64::new(0);
    // A re-read to take back neither needs the worker's hint nor should teach it.
    let mut size_hint = SizeHint::default();
    let piece = read_piece(file, index, part, job.format_of(&file.path), reports, tables, &uncounted, &mut size_hint);
    piece.facts.feed(&mut flow.facts_in, -1, || {
        worker.step();
    });
    record_contribution(context, file, part, &FileContribution { quality: None, facts: None });
}

/// Adds an accepted piece's facts to the epoch's: those that seldom recur in
/// another file are fed now, the rest folded in to be fed once per key.
fn take_in(worker: &mut Worker, flow: &mut WorkerDataflow, mut facts: FileFacts, epoch_facts: &mut FileFacts) {
    facts.feed_per_file(&mut flow.facts_in, 1, || {
        worker.step();
    });
    if epoch_facts.is_empty() {
        *epoch_facts = facts;
    } else {
        epoch_facts.absorb(facts);
    }
}

/// What every step of a worker reads.
#[derive(Clone, Copy)]
struct StepContext<'a> {
    job: &'a Job,
    /// The reports the job writes, and so the facts each file's reading gathers.
    reports: ReportSet,
    state: Option<&'a StateDir>,
    bytes_read: &'a AtomicU64,
    /// The dimension tables as of this epoch, for lines priced by the product dimension.
    tables: &'a Tables,
}

/// Where the rejects of one range of a large file wait for the file's first range
/// to gather them (hidden, so never mistaken for a file's rejects).
fn rejects_part_name(file_name: &str, part: usize) -> String {
    format!(".{file_name}.part-{part}")
}

/// Writes `_rejects/<file>.csv` for a whole file, from its first piece's worker:
/// its own rejects, then those the other ranges left as parts, in line order.
/// An unreadable file, or one with no rejects, has none.
fn publish_rejects(out_dir: &Path, file: &InputFile, first: &[Reject], unreadable: bool) -> std::io::Result<()> {
    if file.parts() == 1 {
        return if first.is_empty() || unreadable {
            remove_rejects(out_dir, &file.name)
        } else {
            write_rejects(out_dir, &file.name, first)
        };
    }
    let parts: Vec<PathBuf> = (1..file.parts())
        .map(|part| out_dir.join("_rejects").join(format!("{}.csv", rejects_part_name(&file.name, part))))
        .filter(|path| path.exists())
        .collect();
    if unreadable || (first.is_empty() && parts.is_empty()) {
        remove_rejects(out_dir, &file.name)?;
    } else {
        write_rejects(out_dir, &file.name, first)?;
        let target = out_dir.join("_rejects").join(format!("{}.csv", file.name));
        let mut merged = std::fs::read(&target)?;
        for part in &parts {
            let text = std::fs::read(part)?;
            let body = text.iter().position(|&b| b == b'\n').map_or(&text[..0], |end| &text[end + 1..]);
            merged.extend_from_slice(body);
        }
        write_atomically(&target, &merged)?;
    }
    parts.iter().try_for_each(std::fs::remove_file)
}

fn write_outputs(outputs: &mut Outputs, out_dir: &Path, epoch: Option<u64>) {
    if let Err(e) = outputs.write(out_dir, epoch) {
        fail(format!("output {}: cannot write reports: {e}", out_dir.display()));
    }
}

fn publish(out_dir: &Path, record: &EpochRecord) {
    if let Err(e) = write_epoch(out_dir, record) {
        fail(format!("output {}: cannot write _epoch.json: {e}", out_dir.display()));
    }
}

/// Worker 0, once every worker has written its part: the manifest makes the
/// checkpoint the one a restart resumes from.
fn commit_checkpoint(state: &StateDir, out_dir: &Path, dir: String, epoch: u64, parts: usize, planner: &Planner) {
    let change_logs = change_log_lengths(out_dir)
        .unwrap_or_else(|e| fail(format!("output {}: cannot read the change logs: {e}", out_dir.display())));
    let manifest = Manifest {
        version: crate::state::MANIFEST_VERSION,
        epoch,
        checkpoint: CheckpointRef { dir, parts },
        change_logs,
        files: planner.ledger().files(),
    };
    let committed = state.save_manifest(&manifest).and_then(|()| state.remove_unreferenced(&manifest));
    if let Err(e) = committed {
        fail(format!("state: cannot commit the checkpoint of epoch {epoch}: {e}"));
    }
}

/// This process's resident memory in MB, for the log (Linux; 0 elsewhere).
fn resident_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    // SAFETY: sysconf has no memory effects.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as f64;
    pages * page_size / 1e6
}

/// Kills this process at a named point when `CARTFLOW_CRASH_AT=<point>:<epoch>`
/// says so: crash tests use it to stop the process where a real crash could.
fn crash_point(point: &str, epoch: u64) {
    static CRASH_AT: std::sync::OnceLock<Option<(String, u64)>> = std::sync::OnceLock::new();
    let target = CRASH_AT.get_or_init(|| {
        let text = std::env::var("CARTFLOW_CRASH_AT").ok()?;
        let (point, epoch) = text.split_once(':')?;
        Some((point.to_string(), epoch.parse().ok()?))
    });
    if target.as_ref().is_some_and(|(p, e)| p == point && *e == epoch) {
        // SAFETY: sends SIGKILL to this very process; nothing after it runs.
        unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    }
}

/// The steps worker 0 plans, broadcast to every worker through the dataflow.
struct Control {
    input: Option<InputHandleVec<u64, Step>>,
    received: Rc<RefCell<VecDeque<Step>>>,
    probe: ProbeHandle<u64>,
    sent: u64,
}

impl Control {
    fn new(worker: &mut Worker) -> Control {
        let received = Rc::new(RefCell::new(VecDeque::new()));
        let probe = ProbeHandle::new();
        let queue = Rc::clone(&received);
        let input = worker.dataflow::<u64, _, _>(|scope| {
            let (input, steps) = scope.new_input::<Step>();
            steps.broadcast().inspect(move |step| queue.borrow_mut().push_back(step.clone())).probe_with(&probe);
            input
        });
        // Only worker 0 sends; the others close their input so that worker 0's
        // alone holds the stream's progress.
        let input = (worker.index() == 0).then_some(input);
        Control { input, received, probe, sent: 0 }
    }

    fn send(&mut self, step: Step) {
        let input = self.input.as_mut().expect("only worker 0 plans");
        input.send(step);
        self.sent += 1;
        input.advance_to(self.sent);
    }

    fn close(&mut self) {
        self.input = None;
    }

    /// The next step, or `None` once worker 0 has closed the stream.
    fn receive(&mut self, worker: &mut Worker) -> Option<Step> {
        worker.step_or_park_while(None, || self.received.borrow().is_empty() && !self.probe.done());
        self.received.borrow_mut().pop_front()
    }
}

/// Values every worker sends during a step, delivered to every worker.
struct AllToAll<T: Clone + 'static> {
    input: InputHandleVec<Time, T>,
    received: Rc<RefCell<Vec<T>>>,
    probe: ProbeHandle<Time>,
}

impl<T: timely::ExchangeData + Clone> AllToAll<T> {
    fn new(worker: &mut Worker) -> AllToAll<T> {
        let received = Rc::new(RefCell::new(Vec::new()));
        let probe = ProbeHandle::new();
        let sink = Rc::clone(&received);
        let input = worker.dataflow::<Time, _, _>(|scope| {
            let (input, stream) = scope.new_input::<T>();
            stream.broadcast().inspect(move |value| sink.borrow_mut().push(value.clone())).probe_with(&probe);
            input
        });
        AllToAll { input, received, probe }
    }

    fn send(&mut self, value: T) {
        self.input.send(value);
    }

    /// Every worker calls this once in the step at `time`; it returns what all
    /// of them sent in it.
    fn round(&mut self, worker: &mut Worker, time: Time) -> Vec<T> {
        self.input.advance_to(time + 1);
        worker.step_or_park_while(None, || self.probe.less_than(&(time + 1)));
        std::mem::take(&mut *self.received.borrow_mut())
    }
}

/// Lets worker 0 wait until every worker has finished a step's outputs.
struct Barrier {
    input: InputHandleVec<Time, ()>,
    probe: ProbeHandle<Time>,
}

impl Barrier {
    fn new(worker: &mut Worker) -> Barrier {
        let probe = ProbeHandle::new();
        let input = worker.dataflow::<Time, _, _>(|scope| {
            let (input, stream) = scope.new_input::<()>();
            stream.exchange(|_| 0).probe_with(&probe);
            input
        });
        Barrier { input, probe }
    }

    /// Every worker calls this once per step; worker 0 returns when all have.
    fn pass(&mut self, worker: &mut Worker, time: Time) {
        self.input.advance_to(time);
        if worker.index() == 0 {
            worker.step_or_park_while(None, || self.probe.less_than(&time));
        }
    }
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
            if part.is_some_and(|p| p >= job.total_workers()) {
                std::fs::remove_file(entry.path())
                    .map_err(|e| anyhow!("output {}: cannot remove a stale part: {e}", dir.display()))?;
            }
        }
    }
    Ok(())
}
