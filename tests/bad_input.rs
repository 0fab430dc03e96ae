//! Bad input (SPEC §8, §9): every kind of bad row goes to `_rejects/<file name>.csv`
//! with its physical line, is counted in `_quality.csv`, and never stops the job; a file
//! with too many bad rows, an unreadable file and a file that is not rees46 are refused
//! whole; a missing input path and a bad flag end the program with status 1 and 2.
//! The reports of every run are compared with the reference (`common/mod.rs`).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;

const HEADER: &str = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";

/// `n` good rows whose product ids start with `tag`.
fn good_rows(tag: &str, n: usize, event_type: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "2019-10-02 {:02}:{:02}:00 UTC,{event_type},{tag}{i},7,shoes,brand{},{}.{:02},user{},sess{}\n",
                i % 24,
                i % 60,
                i % 3,
                5 + i,
                i % 100,
                i % 5,
                i % 4
            )
        })
        .collect()
}

fn quality_of<'a>(quality: &'a [Quality], file: &str) -> &'a Quality {
    quality.iter().find(|q| q.file == file).unwrap_or_else(|| panic!("_quality.csv has no row for {file}: {quality:?}"))
}

/// The reference's view of a set of files at a reject rate: quality rows and reports.
fn reference(files: &[PathBuf], rate: f64) -> (Vec<FileResult>, BTreeMap<String, String>) {
    let (results, events) = load(files, rate);
    (results, reports(&events, Params::default()))
}

/// The file with one row of each kind of bad input; the bad rows' product id (or, when
/// the product id is what is missing, the session) is `badNN` with NN its line:
/// 4 blank; 5 too few fields; 6-7 a good row with a quoted two-line brand; 8 `1e3`;
/// 9 `"12,50"`; 10 `N/A`; 11 `-1.00`; 12-13 blank; 14 `yesterday`; 15 February 30th;
/// 16 empty user_id; 17 invalid UTF-8 in brand; 18 too many fields; 19 good, `-0.00`;
/// 20 empty event_type; 21 empty event_time; 22 empty product_id; 23 empty price;
/// 24 `-0.01`; 25 hour 24; 26 `12.50 EUR`; 27 good, quoted `" 13.50 "`; 28 `$5`;
/// 29 user_id of spaces only (empty once trimmed); 30-41 good.
fn mixed_file() -> Vec<u8> {
    let mut text: Vec<u8> = Vec::new();
    text.extend_from_slice(HEADER.as_bytes()); // line 1
    text.extend_from_slice(
        b"2019-10-01 10:00:00 UTC,view,good02,1,c.a,b1,10.00,u1,s1
2019-10-01 10:01:00 UTC,view,good03,1,c.a,b1,11.00,u2,s2

2019-10-01 10:02:00 UTC,view,bad05
2019-10-01 10:03:00 UTC,cart,good06,1,c.a,\"multi
line, brand\",12.00,u1,s1
2019-10-01 10:04:00 UTC,view,bad08,1,c.a,b1,1e3,u1,s1
2019-10-01 10:05:00 UTC,view,bad09,1,c.a,b1,\"12,50\",u1,s1
2019-10-01 10:06:00 UTC,view,bad10,1,c.a,b1,N/A,u1,s1
2019-10-01 10:07:00 UTC,view,bad11,1,c.a,b1,-1.00,u1,s1


yesterday,view,bad14,1,c.a,b1,1.00,u1,s1
2019-02-30 10:00:00,view,bad15,1,c.a,b1,1.00,u1,s1
2019-10-01 10:08:00 UTC,view,bad16,1,c.a,b1,1.00,,s1
2019-10-01 10:09:00 UTC,view,bad17,1,c.a,\xff\xfe brand,1.00,u1,s1
2019-10-01 10:10:00 UTC,view,bad18,1,c.a,b1,1.00,u1,s1,extra
2019-10-01 10:11:00 UTC,purchase,good19,1,c.a,b1,-0.00,u3,s3
2019-10-01 10:12:00 UTC,,bad20,1,c.a,b1,1.00,u1,s1
,view,bad21,1,c.a,b1,1.00,u1,s1
2019-10-01 10:13:00 UTC,view,,1,c.a,b1,1.00,u1,bad22
2019-10-01 10:14:00 UTC,view,bad23,1,c.a,b1,,u1,s1
2019-10-01 10:15:00 UTC,view,bad24,1,c.a,b1,-0.01,u1,s1
2019-10-01 24:00:00 UTC,view,bad25,1,c.a,b1,1.00,u1,s1
2019-10-01 10:16:00 UTC,view,bad26,1,c.a,b1,12.50 EUR,u1,s1
2019-10-01 10:17:00 UTC,purchase,good27,1,c.a,\"b1\",\" 13.50 \",u2,s2
2019-10-01 10:18:00 UTC,view,bad28,1,c.a,b1,$5,u1,s1
2019-10-01 10:19:00 UTC,view,bad29,1,c.a,b1,1.00,   ,s1
",
    );
    text.extend_from_slice(good_rows("good", 12, "view").as_bytes()); // lines 30..41
    text
}

