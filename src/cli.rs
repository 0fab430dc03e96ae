//! The command line (SPEC §1). Exit status: 0 success, 2 usage error, 1 anything else.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cluster::ClusterOptions;
use crate::dimensions::DimensionSources;
use crate::engine::{self, Job, RunSummary, Source, StateOptions};
use crate::epochs::{CheckpointPolicy, Schedule, WatchOptions};
use crate::formats::Format;
use crate::gen::{
    generate_kiosk, generate_online_retail, generate_qcompany, generate_qcompany_app, generate_rees46, generate_techco,
    GenOptions,
};
use crate::job_file::{JobFile, JobFileError};
use crate::reports::ReportParams;
use crate::sources::discover;

#[derive(Parser, Debug)]
#[command(
    name = "cartflow",
    version,
    about = "Incremental retail and e-commerce reports from files, on timely and differential dataflow"
)]
#[command(propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Print only warnings and errors; no progress bar or summary.
    #[arg(long, global = true)]
    quiet: bool,

    /// How log lines on stderr look.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a sample, run every report on it and print a few of them.
    Demo(DemoArgs),
    /// Generate sample input files shaped like a real export.
    Gen(GenArgs),
    /// Apply input files, write every report, and exit.
    Run(RunArgs),
    /// Keep every report current as files arrive in a directory.
    Watch(WatchArgs),
    /// Measure throughput, incremental update time and peak memory.
    Bench(crate::bench::BenchArgs),
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the sample data and the reports go.
    #[arg(long, default_value = "cartflow-demo")]
    pub out: PathBuf,
    /// Events to generate.
    #[arg(long, default_value_t = 200_000)]
    pub events: u64,
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Args, Debug)]
struct GenArgs {
    /// Input format to generate.
    #[arg(long, value_enum)]
    format: Format,
    /// Rows in all, over every file.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of files, split by time.
    #[arg(long, default_value_t = 1)]
    files: usize,
    /// Directory to write the files to.
    #[arg(long)]
    out: PathBuf,
    /// Write gzip-compressed `.csv.gz` files.
    #[arg(long)]
    gzip: bool,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// A job file (TOML): sources, dimension files, output and settings; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Input files or directories (a directory's files, by the name rules of `watch`).
    #[arg(long, num_args = 1.., required_unless_present = "config", requires = "format")]
    input: Vec<PathBuf>,
    /// Format of the input files.
    #[arg(long, value_enum, requires = "input")]
    format: Option<Format>,
    /// Directory to write reports to.
    #[arg(long, required_unless_present = "config")]
    out: Option<PathBuf>,
    /// Apply each file as its own epoch instead of all files in one.
    #[arg(long)]
    epoch_per_file: bool,
    /// A file or directory to apply afterwards as one more epoch; repeatable
    /// (used by `cartflow bench` to time updates).
    #[arg(long, hide = true)]
    then: Vec<PathBuf>,
    /// State directory: apply only files it has not applied, then checkpoint.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    checkpoints: CheckpointArgs,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
struct WatchArgs {
    /// A job file (TOML): sources, dimension files, output and settings; flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory to watch for new files.
    #[arg(long, required_unless_present = "config", requires = "format")]
    input: Option<PathBuf>,
    /// Format of the input files.
    #[arg(long, value_enum, requires = "input")]
    format: Option<Format>,
    /// Directory to write reports to.
    #[arg(long, required_unless_present = "config")]
    out: Option<PathBuf>,
    /// State directory: applied files and checkpoints, for restarts.
    #[arg(long, required_unless_present = "config")]
    state: Option<PathBuf>,
    /// How often to scan the directory (e.g. 10ms, 1s, 5m).
    #[arg(long, default_value = "1s", value_parser = duration)]
    poll: Duration,
    /// Take a file once its size and modification time have held still this long.
    #[arg(long, default_value = "2s", value_parser = duration)]
    settle: Duration,
    /// Take a file only once `<name>.done` exists beside it.
    #[arg(long)]
    require_marker: bool,
    /// When an applied file is deleted, take back its contribution.
    #[arg(long)]
    retract_deleted: bool,
    #[command(flatten)]
    checkpoints: CheckpointArgs,
    #[command(flatten)]
    cluster: ClusterArgs,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Running as one process of a cluster (see cluster/README.md).
#[derive(Args, Debug, Clone)]
struct ClusterArgs {
    /// Processes in the cluster; each runs this same command.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    processes: usize,
    /// This process's index, 0 to processes - 1; process 0 plans and writes the shared outputs.
    #[arg(long, default_value_t = 0)]
    process: usize,
    /// File listing every process's host:port, one a line, in process order.
    #[arg(long)]
    hostfile: Option<PathBuf>,
    /// How long to keep trying to reach the other processes at start.
    #[arg(long, default_value = "30s", value_parser = duration)]
    connect_timeout: Duration,
}

impl ClusterArgs {
    fn options(&self) -> Result<Option<ClusterOptions>> {
        match &self.hostfile {
            None if self.processes > 1 => Err(UsageError(format!(
                "--processes {} needs --hostfile with one host:port line per process",
                self.processes
            ))
            .into()),
            None if self.process > 0 => {
                Err(UsageError(format!("--process {} needs --processes and --hostfile", self.process)).into())
            }
            None => Ok(None),
            Some(hostfile) => {
                if self.process >= self.processes {
                    return Err(UsageError(format!(
                        "--process {} is out of range: with --processes {} it must be 0 to {}",
                        self.process,
                        self.processes,
                        self.processes - 1
                    ))
                    .into());
                }
                Ok(Some(ClusterOptions::new(self.processes, self.process, hostfile, self.connect_timeout)?))
            }
        }
    }

