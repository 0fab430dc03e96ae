//! Keeping reports current (SPEC §5 change logs, §6): `watch` over a directory,
//! the state directory, restarts after a crash at any point, duplicates, changed
//! and deleted files. Every check compares with the independent reference of
//! `common/mod.rs` over the files that should count, byte for byte.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn expected_over(files: &[&Path]) -> BTreeMap<String, String> {
    let files: Vec<PathBuf> = files.iter().map(|p| p.to_path_buf()).collect();
    expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE)
}

/// Four generated files, in time order, kept outside any watched directory.
fn sample(dir: &Path, events: u64) -> Vec<PathBuf> {
    let gen = dir.join("gen");
    generate(&gen, events, 11, 4);
    dir_files(&gen)
}

/// Puts a copy of `source` into `dir` under `name` in one step, as a careful producer does.
fn drop_file(source: &Path, dir: &Path, name: &str) -> PathBuf {
    let temporary = dir.join(format!("{name}.part"));
    fs::copy(source, &temporary).unwrap();
    let target = dir.join(name);
    fs::rename(&temporary, &target).unwrap();
    target
}

/// A running `cartflow watch`, its log kept in a file.
struct Watch {
    child: Child,
    log: PathBuf,
}

struct Dirs {
    input: PathBuf,
    out: PathBuf,
    state: PathBuf,
}

impl Dirs {
    fn new(root: &Path) -> Dirs {
        let dirs = Dirs { input: root.join("in"), out: root.join("out"), state: root.join("state") };
        fs::create_dir_all(&dirs.input).unwrap();
        dirs
    }
}

