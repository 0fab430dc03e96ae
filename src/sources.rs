//! Input files: which files a path names, by the name rules of SPEC §6 and §9,
//! and their content hashes.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::state::ContentHash;

/// A file to apply.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InputFile {
    pub path: PathBuf,
    /// The file's name, as `_quality.csv` and `_rejects/` show it.
    pub name: String,
    pub size: u64,
    /// Modification time in nanoseconds since 1970.
    pub modified_ns: u64,
    /// The content hash, once the planner has computed it.
    pub hash: ContentHash,
}

impl InputFile {
    fn new(path: PathBuf, name: String, meta: &fs::Metadata) -> InputFile {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        InputFile { path, name, size: meta.len(), modified_ns, hash: ContentHash(0) }
    }
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
            files.extend(list_dir(input)?);
        } else {
            let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push(InputFile::new(input.clone(), name, &meta));
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

/// The files directly in `dir` that a scan takes, in name order.
pub fn list_dir(dir: &Path) -> Result<Vec<InputFile>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("input {}: cannot list it", dir.display()))? {
        let entry = entry.with_context(|| format!("input {}: cannot list it", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_ignored_name(&name) {
            continue;
        }
        // A file removed between listing and reading its metadata is simply not there.
        let Ok(meta) = fs::metadata(entry.path()) else { continue };
        if meta.is_file() {
            found.push(InputFile::new(entry.path(), name, &meta));
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Content hashes of every file, computed on all cores.
pub fn hash_all(files: &[InputFile]) -> Result<Vec<ContentHash>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let mut hashes = vec![ContentHash(0); files.len()];
    std::thread::scope(|scope| -> Result<()> {
        let chunk = files.len().div_ceil(threads).max(1);
        let handles: Vec<_> = files
            .chunks(chunk)
            .zip(hashes.chunks_mut(chunk))
            .map(|(files, out)| {
                scope.spawn(move || -> Result<()> {
                    for (file, hash) in files.iter().zip(out) {
                        *hash = content_hash(&file.path)
                            .map(ContentHash)
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
