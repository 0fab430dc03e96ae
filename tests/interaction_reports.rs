//! The ten interaction reports (SPEC §4.1) compared byte for byte with an independent
//! reference (`common/mod.rs`), on generated data and on hand-written edge cases, at
//! several worker counts, with one epoch or one epoch per file, and with non-default
//! `--top` / `--per-group`.
//!
//! The first tests check the reference itself on tiny inputs whose reports were worked
//! out by hand from the SPEC text, so a misreading in the reference shows up here and
//! not as a puzzling difference with the program.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

const HEADER: &str = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";

fn reference_of(dir: &Path, name: &str, text: &str, params: Params) -> BTreeMap<String, String> {
    let path = write(dir, name, text);
    expected(&[path], params, DEFAULT_MAX_REJECT_RATE)
}

// ---------------------------------------------------------------------------------------
// The reference on hand-computed inputs
// ---------------------------------------------------------------------------------------

#[test]
fn reference_hand_computed_basic() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\
2019-10-01 00:00:07 UTC,view,1,10,a.b,acme,10.00,9,s1
2019-10-01 00:30:00 UTC,cart,1,10,a.b,acme,10.00,9,s1
2019-10-01 01:00:00 UTC,purchase,1,10,a.b,acme,10.005,9,s1
2019-10-01 13:00:00 UTC,view,2,20,,zeta,9.994,10,s2
2019-10-01 13:05:00 UTC,view,2,20,,,0,10,
"
    );
    let got = reference_of(tmp.path(), "a.csv", &text, Params::default());
    check(&got, "event_counts", "all,5,2,3\ncart,1,1,1\npurchase,1,1,1\nview,3,2,3\n");
    check(&got, "top_categories", "10,a.b,3\n20,,2\n");
    // a.b: (1000 + 1000 + 1001) / 3 = 1000.33 cents; "": (999 + 0) / 2 = 499.5 → 500.
    check(&got, "category_prices", "a.b,3,10.00,10.00,10.01\n,2,5.00,0.00,9.99\n");
    check(&got, "price_bands", ",0-10,2,0,0,0.00,0.000000\na.b,10-25,1,1,1,10.01,1.000000\n");
    // User "10" sorts before "9"; their both-empty event does not count.
    check(&got, "user_preferences", "10,,zeta,1,1.000000\n9,a.b,acme,3,1.000000\n");
    check(&got, "top_user_categories", "9,a.b,3\n10,,2\n");
    check(&got, "engaged_users", ",zeta,1,10,1\na.b,acme,1,9,3\n");
    check(&got, "brand_funnel", "acme,1,1,1,10.01,1.000000,1.000000,1\nzeta,1,0,0,0.00,0.000000,0.000000,0\n");
    check(&got, "hourly_activity", "0,1,1,0,0.00\n1,0,0,1,10.01\n13,2,0,0,0.00\n");
    // Sessions s1, s2 and the empty one; 5 / 3 = 1.67; 1 / 3 = 0.333333.
    check(&got, "session_summary", "3,1.67,1,1,0.333333\n");
}

