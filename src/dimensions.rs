//! Dimension tables (SPEC §3): products, sales agents and branches, from the files
//! a job names (`--products`, `--agents`, `--branches`).
//!
//! Dimension files are small and describe the present, so they are not applied
//! like fact files. Worker 0 reads them whole before each epoch; when any of them
//! changed, the epoch carries the merged tables to every worker. The reports see
//! them as differential collections (see [`DimensionInputs`]): a new dimension
//! file changes the names and locations shown without re-reading any fact file.
//! A later file replaces the attributes of the keys it names: files merge in the
//! order given, a directory's in name order, and later rows win within a file.
//!
//! Kiosk and techco lines take their unit price from the product dimension as it
//! is when the line is read: a price is a fact of the sale, so a later price list
//! changes the lines read after it, not those already counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use anyhow::Result;
use differential_dataflow::input::{Input, InputSession};
use serde::{Deserialize, Serialize};
use timely::dataflow::Scope;

use crate::dataflow::{holds_own_text, text_key, Coll, TextKey, Time};
use crate::formats::dimensions::DimensionKind;
use crate::formats::{scan_file, FileKind};
use crate::ingest::{judge, Tally};
use crate::records::{DimensionRow, Record};
use crate::sinks::quality::{remove_rejects, write_rejects, QualityRow};
use crate::sources::{discover, list_dir, InputFile};

/// The dimension files a job names, by kind, in the order given.
#[derive(Clone, Debug, Default)]
pub struct DimensionSources {
    pub products: Vec<PathBuf>,
    pub agents: Vec<PathBuf>,
    pub branches: Vec<PathBuf>,
}

impl DimensionSources {
    fn by_kind(&self) -> [(DimensionKind, &[PathBuf]); 3] {
        [
            (DimensionKind::Products, &self.products),
            (DimensionKind::Agents, &self.agents),
            (DimensionKind::Branches, &self.branches),
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind().iter().all(|(_, paths)| paths.is_empty())
    }
}

/// The files of dimension paths, by the input name rules. Unlike fact inputs, a
/// directory may be empty: a job can start before its first price list arrives.
fn list(paths: &[PathBuf]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(list_dir(path)?);
        } else {
            files.extend(discover(std::slice::from_ref(path))?);
        }
    }
    Ok(files)
}

/// A product's attributes; empty text and `None` where the dimension gives none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub category: String,
    pub brand: String,
    pub price_cents: Option<i64>,
}

/// The merged dimension tables, and the `_quality.csv` row of each file read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tables {
    pub products: BTreeMap<String, Product>,
    /// Agent id → name.
    pub agents: BTreeMap<String, String>,
    /// Branch id → location.
    pub branches: BTreeMap<String, String>,
    pub quality: Vec<QualityRow>,
}

impl Tables {
    /// The price a dimension-priced line takes: the product's, else 0.
    pub fn price_of(&self, product: &str) -> i64 {
        self.products.get(product).and_then(|p| p.price_cents).unwrap_or(0)
    }

    fn add(&mut self, row: DimensionRow<'_>) {
        match row {
            DimensionRow::Product { id, name, category, brand, price_cents } => {
                let product =
                    Product { name: name.into(), category: category.into(), brand: brand.into(), price_cents };
                self.products.insert(id.into(), product);
            }
            DimensionRow::Agent { id, name } => {
                self.agents.insert(id.into(), name.into());
            }
            DimensionRow::Branch { id, location } => {
                self.branches.insert(id.into(), location.into());
            }
        }
    }

    /// Reads every file of `sources` and merges them, later files replacing the
    /// rows of earlier ones. A file over the reject rate, or unreadable, gives
    /// nothing; its rejected rows go to `OUT/_rejects/` as a fact file's would.
    pub fn load(sources: &DimensionSources, out_dir: &Path, max_reject_rate: f64) -> Result<Tables> {
        let mut tables = Tables::default();
        for (kind, paths) in sources.by_kind() {
            if paths.is_empty() {
                continue;
            }
            for file in list(paths)? {
                let mut read = Tables::default();
                let scan = scan_file(&file.path, FileKind::Dimension(kind), None, &AtomicU64::new(0), |record| {
                    if let Record::Dimension(row) = record {
                        read.add(row);
                    }
                });
                let mut tally = Tally::default();
                let rejects = match scan {
                    Ok(scan) => {
                        tally.rows = scan.rows;
                        for reject in &scan.rejects {
                            *tally.rejected.entry(reject.error.kind.to_string()).or_default() += 1;
                        }
                        scan.rejects
                    }
                    Err(unreadable) => {
                        tally.rows = unreadable.rows;
                        tally.unreadable = Some(unreadable.reason);
                        Vec::new()
                    }
                };
                let (quality, accepted) = judge(&file, &[&tally], max_reject_rate);
                let written = if rejects.is_empty() || tally.unreadable.is_some() {
                    remove_rejects(out_dir, &file.name)
                } else {
                    write_rejects(out_dir, &file.name, &rejects)
                };
                written.map_err(|e| anyhow::anyhow!("output {}: cannot write rejects: {e}", out_dir.display()))?;
                if accepted {
                    tables.products.extend(read.products);
                    tables.agents.extend(read.agents);
                    tables.branches.extend(read.branches);
                }
                tables.quality.push(quality);
            }
        }
        tables.quality.sort();
        Ok(tables)
    }
}

