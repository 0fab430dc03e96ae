//! The sales reports (SPEC §4.2) as a user runs them: an online-retail file whose
//! reports were worked out by hand, and generated online-retail files whose reports
//! must be the same at any worker count, as one epoch or one epoch per file, and
//! when rebuilt from the change logs alone.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

/// The online-retail reports, in SPEC order.
const ONLINE_RETAIL_REPORTS: [&str; 10] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_location",
];
const PER_ENTITY: [&str; 2] = ["customers", "rfm"];

fn run_online_retail(input: &[&Path], out: &Path, extra: &[&str]) {
    let mut args: Vec<String> = vec!["run".into(), "--input".into()];
    args.extend(input.iter().map(|p| p.display().to_string()));
    args.extend(["--format", "online-retail", "--quiet", "--out"].map(String::from));
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    cartflow_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
}

/// Every online-retail report of an output directory, per-entity parts merged.
fn read_sales(out: &Path) -> BTreeMap<String, String> {
    ONLINE_RETAIL_REPORTS
        .iter()
        .map(|report| {
            let text = if PER_ENTITY.contains(report) {
                read_parts(out, report).unwrap_or_else(|e| format!("<<{e}>>"))
            } else {
                std::fs::read_to_string(out.join(format!("{report}.csv"))).unwrap_or_else(|e| format!("<<{e}>>"))
            };
            (report.to_string(), text)
        })
        .collect()
}

/// `dir/invoices.csv`: the header, then `rows`.
fn invoices(dir: &Path, rows: &str) -> PathBuf {
    let input = dir.join("invoices.csv");
    std::fs::write(&input, format!("{HEADER}{rows}")).unwrap();
    input
}

#[test]
fn a_hand_computed_online_retail_file() {
    let tmp = tempfile::tempdir().unwrap();
    let input = invoices(
        tmp.path(),
        "\
536365,85123A,\"WHITE HANGING HEART, T-LIGHT\",6,12/1/2010 8:26,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,12/1/2010 8:28,1.85,,United Kingdom
C536379,85123A,WHITE HANGING HEART T-LIGHT,-1,12/1/2010 9:41,2.55,17850,United Kingdom
536380,22633,,3,1/5/2011 13:00,1.85,12583,France
536381,85123A,WHITE HANGING HEART T-LIGHT,2,1/6/2011 18:00,-2.55,12583,France
",
    );
    let out = tmp.path().join("out");
    run_online_retail(&[&input], &out, &["--max-reject-rate", "0.5", "-w", "2"]);
    let got = read_sales(&out);
    let expect = |report: &str, body: &str| {
        let header = std::fs::read_to_string(out.join("changes").join(format!("{report}.csv"))).unwrap();
        let columns = header.lines().next().unwrap().strip_prefix("epoch,diff,").unwrap().to_string();
        assert_eq!(got[report], format!("{columns}\n{body}"), "{report}");
    };
    // The cancellation counts only in monthly; the negative price line is rejected.
    expect(
        "top_products",
        "22633,HAND WARMER UNION JACK,9,2,16.65\n71053,WHITE METAL LANTERN,6,1,20.34\n\
         85123A,\"WHITE HANGING HEART, T-LIGHT\",6,1,15.30\n",
    );
    expect("customers", "12583,1,3,5.55,2011-01-05,2011-01-05\n17850,1,12,35.64,2010-12-01,2010-12-01\n");
    expect("repeat_customers", "2,0,0.000000,2,0\n");
    expect("top_customers", "12583,1,3,5.55\n17850,1,12,35.64\n");
    expect("customer_product_repeats", "12583,22633,1\n17850,71053,1\n17850,85123A,1\n");
    expect("time_of_day", "Morning,3,18,46.74\nAfternoon,1,3,5.55\n");
    // (5.55 - 46.74) / 46.74 = -88.126%
    expect("monthly", "2010-12,2,1,46.74,2.55,,1,1,0\n2011-01,1,0,5.55,0.00,-88.13,1,1,0\n");
    expect("order_values", "3,17.43,11.10,5.55,5.55,35.64\n");
    // Reference day 2011-01-06; 17850 is the least recent (r = 1), ties on frequency go by id.
    expect("rfm", "12583,1,1,5.55,3,1,1,Needs attention\n17850,36,1,35.64,1,3,3,At risk\n");
    expect("revenue_by_location", "United Kingdom,2,46.74,46.74\nFrance,1,5.55,5.55\n");
    assert!(!out.join("revenue_by_category.csv").exists(), "online-retail has no categories");
    assert!(!out.join("event_counts.csv").exists(), "online-retail has no clickstream");
}

#[test]
fn a_line_whose_amount_cannot_be_summed_exactly_is_rejected() {
    // 999,999,999,999 units at 999,999,999,999,999.99 is far past what 64-bit cents
    // hold: summed as it stands it would wrap around to a negative revenue.
    let tmp = tempfile::tempdir().unwrap();
    let input = invoices(
        tmp.path(),
        "\
1,P,Mug,999999999999,12/1/2010 10:00,999999999999999.99,x,UK
2,P,Mug,2,12/1/2010 11:00,1.25,x,UK
3,P,Mug,1,12/1/2010 12:00,999999999999999.99,y,UK
",
    );
    let out = tmp.path().join("out");
    run_online_retail(&[&input], &out, &["--max-reject-rate", "0.5"]);
    let rejects = read_rejects(&out, "invoices.csv").expect("the rejects file");
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0].line, 2);
    assert!(rejects[0].reason.starts_with("amount too large: "), "{rejects:?}");
    assert!(rejects[0].raw.starts_with("1,P,Mug,999999999999,"), "{rejects:?}");
    // The largest amount one line may have is accepted and summed exactly.
    let got = read_sales(&out);
    assert_eq!(got["top_products"], "product_id,product_name,units,orders,revenue\nP,Mug,3,2,1000000000000002.49\n");
}