#[test]
fn reference_hand_computed_ties_quotes_and_odd_types() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\
2020-01-01T05:00:00+05:30,view,1,5,b,\"x, \"\"y\"\"\",1.00,7,s
2020-01-01T05:10:00Z,wishlist,1,5,a,z,3.00,7,s
2020-01-01 05:20:00,view,1,5,a,z,2.00,8,t
12/1/2010 8:26,purchase,1,5,b,\"x, \"\"y\"\"\",4.00,8,t
20100112,remove_from_cart,1,,,odd,0.50,8,t
"
    );
    let got = reference_of(tmp.path(), "b.csv", &text, Params::default());
    check(&got, "event_counts", "all,5,2,2\npurchase,1,1,1\nremove_from_cart,1,1,1\nview,2,2,2\nwishlist,1,1,1\n");
    check(&got, "top_categories", "5,a,2\n5,b,2\n,,1\n");
    check(&got, "category_prices", "a,2,2.50,2.00,3.00\nb,2,2.50,1.00,4.00\n,1,0.50,0.50,0.50\n");
    check(&got, "price_bands", ",0-10,0,0,0,0.00,\na,0-10,1,0,0,0.00,0.000000\nb,0-10,1,0,1,4.00,1.000000\n");
    // 7: (a,z) and (b,x..) tie → (a,z); 8: three pairs tie → ("",odd).
    check(&got, "user_preferences", "7,a,z,1,0.500000\n8,,odd,1,0.333333\n");
    check(&got, "top_user_categories", "7,a,1\n7,b,1\n8,,1\n8,a,1\n8,b,1\n");
    check(
        &got,
        "engaged_users",
        ",odd,1,8,1\na,z,1,7,1\na,z,2,8,1\nb,\"x, \"\"y\"\"\",1,7,1\nb,\"x, \"\"y\"\"\",2,8,1\n",
    );
    check(
        &got,
        "brand_funnel",
        "\"x, \"\"y\"\"\",1,0,1,4.00,0.000000,1.000000,1\nodd,0,0,0,0.00,,,0\nz,1,0,0,0.00,0.000000,0.000000,0\n",
    );
    // Hours on the written clock: 05 (+05:30), 05 (Z), 05, 8 (12/1/2010 8:26), 0 (date only).
    check(&got, "hourly_activity", "0,0,0,0,0.00\n5,2,0,0,0.00\n8,0,0,1,4.00\n");
    check(&got, "session_summary", "2,2.50,0,1,0.500000\n");

    let small = reference_of(tmp.path(), "b.csv", &text, Params { top: 2, per_group: 1 });
    check(&small, "top_categories", "5,a,2\n5,b,2\n");
    check(&small, "top_user_categories", "7,a,1\n7,b,1\n");
    check(&small, "engaged_users", ",odd,1,8,1\na,z,1,7,1\nb,\"x, \"\"y\"\"\",1,7,1\n");
}

#[test]
fn reference_empty_input() {
    let got = reports(&[], Params::default());
    for report in REPORTS {
        if report == "session_summary" {
            check(&got, report, "0,,0,0,\n");
        } else {
            check(&got, report, "");
        }
    }
}

#[test]
fn reference_price_and_time_parsing() {
    assert_eq!(parse_price("10"), Ok(1000));
    assert_eq!(parse_price("+5.5"), Ok(550));
    assert_eq!(parse_price("1.005"), Ok(101));
    assert_eq!(parse_price("1.0049"), Ok(100));
    assert_eq!(parse_price("9.995"), Ok(1000));
    assert_eq!(parse_price("0007.10"), Ok(710));
    assert_eq!(parse_price("-0.00"), Ok(0));
    assert_eq!(parse_price("-0"), Ok(0));
    for bad in ["1e3", "12,50", "N/A", "", ".5", "5.", "1.2.3", "$5", "- 1", "1 000", "0x10", "inf", "NaN"] {
        assert!(parse_price(bad).is_err(), "{bad:?} should not parse");
    }
    for negative in ["-1", "-0.01", "-12.50"] {
        assert!(parse_price(negative).unwrap_err().starts_with("negative"), "{negative:?}");
    }
    assert_eq!(money(0), "0.00");
    assert_eq!(money(123456), "1234.56");
    assert_eq!(ratio(1, 3, 6), "0.333333");
    assert_eq!(ratio(2, 3, 6), "0.666667");
    assert_eq!(ratio(1, 8, 2), "0.13");
    assert_eq!(ratio(5, 2, 2), "2.50");
    assert_eq!(ratio(1, 0, 6), "");
    assert_eq!(band(999).1, "0-10");
    assert_eq!(band(1000).1, "10-25");
    assert_eq!(band(2499).1, "10-25");
    assert_eq!(band(2500).1, "25-50");
    assert_eq!(band(99_999).1, "500-1000");
    assert_eq!(band(100_000).1, "1000+");

    assert_eq!(parse_hour("2019-10-01 00:00:07 UTC"), Some(0));
    assert_eq!(parse_hour("2019-10-01 23:59:59 UTC"), Some(23));
    assert_eq!(parse_hour("2019-10-01T07:08:09"), Some(7));
    assert_eq!(parse_hour("2019-10-01T07:08:09Z"), Some(7));
    assert_eq!(parse_hour("2019-10-01T07:08:09.250+05:30"), Some(7));
    assert_eq!(parse_hour("2019-10-01T22:08:09-0800"), Some(22));
    assert_eq!(parse_hour("2010-12-01 08:26:00"), Some(8));
    assert_eq!(parse_hour("12/1/2010 8:26"), Some(8));
    assert_eq!(parse_hour("12/31/2010 17:05"), Some(17));
    assert_eq!(parse_hour("20100112"), Some(0));
    for bad in [
        "",
        "yesterday",
        "2019-13-01 00:00:00 UTC",
        "2019-02-30 10:00:00",
        "2019-10-01 24:00:00 UTC",
        "2019-10-01 10:60:00",
        "13/1/2010 8:26",
        "20101301",
        "2019/10/01 10:00:00",
        "1570000000",
    ] {
        assert_eq!(parse_hour(bad), None, "{bad:?} should not parse");
    }
}

