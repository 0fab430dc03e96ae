//! The state directory (SPEC §6): which files have been applied, and a checkpoint
//! of the dataflow's facts, so that a restart resumes where the last checkpoint
//! left off and never counts a file twice.
//!
//! ```text
//! STATE/manifest.json                      the committed state: applied files, checkpoint, change-log lengths
//! STATE/checkpoints/<id>/part-NNNNN.bin    each worker's shard of the facts, as of the manifest's epoch
//! STATE/files/<content hash>.bin           each applied file's own facts, to retract it later
//! STATE/lock                               held by the process that writes the manifest
//! ```
//!
//! The manifest is replaced atomically, and only after every part of the
//! checkpoint it names is on disk. A process killed at any instant therefore
//! restarts from the last complete checkpoint, and the epochs after it are redone
//! whole: their files are not in the manifest, and the change logs are cut back
//! to the lengths the manifest records.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use bincode::Options;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::aggregate::FileFacts;
use crate::sinks::csv_out::write_atomically;
use crate::sinks::quality::QualityRow;

/// The layout version of the manifest and the files it names (6: decimal
/// numbers are keys that hold their own text); a manifest of another version is
/// refused.
pub const MANIFEST_VERSION: u32 = 6;

/// A 128-bit xxh3 hash of a file's bytes, written as 32 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub u128);

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        u128::from_str_radix(&text, 16).map(ContentHash).map_err(serde::de::Error::custom)
    }
}

/// A file the state has applied.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppliedFile {
    pub path: PathBuf,
    pub name: String,
    pub size: u64,
    /// Modification time in nanoseconds since 1970, to notice a change without hashing.
    pub modified_ns: u64,
    pub hash: ContentHash,
    /// How many pieces the file was read in (ranges of a large file), each
    /// with its own stored facts.
    pub parts: usize,
    pub epoch: u64,
}

/// Where the committed checkpoint lives, relative to the state directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointRef {
    pub dir: String,
    /// How many workers wrote it: one part each.
    pub parts: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// The last epoch the checkpoint includes.
    pub epoch: u64,
    pub checkpoint: CheckpointRef,
    /// Length in bytes of each `changes/<report>.csv` as of `epoch`.
    pub change_logs: BTreeMap<String, u64>,
    pub files: Vec<AppliedFile>,
}

/// What the state keeps of one applied file, or of one range of it: enough to
/// take it back.
#[derive(Serialize, Deserialize)]
pub struct FileContribution {
    /// The file's `_quality.csv` row, kept with its first piece only.
    pub quality: Option<QualityRow>,
    /// `None` for a refused file, which contributed only its quality row.
    pub facts: Option<FileFacts>,
}

pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn open(root: &Path) -> Result<StateDir> {
        for dir in [root.to_path_buf(), root.join("checkpoints"), root.join("files")] {
            fs::create_dir_all(&dir).with_context(|| format!("state {}: cannot create it", dir.display()))?;
        }
        Ok(StateDir { root: root.to_path_buf() })
    }

    /// Holds the state directory for this process, so two processes never
    /// write the same manifest. The lock goes when the returned file is dropped.
    pub fn lock(&self) -> Result<File> {
        let path = self.root.join("lock");
        let file = File::create(&path).with_context(|| format!("state {}: cannot create it", path.display()))?;
        // SAFETY: flock on a file descriptor we own; it has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            bail!(
                "state {}: another cartflow process is using this state directory; stop it or pass another --state",
                self.root.display()
            );
        }
        Ok(file)
    }

    fn manifest_path(&self) -> PathBuf {
        self.root.join("manifest.json")
    }

    pub fn load_manifest(&self) -> Result<Option<Manifest>> {
        let path = self.manifest_path();
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow!("state {}: cannot read it: {e}", path.display())),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "state {}: not a cartflow manifest ({e}); move the state directory aside to start over",
                path.display()
            )
        })?;
        if manifest.version != MANIFEST_VERSION {
            bail!(
                "state {}: manifest version {} is not {MANIFEST_VERSION}; this cartflow cannot resume from it: move the state directory aside to start over",
                path.display(),
                manifest.version
            );
        }
        Ok(Some(manifest))
    }

    /// Commits a checkpoint: after this returns, a restart resumes from it.
    pub fn save_manifest(&self, manifest: &Manifest) -> io::Result<()> {
        let mut json = serde_json::to_vec_pretty(manifest).map_err(io::Error::other)?;
        json.push(b'\n');
        write_atomically(&self.manifest_path(), &json)
    }

    pub fn checkpoint_dir(&self, dir: &str) -> PathBuf {
        self.root.join("checkpoints").join(dir)
    }

    pub fn checkpoint_part(&self, dir: &str, worker: usize) -> PathBuf {
        self.checkpoint_dir(dir).join(format!("part-{worker:05}.bin"))
    }

    /// Where the facts of piece `part` of the file with this content are kept.
    pub fn contribution_path(&self, hash: ContentHash, part: usize) -> PathBuf {
        self.root.join("files").join(format!("{hash}.{part}.bin"))
    }

    /// Bytes on disk: (checkpoints, the applied files' contributions).
    pub fn bytes(&self) -> (u64, u64) {
        let size = |dir: PathBuf| -> u64 {
            let mut total = 0;
            let mut stack = vec![dir];
            while let Some(dir) = stack.pop() {
                for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                    match entry.metadata() {
                        Ok(meta) if meta.is_dir() => stack.push(entry.path()),
                        Ok(meta) => total += meta.len(),
                        Err(_) => {}
                    }
                }
            }
            total
        };
        (size(self.root.join("checkpoints")), size(self.root.join("files")))
    }

    /// Removes checkpoints other than the committed one, and the contributions
    /// of files no longer applied.
    pub fn remove_unreferenced(&self, manifest: &Manifest) -> io::Result<()> {
        for entry in fs::read_dir(self.root.join("checkpoints"))?.flatten() {
            if entry.file_name().to_string_lossy() != manifest.checkpoint.dir {
                fs::remove_dir_all(entry.path())?;
            }
        }
        let kept: HashSet<String> = manifest.files.iter().map(|f| f.hash.to_string()).collect();
        for entry in fs::read_dir(self.root.join("files"))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.split('.').next().is_some_and(|hash| kept.contains(hash)) {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

/// Compact binary encoding (bincode 1.3 with variable-length integers): counts
/// and sums are mostly small.
fn encoding() -> impl Options {
    bincode::DefaultOptions::new()
}

/// Writes `value` to `path` atomically: a reader sees the old file or the whole new one.
pub fn write_binary<T: Serialize>(path: &Path, value: &T) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let temp = path.with_extension("bin.tmp");
    let file = File::create(&temp)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    encoding().serialize_into(&mut writer, value).map_err(io::Error::other)?;
    writer.flush()?;
    writer.get_ref().sync_all()?;
    fs::rename(&temp, path)
}

pub fn read_binary<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let file = File::open(path).with_context(|| format!("state {}: cannot read it", path.display()))?;
    encoding().deserialize_from(BufReader::with_capacity(1 << 20, file)).map_err(|e| {
        anyhow!(
            "state {}: damaged ({e}); move the state directory aside and rebuild it from the inputs",
            path.display()
        )
    })
}
