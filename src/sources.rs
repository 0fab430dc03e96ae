//! Which files a job applies, and in which epochs (SPEC §6, §9).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::sinks::quality::Duplicate;

/// A file to apply.
#[derive(Clone, Debug)]
pub struct InputFile {
    pub path: PathBuf,
    /// The file's name, as `_quality.csv` and `_rejects/` show it.
    pub name: String,
    pub size: u64,
}

/// The files of one epoch, and those left out because their content was applied already.
#[derive(Clone, Debug, Default)]
pub struct EpochPlan {
    pub files: Vec<InputFile>,
    pub duplicates: Vec<Duplicate>,
}

/// True for names a scan never takes: hidden, `_`-prefixed, still being
/// written (`.tmp`, `.part`), or completion markers (`.done`).
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('_')
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with(".done")
}

/// Expands `--input` paths: a directory stands for the files directly in it
/// (by the name rules above), a file for itself. The result is in name order.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).with_context(|| format!("input {}: cannot read it", input.display()))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            for entry in fs::read_dir(input).with_context(|| format!("input {}: cannot list it", input.display()))? {
                let entry = entry.with_context(|| format!("input {}: cannot list it", input.display()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let meta =
                    entry.metadata().with_context(|| format!("input {}: cannot read it", entry.path().display()))?;
                if meta.is_file() && !is_ignored_name(&name) {
                    found.push(InputFile { path: entry.path(), name, size: meta.len() });
                }
            }
            found.sort_by(|a, b| a.name.cmp(&b.name));
            files.extend(found);
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push(InputFile { path: input.clone(), name, size: meta.len() });
        }
    }
    if files.is_empty() {
        bail!(
            "no input files found in {}",
            inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(files)
}

/// Makes each group of files one epoch (or each file, with `epoch_per_file`),
/// leaving out any file whose content equals one before it.
pub fn plan_epochs(groups: Vec<Vec<InputFile>>, epoch_per_file: bool) -> Result<Vec<EpochPlan>> {
    let files: Vec<(usize, InputFile)> =
        groups.into_iter().enumerate().flat_map(|(group, files)| files.into_iter().map(move |f| (group, f))).collect();
    let hashes = hash_all(&files.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>())?;
    let mut seen: Vec<(u128, String)> = Vec::new();
    let mut plans: Vec<EpochPlan> = Vec::new();
    let mut last_group = None;
    for ((group, file), hash) in files.into_iter().zip(hashes) {
        if epoch_per_file || last_group != Some(group) {
            plans.push(EpochPlan::default());
            last_group = Some(group);
        }
        let plan = plans.last_mut().expect("a plan was just pushed");
        match seen.iter().find(|(h, _)| *h == hash) {
            Some((_, first)) => plan.duplicates.push(Duplicate { file: file.name.clone(), same_as: first.clone() }),
            None => {
                seen.push((hash, file.name.clone()));
                plan.files.push(file);
            }
        }
    }
    plans.retain(|plan| !plan.files.is_empty() || !plan.duplicates.is_empty());
    Ok(plans)
}

/// Content hashes of every file, computed on all cores.
fn hash_all(files: &[InputFile]) -> Result<Vec<u128>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let mut hashes = vec![0u128; files.len()];
    std::thread::scope(|scope| -> Result<()> {
        let chunk = files.len().div_ceil(threads).max(1);
        let handles: Vec<_> = files
            .chunks(chunk)
            .zip(hashes.chunks_mut(chunk))
            .map(|(files, out)| {
                scope.spawn(move || -> Result<()> {
                    for (file, hash) in files.iter().zip(out) {
                        *hash = content_hash(&file.path)
                            .with_context(|| format!("input {}: cannot read it", file.path.display()))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().expect("hashing thread panicked"))
    })?;
    Ok(hashes)
}

/// A 128-bit hash of a file's bytes as stored (compressed files by their bytes).
pub fn content_hash(path: &Path) -> io::Result<u128> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut file = fs::File::open(path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.digest128());
        }
        hasher.update(&buffer[..n]);
    }
}