#[test]
fn reference_reads_headers_by_name_and_trims() {
    let tmp = tempfile::tempdir().unwrap();
    let text = " User_ID ,PRICE,brand,Event_Type,user_session,category_code, product_id ,EVENT_TIME,category_id\n\
                 9 , 1.50 , acme ,view,  s ,c,p, 2019-10-01 04:00:00 UTC ,7\n";
    let path = write(tmp.path(), "r.csv", text);
    let r = read_file(&path, DEFAULT_MAX_REJECT_RATE);
    assert_eq!((r.rows, r.accepted, r.rejected, r.refused), (1, 1, 0, false));
    let e = &r.events[0];
    assert_eq!(
        (e.user_id.as_str(), e.price_cents, e.brand.as_str(), e.session.as_str(), e.hour, e.category_id.as_str()),
        ("9", 150, "acme", "s", 4, "7")
    );
}

// ---------------------------------------------------------------------------------------
// Hand-written fixtures
// ---------------------------------------------------------------------------------------

/// Writes the edge-case files into `dir`; returns their paths.
///
/// Covered: empty code, empty brand, both empty, empty category id and session; ties in
/// every ranking (user ids "10" and "9", category ids "2" < "20" < "3", brands "apple"
/// and "Çelik" at equal revenue, "Apple", "acme, inc.", "löwe", "zeta" at zero revenue,
/// equal printed averages, tied (code, brand) pairs); quoted fields with commas and
/// quotes; non-ASCII brands; zero prices (`0`, `0.00`, `-0.00`); a duplicated row;
/// prices on band bounds (10.00, 25.00, 1000) and rounded onto them (9.995, 999.995);
/// half-cent rounding (0.005, 0.015, 10.004999); odd event types (`View`, `add`,
/// `wishlist`, `remove_from_cart`) and the `all` row among them; an hour with only an odd
/// event; every §2 time form, ISO with fraction and offset too; spaces around fields;
/// columns in another order with mixed-case headers; a gzip file.
fn write_fixtures(dir: &Path) -> Vec<PathBuf> {
    let a = format!(
        "{HEADER}\
2019-10-01 00:00:07 UTC,view,100,1,electronics.phone,apple,10.00,9,sA
2019-10-01 00:00:07 UTC,view,100,1,electronics.phone,apple,10.00,9,sA
2019-10-01 00:05:00 UTC,cart,100,1,electronics.phone,apple,10.00,10,sB
2019-10-01 00:06:00 UTC,purchase,100,1,electronics.phone,apple,9.995,10,sB
2019-10-01 01:00:00 UTC,view,101,1,electronics.phone,Apple,9.994,10,sB
2019-10-01 01:10:00 UTC,view,102,2,,löwe,0.00,9,sA
2019-10-01 01:11:00 UTC,cart,102,2,,löwe,0,9,sA
2019-10-01 02:00:00 UTC,view,103,3,kitchen,,25.00,10,
2019-10-01 02:01:00 UTC,purchase,103,3,kitchen,,25.00,10,
2019-10-01 03:00:00 UTC,view,104,,,,-0.00,11,sC
2019-10-01 03:00:00 UTC,remove_from_cart,100,1,electronics.phone,apple,10.00,11,sC
2019-10-01 04:00:00 UTC,View,105,10,\"toys \"\"fun\"\", games\",日本ブランド,999.995,12,sD
2019-10-01 04:00:00 UTC,purchase,105,10,\"toys \"\"fun\"\", games\",日本ブランド,1000,12,sD
2019-10-01 04:30:00 UTC,add,106,9,garden,\"acme, inc.\",50.00,12,sD
 2019-10-01 05:00:00 UTC , view , 107 , 9 , garden , zeta , +5.5 , 13 , sE 
2019-10-01T23:59:59+02:00,wishlist,108,2,,löwe,12.34,13,sE
2019-10-01T06:15:00Z,cart,109,20,aaa.books,Çelik,9.99,9,sF
2019-10-01 06:16:00,purchase,109,20,aaa.books,Çelik,10.00,9,sF
2019-10-01 06:17:00,remove_from_cart,109,20,aaa.books,Çelik,9.995,14,sG
12/1/2010 8:26,view,110,20,zz.misc,,0.01,14,sG
20100112,view,111,3,kitchen,zeta,250.00,14,sG
"
    );
    // Another column order, header names in mixed case with spaces around them.
    let b = "\
 USER_ID ,Price,Brand,event_type,User_Session,Category_Code, product_id ,Event_Time,CATEGORY_ID
9,100.00,apple,view,sH,electronics.phone,100,2019-10-02 09:00:00 UTC,1
9,100.00,apple,cart,sH,electronics.phone,100,2019-10-02 09:01:00 UTC,1
10,15.00,\"acme, inc.\",view,sI,garden,106,2019-10-02 10:00:00 UTC,9
10,15.00,\"acme, inc.\",purchase,sI,garden,106,2019-10-02 10:05:00 UTC,9
15,30.00,,view,,,112,2019-10-02 11:00:00 UTC,
15,30.00,,purchase,,,112,2019-10-02 11:30:00 UTC,
16,500.00,zeta,view,sJ,kitchen,111,2019-10-02T12:00:00-05:00,3
16,500.00,zeta,purchase,sJ,kitchen,111,2019-10-02T12:00:00-05:00,3
";
    let c = format!(
        "{HEADER}\
2019-10-03 18:00:00 UTC,view,113,2,,löwe,49.99,9,sK
2019-10-03 18:00:01 UTC,view,113,2,,löwe,50.00,10,sK
2019-10-03 18:00:02 UTC,purchase,113,2,,löwe,50.00,10,sK
2019-10-03 19:00:00 UTC,view,114,1,electronics.phone,apple,1000.00,17,sL
2019-10-03 19:00:00 UTC,purchase,114,1,electronics.phone,apple,1000.00,17,sL
2019-10-03T20:15:30.5+01:00,view,115,30,garden,zeta,10.004999,18,sM
2019-10-03T21:00:00,cart,115,30,garden,zeta,0.005,18,sM
2019-10-03 21:30:00 UTC,purchase,115,30,garden,zeta,0.015,18,sM
"
    );
    let pa = write(dir, "fixture-a.csv", &a);
    let pb = write(dir, "fixture-b.csv", b);
    let pc = dir.join("fixture-c.csv.gz");
    write_gz(&pc, c.as_bytes());
    vec![pa, pb, pc]
}

