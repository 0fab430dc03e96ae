//! What each step of a job does (SPEC §6): which files an epoch applies, which
//! it takes back, and when the state is checkpointed.
//!
//! Worker 0 plans; every worker receives the same [`Step`] through the dataflow,
//! so all of them apply the same epoch. A [`Ledger`] of applied files decides
//! what is new: a file whose content was applied already, under any name, is a
//! duplicate; a file that changed after it was applied is skipped, or replaced
//! with `--replace-changed`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::dimensions::{DimensionWatch, Tables};
use crate::sinks::quality::Duplicate;
use crate::sources::{examine, examine_all, list_dir, InputFile, Split};
use crate::state::{AppliedFile, ContentHash, Manifest};

/// One step of a job; each takes one tick of the dataflow's clock.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Step {
    /// Feed a checkpoint back in (the first step after a restart).
    Restore { checkpoint: String, parts: usize, epoch: u64, files: Vec<String> },
    /// Apply an epoch.
    Apply(EpochPlan),
    /// Write every worker's shard of the facts, then commit the manifest.
    Checkpoint { dir: String, epoch: u64 },
}

impl Step {
    /// The dimension tables every worker takes from this step on, when they changed.
    pub fn dimensions(&self) -> Option<&Tables> {
        match self {
            Step::Apply(plan) => plan.dimensions.as_ref(),
            Step::Restore { .. } | Step::Checkpoint { .. } => None,
        }
    }
}

/// The files of one epoch, and what was left out or taken back.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EpochPlan {
    pub epoch: u64,
    pub files: Vec<InputFile>,
    /// Applied files whose contribution this epoch takes back.
    pub retract: Vec<Retraction>,
    /// Files not applied because their content equals an applied file.
    pub duplicates: Vec<Duplicate>,
    /// Files skipped because they changed after they were applied.
    pub changed: Vec<String>,
    /// The dimension tables, when a dimension file changed since the last epoch.
    pub dimensions: Option<Tables>,
}

impl EpochPlan {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.retract.is_empty() && self.dimensions.is_none()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Retraction {
    pub name: String,
    pub hash: ContentHash,
    /// How many pieces the file was read in, each with its own stored facts.
    pub parts: usize,
    /// The file is gone: its `_rejects/` file goes too.
    pub deleted: bool,
}

/// The files applied so far, by path and by content.
#[derive(Default)]
pub struct Ledger {
    files: BTreeMap<PathBuf, AppliedFile>,
    by_hash: HashMap<ContentHash, PathBuf>,
}

impl Ledger {
    fn from_manifest(manifest: &Manifest) -> Ledger {
        let mut ledger = Ledger::default();
        for file in &manifest.files {
            ledger.insert(file.clone());
        }
        ledger
    }

    fn insert(&mut self, file: AppliedFile) {
        self.by_hash.insert(file.hash, file.path.clone());
        self.files.insert(file.path.clone(), file);
    }

    fn remove(&mut self, path: &Path) -> Option<AppliedFile> {
        let file = self.files.remove(path)?;
        self.by_hash.remove(&file.hash);
        Some(file)
    }

    pub fn files(&self) -> Vec<AppliedFile> {
        self.files.values().cloned().collect()
    }
}

/// How `watch` decides that a file is complete.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// The directories to scan; every source of a job has its own.
    pub dirs: Vec<PathBuf>,
    pub poll: Duration,
    pub settle: Duration,
    pub require_marker: bool,
    pub retract_deleted: bool,
}

/// Where a job's files come from.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// `run`: these groups of files, one epoch each, then stop.
    Batch(Vec<Vec<InputFile>>),
    /// `watch`: whatever settles in a directory, until stopped.
    Watch(WatchOptions),
}

/// When to checkpoint: after `every` epochs, or once `interval` has passed
/// since the last checkpoint, whichever comes first; and always before stopping.
#[derive(Clone, Copy, Debug)]
pub struct CheckpointPolicy {
    pub every: u64,
    pub interval: Option<Duration>,
}

/// Decides the steps of a job, on worker 0.
pub struct Planner {
    schedule: Schedule,
    ledger: Ledger,
    /// The last epoch planned.
    epoch: u64,
    stateful: bool,
    policy: CheckpointPolicy,
    replace_changed: bool,
    restore: Option<Step>,
    uncheckpointed: u64,
    last_checkpoint: Instant,
    /// Per path, the (size, modified) last seen and since when, for `--settle`.
    observed: HashMap<PathBuf, (u64, u64, Instant)>,
    /// Files already judged a duplicate or a skipped change, as (size, modified).
    judged: HashMap<PathBuf, (u64, u64)>,
    /// Paths that could not be read, warned about once until they can.
    warned: std::collections::HashSet<PathBuf>,
    next_batch: usize,
    split: Split,
    /// The dimension files, reloaded when they change.
    dimensions: DimensionWatch,
    stop: &'static AtomicBool,
}