impl Watch {
    fn start(dirs: &Dirs, extra: &[&str]) -> Watch {
        let log = unique(dirs.out.with_extension("log"));
        let mut args: Vec<String> =
            ["watch", "--format", "rees46", "--poll", "10ms"].iter().map(|s| s.to_string()).collect();
        if !extra.contains(&"--settle") {
            args.extend(["--settle".into(), "50ms".into()]);
        }
        for (flag, dir) in [("--input", &dirs.input), ("--out", &dirs.out), ("--state", &dirs.state)] {
            args.push(flag.into());
            args.push(dir.display().to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(cartflow_bin())
            .args(&args)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("cartflow watch starts");
        Watch { child, log }
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `_epoch.json` shows `epoch` (or a later one).
    fn wait_for_epoch(&mut self, out: &Path, epoch: u64) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if epoch_of(out).is_some_and(|e| e >= epoch) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("watch exited ({status}) before epoch {epoch}; its log:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "no epoch {epoch} within 60 s; the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the log says `text`.
    fn wait_for_log(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.log().contains(text) {
            assert!(Instant::now() < deadline, "the log never said {text:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, as a service manager stops it: it must exit 0 promptly.
    fn stop(mut self) -> String {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = wait_with_timeout(&mut self.child, Duration::from_secs(30));
        assert!(status.success(), "watch exited {status} after SIGTERM; its log:\n{}", self.log());
        self.log()
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unique(path: PathBuf) -> PathBuf {
    let mut n = 0;
    loop {
        let candidate = path.with_extension(format!("log{n}"));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn epoch_record(out: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&fs::read(out.join("_epoch.json")).ok()?).ok()
}

fn epoch_of(out: &Path) -> Option<u64> {
    epoch_record(out)?["epoch"].as_u64()
}

/// Every report rebuilt from its change log alone, by applying each line's diff
/// in order; also checks that epochs never go backwards and that no row's count
/// ever drops below zero.
fn rebuilt_from_changes(out: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut rebuilt = BTreeMap::new();
    for report in REPORTS {
        let path = out.join("changes").join(format!("{report}.csv"));
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(text.lines().next(), Some(format!("epoch,diff,{}", header(report)).as_str()), "{report}");
        let mut rows: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        let mut last_epoch = 0;
        for record in csv::Reader::from_reader(text.as_bytes()).records() {
            let record = record.unwrap();
            let epoch: u64 = record[0].parse().unwrap();
            assert!(epoch >= last_epoch, "{report}: epoch {epoch} after {last_epoch}");
            last_epoch = epoch;
            let diff: i64 = record[1].parse().unwrap();
            assert!(diff == 1 || diff == -1, "{report}: diff {diff}");
            let row: Vec<String> = record.iter().skip(2).map(String::from).collect();
            let count = rows.entry(row.clone()).or_insert(0);
            *count += diff;
            assert!(*count >= 0, "{report}: {row:?} retracted more often than added");
        }
        let mut table: Vec<Vec<String>> =
            rows.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row, n as usize)).collect();
        table.sort();
        rebuilt.insert(report.to_string(), table);
    }
    rebuilt
}

/// The rows of each report as written, sorted, for comparing with a rebuilt log.
fn sorted_rows(reports: &BTreeMap<String, String>) -> BTreeMap<String, Vec<Vec<String>>> {
    reports
        .iter()
        .map(|(report, text)| {
            let mut rows: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
                .records()
                .map(|r| r.unwrap().iter().map(String::from).collect())
                .collect();
            rows.sort();
            (report.clone(), rows)
        })
        .collect()
}

fn assert_change_logs_rebuild(out: &Path, context: &str) {
    let written = sorted_rows(&read_output(out));
    let rebuilt = rebuilt_from_changes(out);
    for report in REPORTS {
        assert!(written[report] == rebuilt[report], "{context}: changes/{report}.csv does not rebuild {report}.csv");
    }
}

#[test]
fn watch_keeps_every_report_equal_to_a_batch_run_after_each_epoch() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 12_000);
    let dirs = Dirs::new(root.path());
    let mut watch = Watch::start(&dirs, &["-w", "2"]);
    // Newest first: every file after the first holds events older than all seen so far.
    let mut applied: Vec<&Path> = Vec::new();
    for (i, file) in files.iter().rev().enumerate() {
        drop_file(file, &dirs.input, file.file_name().unwrap().to_str().unwrap());
        applied.push(file);
        watch.wait_for_epoch(&dirs.out, i as u64 + 1);
        assert_reports_eq(&expected_over(&applied), &read_output(&dirs.out), &format!("after epoch {}", i + 1));
        assert_change_logs_rebuild(&dirs.out, &format!("after epoch {}", i + 1));
    }
    let log = watch.stop();
    assert!(log.contains("checkpoint written"), "{log}");
}

/// `run --state --epoch-per-file` killed at each named point of epoch 2, then run
/// again with another worker count: the same reports and change logs as if it
/// had never died.
#[test]
fn a_run_killed_at_any_point_resumes_to_the_same_results() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 8_000);
    let input = root.path().join("gen");
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let want = expected_over(&all);
    for point in ["after-read", "after-outputs", "mid-checkpoint", "after-checkpoint"] {
        let out = root.path().join(format!("out-{point}"));
        let state = root.path().join(format!("state-{point}"));
        let args = |workers: &'static str| -> Vec<String> {
            let mut args: Vec<String> = ["run", "--format", "rees46", "--epoch-per-file", "-w", workers]
                .iter()
                .map(|s| s.to_string())
                .collect();
            args.extend(["--input".into(), input.display().to_string()]);
            args.extend(["--out".into(), out.display().to_string()]);
            args.extend(["--state".into(), state.display().to_string()]);
            args
        };
        let crashed = Command::new(cartflow_bin())
            .args(args("2"))
            .env("CARTFLOW_CRASH_AT", format!("{point}:2"))
            .output()
            .unwrap();
        assert_eq!(crashed.status.code(), None, "{point}: the run should have been killed");
        let resumed = Command::new(cartflow_bin()).args(args("3")).output().unwrap();
        assert!(resumed.status.success(), "{point}: {}", String::from_utf8_lossy(&resumed.stderr));
        assert_reports_eq(&want, &read_output(&out), point);
        assert_change_logs_rebuild(&out, point);
        assert_eq!(read_quality(&out).len(), files.len(), "{point}: each file once in _quality.csv");
        // A third run finds nothing new: it restores, rewrites the same reports and stops.
        let again = Command::new(cartflow_bin()).args(args("1")).output().unwrap();
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));
        assert_reports_eq(&want, &read_output(&out), &format!("{point}, run again"));
        assert_change_logs_rebuild(&out, &format!("{point}, run again"));
    }
}

#[test]
fn a_killed_watch_restarts_from_its_checkpoint_with_another_worker_count() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 12_000);
    let dirs = Dirs::new(root.path());
    let mut watch = Watch::start(&dirs, &["-w", "2"]);
    for (i, file) in files[..2].iter().enumerate() {
        drop_file(file, &dirs.input, &format!("f{i}.csv"));
        watch.wait_for_epoch(&dirs.out, i as u64 + 1);
    }
    // The third file lands and the process dies at once, wherever it was.
    drop_file(&files[2], &dirs.input, "f2.csv");
    std::thread::sleep(Duration::from_millis(60));
    watch.kill();

    let watch = Watch::start(&dirs, &["-w", "3"]);
    drop_file(&files[3], &dirs.input, "f3.csv");
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let want = expected_over(&all);
    let deadline = Instant::now() + Duration::from_secs(60);
    while read_output(&dirs.out) != want || read_quality(&dirs.out).len() < 4 {
        assert!(Instant::now() < deadline, "the reports never caught up; the log:\n{}", watch.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    watch.stop();
    assert_reports_eq(&want, &read_output(&dirs.out), "after the restart");
    assert_change_logs_rebuild(&dirs.out, "after the restart");
}

#[test]
fn duplicates_and_renamed_copies_are_skipped() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 4_000);
    let dirs = Dirs::new(root.path());
    let mut watch = Watch::start(&dirs, &["-w", "2"]);
    drop_file(&files[0], &dirs.input, "a.csv");
    watch.wait_for_epoch(&dirs.out, 1);
    drop_file(&files[0], &dirs.input, "copy-of-a.csv");
    watch.wait_for_log("duplicate file skipped");
    drop_file(&files[1], &dirs.input, "b.csv");
    watch.wait_for_epoch(&dirs.out, 2);
    watch.stop();
    assert_reports_eq(&expected_over(&[&files[0], &files[1]]), &read_output(&dirs.out), "copy skipped");

    // The same in a batch run, where the copy is named in `_epoch.json`.
    let out = root.path().join("batch");
    run_reports(&[&dirs.input], &out, &[]);
    assert_reports_eq(&expected_over(&[&files[0], &files[1]]), &read_output(&out), "batch");
    let record = epoch_record(&out).unwrap();
    assert_eq!(record["duplicates"][0]["file"], "copy-of-a.csv", "{record}");
    assert_eq!(record["duplicates"][0]["same_as"], "a.csv", "{record}");
}

