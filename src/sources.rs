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
    /// Where the file splits into ranges read by different workers; empty when
    /// one worker reads it whole.
    pub ranges: Vec<ByteRange>,
}

/// A part of a plain file that starts at a record boundary: `lines_before`
/// line feeds precede `start`, so its first line is `lines_before + 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
    pub lines_before: u64,
}

impl InputFile {
    /// The pieces of work this file makes: one per range, or the whole file.
    pub fn parts(&self) -> usize {
        self.ranges.len().max(1)
    }
}

impl InputFile {
    fn new(path: PathBuf, name: String, meta: &fs::Metadata) -> InputFile {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        InputFile { path, name, size: meta.len(), modified_ns, hash: ContentHash(0), ranges: Vec::new() }
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

/// How plain files are shared between workers.
#[derive(Clone, Copy, Debug)]
pub struct Split {
    /// Files over this many bytes are read in ranges of about this size.
    pub bytes: u64,
    pub workers: usize,
}

impl Split {
    /// How many ranges a plain file of `size` bytes is read in, in an epoch of
    /// `files` files: ranges of about `bytes` each and, when the epoch has fewer
    /// files than workers, up to one range per worker, each of at least
    /// `bytes / 64` (256 KiB by default), so that no worker sits idle.
    ///
    /// Ranges well below the size of a whole export pay even on one worker: a
    /// range's hash maps stay small enough for the processor's cache, and a range
    /// other than a file's first is applied as soon as it is read (see
    /// `engine::apply`). Below `bytes / 64` a range's fixed costs (agreeing on
    /// the file's counts, a rejects part) outweigh reading in parallel, and tying
    /// the floor to `bytes` keeps a large `--split-bytes` the way to read every
    /// file whole.
    pub fn ranges(&self, size: u64, files: usize) -> u64 {
        let workers = self.workers.max(1) as u64;
        let by_size = size.div_ceil(self.bytes);
        let smallest_shared = (self.bytes / 64).max(1);
        let by_share = workers.div_ceil(files.max(1) as u64).min(size / smallest_shared);
        by_size.max(by_share.min(workers)).max(1)
    }
}

/// Content hashes of every file of an epoch, computed on all cores; plain files
/// also get their ranges (see [`Split::ranges`] and [`examine`]).
pub fn examine_all(files: &mut [InputFile], split: Split) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let chunk = files.len().div_ceil(threads).max(1);
    let count = files.len();
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = files
            .chunks_mut(chunk)
            .map(|files| {
                scope.spawn(move || -> Result<()> {
                    files.iter_mut().try_for_each(|file| {
                        examine(file, split.ranges(file.size, count))
                            .with_context(|| format!("input {}: cannot read it", file.path.display()))
                    })
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().expect("hashing thread panicked"))
    })
}

/// Hashes a file's bytes as stored (compressed files by their bytes) into
/// `file.hash`. A plain file is also cut into `ranges` ranges of about equal
/// size, each starting at a record boundary: a
/// line feed outside quotes (an even number of `"` so far, as RFC 4180 quoting
/// makes it), so that a multi-line quoted field is never cut.
pub fn examine(file: &mut InputFile, ranges: u64) -> io::Result<()> {
    let parts = if crate::formats::is_compressed(&file.path) { 1 } else { ranges.max(1) };
    // The nominal cut points, nearest last; each moves forward to the next record boundary.
    let mut cuts: Vec<u64> = (1..parts).map(|k| file.size * k / parts).collect();
    cuts.reverse();
    let mut starts = vec![ByteRange { start: 0, end: 0, lines_before: 0 }];
    let (mut quotes, mut lines, mut offset) = (0u64, 0u64, 0u64);

    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut reader = fs::File::open(&file.path)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        let chunk = &buffer[..n];
        hasher.update(chunk);
        // Before a cut only lines and quotes matter, counted in bulk; from it on,
        // each quote and line feed is looked at until the record ends.
        let mut at = 0;
        while let Some(&cut) = cuts.last().filter(|_| at < n) {
            // A line feed just before the cut ends a record at the cut itself.
            let scan_from = (cut.saturating_sub(1).saturating_sub(offset) as usize).clamp(at, n);
            let (more_lines, more_quotes) = count_lines_and_quotes(&chunk[at..scan_from]);
            (lines, quotes) = (lines + more_lines, quotes + more_quotes);
            match record_end(&chunk[scan_from..], &mut lines, &mut quotes) {
                Some(end) => {
                    at = scan_from + end;
                    let position = offset + at as u64;
                    while cuts.last().is_some_and(|&cut| position >= cut) {
                        cuts.pop();
                    }
                    starts.push(ByteRange { start: position, end: 0, lines_before: lines });
                }
                None => at = n,
            }
        }
        offset += n as u64;
    }
    file.hash = ContentHash(hasher.digest128());
    // A cut at the very end would make an empty range.
    starts.retain(|range| range.start == 0 || range.start < offset);
    file.ranges = if starts.len() > 1 {
        let ends: Vec<u64> = starts.iter().skip(1).map(|range| range.start).chain([offset]).collect();
        starts.into_iter().zip(ends).map(|(range, end)| ByteRange { end, ..range }).collect()
    } else {
        Vec::new()
    };
    Ok(())
}

/// Counts the line feeds and quotes in `bytes` up to the first line feed
/// outside quotes (an even count of quotes so far), and returns the index just
/// after it.
fn record_end(bytes: &[u8], lines: &mut u64, quotes: &mut u64) -> Option<usize> {
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        if bytes[i] == b'"' {
            *quotes += 1;
        } else {
            *lines += 1;
            if *quotes % 2 == 0 {
                return Some(i + 1);
            }
        }
    }
    None
}

