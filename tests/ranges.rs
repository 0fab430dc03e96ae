//! Large plain files are read in byte ranges by several workers (`--split-bytes`):
//! the reports, `_quality.csv` and `_rejects/` must be byte for byte those of
//! reading each file whole, whatever the cuts: CRLF and blank lines, quoted fields
//! that span lines, bad rows in any range, a file refused over the reject rate on
//! the strength of one range, and a file that is not the format at all.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

const HEADER: &str = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";

/// A file of `rows` rows with every awkward shape a cut could fall into.
fn awkward_file(rows: usize, bad_every: usize) -> Vec<u8> {
    let mut text = format!("{HEADER}\r\n").into_bytes();
    for i in 0..rows {
        let line = match i % 7 {
            _ if bad_every > 0 && i % bad_every == 3 => {
                format!("2019-10-01 10:00:00 UTC,view,p{i},1,c.a,b1,N/A,u{i},s1\n")
            }
            0 => format!(
                "2019-10-01 1{}:00:00 UTC,view,p{i},1,c.a,\"multi\nline, \"\"brand\"\"\",{}.50,u{},s{}\n",
                i % 10,
                i % 90,
                i % 13,
                i % 5
            ),
            1 => format!(
                "2019-10-02 08:00:{:02} UTC,cart,p{i},2,c.b,b2,3.{:02},u{},s{}\r\n",
                i % 60,
                i % 100,
                i % 11,
                i % 6
            ),
            2 => "\n\r\n".to_string(),
            3 => format!("2019-10-03 09:30:00+02:00,purchase,p{i},3,,\"b,3\",{}.00,u{},s{}\n", i % 300, i % 7, i % 9),
            _ => format!("2019-10-04 23:59:59 UTC,view,p{i},4,c.d,,0.{:02},u{},\"s{}\"\n", i % 100, i % 17, i % 4),
        };
        text.extend_from_slice(line.as_bytes());
    }
    text
}

/// Every output file of a run, by path relative to `out`, except `_epoch.json`
/// (it holds timings).
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "_epoch.json" {
                let relative = path.strip_prefix(out).unwrap().display().to_string();
                files.push((relative, fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

fn run(input: &Path, out: &Path, extra: &[&str]) {
    run_reports(&[input], out, extra);
}

/// Reports written as one part per worker.
const PER_ENTITY: [&str; 3] = ["user_preferences", "customers", "rfm"];

fn compare(whole: &Path, split: &Path, context: &str) {
    let (want, got) = (outputs(whole), outputs(split));
    let names = |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    // Per-entity parts differ with the worker count; compare them merged.
    let is_part = |name: &str| PER_ENTITY.iter().any(|report| name.starts_with(&format!("{report}/part-")));
    let without_parts = |files: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        files.into_iter().filter(|(n, _)| !is_part(n)).collect()
    };
    let (want, got) = (without_parts(want), without_parts(got));
    assert_eq!(names(&want), names(&got), "{context}: different files");
    for ((name, a), (_, b)) in want.iter().zip(&got) {
        assert!(
            a == b,
            "{context}: {name} differs:\n--- whole\n{}\n--- split\n{}",
            String::from_utf8_lossy(a),
            String::from_utf8_lossy(b)
        );
    }
    for report in PER_ENTITY {
        assert_eq!(read_parts(whole, report), read_parts(split, report), "{context}: {report}");
    }
}

#[test]
fn ranges_give_the_same_outputs_as_whole_files() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("awkward.csv"), awkward_file(3_000, 97)).unwrap();
    generate(&root.path().join("gen"), 20_000, 8, 1);
    fs::copy(dir_files(&root.path().join("gen")).remove(0), input.join("generated.csv")).unwrap();

    let whole = root.path().join("whole");
    run(&input, &whole, &["-w", "1"]);
    let files: Vec<PathBuf> = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&whole), "whole");
    assert!(whole.join("_rejects/awkward.csv.csv").exists(), "the fixture has rejected rows");

    for (split_bytes, workers) in [("20000", "2"), ("3000", "3"), ("700", "4")] {
        let out = root.path().join(format!("split-{split_bytes}-{workers}"));
        run(&input, &out, &["-w", workers, "--split-bytes", split_bytes]);
        compare(&whole, &out, &format!("--split-bytes {split_bytes} -w {workers}"));
    }
}