    fn is_first(&self) -> bool {
        self.process == 0
    }
}

/// Flags that contradict each other: exit status 2, like clap's own errors.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Options for a state directory.
#[derive(Args, Debug, Clone)]
struct CheckpointArgs {
    /// When an applied file's content changes, retract its old contribution and
    /// apply the new one (otherwise the change is reported and skipped).
    #[arg(long)]
    replace_changed: bool,
    /// Checkpoint after this many epochs.
    #[arg(long, default_value_t = 1, value_parser = at_least_one_u64)]
    checkpoint_every: u64,
    /// Also checkpoint once this much time has passed since the last checkpoint (e.g. 5m).
    #[arg(long, value_parser = duration)]
    checkpoint_interval: Option<Duration>,
}

impl CheckpointArgs {
    fn options(&self, dir: PathBuf) -> StateOptions {
        StateOptions {
            dir,
            policy: CheckpointPolicy { every: self.checkpoint_every, interval: self.checkpoint_interval },
            replace_changed: self.replace_changed,
        }
    }
}

/// Options shared by every command that runs the dataflow.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// Worker threads in this process [default: the number of cores].
    #[arg(short, long, value_parser = at_least_one)]
    pub workers: Option<usize>,
    /// Leaderboard length [default: 10].
    #[arg(long)]
    pub top: Option<usize>,
    /// Rows per group in per-group rankings [default: 3].
    #[arg(long)]
    pub per_group: Option<usize>,
    /// Refuse a file whole when more than this share of its rows is rejected [default: 0.05].
    #[arg(long, value_parser = share)]
    pub max_reject_rate: Option<f64>,
    /// Read plain files larger than this many bytes in ranges, on several workers.
    /// An epoch of fewer files than workers also cuts files larger than a 64th
    /// of it, so that no worker idles.
    #[arg(long, default_value_t = 16 << 20, value_parser = at_least_one_u64)]
    pub split_bytes: u64,
    /// Product dimension file or directory (id, name, category, brand, price or cost);
    /// repeatable, later files replacing the products they name.
    #[arg(long = "products", value_name = "PATH")]
    pub products: Vec<PathBuf>,
    /// Sales agent dimension file or directory (sales_person_id, name); repeatable.
    #[arg(long = "agents", value_name = "PATH")]
    pub agents: Vec<PathBuf>,
    /// Branch dimension file or directory (branch_id, location); repeatable.
    #[arg(long = "branches", value_name = "PATH")]
    pub branches: Vec<PathBuf>,
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a whole number of at least 1, not {text:?}")),
    }
}

fn at_least_one_u64(text: &str) -> Result<u64, String> {
    at_least_one(text).map(|n| n as u64)
}

/// A duration as SPEC §6 writes them: `250ms`, `2s`, `5m`.
fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("expected a duration such as 250ms, 2s or 5m: {e}"))
}

fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("expected a share between 0 and 1, not {text:?}")),
    }
}