/// The line feeds and quotes in `bytes`. Counted in blocks whose totals fit a
/// `u8` and whose length is a multiple of any vector width, so that the compiler
/// keeps the counters in vector lanes: a file is mostly counted, and visiting
/// each of its line feeds in turn costs far more.
fn count_lines_and_quotes(bytes: &[u8]) -> (u64, u64) {
    let (mut lines, mut quotes) = (0u64, 0u64);
    for block in bytes.chunks(192) {
        let (mut block_lines, mut block_quotes) = (0u8, 0u8);
        for &byte in block {
            block_lines += u8::from(byte == b'\n');
            block_quotes += u8::from(byte == b'"');
        }
        (lines, quotes) = (lines + u64::from(block_lines), quotes + u64::from(block_quotes));
    }
    (lines, quotes)
}

#[cfg(test)]
mod tests {
    use super::Split;

    #[test]
    fn ranges_start_after_a_line_feed_outside_quotes_wherever_the_reads_end() {
        // Over 1 MiB, so that records and quoted fields span the reads of the hashing pass.
        let mut text = Vec::new();
        for i in 0..60_000u32 {
            let row = match i % 5 {
                0 => format!("{i},\"quoted\nover \"\"lines\"\"\n\",x\n"),
                1 => format!("{i},\"{}\"\r\n", "y".repeat((i % 300) as usize)),
                2 => "\n".to_string(),
                _ => format!("{i},plain,{}\n", i * 7),
            };
            text.extend_from_slice(row.as_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, &text).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        for parts in [2, 3, 7, 64, 500] {
            let mut file = super::InputFile::new(path.clone(), "rows.csv".into(), &meta);
            super::examine(&mut file, parts).unwrap();
            // Each nominal cut moves to the end of the record it falls in, byte by byte.
            let size = text.len() as u64;
            let mut expected: Vec<super::ByteRange> = Vec::new();
            let (mut quotes, mut lines, mut next) = (0u64, 0u64, 1u64);
            for (i, &byte) in text.iter().enumerate() {
                quotes += u64::from(byte == b'"');
                if byte != b'\n' {
                    continue;
                }
                lines += 1;
                let position = i as u64 + 1;
                if quotes % 2 == 0 && next < parts && position >= size * next / parts && position < size {
                    while next < parts && position >= size * next / parts {
                        next += 1;
                    }
                    expected.push(super::ByteRange { start: position, end: 0, lines_before: lines });
                }
            }
            let starts: Vec<(u64, u64)> = file.ranges.iter().skip(1).map(|r| (r.start, r.lines_before)).collect();
            let want: Vec<(u64, u64)> = expected.iter().map(|r| (r.start, r.lines_before)).collect();
            assert_eq!(starts, want, "{parts} parts");
            assert_eq!(file.ranges.last().unwrap().end, size);
        }
    }

    #[test]
    fn lines_and_quotes_are_counted_across_blocks() {
        let text: Vec<u8> = (0..1000).map(|i| [b'a', b'\n', b'"', b'x', b'\n'][i % 5]).collect();
        assert_eq!(super::count_lines_and_quotes(&text), (400, 200));
        assert_eq!(super::count_lines_and_quotes(&[b'\n'; 700]), (700, 0));
        assert_eq!(super::count_lines_and_quotes(b""), (0, 0));
    }

    #[test]
    fn few_files_are_cut_so_that_every_worker_reads() {
        const MIB: u64 = 1 << 20;
        let split = Split { bytes: 64 * MIB, workers: 2 };
        // A 1% file alone in its epoch: both workers read half.
        assert_eq!(split.ranges(7 * MIB, 1), 2);
        // As many files as workers: each read whole.
        assert_eq!(split.ranges(7 * MIB, 2), 1);
        // Under a 64th of --split-bytes: not worth a range.
        assert_eq!(split.ranges(MIB - 1, 1), 1);
        // Large files by size, however many workers there are.
        assert_eq!(split.ranges(200 * MIB, 8), 4);
        assert_eq!(split.ranges(0, 1), 1);
        let four = Split { bytes: 64 * MIB, workers: 4 };
        assert_eq!(four.ranges(3 * MIB, 1), 3);
        assert_eq!(four.ranges(100 * MIB, 3), 2);
        // Cut by size, not by the idle workers, once that gives more ranges.
        assert_eq!(four.ranges(300 * MIB, 1), 5);
        assert_eq!(four.ranges(150 * MIB, 1), 4);
        // A large --split-bytes still reads every file whole.
        let whole = Split { bytes: 1 << 40, workers: 4 };
        assert_eq!(whole.ranges(100 * MIB, 1), 1);
    }
}
