//! `cartflow demo`, run as a new user would: it exits 0, says where the files went, and
//! leaves every interaction report there, non-empty, with the SPEC's header — and, where
//! its sample data can be found beside the reports, with the reference's content.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// Every file under `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn demo_writes_every_report_and_says_where() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("my-demo");
    let output = cartflow_ok(&["demo", "--out", &root.display().to_string()]);
    let stdout = String::from_utf8_lossy(&output.stdout);

    // The reports are under --out; find the directory that holds them.
    let files = walk(&root);
    let event_counts = files
        .iter()
        .find(|p| {
            p.file_name().is_some_and(|n| n == "event_counts.csv")
                && !p.components().any(|c| c.as_os_str() == "changes")
        })
        .unwrap_or_else(|| panic!("no event_counts.csv under {}: {files:?}", root.display()));
    let reports = event_counts.parent().unwrap().to_path_buf();

    // stdout says where the reports are.
    let shown = [reports.display().to_string(), root.display().to_string()];
    assert!(
        shown.iter().any(|p| stdout.contains(p.as_str())),
        "demo's stdout should say where the files are ({}):\n{stdout}",
        reports.display()
    );

    // Every report: present, a header as in SPEC §4.1, and at least one row.
    for report in REPORTS {
        let text = if report == "user_preferences" {
            read_parts(&reports, report).unwrap_or_else(|e| panic!("{e}"))
        } else {
            let path = reports.join(format!("{report}.csv"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(header(report)), "{report}: header");
        assert!(lines.next().is_some_and(|l| !l.is_empty()), "{report}: no rows");
    }
    for side in ["_quality.csv", "_epoch.json"] {
        assert!(reports.join(side).is_file(), "{side} is missing beside the reports");
    }

    // The sample data: the rees46 files under --out that are not outputs. When the demo
    // keeps them, its reports must be the reference's over them (defaults: top 10, 3).
    let data: Vec<PathBuf> = files
        .iter()
        .filter(|p| !p.starts_with(&reports))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !(n.starts_with('.') || n.starts_with('_'))
        })
        .filter(|p| {
            std::fs::read(p).is_ok_and(|b| {
                let mut head = Vec::new();
                if p.to_string_lossy().ends_with(".gz") {
                    use std::io::Read;
                    let _ = flate2::read::MultiGzDecoder::new(&b[..]).take(200).read_to_end(&mut head);
                } else {
                    head = b[..b.len().min(200)].to_vec();
                }
                String::from_utf8_lossy(&head).to_ascii_lowercase().contains("event_time")
            })
        })
        .cloned()
        .collect();
    if !data.is_empty() {
        let want = expected(&data, Params::default(), DEFAULT_MAX_REJECT_RATE);
        assert_reports_eq(&want, &read_output(&reports), "demo reports against its own sample data");
    }
}