#[test]
fn a_file_still_being_written_is_not_taken_until_it_settles_or_is_marked() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 4_000);
    let whole = fs::read(&files[0]).unwrap();
    let half = whole.len() / 2;

    // Settling: the writer pauses for less than --settle between its two halves.
    let dirs = Dirs::new(&root.path().join("settle"));
    let mut watch = Watch::start(&dirs, &["--settle", "1s"]);
    let target = dirs.input.join("slow.csv");
    fs::write(&target, &whole[..half]).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(epoch_of(&dirs.out), None, "a half-written file was taken");
    let mut file = fs::OpenOptions::new().append(true).open(&target).unwrap();
    std::io::Write::write_all(&mut file, &whole[half..]).unwrap();
    drop(file);
    watch.wait_for_epoch(&dirs.out, 1);
    watch.stop();
    assert_reports_eq(&expected_over(&[&files[0]]), &read_output(&dirs.out), "settled");

    // Markers: nothing is taken before `<name>.done`, however still the file is.
    let dirs = Dirs::new(&root.path().join("marker"));
    let mut watch = Watch::start(&dirs, &["--require-marker", "--settle", "0ms"]);
    fs::write(dirs.input.join("marked.csv"), &whole).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(epoch_of(&dirs.out), None, "a file without its marker was taken");
    fs::write(dirs.input.join("marked.csv.done"), b"").unwrap();
    watch.wait_for_epoch(&dirs.out, 1);
    watch.stop();
    assert_reports_eq(&expected_over(&[&files[0]]), &read_output(&dirs.out), "marked");
}

