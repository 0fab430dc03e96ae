//! The job file (SPEC §1): one TOML file naming a job's sources, each with its
//! format and paths, its dimension files, its output and its settings. Flags given
//! on the command line override the file. Relative paths are read from the job
//! file's own directory, so a job file and its data can move together.
//!
//! ```toml
//! out = "reports"
//! state = "state"            # optional; `watch` needs it here or as --state
//! workers = 2                # optional, as -w; so are top, per_group,
//! max_reject_rate = 0.05     #   max_reject_rate and epoch_per_file
//!
//! [[source]]
//! format = "qcompany"
//! input = "landing/sales"    # a file or directory, or a list of them
//!
//! [[source]]
//! format = "online-retail"
//! input = ["exports/2010.csv", "exports/2011.csv"]
//!
//! [[source]]                 # a CSV layout of its own: record field = "column"
//! input = "landing/pos"      # (src/formats/custom.rs lists the fields)
//! [source.order_lines]       # or [source.interactions]
//! time = "Sold At"
//! order = "Receipt"
//! product = "SKU"
//! unit_price = "Price"
//!
//! [dimensions]
//! products = "dims/products.csv"
//! agents = ["dims/agents.csv"]
//! branches = "dims/branches.csv"
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use serde::Deserialize;

use crate::dimensions::DimensionSources;
use crate::engine::{Source, SourceFormat};
use crate::formats::custom::{CustomLayout, InteractionColumns, OrderLineColumns};
use crate::formats::Format;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub out: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub workers: Option<usize>,
    pub top: Option<usize>,
    pub per_group: Option<usize>,
    pub max_reject_rate: Option<f64>,
    #[serde(default)]
    pub epoch_per_file: bool,
    #[serde(default, rename = "source")]
    sources: Vec<SourceEntry>,
    #[serde(default)]
    dimensions: DimensionEntries,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    format: Option<Format>,
    input: Paths,
    order_lines: Option<OrderLineColumns>,
    interactions: Option<InteractionColumns>,
}

impl SourceEntry {
    /// How the source is read: its format, or the CSV layout it describes.
    fn format(&self) -> Result<SourceFormat, String> {
        let layout = match (&self.order_lines, &self.interactions) {
            (Some(columns), None) => Some(CustomLayout::OrderLines(columns.clone())),
            (None, Some(columns)) => Some(CustomLayout::Interactions(columns.clone())),
            (None, None) => None,
            (Some(_), Some(_)) => return Err("a [[source]] has both [source.order_lines] and [source.interactions]; a layout reads one kind of record".into()),
        };
        match (self.format, layout) {
            (Some(format), None) => Ok(SourceFormat::Builtin(format)),
            (None, Some(layout)) => Ok(SourceFormat::Custom(Arc::new(layout))),
            (None, None) => {
                Err("a [[source]] needs a `format`, or a [source.order_lines] or [source.interactions] layout".into())
            }
            (Some(format), Some(_)) => Err(format!(
                "a [[source]] has both `format = \"{}\"` and a custom layout; give one of them",
                format.name()
            )),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DimensionEntries {
    #[serde(default)]
    products: Paths,
    #[serde(default)]
    agents: Paths,
    #[serde(default)]
    branches: Paths,
}

/// One path or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Paths {
    One(PathBuf),
    Many(Vec<PathBuf>),
}

impl Default for Paths {
    fn default() -> Self {
        Paths::Many(Vec::new())
    }
}

impl Paths {
    fn resolved(&self, base: &Path) -> Vec<PathBuf> {
        let paths = match self {
            Paths::One(path) => std::slice::from_ref(path),
            Paths::Many(paths) => paths.as_slice(),
        };
        paths.iter().map(|p| base.join(p)).collect()
    }
}

/// A job file whose text does not describe a job: a usage error naming the line.
#[derive(Debug)]
pub struct JobFileError(pub String);

impl std::fmt::Display for JobFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JobFileError {}

/// The line of the `index`-th `[[source]]` header.
fn source_line(text: &str, index: usize) -> Option<usize> {
    let headers = text.lines().enumerate().filter(|(_, line)| line.trim_start().starts_with("[[source]]"));
    headers.map(|(n, _)| n + 1).nth(index)
}

impl JobFile {
    /// Reads and checks a job file; its paths come back resolved against its directory.
    pub fn load(path: &Path) -> Result<JobFile> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("job file {}: cannot read it: {e}", path.display()))?;
        let mut job: JobFile = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|span| 1 + text[..span.start].matches('\n').count());
            let at = line.map_or(String::new(), |n| format!(" line {n}:"));
            JobFileError(format!("job file {}:{at} {}", path.display(), e.message().trim()))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let fail = |what: String| -> Result<JobFile> {
            Err(JobFileError(format!("job file {}: {what}", path.display())).into())
        };
        for (index, source) in job.sources.iter().enumerate() {
            let at = source_line(&text, index).map_or(String::new(), |n| format!("line {n}: "));
            if source.input.resolved(base).is_empty() {
                return fail(format!("{at}a [[source]] has an empty `input` list"));
            }
            if let Err(why) = source.format() {
                return fail(format!("{at}{why}"));
            }
        }
        if let Some(rate) = job.max_reject_rate.filter(|r| !(0.0..=1.0).contains(r)) {
            return fail(format!("`max_reject_rate` must be between 0 and 1, not {rate}"));
        }
        if job.workers == Some(0) {
            return fail("`workers` must be at least 1".into());
        }
        job.out = job.out.map(|p| base.join(p));
        job.state = job.state.map(|p| base.join(p));
        for source in &mut job.sources {
            source.input = Paths::Many(source.input.resolved(base));
        }
        let dims = &mut job.dimensions;
        for paths in [&mut dims.products, &mut dims.agents, &mut dims.branches] {
            *paths = Paths::Many(paths.resolved(base));
        }
        Ok(job)
    }

    /// The sources, in the order the file lists them.
    pub fn sources(&self) -> Vec<Source> {
        let source = |s: &SourceEntry| Source {
            format: s.format().expect("checked when loaded"),
            paths: s.input.resolved(Path::new("")),
        };
        self.sources.iter().map(source).collect()
    }

    pub fn dimensions(&self) -> DimensionSources {
        let d = &self.dimensions;
        DimensionSources {
            products: d.products.resolved(Path::new("")),
            agents: d.agents.resolved(Path::new("")),
            branches: d.branches.resolved(Path::new("")),
        }
    }

    /// Fails when the file names no source and the command line gave none.
    pub fn require_sources(&self, path: &Path) -> Result<()> {
        if self.sources.is_empty() {
            bail!(JobFileError(format!(
                "job file {}: no [[source]] with a format and an input, and no --input on the command line",
                path.display()
            )));
        }
        Ok(())
    }
}