fn part_count(out: &Path) -> usize {
    std::fs::read_dir(out.join("user_preferences"))
        .map(|d| {
            d.filter(|e| {
                let n = e.as_ref().unwrap().file_name().to_string_lossy().into_owned();
                n.starts_with("part-") && n.ends_with(".csv")
            })
            .count()
        })
        .unwrap_or(0)
}

/// The ties the fixtures were written for, worked out by hand, so the reference is known
/// to break them the way the SPEC says before the program is compared with it.
#[test]
fn reference_breaks_the_fixture_ties_by_hand() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    let got = expected(&files[..1], Params { top: 3, per_group: 2 }, DEFAULT_MAX_REJECT_RATE);
    let lines = |report: &str| got[report].lines().skip(1).map(String::from).collect::<Vec<_>>();
    // Upper case, then `add` < `all` < `cart`: plain byte order, `all` among the types.
    assert_eq!(lines("event_counts")[..4], ["View,1,1,1", "add,1,1,1", "all,21,6,8", "cart,3,2,3"].map(String::from));
    // Category ids "2" < "20" < "3" as text: (3, kitchen) also has 3 but is cut.
    assert_eq!(lines("top_categories"), ["1,electronics.phone,6", "2,,3", "20,aaa.books,3"]);
    // aaa.books (2999 / 3 = 999.67 cents) and electronics.phone (5999 / 6 = 999.83) both
    // print 10.00: the printed value ties, so category_code decides.
    assert_eq!(
        lines("category_prices"),
        [
            "\"toys \"\"fun\"\", games\",2,1000.00,1000.00,1000.00",
            "kitchen,3,100.00,25.00,250.00",
            "garden,2,27.75,5.50,50.00",
            "aaa.books,3,10.00,9.99,10.00",
            "electronics.phone,6,10.00,9.99,10.00",
            ",4,3.09,0.00,12.34",
            "zz.misc,1,0.01,0.01,0.01",
        ]
    );
    // 10.00 is band 10-25; 9.995 rounds to 10.00; 999.995 rounds to 1000.00 (1000+).
    assert!(lines("price_bands").contains(&"electronics.phone,10-25,2,1,1,10.00,0.500000".to_string()));
    assert!(lines("price_bands").contains(&"electronics.phone,0-10,1,0,0,0.00,0.000000".to_string()));
    assert!(lines("price_bands").contains(&"\"toys \"\"fun\"\", games\",1000+,0,0,1,1000.00,".to_string()));
    // Users "10" and "9" tie at 2 in (electronics.phone, apple): "10" first.
    assert!(got["engaged_users"].contains("electronics.phone,apple,1,10,2\nelectronics.phone,apple,2,9,2\n"));
    // Revenue 10.00 ties between apple and Çelik; zero revenue ties in byte order.
    assert_eq!(
        lines("brand_funnel"),
        [
            "日本ブランド,0,0,1,1000.00,,,1",
            "apple,2,1,1,10.00,0.500000,0.500000,1",
            "Çelik,0,1,1,10.00,,,1",
            "Apple,1,0,0,0.00,0.000000,0.000000,0",
            "\"acme, inc.\",0,0,0,0.00,,,0",
            "löwe,1,1,0,0.00,1.000000,0.000000,0",
            "zeta,2,0,0,0.00,0.000000,0.000000,0",
        ]
    );
    // 9: ("", löwe), (electronics.phone, apple), (aaa.books, Çelik) all 2 of 6 → the
    // smallest pair; 14: three pairs at 1 of 3 → (aaa.books, Çelik) (code before brand).
    assert_eq!(
        lines("user_preferences"),
        [
            "10,electronics.phone,apple,2,0.400000",
            "11,electronics.phone,apple,1,1.000000",
            "12,\"toys \"\"fun\"\", games\",日本ブランド,2,0.666667",
            "13,,löwe,1,0.500000",
            "14,aaa.books,Çelik,1,0.333333",
            "9,,löwe,2,0.333333",
        ]
    );
    // Hour 23 has only a wishlist event: a row of zeros. Hour 8 from `12/1/2010 8:26`,
    // hour 0 from `20100112`, hour 23 from `...T23:59:59+02:00` (local clock).
    assert_eq!(lines("hourly_activity").last().unwrap(), "23,0,0,0,0.00");
    assert!(lines("hourly_activity").contains(&"8,1,0,0,0.00".to_string()));
}