#[test]
fn an_epoch_of_one_small_file_is_shared_by_the_workers() {
    // Below --split-bytes, but over a 64th of it: with one file in the epoch,
    // each of three workers reads a range of it.
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    fs::create_dir_all(&input).unwrap();
    let file = awkward_file(3_000, 97);
    let split_bytes = (file.len() as u64 * 64 / 4).to_string();
    assert!(file.len() as u64 * 64 / 4 > file.len() as u64);
    fs::write(input.join("awkward.csv"), file).unwrap();
    let whole = root.path().join("whole");
    run(&input, &whole, &["-w", "1"]);
    let shared = root.path().join("shared");
    let state = root.path().join("state");
    run(&input, &shared, &["-w", "3", "--split-bytes", &split_bytes, "--state", state.to_str().unwrap()]);
    compare(&whole, &shared, &format!("one file, --split-bytes {split_bytes} -w 3"));
    // The state keeps each piece's facts apart: one per range read.
    let pieces = fs::read_dir(state.join("files")).unwrap().count();
    assert_eq!(pieces, 3, "the file is read in one range per worker");
}

#[test]
fn the_reject_rate_judges_the_whole_file_across_ranges() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    fs::create_dir_all(&input).unwrap();
    // Bad rows all near the start: the first range alone is far over 5%, the file is not.
    let mut under = awkward_file(2_000, 0);
    let bad: String = (0..60).map(|i| format!("2019-10-01 10:00:00 UTC,view,x{i},1,c,b,1e3,u,s\n")).collect();
    let header_end = under.iter().position(|&b| b == b'\n').unwrap() + 1;
    under.splice(header_end..header_end, bad.bytes());
    fs::write(input.join("under.csv"), &under).unwrap();
    // Bad rows all near the end: the last range carries the file over the rate.
    let mut over = awkward_file(1_000, 0);
    over.extend((0..300).flat_map(|i| format!("2019-10-01 10:00:00 UTC,view,y{i},1,c,b,N/A,u,s\n").into_bytes()));
    fs::write(input.join("over.csv"), &over).unwrap();
    // Not rees46 at all.
    let foreign: String =
        std::iter::once("a,b,c\n".to_string()).chain((0..2_000).map(|i| format!("{i},x,y\n"))).collect();
    fs::write(input.join("foreign.csv"), foreign).unwrap();

    let whole = root.path().join("whole");
    run(&input, &whole, &["-w", "1"]);
    let split = root.path().join("split");
    run(&input, &split, &["-w", "3", "--split-bytes", "4000"]);
    compare(&whole, &split, "reject rate");
    let quality = read_quality(&split);
    let row = |name: &str| quality.iter().find(|q| q.file == name).unwrap().clone();
    assert!(row("under.csv").accepted > 0, "{:?}", row("under.csv"));
    assert_eq!(row("over.csv").accepted, 0, "{:?}", row("over.csv"));
    assert_eq!(row("foreign.csv").accepted, 0, "{:?}", row("foreign.csv"));
    let files = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&split), "split");
}

#[test]
fn a_refused_file_read_in_ranges_leaves_nothing_behind_in_the_state() {
    // A file's later ranges are applied before the verdict on the file; when it
    // is refused they are taken back, and the state must keep no facts for them:
    // replacing the file later retracts only what was applied.
    let root = tempfile::tempdir().unwrap();
    let (input, out, state) = (root.path().join("in"), root.path().join("out"), root.path().join("state"));
    fs::create_dir_all(&input).unwrap();
    fs::write(input.join("kept.csv"), awkward_file(1_500, 0)).unwrap();
    // Bad rows only at the end: every range before the last one is clean.
    let mut refused = awkward_file(1_000, 0);
    refused.extend((0..300).flat_map(|i| format!("2019-10-01 10:00:00 UTC,view,y{i},1,c,b,N/A,u,s\n").into_bytes()));
    fs::write(input.join("changing.csv"), &refused).unwrap();
    let flags = ["-w", "2", "--split-bytes", "4000", "--state", state.to_str().unwrap(), "--replace-changed"];
    run(&input, &out, &flags);
    assert_eq!(read_quality(&out).iter().find(|q| q.file == "changing.csv").unwrap().accepted, 0);
    let files = dir_files(&input);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&out), "refused");

    fs::write(input.join("changing.csv"), awkward_file(2_000, 0)).unwrap();
    run(&input, &out, &flags);
    assert_eq!(read_quality(&out).iter().find(|q| q.file == "changing.csv").unwrap().rejected, 0);
    assert_reports_eq(&expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE), &read_output(&out), "replaced");
    let whole = root.path().join("whole");
    run(&input, &whole, &["-w", "1"]);
    assert_reports_eq(&read_every_report(&whole), &read_every_report(&out), "every report");
}