/// A small deterministic online-retail data set: multi-line invoices, cancellations,
/// guests, empty descriptions, several months and countries, and a few bad rows.
fn generate(dir: &Path, files: usize, lines_per_file: usize) -> Vec<PathBuf> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let countries = ["United Kingdom", "France", "Germany", "EIRE", ""];
    let names = ["HEART T-LIGHT", "LANTERN, WHITE", "CAKESTAND", "", "MUG Ä"];
    let mut invoice = 500_000;
    let mut paths = Vec::new();
    for f in 0..files {
        let mut text = String::from(HEADER);
        let mut written = 0;
        while written < lines_per_file {
            invoice += 1;
            let cancelled = next(20) == 0;
            let customer = if next(5) == 0 { String::new() } else { format!("{}", 12_000 + next(40)) };
            let country = countries[next(countries.len() as u64) as usize];
            let (month, day, hour) = (1 + (f * 4 + next(4) as usize) % 12, 1 + next(28), 7 + next(13));
            for _ in 0..1 + next(6) {
                let product = next(30);
                let quantity = (1 + next(12) as i64) * if cancelled { -1 } else { 1 };
                let price = if next(50) == 0 { "-1.00".to_string() } else { format!("{}.{:02}", next(20), next(100)) };
                let name = names[(product % names.len() as u64) as usize];
                let name = if next(10) == 0 { "" } else { name };
                text.push_str(&format!(
                    "{}{invoice},P{product},\"{name}\",{quantity},{month}/{day}/2011 {hour}:{:02},{price},{customer},{country}\n",
                    if cancelled { "C" } else { "" },
                    next(60)
                ));
                written += 1;
            }
        }
        let path = dir.join(format!("lines-{f}.csv"));
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    paths
}

#[test]
fn generated_files_give_the_same_reports_at_any_worker_count_and_epoching() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    generate(&data, 4, 400);
    let baseline = tmp.path().join("w1");
    run_online_retail(&[&data], &baseline, &["-w", "1", "--top", "7"]);
    let want = read_sales(&baseline);
    assert!(want.values().all(|text| !text.starts_with("<<")), "{want:?}");
    assert!(want["monthly"].lines().count() > 4, "several months: {}", want["monthly"]);
    for (workers, per_file) in [("2", false), ("4", true), ("3", true)] {
        let out = tmp.path().join(format!("w{workers}-{per_file}"));
        let mut extra = vec!["-w", workers, "--top", "7"];
        if per_file {
            extra.push("--epoch-per-file");
        }
        run_online_retail(&[&data], &out, &extra);
        let got = read_sales(&out);
        for report in ONLINE_RETAIL_REPORTS {
            assert_eq!(got[report], want[report], "{report} at -w {workers}, epoch per file {per_file}");
        }
        if per_file {
            for report in ONLINE_RETAIL_REPORTS {
                let rebuilt = rebuild_from_change_log(&out, report);
                assert_eq!(rebuilt, want[report], "{report} rebuilt from its change log");
            }
        }
    }
}

/// A report rebuilt by applying `changes/<report>.csv` to an empty table, rows in
/// the report's order as the final file shows it.
fn rebuild_from_change_log(out: &Path, report: &str) -> String {
    let log = std::fs::read_to_string(out.join("changes").join(format!("{report}.csv"))).unwrap();
    let mut lines = log.lines();
    let header = lines.next().unwrap().strip_prefix("epoch,diff,").unwrap().to_string();
    let mut rows: BTreeMap<String, i64> = BTreeMap::new();
    for line in lines {
        let mut fields = line.splitn(3, ',');
        let (_epoch, diff, row) = (fields.next().unwrap(), fields.next().unwrap(), fields.next().unwrap_or(""));
        *rows.entry(row.to_string()).or_default() += diff.parse::<i64>().unwrap();
    }
    assert!(rows.values().all(|&n| n == 0 || n == 1), "{report}: a row applied twice");
    let present: Vec<&String> = rows.iter().filter(|(_, &n)| n == 1).map(|(row, _)| row).collect();
    // Order the surviving rows as the report file orders them.
    let final_text = if PER_ENTITY.contains(&report) {
        read_parts(out, report).unwrap()
    } else {
        std::fs::read_to_string(out.join(format!("{report}.csv"))).unwrap()
    };
    let order: Vec<&str> = final_text.lines().skip(1).collect();
    let mut sorted: Vec<&String> = present.clone();
    sorted.sort_by_key(|row| order.iter().position(|line| line == row).unwrap_or(usize::MAX));
    let mut text = format!("{header}\n");
    for row in sorted {
        text.push_str(row);
        text.push('\n');
    }
    text
}