/// Runs the program over `input` with each setting and compares every report with
/// `want`, and the settings' outputs with each other.
fn run_matrix(input: &Path, want: &BTreeMap<String, String>, settings: &[&[&str]], label: &str) {
    let mut first: Option<(String, BTreeMap<String, String>)> = None;
    for extra in settings {
        let out = tempfile::tempdir().unwrap();
        run_reports(&[input], out.path(), extra);
        let got = read_output(out.path());
        let context = format!("{label}: cartflow run {}", extra.join(" "));
        assert_reports_eq(want, &got, &context);
        if let Some(w) = extra.iter().position(|a| *a == "-w").map(|i| extra[i + 1].parse::<usize>().unwrap()) {
            assert_eq!(part_count(out.path()), w, "{context}: user_preferences/ should hold one part per worker");
        }
        match &first {
            None => first = Some((context, got)),
            Some((c0, g0)) => assert_eq!(g0, &got, "{context} differs from {c0}"),
        }
    }
}

/// Checks that `files` (all in `dir`) hold good rows only, then runs the
/// program over `dir` with each setting against the reference.
fn good_rows_match_reference(dir: &Path, files: &[PathBuf], settings: &[&[&str]], label: &str) {
    let want = expected(files, Params::default(), DEFAULT_MAX_REJECT_RATE);
    let (results, _) = load(files, DEFAULT_MAX_REJECT_RATE);
    assert!(results.iter().all(|r| r.rejected == 0 && !r.refused), "{label}: {results:?}");
    run_matrix(dir, &want, settings, label);
}