#[test]
fn a_changed_file_is_skipped_or_with_replace_changed_replaced() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 6_000);
    for replace in [false, true] {
        let dirs = Dirs::new(&root.path().join(format!("replace-{replace}")));
        let flags: &[&str] = if replace { &["--replace-changed"] } else { &[] };
        let mut watch = Watch::start(&dirs, flags);
        drop_file(&files[0], &dirs.input, "a.csv");
        watch.wait_for_epoch(&dirs.out, 1);
        drop_file(&files[1], &dirs.input, "b.csv");
        watch.wait_for_epoch(&dirs.out, 2);
        // a.csv is rewritten with other content.
        drop_file(&files[2], &dirs.input, "a.csv");
        if replace {
            watch.wait_for_epoch(&dirs.out, 3);
            assert_eq!(epoch_record(&dirs.out).unwrap()["retracted"][0], "a.csv");
        } else {
            watch.wait_for_log("file changed after it was applied; skipped");
        }
        watch.stop();
        let want = if replace { [&files[2], &files[1]] } else { [&files[0], &files[1]] };
        let want: Vec<&Path> = want.iter().map(|p| p.as_path()).collect();
        assert_reports_eq(&expected_over(&want), &read_output(&dirs.out), &format!("replace {replace}"));
        assert_change_logs_rebuild(&dirs.out, &format!("replace {replace}"));
        assert_eq!(read_quality(&dirs.out).len(), 2, "one _quality.csv row per file");
    }
}

#[test]
fn replacing_one_of_two_files_read_in_one_epoch_keeps_the_names_the_other_uses() {
    // One worker reads both files in one epoch and folds their facts together, so
    // the codes, brands and users they share enter the dictionary from one set of
    // facts. Taking one file back must leave every name the other still uses.
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 6_000);
    let (input, out, state) = (root.path().join("in"), root.path().join("out"), root.path().join("state"));
    fs::create_dir_all(&input).unwrap();
    fs::copy(&files[0], input.join("a.csv")).unwrap();
    fs::copy(&files[1], input.join("b.csv")).unwrap();
    let state_flag = ["--state", state.to_str().unwrap(), "-w", "1"];
    run_reports(&[&input], &out, &state_flag);
    fs::copy(&files[2], input.join("b.csv")).unwrap();
    run_reports(&[&input], &out, &[&state_flag[..], &["--replace-changed"]].concat());
    assert_eq!(epoch_record(&out).unwrap()["retracted"][0], "b.csv");

    assert_reports_eq(&expected_over(&[&files[0], &files[2]]), &read_output(&out), "b.csv replaced");
    let fresh = root.path().join("fresh");
    fs::create_dir_all(root.path().join("fresh-in")).unwrap();
    fs::copy(&files[0], root.path().join("fresh-in/a.csv")).unwrap();
    fs::copy(&files[2], root.path().join("fresh-in/b.csv")).unwrap();
    run_reports(&[&root.path().join("fresh-in")], &fresh, &["-w", "1"]);
    // Every report, the sales reports of the purchases included, equals a run over
    // the files as they are now.
    assert_reports_eq(&read_every_report(&fresh), &read_every_report(&out), "b.csv replaced, every report");
    assert_change_logs_rebuild(&out, "b.csv replaced");
}