impl Planner {
    // Each argument is one independent setting of the job, named at the call site.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        schedule: Schedule,
        resume: Option<&Manifest>,
        stateful: bool,
        policy: CheckpointPolicy,
        replace_changed: bool,
        split: Split,
        dimensions: DimensionWatch,
        stop: &'static AtomicBool,
    ) -> Planner {
        let restore = resume.map(|manifest| Step::Restore {
            checkpoint: manifest.checkpoint.dir.clone(),
            parts: manifest.checkpoint.parts,
            epoch: manifest.epoch,
            files: manifest.files.iter().filter(|f| f.epoch == manifest.epoch).map(|f| f.name.clone()).collect(),
        });
        Planner {
            schedule,
            ledger: resume.map(Ledger::from_manifest).unwrap_or_default(),
            epoch: resume.map_or(0, |m| m.epoch),
            stateful,
            policy,
            replace_changed,
            restore,
            uncheckpointed: 0,
            last_checkpoint: Instant::now(),
            observed: HashMap::new(),
            judged: HashMap::new(),
            warned: Default::default(),
            next_batch: 0,
            split,
            dimensions,
            stop,
        }
    }

    /// The dimension tables a checkpoint restored (see [`DimensionWatch::restored`]).
    pub fn restored_dimensions(&mut self, tables: Tables) {
        self.dimensions.restored(tables);
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The next step, or `None` when the job is over. `watch` waits here,
    /// polling its directory, until files arrive or it is told to stop.
    pub fn next_step(&mut self) -> Result<Option<Step>> {
        if let Some(restore) = self.restore.take() {
            return Ok(Some(restore));
        }
        if self.uncheckpointed > 0 && self.checkpoint_due() {
            return Ok(Some(self.checkpoint()));
        }
        loop {
            let stopping = self.stop.load(Ordering::Relaxed);
            let plan = if stopping { None } else { self.plan()? };
            match plan {
                Some(plan) => {
                    self.uncheckpointed += 1;
                    return Ok(Some(Step::Apply(plan)));
                }
                None if stopping || matches!(self.schedule, Schedule::Batch(_)) => {
                    let last = self.uncheckpointed > 0 && self.stateful;
                    return Ok(last.then(|| self.checkpoint()));
                }
                // Idle with epochs not yet checkpointed: `--checkpoint-interval` still counts.
                None if self.uncheckpointed > 0 && self.checkpoint_due() => return Ok(Some(self.checkpoint())),
                None => self.sleep(),
            }
        }
    }

    fn checkpoint_due(&self) -> bool {
        self.stateful
            && (self.uncheckpointed >= self.policy.every
                || self.policy.interval.is_some_and(|interval| self.last_checkpoint.elapsed() >= interval))
    }

    fn checkpoint(&mut self) -> Step {
        self.uncheckpointed = 0;
        self.last_checkpoint = Instant::now();
        let stamp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Step::Checkpoint { dir: format!("epoch-{:08}-{stamp}", self.epoch), epoch: self.epoch }
    }

    /// Waits one poll interval, waking early to stop.
    fn sleep(&self) {
        let Schedule::Watch(options) = &self.schedule else { return };
        let until = Instant::now() + options.poll;
        while Instant::now() < until && !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
    }

    fn plan(&mut self) -> Result<Option<EpochPlan>> {
        let mut plan = EpochPlan { epoch: self.epoch + 1, ..EpochPlan::default() };
        plan.dimensions = self.dimensions.refresh()?;
        match &self.schedule {
            Schedule::Batch(groups) => {
                let Some(mut group) = groups.get(self.next_batch).cloned() else { return Ok(None) };
                self.next_batch += 1;
                examine_all(&mut group, self.split)?;
                for file in group {
                    self.consider(file, &mut plan);
                }
                if plan.is_empty() && plan.duplicates.is_empty() && plan.changed.is_empty() {
                    return self.plan();
                }
            }
            Schedule::Watch(options) => {
                let options = options.clone();
                let mut listed = Vec::new();
                for dir in &options.dirs {
                    // A directory or file that cannot be read now (a network share
                    // away, a permission being fixed) is retried every poll, not fatal.
                    match list_dir(dir) {
                        Ok(files) => {
                            self.warned.remove(dir);
                            if options.retract_deleted {
                                self.retract_deleted(dir, &files, &mut plan);
                            }
                            listed.extend(files);
                        }
                        Err(e) => self.warn_once(dir, format!("{e:#}; retrying every poll")),
                    }
                }
                // Forget files that went away before they settled.
                let present: std::collections::HashSet<&Path> = listed.iter().map(|f| f.path.as_path()).collect();
                self.observed.retain(|path, _| present.contains(path.as_path()));
                let settled: Vec<InputFile> =
                    listed.into_iter().filter(|file| self.is_settled(file, &options)).collect();
                let count = settled.len();
                for mut file in settled {
                    let ranges = self.split.ranges(file.size, count);
                    if let Err(e) = examine(&mut file, ranges) {
                        if file.path.exists() {
                            let message = format!("input {}: cannot read it: {e}; retrying", file.path.display());
                            self.warn_once(&file.path, message);
                        }
                        continue;
                    }
                    self.warned.remove(&file.path);
                    self.consider(file, &mut plan);
                }
                if plan.is_empty() {
                    return Ok(None);
                }
            }
        }
        self.epoch = plan.epoch;
        Ok(Some(plan))
    }

    fn warn_once(&mut self, path: &Path, message: String) {
        if self.warned.insert(path.to_path_buf()) {
            tracing::warn!("{message}");
        }
    }

    /// Applied files under `dir` that are no longer there.
    fn retract_deleted(&mut self, dir: &Path, listed: &[InputFile], plan: &mut EpochPlan) {
        let present: std::collections::HashSet<&Path> = listed.iter().map(|f| f.path.as_path()).collect();
        let gone: Vec<PathBuf> = self
            .ledger
            .files
            .keys()
            .filter(|p| p.parent() == Some(dir) && !present.contains(p.as_path()))
            .cloned()
            .collect();
        for path in gone {
            let file = self.ledger.remove(&path).expect("listed from the ledger");
            tracing::info!(file = %file.name, "file deleted: its contribution is retracted");
            plan.retract.push(Retraction { name: file.name, hash: file.hash, parts: file.parts, deleted: true });
        }
    }

    /// Whether a listed file is ready to be judged: not yet applied as it is,
    /// and complete (marked, or still for `--settle`).
    fn is_settled(&mut self, file: &InputFile, options: &WatchOptions) -> bool {
        let seen = (file.size, file.modified_ns);
        if self.ledger.files.get(&file.path).is_some_and(|a| (a.size, a.modified_ns) == seen)
            || self.judged.get(&file.path) == Some(&seen)
        {
            return false;
        }
        if options.require_marker {
            let marker = file.path.with_file_name(format!("{}.done", file.name));
            return marker.exists();
        }
        let age = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH + Duration::from_nanos(file.modified_ns))
            .unwrap_or_default();
        let now = Instant::now();
        let since = match self.observed.get(&file.path) {
            Some(&(size, modified, since)) if (size, modified) == seen => since,
            _ => {
                self.observed.insert(file.path.clone(), (seen.0, seen.1, now));
                now
            }
        };
        let settled = age >= options.settle || now.duration_since(since) >= options.settle;
        if settled {
            self.observed.remove(&file.path);
        }
        settled
    }

    /// Adds `file` to the plan unless its content is applied already.
    fn consider(&mut self, file: InputFile, plan: &mut EpochPlan) {
        let hash = file.hash;
        let seen = (file.size, file.modified_ns);
        if let Some(applied) = self.ledger.files.get(&file.path) {
            if applied.hash == hash {
                // Touched, not changed: remember the new time so it is not hashed again.
                let mut applied = applied.clone();
                (applied.size, applied.modified_ns) = seen;
                self.ledger.insert(applied);
                return;
            }
            if !self.replace_changed {
                tracing::warn!(
                    file = %file.name,
                    "file changed after it was applied; skipped (pass --replace-changed to apply the new content)"
                );
                plan.changed.push(file.name);
                self.judged.insert(file.path, seen);
                return;
            }
            let old = self.ledger.remove(&file.path).expect("found above");
            tracing::info!(file = %file.name, "file changed after it was applied: replacing its contribution");
            plan.retract.push(Retraction { name: old.name, hash: old.hash, parts: old.parts, deleted: false });
        }
        if let Some(first) = self.ledger.by_hash.get(&hash) {
            let same_as = self.ledger.files[first].name.clone();
            tracing::info!(file = %file.name, same_as = %same_as, "duplicate file skipped");
            plan.duplicates.push(Duplicate { file: file.name, same_as });
            self.judged.insert(file.path, seen);
            return;
        }
        self.ledger.insert(AppliedFile {
            path: file.path.clone(),
            name: file.name.clone(),
            size: file.size,
            modified_ns: file.modified_ns,
            hash,
            parts: file.parts(),
            epoch: plan.epoch,
        });
        plan.files.push(file);
    }
}