#[test]
fn fixtures_match_reference_at_every_worker_count_and_epoch_plan() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    good_rows_match_reference(
        data.path(),
        &files,
        &[&["-w", "1"], &["-w", "2"], &["-w", "4"], &["-w", "1", "--epoch-per-file"], &["-w", "3", "--epoch-per-file"]],
        "fixtures",
    );
}

/// Files whose every text is a decimal number, which cartflow keys by the number
/// itself with no dictionary entry: two such files in one epoch must both count,
/// and numbers with leading zeros, signs or 20 digits must stay apart from the
/// numbers they resemble.
#[test]
fn numeric_texts_match_reference_at_every_worker_count_and_epoch_plan() {
    let data = tempfile::tempdir().unwrap();
    let a = format!(
        "{HEADER}\
2019-10-01 00:00:07 UTC,7,100,1,300,42,10.00,9,500
2019-10-01 00:05:00 UTC,7,101,1,300,42,12.00,10,501
2019-10-01 00:06:00 UTC,8,100,2,301,43,9.50,10,501
2019-10-01 01:00:00 UTC,7,102,2,301,43,1.00,11,502
"
    );
    let b = format!(
        "{HEADER}\
2019-10-02 00:00:07 UTC,7,100,1,300,42,10.00,12,503
2019-10-02 00:05:00 UTC,8,103,3,302,44,3.00,9,504
2019-10-02 00:06:00 UTC,7,103,3,302,44,3.00,13,505
"
    );
    let c = format!(
        "{HEADER}\
2019-10-03 00:00:00 UTC,7,104,01,0300,042,5.00,009,0500
2019-10-03 00:01:00 UTC,7,104,+1,-300,42.0,5.00,9,500
2019-10-03 00:02:00 UTC,7,105,18446744073709551616,9223372036854775808,9223372036854775807,5.00,0,0
"
    );
    let files = vec![write(data.path(), "a.csv", &a), write(data.path(), "b.csv", &b), write(data.path(), "c.csv", &c)];
    let settings: &[&[&str]] = &[&["-w", "1"], &["-w", "2"], &["-w", "3"], &["-w", "1", "--epoch-per-file"]];
    good_rows_match_reference(data.path(), &files, settings, "numeric texts");
}