/// Physical line `line` (1-based) of a file, without its line end.
fn physical_line_text(text: &[u8], line: u64) -> String {
    let raw = text.split(|b| *b == b'\n').nth(line as usize - 1).unwrap();
    String::from_utf8_lossy(raw).trim_end_matches('\r').to_string()
}

/// The physical lines of the bad rows of `mixed_file`.
const MIXED_BAD_LINES: [u64; 19] = [5, 8, 9, 10, 11, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 26, 28, 29];

fn mixed_bad_lines() -> Vec<u64> {
    MIXED_BAD_LINES.to_vec()
}

#[test]
fn every_kind_of_bad_row_is_rejected_listed_and_counted() {
    let data = tempfile::tempdir().unwrap();
    let mixed_text = mixed_file();
    let mixed = write(data.path(), "mixed.csv", &mixed_text);
    // CRLF line ends, a blank line, two bad rows in a row, no newline at the end.
    let crlf_text = format!(
        "{}\r\n{}\r\n\r\n{}\r\n{}\r\n{}",
        HEADER.trim_end(),
        "2019-10-03 01:00:00 UTC,view,c2,1,c.b,b2,3.00,u9,s9",
        "2019-10-03 01:01:00 UTC,view,crlf04,1,c.b,b2,3,00,u9,s9",
        "2019-10-03 01:01:30 UTC,view,crlf05,1,c.b,b2,-5,u9,s9",
        "2019-10-03 01:02:00 UTC,cart,c6,1,c.b,b2,3.00,u9,s9"
    );
    let crlf = write(data.path(), "crlf.csv", crlf_text.as_bytes());
    let gz = data.path().join("zipped.csv.gz");
    write_gz(
        &gz,
        format!("{HEADER}{}2019-10-04 01:00:00 UTC,view,gz05,1,c.c,b3,abc,u8,s8\n", good_rows("gz", 3, "purchase"))
            .as_bytes(),
    );
    let clean = write(data.path(), "clean.csv", format!("{HEADER}{}", good_rows("clean", 10, "cart")).as_bytes());
    let files = vec![clean.clone(), crlf.clone(), mixed.clone(), gz.clone()];

    // The reference reads the mixed file as intended (guards the reference itself).
    let rate = 0.6;
    let (results, want) = reference(&files, rate);
    let mixed_ref = results.iter().find(|r| r.name == "mixed.csv").unwrap();
    assert_eq!(mixed_ref.rejects.iter().map(|r| r.line).collect::<Vec<_>>(), mixed_bad_lines());
    assert_eq!((mixed_ref.rows, mixed_ref.accepted, mixed_ref.rejected, mixed_ref.refused), (36, 17, 19, false));

    let out = tempfile::tempdir().unwrap();
    run_reports(&[data.path()], out.path(), &["-w", "2", "--max-reject-rate", &rate.to_string()]);
    let mut soft = Soft::default();

    // _quality.csv: one row per file, sorted by name, with the reference's counts.
    let quality = read_quality(out.path());
    soft.eq(&quality, &expected_quality(&results), "_quality.csv (file,rows,accepted,rejected)");
    soft.eq(
        quality.iter().map(|q| q.file.as_str()).collect::<Vec<_>>(),
        vec!["clean.csv", "crlf.csv", "mixed.csv", "zipped.csv.gz"],
        "_quality.csv files",
    );

    // _rejects/<file name>.csv: every bad row, its physical line, a reason and the row.
    match read_rejects(out.path(), "mixed.csv") {
        None => soft.check(false, || "_rejects/mixed.csv.csv is missing".into()),
        Some(rejects) => {
            soft.eq(
                rejects.iter().map(|r| r.line).collect::<Vec<_>>(),
                mixed_bad_lines(),
                "rejected lines of mixed.csv: `line` is the physical line where the record starts, counting \
                 the blank lines 4, 12 and 13 and both lines of the quoted field on lines 6-7 (SPEC §9)",
            );
            for line in mixed_bad_lines() {
                let marker = format!("bad{line:02}");
                match rejects.iter().find(|r| r.raw.contains(&marker)) {
                    None => soft.check(false, || format!("mixed.csv: no reject whose raw holds {marker}: {rejects:?}")),
                    Some(r) => {
                        soft.eq(r.line, line, &format!("mixed.csv: line of the row {marker}"));
                        soft.check(!r.reason.trim().is_empty(), || format!("mixed.csv {marker}: empty reason"));
                        // `raw` is the row as written: that physical line, nothing before it.
                        if line != 17 {
                            soft.eq(
                                r.raw.trim_end_matches(['\r', '\n']),
                                physical_line_text(&mixed_text, line).as_str(),
                                &format!("mixed.csv: raw of the row {marker}"),
                            );
                        }
                    }
                }
            }
        }
    }
    let others: [(&str, &[u8], &[u64]); 2] =
        [("crlf.csv", crlf_text.as_bytes(), &[4, 5]), ("zipped.csv.gz", &[], &[5])];
    for (file, text, lines) in others {
        match read_rejects(out.path(), file) {
            None => soft.check(false, || format!("_rejects/{file}.csv is missing")),
            Some(rejects) => {
                soft.eq(
                    rejects.iter().map(|r| r.line).collect::<Vec<_>>(),
                    lines.to_vec(),
                    &format!("rejected lines of {file}"),
                );
                for r in &rejects {
                    soft.check(!r.raw.starts_with(['\r', '\n']), || {
                        format!(
                            "{file}: raw should be the row as written, without the line ends before it: {:?}",
                            r.raw
                        )
                    });
                }
                if !text.is_empty() {
                    soft.eq(
                        rejects.iter().map(|r| r.raw.trim_end_matches(['\r', '\n']).to_string()).collect::<Vec<_>>(),
                        lines.iter().map(|l| physical_line_text(text, *l)).collect(),
                        &format!("{file}: raw of the rejected rows"),
                    );
                }
                soft.check(rejects.iter().any(|r| r.raw.contains("gz05") || r.raw.contains("crlf04")), || {
                    format!("{file}: raw {rejects:?}")
                });
            }
        }
    }
    if let Some(rows) = read_rejects(out.path(), "clean.csv") {
        soft.check(rows.is_empty(), || format!("clean.csv has no bad rows, yet: {rows:?}"));
    }

    // The good rows, and only those, are in the reports.
    assert!(want["brand_funnel"].contains("\"multi\nline, brand\",0,1,0,0.00,,,0\n"));
    soft.reports(&want, &read_output(out.path()), "files with bad rows");
    soft.finish();
}