#[test]
fn a_deleted_file_is_retracted_with_retract_deleted() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 6_000);
    let dirs = Dirs::new(root.path());
    let mut watch = Watch::start(&dirs, &["--retract-deleted", "-w", "2"]);
    // `a.csv` has a rejected row, so it has a `_rejects/` file to take away too.
    let mut bad = fs::read(&files[0]).unwrap();
    bad.extend_from_slice(b"not,a,valid,row\n");
    let source = root.path().join("a-with-reject.csv");
    fs::write(&source, &bad).unwrap();
    drop_file(&source, &dirs.input, "a.csv");
    watch.wait_for_epoch(&dirs.out, 1);
    assert!(dirs.out.join("_rejects/a.csv.csv").exists());
    drop_file(&files[1], &dirs.input, "b.csv");
    watch.wait_for_epoch(&dirs.out, 2);
    fs::remove_file(dirs.input.join("a.csv")).unwrap();
    watch.wait_for_epoch(&dirs.out, 3);
    assert_eq!(epoch_record(&dirs.out).unwrap()["retracted"][0], "a.csv");
    watch.stop();
    assert_reports_eq(&expected_over(&[&files[1]]), &read_output(&dirs.out), "a.csv deleted");
    assert_change_logs_rebuild(&dirs.out, "a.csv deleted");
    assert!(!dirs.out.join("_rejects/a.csv.csv").exists(), "the deleted file's rejects stay behind");
    assert_eq!(read_quality(&dirs.out).len(), 1);
}

#[test]
fn a_batch_run_writes_change_logs_that_rebuild_its_reports() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 6_000);
    let out = root.path().join("out");
    run_reports(&[&root.path().join("gen")], &out, &["--epoch-per-file", "-w", "2"]);
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    assert_reports_eq(&expected_over(&all), &read_output(&out), "epoch per file");
    assert_change_logs_rebuild(&out, "epoch per file");
    // A new run into the same directory starts the logs over rather than appending.
    run_reports(&[&files[0]], &out, &[]);
    assert_reports_eq(&expected_over(&[&files[0]]), &read_output(&out), "second run");
    assert_change_logs_rebuild(&out, "second run");
}

#[test]
fn checkpoints_follow_the_epoch_count_and_the_interval() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 4_000);
    let dirs = Dirs::new(root.path());
    let manifest = dirs.state.join("manifest.json");
    let checkpoint_epoch = || -> Option<u64> {
        let manifest: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).ok()?).ok()?;
        manifest["epoch"].as_u64()
    };
    let mut watch = Watch::start(&dirs, &["--checkpoint-every", "2", "--checkpoint-interval", "3s"]);
    drop_file(&files[0], &dirs.input, "a.csv");
    watch.wait_for_epoch(&dirs.out, 1);
    assert_eq!(checkpoint_epoch(), None, "checkpointed after one epoch with --checkpoint-every 2");
    // Idle, the interval still brings the checkpoint.
    let deadline = Instant::now() + Duration::from_secs(30);
    while checkpoint_epoch() != Some(1) {
        assert!(Instant::now() < deadline, "no checkpoint within 30 s; the log:\n{}", watch.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    drop_file(&files[1], &dirs.input, "b.csv");
    watch.wait_for_epoch(&dirs.out, 2);
    drop_file(&files[2], &dirs.input, "c.csv");
    watch.wait_for_epoch(&dirs.out, 3);
    while checkpoint_epoch() != Some(3) {
        assert!(Instant::now() < deadline, "no checkpoint after two more epochs; the log:\n{}", watch.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    watch.stop();
    let applied: Vec<&Path> = files[..3].iter().map(PathBuf::as_path).collect();
    assert_reports_eq(&expected_over(&applied), &read_output(&dirs.out), "after three epochs");
}

#[test]
fn a_watched_directory_that_goes_away_is_retried_not_fatal() {
    let root = tempfile::tempdir().unwrap();
    let files = sample(root.path(), 4_000);
    let dirs = Dirs::new(root.path());
    let mut watch = Watch::start(&dirs, &[]);
    drop_file(&files[0], &dirs.input, "a.csv");
    watch.wait_for_epoch(&dirs.out, 1);
    // The share goes away, and comes back with the file still there and a new one.
    let away = root.path().join("away");
    fs::rename(&dirs.input, &away).unwrap();
    watch.wait_for_log("retrying every poll");
    fs::rename(&away, &dirs.input).unwrap();
    drop_file(&files[1], &dirs.input, "b.csv");
    watch.wait_for_epoch(&dirs.out, 2);
    watch.stop();
    assert_reports_eq(&expected_over(&[&files[0], &files[1]]), &read_output(&dirs.out), "after the outage");
}