#[test]
fn fixtures_honour_top_and_per_group() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    for (top, per_group) in [(3usize, 2usize), (1, 1), (100, 50)] {
        let params = Params { top, per_group };
        let want = expected(&files, params, DEFAULT_MAX_REJECT_RATE);
        let (t, p) = (top.to_string(), per_group.to_string());
        run_matrix(
            data.path(),
            &want,
            &[&["-w", "1", "--top", &t, "--per-group", &p], &["-w", "4", "--top", &t, "--per-group", &p]],
            &format!("fixtures --top {top} --per-group {per_group}"),
        );
    }
}

/// Each fixture file on its own, so a difference points at the file that causes it.
#[test]
fn each_fixture_file_alone_matches_reference() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    for file in &files {
        let want = expected(std::slice::from_ref(file), Params { top: 3, per_group: 2 }, DEFAULT_MAX_REJECT_RATE);
        let out = tempfile::tempdir().unwrap();
        run_reports(&[file], out.path(), &["-w", "2", "--top", "3", "--per-group", "2"]);
        assert_reports_eq(&want, &read_output(out.path()), &format!("fixture {}", file.display()));
    }
}

/// Files whose names start with `.` or `_` or end in `.tmp`/`.part` are not taken from
/// an input directory (SPEC §6, §9).
#[test]
fn input_directory_skips_hidden_and_temporary_names() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    let stray = format!("{HEADER}2019-10-05 10:00:00 UTC,stray,1,1,x,y,1.00,1,s\n");
    for (i, name) in ["_under.csv", ".hidden.csv", "partial.csv.tmp", "upload.csv.part"].iter().enumerate() {
        // Each different, so none is a duplicate of another.
        write(data.path(), name, format!("{stray}2019-10-05 10:00:0{i} UTC,stray,1,1,x,y,1.00,1,s\n"));
    }
    assert_eq!(dir_files(data.path()), files);
    let want = expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE);
    let out = tempfile::tempdir().unwrap();
    run_reports(&[data.path()], out.path(), &["-w", "2"]);
    assert_reports_eq(&want, &read_output(out.path()), "directory with stray names");
}

/// Columns the format does not name are ignored (a data engineer's expectation; the
/// SPEC maps columns by name).
#[test]
fn extra_columns_are_ignored() {
    let data = tempfile::tempdir().unwrap();
    let text = "\
note,event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session,extra
\"a, b\",2019-10-01 10:00:00 UTC,view,1,2,c,d,3.00,4,s,
x,2019-10-01 11:00:00 UTC,purchase,1,2,c,d,3.00,4,s,y
";
    let path = write(data.path(), "extra.csv", text);
    let want = expected(std::slice::from_ref(&path), Params::default(), DEFAULT_MAX_REJECT_RATE);
    assert!(want["event_counts"].contains("all,2,1,1"));
    let out = tempfile::tempdir().unwrap();
    run_reports(&[&path], out.path(), &["-w", "1"]);
    assert_reports_eq(&want, &read_output(out.path()), "extra columns");
}

// ---------------------------------------------------------------------------------------
// Generated data (plus the fixtures)
// ---------------------------------------------------------------------------------------

#[test]
fn generated_data_matches_reference_at_every_worker_count_and_epoch_plan() {
    let data = tempfile::tempdir().unwrap();
    generate(data.path(), 40_000, 7, 4);
    let generated = dir_files(data.path());
    assert_eq!(generated.len(), 4, "gen --files 4 should write 4 files: {generated:?}");
    write_fixtures(data.path());
    let files = dir_files(data.path());
    let (results, _) = load(&files, DEFAULT_MAX_REJECT_RATE);
    let rows: u64 = results.iter().map(|r| r.rows).sum();
    let rejected: u64 = results.iter().map(|r| r.rejected).sum();
    assert_eq!(rows, 40_000 + 37, "generated rows plus fixture rows");
    assert_eq!(rejected, 0, "generated data should be clean: {results:?}");
    let want = expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE);
    run_matrix(
        data.path(),
        &want,
        &[&["-w", "1"], &["-w", "2"], &["-w", "4"], &["-w", "4", "--epoch-per-file"], &["-w", "2", "--epoch-per-file"]],
        "generated 40k events + fixtures",
    );
}

