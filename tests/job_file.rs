//! `cartflow run --config job.toml` (SPEC §1): a job file lists several sources, each
//! with its format, and the job's settings; flags override it; its mistakes are usage
//! errors that name the line. Two sources of different formats give the reports of
//! both, equal to the reference over their lines together.

mod common;

use std::path::Path;

use common::sales::*;
use common::*;

fn gen(format: &str, events: &str, seed: &str, out: &Path) {
    let out = out.display().to_string();
    cartflow_ok(&["gen", "--format", format, "--events", events, "--seed", seed, "--files", "2", "--out", &out]);
}

#[test]
fn two_sources_in_a_job_file_give_the_reports_of_both() {
    let tmp = tempfile::tempdir().unwrap();
    gen("qcompany", "3000", "4", &tmp.path().join("sales"));
    gen("online-retail", "3000", "5", &tmp.path().join("invoices"));
    let job = tmp.path().join("job.toml");
    std::fs::write(
        &job,
        "# relative paths are read from this file's directory\n\
         out = \"reports\"\n\
         top = 7\n\
         workers = 2\n\n\
         [[source]]\n\
         format = \"qcompany\"\n\
         input = \"sales\"\n\n\
         [[source]]\n\
         format = \"online-retail\"\n\
         input = [\"invoices/lines-00001.csv\", \"invoices/lines-00002.csv\"]\n",
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let config = job.display().to_string();
        let mut args = vec!["run", "--config", &config, "--quiet"];
        args.extend_from_slice(extra);
        let out =
            std::process::Command::new(cartflow_bin()).args(&args).current_dir(elsewhere.path()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&[]);

    let (_, mut lines) = load_qcompany(&dir_files(&tmp.path().join("sales")), DEFAULT_MAX_REJECT_RATE);
    lines.extend(load_online_retail(&dir_files(&tmp.path().join("invoices")), DEFAULT_MAX_REJECT_RATE).1);
    let want = sales_reports(&lines, SalesSource::Qcompany, Params { top: 7, per_group: 3 });
    let out = tmp.path().join("reports");
    let mut soft = Soft::default();
    for report in sales_report_names(SalesSource::Qcompany) {
        let got = if SALES_PER_ENTITY.contains(report) {
            read_parts(&out, report).unwrap_or_else(|e| e)
        } else {
            std::fs::read_to_string(out.join(format!("{report}.csv"))).unwrap_or_default()
        };
        soft.eq(got.as_str(), want[*report].as_str(), report);
    }
    let locations = std::fs::read_to_string(out.join("revenue_by_location.csv")).unwrap();
    soft.check(locations.contains("\nUnited Kingdom,"), || format!("countries and cities together:\n{locations}"));
    soft.finish();

    // Flags override the file: another output and leaderboard length.
    let other = tmp.path().join("other");
    run(&["--out", &other.display().to_string(), "--top", "2"]);
    let top = std::fs::read_to_string(other.join("top_products.csv")).unwrap();
    assert_eq!(top.lines().count(), 3, "--top 2 wins over top = 7:\n{top}");
}

#[test]
fn mistakes_in_a_job_file_are_usage_errors_that_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let job = tmp.path().join("job.toml");
    for (text, says) in [
        ("out = \"r\"\n[[source]]\nformat = \"qcompany\"\ninput = \"x\"\ncolour = \"blue\"\n", "line 5"),
        ("out = \"r\"\n\n[[source]]\nformat = \"csv-ish\"\ninput = \"x\"\n", "line 4"),
        ("out = \"r\"\ntop = \"ten\"\n", "line 2"),
        ("out = \"r\"\n", "no [[source]]"),
        ("[[source]]\nformat = \"kiosk\"\ninput = \".\"\n", "no `out` key"),
        ("out = \"r\"\nmax_reject_rate = 2.0\n[[source]]\nformat = \"kiosk\"\ninput = \".\"\n", "between 0 and 1"),
    ] {
        std::fs::write(&job, text).unwrap();
        let out = cartflow(&["run", "--config", &job.display().to_string()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "{text:?} should say {says:?}: {stderr}");
        assert!(stderr.contains("job.toml") || says == "no `out` key", "{text:?} names the file: {stderr}");
    }
    let out = cartflow(&["run", "--config", &tmp.path().join("absent.toml").display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absent.toml: cannot read it"));
}