impl EngineArgs {
    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
    }

    pub fn params(&self) -> ReportParams {
        ReportParams { top: self.top.unwrap_or(10), per_group: self.per_group.unwrap_or(3) }
    }

    /// Settings the command line leaves out, taken from a job file.
    fn or_job_file(mut self, file: &JobFile) -> EngineArgs {
        self.workers = self.workers.or(file.workers);
        self.top = self.top.or(file.top);
        self.per_group = self.per_group.or(file.per_group);
        self.max_reject_rate = self.max_reject_rate.or(file.max_reject_rate);
        let dimensions = file.dimensions();
        for (flags, from_file) in [
            (&mut self.products, dimensions.products),
            (&mut self.agents, dimensions.agents),
            (&mut self.branches, dimensions.branches),
        ] {
            if flags.is_empty() {
                *flags = from_file;
            }
        }
        self
    }

    /// A job with these engine settings.
    pub fn job(
        &self,
        schedule: Schedule,
        sources: Vec<Source>,
        out_dir: PathBuf,
        state: Option<StateOptions>,
        cluster: Option<ClusterOptions>,
    ) -> Job {
        Job {
            schedule,
            sources,
            dimensions: DimensionSources {
                products: self.products.clone(),
                agents: self.agents.clone(),
                branches: self.branches.clone(),
            },
            out_dir,
            workers: self.workers(),
            params: self.params(),
            max_reject_rate: self.max_reject_rate.unwrap_or(0.05),
            split_bytes: self.split_bytes,
            state,
            cluster,
        }
    }
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    init_logging(cli.log_format, cli.quiet);
    // A panicking worker would leave its peers waiting for it forever: end the
    // whole process instead, after the usual panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("timely communication error") {
            // A cluster peer went away: every process stops rather than wait for it.
            eprintln!(
                "cartflow: error: lost the connection to another cluster process ({message}); stopping. \
                 Restart every process to resume from the last checkpoint"
            );
        } else {
            default_hook(info);
        }
        std::process::exit(1);
    }));
    match execute(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cartflow: error: {}", format!("{e:#}").replace('\n', " "));
            if e.is::<UsageError>() {
                2
            } else {
                1
            }
        }
    }
}

fn init_logging(format: LogFormat, quiet: bool) {
    // CARTFLOW_LOG=debug adds each worker's phase timings (read, fed, written);
    // a level set there wins over --quiet.
    let asked = std::env::var("CARTFLOW_LOG").ok();
    let chosen: Option<tracing::Level> = asked.as_deref().and_then(|level| level.parse().ok());
    let level = chosen.unwrap_or(if quiet { tracing::Level::WARN } else { tracing::Level::INFO });
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    if let (Some(asked), None) = (asked, chosen) {
        tracing::warn!("CARTFLOW_LOG={asked:?} is not a level (error, warn, info, debug or trace): ignored");
    }
}

fn execute(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Demo(args) => crate::demo::demo(&args, quiet),
        Command::Bench(args) => crate::bench::bench(&args),
        Command::Gen(args) => {
            let options = GenOptions {
                events: args.events,
                seed: args.seed,
                files: args.files.max(1),
                out: args.out,
                gzip: args.gzip,
            };
            let started = Instant::now();
            let summary = match args.format {
                Format::Rees46 => generate_rees46(&options)?,
                Format::OnlineRetail => generate_online_retail(&options)?,
                Format::Qcompany => generate_qcompany(&options)?,
                Format::QcompanyApp => generate_qcompany_app(&options)?,
                Format::Kiosk => generate_kiosk(&options)?,
                Format::Techco => generate_techco(&options)?,
            };
            if !quiet {
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "wrote {} events in {} files ({:.1} MB) to {} in {seconds:.2}s",
                    summary.events,
                    summary.files.len(),
                    summary.bytes as f64 / 1e6,
                    options.out.display()
                );
            }
            Ok(())
        }
        Command::Run(args) => {
            let file = job_file(args.config.as_deref())?;
            let sources = sources(&args.input, args.format, &file, args.config.as_deref())?;
            let mut first = Vec::new();
            for source in &sources {
                first.extend(discover(&source.paths)?);
            }
            let mut groups = vec![first];
            for then in &args.then {
                groups.push(discover(std::slice::from_ref(then))?);
            }
            if args.epoch_per_file || file.epoch_per_file {
                groups = groups.into_iter().flatten().map(|file| vec![file]).collect();
            }
            let out = args.out.or(file.out.clone()).ok_or_else(|| missing("out", args.config.as_deref()))?;
            let state = args.state.or(file.state.clone()).map(|dir| args.checkpoints.options(dir));
            let engine = args.engine.or_job_file(&file);
            let job = engine.job(Schedule::Batch(groups), sources, out, state, args.cluster.options()?);
            let out_dir = job.out_dir.clone();
            let summary = run_with_progress(job, quiet)?;
            if !quiet && args.cluster.is_first() {
                print_summary(&summary, &out_dir);
            }
            Ok(())
        }
        Command::Watch(args) => {
            let file = job_file(args.config.as_deref())?;
            let inputs: Vec<PathBuf> = args.input.iter().cloned().collect();
            let sources = sources(&inputs, args.format, &file, args.config.as_deref())?;
            let dirs: Vec<PathBuf> = sources.iter().flat_map(|s| s.paths.iter().cloned()).collect();
            if let Some(dir) = dirs.iter().find(|dir| !dir.is_dir()) {
                anyhow::bail!("input {}: not a directory; watch takes a directory to scan", dir.display());
            }
            install_stop_handler()?;
            let schedule = Schedule::Watch(WatchOptions {
                dirs,
                poll: args.poll,
                settle: args.settle,
                require_marker: args.require_marker,
                retract_deleted: args.retract_deleted,
            });
            let config = args.config.as_deref();
            let out = args.out.or(file.out.clone()).ok_or_else(|| missing("out", config))?;
            let state_dir = args.state.or(file.state.clone()).ok_or_else(|| missing("state", config))?;
            let state = Some(args.checkpoints.options(state_dir));
            let engine = args.engine.or_job_file(&file);
            let job = engine.job(schedule, sources, out, state, args.cluster.options()?);
            let out_dir = job.out_dir.clone();
            tracing::info!("watching; Ctrl-C stops after the epoch in flight");
            let summary = engine::run(job, Arc::new(AtomicU64::new(0)), &STOP)?;
            if !quiet && args.cluster.is_first() {
                print_summary(&summary, &out_dir);
            }
            Ok(())
        }
    }
}