#[test]
fn generated_data_honours_top_and_per_group() {
    let data = tempfile::tempdir().unwrap();
    generate(data.path(), 25_000, 11, 3);
    let files = dir_files(data.path());
    for (top, per_group) in [(25usize, 5usize), (2, 1)] {
        let want = expected(&files, Params { top, per_group }, DEFAULT_MAX_REJECT_RATE);
        let (t, p) = (top.to_string(), per_group.to_string());
        run_matrix(
            data.path(),
            &want,
            &[
                &["-w", "3", "--top", &t, "--per-group", &p],
                &["-w", "1", "--epoch-per-file", "--top", &t, "--per-group", &p],
            ],
            &format!("generated 25k --top {top} --per-group {per_group}"),
        );
    }
}

/// The generator is deterministic: the same seed gives the same files (SPEC §1 `gen`
/// takes a seed), and the program's output is a function of them.
#[test]
fn generated_files_are_reproducible() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(a.path(), 5_000, 3, 2);
    generate(b.path(), 5_000, 3, 2);
    let (fa, fb) = (dir_files(a.path()), dir_files(b.path()));
    assert_eq!(fa.len(), 2);
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.file_name(), y.file_name());
        assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs between runs", x.display());
    }
}

/// A file whose content equals a file already applied is not applied again, in `run`
/// too (SPEC §9), whatever its name.
#[test]
fn a_copy_of_a_file_is_applied_once() {
    let data = tempfile::tempdir().unwrap();
    let files = write_fixtures(data.path());
    std::fs::copy(&files[0], data.path().join("fixture-a-copy.csv")).unwrap();
    let want = expected(&files, Params::default(), DEFAULT_MAX_REJECT_RATE);
    for extra in [&["-w", "2"][..], &["-w", "2", "--epoch-per-file"][..]] {
        let out = tempfile::tempdir().unwrap();
        run_reports(&[data.path()], out.path(), extra);
        assert_reports_eq(&want, &read_output(out.path()), &format!("a duplicate file, run {}", extra.join(" ")));
    }
}

#[test]
fn cartflow_log_debug_adds_phase_timings_and_changes_no_report() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = "2019-10-01 00:00:00 UTC,view,1,10,a.b,acme,1.00,u1,s1\n\
                2019-10-01 00:00:01 UTC,purchase,1,10,a.b,acme,1.00,u1,s1\n";
    let input = write(tmp.path(), "in.csv", format!("{HEADER}{rows}"));
    let (plain, logged) = (tmp.path().join("plain"), tmp.path().join("logged"));
    run_reports(&[&input], &plain, &["--quiet"]);
    let output = std::process::Command::new(cartflow_bin())
        .args(["run", "--input", &input.display().to_string(), "--format", "rees46"])
        .args(["--out", &logged.display().to_string(), "--quiet"])
        .env("CARTFLOW_LOG", "debug")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for phase in ["files read", "read_seconds=", "outputs written", "written_seconds="] {
        assert!(stderr.contains(phase), "CARTFLOW_LOG=debug should log {phase:?}: {stderr}");
    }
    assert_reports_eq(&read_output(&plain), &read_output(&logged), "CARTFLOW_LOG=debug");

    let output = std::process::Command::new(cartflow_bin())
        .args(["run", "--input", &input.display().to_string(), "--format", "rees46"])
        .args(["--out", &logged.display().to_string(), "--quiet"])
        .env("CARTFLOW_LOG", "loud")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("CARTFLOW_LOG=\"loud\" is not a level"), "a bad level should be named: {stderr}");
}