/// Worker 0's view of the dimension files: reloads them when any changed.
pub struct DimensionWatch {
    sources: DimensionSources,
    out_dir: PathBuf,
    max_reject_rate: f64,
    /// (path, size, modification time) of every file at the last load.
    seen: Option<Vec<(PathBuf, u64, u64)>>,
    /// The tables the dataflow holds.
    current: Tables,
}

impl DimensionWatch {
    pub fn new(sources: DimensionSources, out_dir: PathBuf, max_reject_rate: f64) -> Self {
        DimensionWatch { sources, out_dir, max_reject_rate, seen: None, current: Tables::default() }
    }

    /// The tables a checkpoint restored: what the reports show until a file changes.
    pub fn restored(&mut self, tables: Tables) {
        self.current = tables;
    }

    /// The tables, when they differ from those the dataflow holds. Files are read
    /// again only when one was added, removed or changed since the last look.
    pub fn refresh(&mut self) -> Result<Option<Tables>> {
        if self.sources.is_empty() && self.current == Tables::default() {
            return Ok(None);
        }
        let mut listed = Vec::new();
        for (_, paths) in self.sources.by_kind() {
            if !paths.is_empty() {
                listed.extend(list(paths)?.into_iter().map(|f: InputFile| (f.path, f.size, f.modified_ns)));
            }
        }
        if self.seen.as_ref() == Some(&listed) {
            return Ok(None);
        }
        let tables = Tables::load(&self.sources, &self.out_dir, self.max_reject_rate)?;
        self.seen = Some(listed);
        if tables == self.current {
            return Ok(None);
        }
        self.current = tables.clone();
        Ok(Some(tables))
    }
}

/// The dimension tables as collections. Keys and texts go through the same
/// dictionary as the facts', so reports resolve them the same way.
pub struct DimensionInputs {
    names: InputSession<Time, (TextKey, String), isize>,
    product_name: InputSession<Time, (TextKey, TextKey), isize>,
    agent_name: InputSession<Time, (TextKey, TextKey), isize>,
    branch_location: InputSession<Time, (TextKey, TextKey), isize>,
    quality: InputSession<Time, QualityRow, isize>,
}

/// What the reports read of the dimensions.
#[derive(Clone)]
pub struct Dimensions<'s> {
    /// Every text below, by key, for the dictionary.
    pub names: Coll<'s, (TextKey, String)>,
    /// (product, name) for products the dimension names.
    pub product_name: Coll<'s, (TextKey, TextKey)>,
    /// (agent id, name) for agents the dimension names.
    pub agent_name: Coll<'s, (TextKey, TextKey)>,
    /// (branch id, location) for branches the dimension locates.
    pub branch_location: Coll<'s, (TextKey, TextKey)>,
    /// The dimension files' rows of `_quality.csv`.
    pub quality: Coll<'s, QualityRow>,
}

impl DimensionInputs {
    pub fn new<'s>(scope: Scope<'s, Time>) -> (DimensionInputs, Dimensions<'s>) {
        let (names_in, names) = scope.new_collection();
        let (product_in, product_name) = scope.new_collection();
        let (agent_in, agent_name) = scope.new_collection();
        let (branch_in, branch_location) = scope.new_collection();
        let (quality_in, quality) = scope.new_collection();
        let mut inputs = DimensionInputs {
            names: names_in,
            product_name: product_in,
            agent_name: agent_in,
            branch_location: branch_in,
            quality: quality_in,
        };
        inputs.advance_to(1);
        (inputs, Dimensions { names, product_name, agent_name, branch_location, quality })
    }

    pub fn advance_to(&mut self, time: Time) {
        self.names.advance_to(time);
        self.product_name.advance_to(time);
        self.agent_name.advance_to(time);
        self.branch_location.advance_to(time);
        self.quality.advance_to(time);
        self.names.flush();
        self.product_name.flush();
        self.agent_name.flush();
        self.branch_location.flush();
        self.quality.flush();
    }

    /// Feeds what changed from `old` to `new`: the rows of `old` that `new` does
    /// not hold as they are are taken back, those of `new` that `old` lacks added.
    /// One worker feeds for all.
    pub fn update(&mut self, old: &Tables, new: &Tables) {
        self.feed(old, new, -1);
        self.feed(new, old, 1);
    }

    /// Feeds, with `sign`, the rows of `tables` that `other` lacks.
    fn feed(&mut self, tables: &Tables, other: &Tables, sign: isize) {
        for (id, product) in &tables.products {
            if other.products.get(id) != Some(product) && !product.name.is_empty() {
                let pair = self.pair(id, &product.name, sign);
                self.product_name.update(pair, sign);
            }
        }
        for (id, name) in &tables.agents {
            if other.agents.get(id) != Some(name) && !name.is_empty() {
                let pair = self.pair(id, name, sign);
                self.agent_name.update(pair, sign);
            }
        }
        for (id, location) in &tables.branches {
            if other.branches.get(id) != Some(location) {
                let pair = self.pair(id, location, sign);
                self.branch_location.update(pair, sign);
            }
        }
        for row in &tables.quality {
            if !other.quality.contains(row) {
                self.quality.update(row.clone(), sign);
            }
        }
    }

    /// The keys of a (key, value) pair of texts, their dictionary entries fed.
    fn pair(&mut self, key: &str, value: &str, sign: isize) -> (TextKey, TextKey) {
        let (k, v) = (text_key(key), text_key(value));
        for (key, text) in [(k, key), (v, value)] {
            if !holds_own_text(key) {
                self.names.update((key, text.to_string()), sign);
            }
        }
        (k, v)
    }
}