/// The job file named by `--config`, or an empty one.
fn job_file(path: Option<&Path>) -> Result<JobFile> {
    match path {
        None => Ok(JobFile::default()),
        Some(path) => JobFile::load(path).map_err(|e| match e.downcast::<JobFileError>() {
            Ok(bad) => UsageError(bad.0).into(),
            Err(e) => e,
        }),
    }
}

/// The sources: `--input` with `--format`, which override the job file's.
fn sources(input: &[PathBuf], format: Option<Format>, file: &JobFile, config: Option<&Path>) -> Result<Vec<Source>> {
    if let (false, Some(format)) = (input.is_empty(), format) {
        return Ok(vec![Source { format: format.into(), paths: input.to_vec() }]);
    }
    if let Some(config) = config {
        file.require_sources(config).map_err(|e| UsageError(format!("{e:#}")))?;
    }
    Ok(file.sources())
}

/// A setting that neither the command line nor the job file gives.
fn missing(key: &str, config: Option<&Path>) -> anyhow::Error {
    let file = config.map_or(String::new(), |c| format!(" and job file {} has no `{key}` key", c.display()));
    UsageError(format!("no --{key} given{file}")).into()
}

/// Set by Ctrl-C or SIGTERM: `watch` finishes the epoch in flight, checkpoints and exits.
static STOP: AtomicBool = AtomicBool::new(false);

fn install_stop_handler() -> Result<()> {
    ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            // A second signal: the user does not want to wait for the epoch in flight.
            eprintln!("cartflow: stopped at once; the epoch in flight is redone on restart");
            std::process::exit(130);
        }
        eprintln!("cartflow: stopping after the epoch in flight (signal again to stop at once)");
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}

/// Runs a job, drawing a progress bar over the input bytes on a terminal.
pub fn run_with_progress(job: Job, quiet: bool) -> Result<RunSummary> {
    let total: u64 = match &job.schedule {
        Schedule::Batch(groups) => groups.iter().flatten().map(|f| f.size).sum(),
        Schedule::Watch(_) => 0,
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let show = !quiet && std::io::stderr().is_terminal();
    let done = Arc::new(AtomicBool::new(false));
    let drawer = show.then(|| {
        let (bytes_read, done) = (Arc::clone(&bytes_read), Arc::clone(&done));
        std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reading {bytes}/{total_bytes} ({bytes_per_sec}, {eta}) {wide_bar}",
                )
                .expect("a valid progress template"),
            );
            while !done.load(Ordering::Relaxed) {
                bar.set_position(bytes_read.load(Ordering::Relaxed).min(total));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        })
    });
    let result = engine::run(job, Arc::clone(&bytes_read), &STOP);
    done.store(true, Ordering::Relaxed);
    if let Some(drawer) = drawer {
        let _ = drawer.join();
    }
    result
}

fn print_summary(summary: &RunSummary, out_dir: &std::path::Path) {
    let rows: u64 = summary.quality.iter().map(|q| q.rows).sum();
    let accepted: u64 = summary.quality.iter().map(|q| q.accepted).sum();
    let refused = summary.quality.iter().filter(|q| q.rows > 0 && q.accepted == 0 && q.rejected == q.rows).count();
    let seconds: f64 = summary.epochs.iter().map(|e| e.seconds).sum();
    let duplicates: usize = summary.epochs.iter().map(|e| e.duplicates.len()).sum();
    println!(
        "applied {} files in {} epochs: {rows} rows, {accepted} accepted, {} rejected, {refused} files refused, {duplicates} duplicates skipped, {seconds:.2}s",
        summary.quality.len(),
        summary.epochs.len(),
        rows - accepted,
    );
    println!("reports in {}", out_dir.display());
}