/// Line numbers count physical lines: blank lines and the lines of a quoted multi-line
/// field included, also at the very start of the data.
#[test]
fn reject_line_numbers_are_physical_lines() {
    let data = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\n\n2019-10-01 10:00:00 UTC,view,p4,1,c,\"a\n\nb\",1.00,u,s\n2019-10-01 10:00:00 UTC,view,bad07,1,c,b,x,u,s\n\n{}",
        "2019-10-01 10:00:00 UTC,view,bad09,1,c,b,1.00\n"
    );
    let path = write(data.path(), "lines.csv", text.as_bytes());
    let r = read_file(&path, 1.0);
    assert_eq!(r.rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [7, 9]);
    assert_eq!((r.rows, r.accepted, r.rejected), (3, 1, 2));
    let out = tempfile::tempdir().unwrap();
    run_reports(&[&path], out.path(), &["-w", "1", "--max-reject-rate", "1"]);
    let rejects = read_rejects(out.path(), "lines.csv").expect("_rejects/lines.csv.csv exists");
    assert_eq!(
        rejects.iter().map(|r| r.line).collect::<Vec<_>>(),
        [7, 9],
        "lines.csv: header, blank, blank, a record on lines 4-6, bad row on 7, blank, bad row on 9"
    );
    assert_eq!(
        quality_of(&read_quality(out.path()), "lines.csv"),
        &Quality { file: "lines.csv".into(), rows: 3, accepted: 1, rejected: 2 }
    );
    assert_reports_eq(&expected(&[path], Params::default(), 1.0), &read_output(out.path()), "lines.csv");
}

/// A file whose rejected share exceeds `--max-reject-rate` (default 0.05) is refused
/// whole; exactly 5% is not "more than" 5%.
#[test]
fn a_file_over_the_reject_rate_is_refused_whole() {
    let data = tempfile::tempdir().unwrap();
    let bad = "2019-10-02 03:00:00 UTC,view,badrow,7,shoes,brand1,1e3,user1,sess1\n";
    // 19 good + 1 bad = 5.0%: kept.
    let at = write(data.path(), "at_limit.csv", format!("{HEADER}{}{bad}", good_rows("at", 19, "view")).as_bytes());
    // 18 good + 1 bad = 5.3%: refused; its good rows have an event type of their own.
    let over = write(
        data.path(),
        "over_limit.csv",
        format!("{HEADER}{bad}{}", good_rows("over", 18, "only_in_refused_file")).as_bytes(),
    );
    let files = vec![at.clone(), over.clone()];

    let (results, want) = reference(&files, DEFAULT_MAX_REJECT_RATE);
    assert!(!want["event_counts"].contains("only_in_refused_file"));
    let out = tempfile::tempdir().unwrap();
    run_reports(&[data.path()], out.path(), &["-w", "2"]);
    let quality = read_quality(out.path());
    assert_eq!(quality, expected_quality(&results));
    assert_eq!(
        quality_of(&quality, "at_limit.csv"),
        &Quality { file: "at_limit.csv".into(), rows: 20, accepted: 19, rejected: 1 }
    );
    assert_eq!(
        quality_of(&quality, "over_limit.csv"),
        &Quality { file: "over_limit.csv".into(), rows: 19, accepted: 0, rejected: 19 }
    );
    let got = read_output(out.path());
    assert!(
        !got["event_counts"].contains("only_in_refused_file"),
        "a refused file's rows were applied:\n{}",
        got["event_counts"]
    );
    assert_reports_eq(&want, &got, "default --max-reject-rate");
    // The bad row of the refused file is still listed.
    let rejects = read_rejects(out.path(), "over_limit.csv").expect("_rejects/over_limit.csv.csv exists");
    assert!(rejects.iter().any(|r| r.line == 2 && r.raw.contains("badrow")), "{rejects:?}");
    let rejects = read_rejects(out.path(), "at_limit.csv").expect("_rejects/at_limit.csv.csv exists");
    assert_eq!(rejects.iter().map(|r| r.line).collect::<Vec<_>>(), [21]);

    // A higher limit takes both files.
    let (results, want) = reference(&files, 0.1);
    assert!(want["event_counts"].contains("only_in_refused_file"));
    let out = tempfile::tempdir().unwrap();
    run_reports(&[&at, &over], out.path(), &["-w", "1", "--max-reject-rate", "0.1"]);
    assert_eq!(read_quality(out.path()), expected_quality(&results));
    assert_reports_eq(&want, &read_output(out.path()), "--max-reject-rate 0.1");
}

/// A file that cannot be read (not gzip, though named `.gz`) or is not rees46 (a required
/// header column missing) is refused whole, and the job goes on with the others.
#[test]
fn unreadable_and_foreign_files_are_refused_and_the_job_goes_on() {
    let data = tempfile::tempdir().unwrap();
    let good = write(data.path(), "good.csv", format!("{HEADER}{}", good_rows("g", 15, "view")).as_bytes());
    let garbage = write(data.path(), "garbage.csv.gz", b"this is not gzip data at all\n\x00\x01\x02\n");
    let no_price = write(
        data.path(),
        "no_price.csv",
        b"event_time,event_type,product_id,category_id,category_code,brand,user_id,user_session\n\
          2019-10-01 10:00:00 UTC,view,np1,1,c,b,u1,s1\n2019-10-01 10:00:00 UTC,view,np2,1,c,b,u2,s2\n",
    );
    let foreign = write(
        data.path(),
        "retail.csv",
        b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
          489434,85048,LIGHTS,12,2009-12-01 07:45:00,6.95,13085,United Kingdom\n",
    );
    let empty = write(data.path(), "empty.csv", HEADER.as_bytes());
    let files = vec![good.clone(), garbage.clone(), no_price.clone(), foreign.clone(), empty];
    let (results, want) = reference(&files, DEFAULT_MAX_REJECT_RATE);

    let out = tempfile::tempdir().unwrap();
    run_reports(&[data.path()], out.path(), &["-w", "2"]);
    let quality = read_quality(out.path());
    assert_eq!(
        quality.iter().map(|q| q.file.as_str()).collect::<Vec<_>>(),
        ["empty.csv", "garbage.csv.gz", "good.csv", "no_price.csv", "retail.csv"],
        "one _quality.csv row per input file, by name"
    );
    assert_eq!(
        quality_of(&quality, "good.csv"),
        &Quality { file: "good.csv".into(), rows: 15, accepted: 15, rejected: 0 }
    );
    assert_eq!(
        quality_of(&quality, "empty.csv"),
        &Quality { file: "empty.csv".into(), rows: 0, accepted: 0, rejected: 0 }
    );
    for name in ["garbage.csv.gz", "no_price.csv", "retail.csv"] {
        let q = quality_of(&quality, name);
        assert!(q.accepted == 0 && q.rejected == q.rows, "{name} should be refused whole: {q:?}");
    }
    let _ = results;
    assert_reports_eq(&want, &read_output(out.path()), "refused files beside a good one");
    assert!(want["event_counts"].contains("all,15,"));
}

/// A gzip file cut short is unreadable: refused whole, not applied up to the cut.
#[test]
fn truncated_gzip_is_refused_whole() {
    let data = tempfile::tempdir().unwrap();
    let good = write(data.path(), "good.csv", format!("{HEADER}{}", good_rows("g", 5, "view")).as_bytes());
    let full = data.path().join("full.tmp");
    write_gz(&full, format!("{HEADER}{}", good_rows("cut", 3000, "cart")).as_bytes());
    let bytes = std::fs::read(&full).unwrap();
    std::fs::remove_file(&full).unwrap();
    let cut = write(data.path(), "cut.csv.gz", &bytes[..bytes.len() / 2]);
    let (results, want) = reference(&[good, cut], DEFAULT_MAX_REJECT_RATE);
    assert!(results.iter().any(|r| r.name == "cut.csv.gz" && r.refused));
    let out = tempfile::tempdir().unwrap();
    run_reports(&[data.path()], out.path(), &["-w", "2"]);
    let q = quality_of(&read_quality(out.path()), "cut.csv.gz").clone();
    assert!(q.accepted == 0 && q.rejected == q.rows, "cut.csv.gz should be refused whole: {q:?}");
    assert_reports_eq(&want, &read_output(out.path()), "truncated gzip");
}

#[test]
fn a_missing_input_path_exits_1_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-file.csv");
    let out = tmp.path().join("out");
    let (m, o) = (missing.display().to_string(), out.display().to_string());
    for quiet in [false, true] {
        let mut args = vec!["run", "--input", &m, "--format", "rees46", "--out", &o];
        if quiet {
            args.push("--quiet");
        }
        let output = cartflow(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "cartflow {}: stderr {stderr}", args.join(" "));
        assert!(
            stderr.lines().any(|l| l.contains("no-such-file.csv")),
            "stderr should name the missing path on one line: {stderr:?}"
        );
        if quiet {
            assert_eq!(stderr.trim_end().lines().count(), 1, "a one-line message: {stderr:?}");
        }
    }
}

#[test]
fn a_bad_flag_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let input = write(tmp.path(), "in.csv", format!("{HEADER}{}", good_rows("g", 2, "view")).as_bytes());
    let (i, o) = (input.display().to_string(), tmp.path().join("out").display().to_string());
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "--input", &i, "--format", "rees46", "--out", &o, "--no-such-flag"],
        vec!["run", "--input", &i, "--format", "rees46", "--out", &o, "--workers", "many"],
        vec!["run", "--input", &i, "--format", "rees46", "--out", &o, "--top", "ten"],
        vec!["run", "--input", &i, "--format", "no-such-format", "--out", &o],
        vec!["run", "--input", &i, "--format", "rees46"],
        vec!["no-such-command"],
    ];
    for args in cases {
        let output = cartflow(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "cartflow {} should be a usage error; stderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stderr.is_empty(), "cartflow {}: no message on stderr", args.join(" "));
    }
}

/// `_epoch.json` is JSON with the epoch number and the files it includes.
#[test]
fn epoch_json_names_the_epoch_and_its_files() {
    let data = tempfile::tempdir().unwrap();
    let names = ["one.csv", "two.csv", "three.csv"];
    for (k, name) in names.iter().enumerate() {
        write(data.path(), name, format!("{HEADER}{}", good_rows(&format!("f{k}_"), 4 + k, "view")).as_bytes());
    }
    for extra in [&["-w", "2"][..], &["-w", "2", "--epoch-per-file"][..]] {
        let out = tempfile::tempdir().unwrap();
        run_reports(&[data.path()], out.path(), extra);
        let text = std::fs::read_to_string(out.path().join("_epoch.json")).expect("_epoch.json exists");
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("_epoch.json: {e}: {text}"));
        assert!(json["epoch"].is_u64(), "_epoch.json needs a numeric epoch: {text}");
        let files = json["files"].as_array().unwrap_or_else(|| panic!("_epoch.json needs a files list: {text}"));
        let listed: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        if extra.contains(&"--epoch-per-file") {
            assert!(!files.is_empty(), "{text}");
            assert!(listed.iter().all(|f| names.iter().any(|n| f.contains(n))), "{text}");
        } else {
            for name in names {
                assert!(listed.iter().any(|f| f.contains(name)), "_epoch.json files should list {name}: {text}");
            }
        }
        // Side files never count as reports.
        assert!(out.path().join("_quality.csv").exists());
    }
}
