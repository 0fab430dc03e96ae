//! The qcompany reference in `common/sales.rs` pinned to figures worked out by hand from
//! the SPEC (§2, §3, §4.2, §8, §9): small transaction files whose every report was
//! computed on paper, and the file-level rules (required columns, rejects, line numbers,
//! the reject rate). cartflow is not run here; these tests check only the reference, so
//! that a misreading of the contract shows up as a wrong figure in one place.
#![allow(clippy::type_complexity)]

mod common;

use std::path::{Path, PathBuf};

use common::sales::*;
use common::*;

const QC_HEADER: &str = "transaction_id,transaction_date,customer_id,customer_name,customer_email,\
sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,\
units,unit_price,is_online,payment_method,shipping_address\n";

/// Six good lines over two days and two rejected rows:
/// - T1 (offline, branch B1): P1 with offer_1 and offer_3 true (15%, offers do not
///   stack), P2 "Gadget, large" (quoted comma) with no offer at 5.555 → 5.56.
/// - T2 (online): P3, also named Widget, offer_2 `Y` and offer_5 `t` → 25%; the
///   address spans three physical lines, city Leeds.
/// - T3 (online): a guest with no agent and no payment method, offer_4 `1` → 20%;
///   one-part address Paris.
/// - T4 (online): every offer false in a different spelling; an address of commas and
///   a line break only → empty location.
/// - T5 (offline, is_online empty): 10% of 3.05 → 2.745 → 2.75 (half away from zero);
///   the address is not used.
/// - a blank line, then a bad flag `maybe` (line 12) and a negative price (line 13).
const MAIN: &str = "\
T1,2024-03-01 09:15:00,C1,Ann,ann@example.com,A1,B1,P1,Widget,Tools,TRUE,,yes,,,2,10.00,false,Card,
T1,2024-03-01 09:15:00,C1,Ann,ann@example.com,A1,B1,P2,\"Gadget, large\",Tools,,,,,,1,5.555,no,Card,
T2,2024-03-01 14:30:00,C2,Bo,,A2,B2,P3,Widget,Home,,Y,,,t,4,2.50,1,PayPal,\"12 High St
Leeds
UK\"
T3,2024-03-02 18:00:00,,,,,B1,P1,Widget,Tools,,,,1,,3,10.00,Yes,,Paris
T4,2024-03-02 11:00:00,C2,Bo,,A2,B2,P2,\"Gadget, large\",Tools,f,N,0,false,,2,5.555,T,PayPal,\", ,
\"
T5,2024-03-02 12:00:00,C1,Ann,ann@example.com,A1,B1,P3,Widget,Home,,TRUE,,,,1,3.05,,Cash,\"1 Main St, Springfield\"

T6,2024-03-02 13:00:00,C3,Cy,,A1,B1,P1,Widget,Tools,maybe,,,,,1,10.00,no,Card,
T7,2024-03-02 13:00:00,C3,Cy,,A1,B1,P1,Widget,Tools,,,,,,1,-1.00,no,Card,
";

fn main_file(dir: &Path) -> PathBuf {
    write(dir, "sales.csv", format!("{QC_HEADER}{MAIN}").as_bytes())
}

#[test]
fn reference_reads_the_hand_made_file() {
    let tmp = tempfile::tempdir().unwrap();
    // 2 of 8 rows rejected: a rate of exactly 0.25 is not above 0.25, so the file stays.
    let (result, lines) = read_qcompany(&main_file(tmp.path()), 0.25);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (8, 6, 2));
    assert_eq!(reject_lines(&result), vec![12, 13]);
    assert!(result.rejects[0].reason.contains("offer_1"), "{:?}", result.rejects[0]);
    assert!(result.rejects[1].reason.contains("negative"), "{:?}", result.rejects[1]);
    let got: Vec<(&str, &str, i64, i64, &str, bool, &str, &str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l.order.as_str(),
                l.product.as_str(),
                l.unit_cents,
                l.discount_pct,
                l.location.as_str(),
                l.online,
                l.customer.as_str(),
                l.payment_method.as_str(),
                l.agent.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("T1", "P1", 1000, 15, "B1", false, "C1", "Card", "A1"),
            ("T1", "P2", 556, 0, "B1", false, "C1", "Card", "A1"),
            ("T2", "P3", 250, 25, "Leeds", true, "C2", "PayPal", "A2"),
            ("T3", "P1", 1000, 20, "Paris", true, "", "", ""),
            ("T4", "P2", 556, 0, "", true, "C2", "PayPal", "A2"),
            ("T5", "P3", 305, 10, "B1", false, "C1", "Cash", "A1"),
        ]
    );
    assert!(lines.iter().all(|l| !l.cancelled));
    assert_eq!(lines[1].name, "Gadget, large");
    assert_eq!((lines[2].date, lines[2].hour, lines[2].quantity), ((2024, 3, 1), 14, 4));
    assert_eq!(lines[3].category, "Tools");
    let amounts: Vec<i128> = lines.iter().map(line_amount).collect();
    assert_eq!(amounts, vec![1700, 556, 750, 2400, 1112, 275]);
}

#[test]
fn reference_hand_computed_qcompany() {
    let tmp = tempfile::tempdir().unwrap();
    let path = main_file(tmp.path());
    let got = expected_qcompany(std::slice::from_ref(&path), Params::default(), 0.25);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    let mut want_names = sales_report_names(SalesSource::Qcompany).to_vec();
    want_names.sort();
    assert_eq!(names, want_names);

    // P1 and P3 tie on 5 units: product id decides.
    check(&got, "top_products", "P1,Widget,5,2,41.00\nP3,Widget,5,2,10.25\nP2,\"Gadget, large\",3,2,16.68\n");
    check(&got, "customers", "C1,2,4,25.31,2024-03-01,2024-03-02\nC2,2,6,18.62,2024-03-01,2024-03-02\n");
    // T3 is a guest's order: not among the four.
    check(&got, "repeat_customers", "2,2,1.000000,4,4\n");
    check(&got, "top_customers", "C1,2,4,25.31\nC2,2,6,18.62\n");
    check(&got, "customer_product_repeats", "C1,P1,1\nC1,P2,1\nC1,P3,1\nC2,P2,1\nC2,P3,1\n");
    check(&got, "time_of_day", "Morning,3,5,33.68\nAfternoon,2,5,10.25\nEvening,1,3,24.00\n");
    check(&got, "monthly", "2024-03,5,0,67.93,0.00,,2,2,0\n");
    // Totals 2.75, 7.50, 11.12, 22.56, 24.00: mean 67.93 / 5 = 13.586.
    check(&got, "order_values", "5,13.59,11.12,2.75,2.75,24.00\n");
    // Reference day 2024-03-03; both last bought on 2024-03-02 with two orders, so
    // recency and frequency ranks fall to customer_id.
    check(&got, "rfm", "C1,1,2,25.31,1,1,3,Hibernating\nC2,1,2,18.62,3,3,1,Needs attention\n");
    check(&got, "revenue_by_category", "Tools,3,8,57.68\nHome,2,5,10.25\n");
    // Offline lines sit at their branch (no online revenue); online ones at their city.
    check(&got, "revenue_by_location", "B1,2,25.31,0.00\nParis,1,24.00,24.00\n,1,11.12,11.12\nLeeds,1,7.50,7.50\n");
    check(&got, "offers", "0,2,3,16.68\n10,1,1,2.75\n15,1,2,17.00\n20,1,3,24.00\n25,1,4,7.50\n");
    check(&got, "product_offers", "P1,Widget,15,1\nP1,Widget,20,1\nP3,Widget,10,1\nP3,Widget,25,1\n");
    check(&got, "payment_methods", ",1,24.00\nCard,1,22.56\nPayPal,2,18.62\nCash,1,2.75\n");
    // T3 has no agent: left out.
    check(
        &got,
        "agent_daily",
        "2024-03-01,A2,Widget,4\n2024-03-01,A1,Widget,2\n2024-03-01,A1,\"Gadget, large\",1\n\
         2024-03-02,A2,\"Gadget, large\",2\n2024-03-02,A1,Widget,1\n",
    );

    // --top 2 cuts the leaderboards only.
    let short = expected_qcompany(std::slice::from_ref(&path), Params { top: 2, per_group: 3 }, 0.25);
    check(&short, "top_products", "P1,Widget,5,2,41.00\nP3,Widget,5,2,10.25\n");
    check(&short, "top_customers", "C1,2,4,25.31\nC2,2,6,18.62\n");
    check(&short, "customer_product_repeats", "C1,P1,1\nC1,P2,1\n");
    check(&short, "product_offers", "P1,Widget,15,1\nP1,Widget,20,1\n");
    for report in ["offers", "payment_methods", "agent_daily", "revenue_by_location", "revenue_by_category"] {
        assert_eq!(short[report], got[report], "{report} is a full table");
    }

    // At the default rate the two bad rows refuse the file: every report is empty.
    let refused = expected_qcompany(&[path], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&refused, "offers", "");
    check(&refused, "agent_daily", "");
    check(&refused, "order_values", "0,,,,,\n");
}

/// Ties in the new reports: names by majority (P1 is `b` two to one) or, tied, the
/// smallest (P2 is `y` over `z`; an empty name does not count); agents ordered by
/// bytes (`A10` before `A9`); dates before units; offer_1 and offer_2 both true give
/// 10%; absent payment, location and channel columns give one empty group.
#[test]
fn reference_hand_computed_ties_and_names() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "ties.csv",
        b"transaction_id,transaction_date,sales_agent_id,product_id,product_name,offer_1,offer_2,units,unit_price
O1,2024-05-01 10:00:00,A9,P1,b,1,,1,1.00
O2,2024-05-01 10:00:00,A10,P1,a,1,,2,1.00
O3,2024-05-01 10:00:00,A9,P1,b,,,1,1.00
O4,2024-05-01 10:00:00,A10,P2,z,,1,2,1.00
O5,2024-05-01 10:00:00,A10,P2,y,1,1,1,1.00
O6,2024-05-01 10:00:00,,P2,,,,5,1.00
O7,2024-05-01 09:00:00,A9,P0,b,,,2,1.00
O8,2024-04-30 23:59:59,Z,P2,,,,1,1.00
",
    );
    let got = expected_qcompany(std::slice::from_ref(&path), Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&got, "top_products", "P2,y,9,4,8.70\nP1,b,4,3,3.85\nP0,b,2,1,2.00\n");
    check(&got, "offers", "0,4,9,9.00\n5,2,3,2.85\n10,2,3,2.70\n");
    check(&got, "product_offers", "P1,b,5,2\nP2,y,10,2\n");
    check(&got, "payment_methods", ",8,14.55\n");
    check(&got, "revenue_by_location", ",8,14.55,0.00\n");
    check(&got, "revenue_by_category", ",8,15,14.55\n");
    check(
        &got,
        "agent_daily",
        "2024-04-30,Z,y,1\n2024-05-01,A10,y,3\n2024-05-01,A10,b,2\n2024-05-01,A9,b,2\n2024-05-01,A9,b,2\n",
    );
    // No customer column: every line is a guest's.
    check(&got, "customers", "");
    check(&got, "repeat_customers", "0,0,,0,0\n");
    check(&got, "monthly", "2024-04,1,0,1.00,0.00,,0,0,0\n2024-05,7,0,13.55,0.00,1255.00,0,0,0\n");

    let top1 = expected_qcompany(&[path], Params { top: 1, per_group: 3 }, DEFAULT_MAX_REJECT_RATE);
    check(&top1, "product_offers", "P1,b,5,2\n");
    check(&top1, "offers", "0,4,9,9.00\n5,2,3,2.85\n10,2,3,2.70\n");
}

#[test]
fn shipping_city_rules() {
    assert_eq!(shipping_city("12 High St\nLeeds\nUK"), "Leeds");
    assert_eq!(shipping_city("12 High St\r\nLeeds\r\nUK"), "Leeds");
    assert_eq!(shipping_city("1 Rue X, Lyon , FR,  ,"), "Lyon");
    assert_eq!(shipping_city("Main St\nOslo"), "Main St");
    assert_eq!(shipping_city("  Paris  "), "Paris");
    assert_eq!(shipping_city(", ,\n\r"), "");
    assert_eq!(shipping_city(""), "");
}

#[test]
fn flag_spellings() {
    for yes in ["true", "TRUE", "True", "1", "yes", "YES", "t", "T", "y", "Y"] {
        assert_eq!(parse_flag("offer_1", yes), Ok(true), "{yes}");
    }
    for no in ["false", "FALSE", "0", "no", "No", "f", "F", "n", "N", ""] {
        assert_eq!(parse_flag("offer_1", no), Ok(false), "{no}");
    }
    for bad in ["maybe", "2", "tru", "yes!", "-1", "on", "off"] {
        assert!(parse_flag("offer_1", bad).is_err(), "{bad}");
    }
}

/// Header names trimmed, in any case and order, behind a BOM, with most columns absent;
/// every kind of bad row, each on its own line number.
#[test]
fn reference_reading_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes: Vec<u8> = b"\xEF\xBB\xBF Unit_Price ,UNITS,Product_ID,Transaction_Date,TRANSACTION_ID,\
offer_5,Is_Online,shipping_address,offer_2,sales_agent_id\n"
        .to_vec();
    bytes.extend_from_slice(
        b"-0.00,+3,P9,20240105,X1,,y,\"Rue 1, Lyon, FR\",yes,
1.00,2.0,P9,20240105,X2,,,,,
1.00,1,P9,20240105,,,,,,
1.00,1,P9,20240105,X3
1.00,1,P9,not a date,X4,,,,,
1.00,1,P9,2024-01-05T23:30:00+02:00,X5,N,0,,F,A7
1.00,1,P\xFF,20240105,X6,,,,,
1.00,1,P9,20240105,X7,TRUE,Yes,\"12 Main St
Oslo\",,A7
2.50,1,P9,20240105,X8,,,,,
,1,P9,20240105,X9,,,,,
",
    );
    let path = write(tmp.path(), "odd.csv", &bytes);
    let (result, lines) = read_qcompany(&path, 1.0);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (10, 4, 6));
    assert_eq!(reject_lines(&result), vec![3, 4, 5, 6, 8, 12]);
    let line =
        |date, hour, order: &str, quantity, unit_cents, discount_pct, location: &str, online, agent: &str| Line {
            date,
            hour,
            order: order.to_string(),
            cancelled: false,
            customer: String::new(),
            product: "P9".to_string(),
            name: String::new(),
            category: String::new(),
            quantity,
            unit_cents,
            discount_pct,
            location: location.to_string(),
            online,
            payment_method: String::new(),
            agent: agent.to_string(),
        };
    assert_eq!(
        lines,
        vec![
            line((2024, 1, 5), 0, "X1", 3, 0, 10, "Lyon", true, ""),
            line((2024, 1, 5), 23, "X5", 1, 100, 0, "", false, "A7"),
            line((2024, 1, 5), 0, "X7", 1, 100, 25, "12 Main St", true, "A7"),
            line((2024, 1, 5), 0, "X8", 1, 250, 0, "", false, ""),
        ]
    );
}

#[test]
fn a_header_without_a_required_column_refuses_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    for missing in ["transaction_id", "transaction_date", "product_id", "units", "unit_price"] {
        let columns: Vec<&str> =
            ["transaction_id", "transaction_date", "product_id", "units", "unit_price", "customer_id"]
                .into_iter()
                .filter(|c| *c != missing)
                .collect();
        let text = format!("{}\na,20240105,P1,1,1.00\nb,20240105,P1,1,1.00\n", columns.join(","));
        let path = write(tmp.path(), &format!("no_{missing}.csv"), text.as_bytes());
        let (result, lines) = read_qcompany(&path, 1.0);
        assert!(result.refused, "without {missing}");
        assert_eq!((result.rows, result.accepted, result.rejected), (2, 0, 2), "without {missing}");
        assert!(lines.is_empty(), "without {missing}");
    }
    // The five required columns alone are enough.
    let path = write(
        tmp.path(),
        "minimal.csv",
        b"units,unit_price,product_id,transaction_date,transaction_id\n1,1.00,P1,20240105,a\n",
    );
    let (result, lines) = read_qcompany(&path, DEFAULT_MAX_REJECT_RATE);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, lines.len()), (1, 1, 1));
    assert_eq!((lines[0].online, lines[0].discount_pct, lines[0].location.as_str()), (false, 0, ""));
}

#[test]
fn the_reject_rate_refuses_a_file_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = |bad: usize| {
        let mut text = QC_HEADER.to_string();
        for i in 0..20 {
            let flag = if i < bad { "nope" } else { "yes" };
            text.push_str(&format!("T{i},2024-03-01 10:00:00,C{i},,,A1,B1,P1,W,Cat,{flag},,,,,1,1.00,0,Card,\n"));
        }
        text
    };
    // 1 bad row in 20 is a rate of 0.05: not above the default.
    let one = write(tmp.path(), "a_one.csv", rows(1).as_bytes());
    let (result, lines) = read_qcompany(&one, DEFAULT_MAX_REJECT_RATE);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected, lines.len()), (20, 19, 1, 19));
    assert_eq!(reject_lines(&result), vec![2]);
    assert!(lines.iter().all(|l| l.discount_pct == 5 && l.location == "B1"));
    // 2 in 20 is 0.10: refused whole, the bad rows still listed.
    let two = write(tmp.path(), "b_two.csv", rows(2).as_bytes());
    let (result, lines) = read_qcompany(&two, DEFAULT_MAX_REJECT_RATE);
    assert!(result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (20, 0, 20));
    assert_eq!(reject_lines(&result), vec![2, 3]);
    assert!(lines.is_empty());
    // ... unless the rate allows it.
    let (result, lines) = read_qcompany(&two, 0.1);
    assert!(!result.refused);
    assert_eq!(lines.len(), 18);

    // Loading both: only the first file's lines count, results sorted by name.
    let (results, lines) = load_qcompany(&[two.clone(), one.clone()], DEFAULT_MAX_REJECT_RATE);
    let names: Vec<(&str, bool)> = results.iter().map(|r| (r.name.as_str(), r.refused)).collect();
    assert_eq!(names, vec![("a_one.csv", false), ("b_two.csv", true)]);
    assert_eq!(lines.len(), 19);
    let got = expected_qcompany(&[one, two], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&got, "offers", "5,19,19,18.05\n");
    check(&got, "payment_methods", "Card,19,18.05\n");
    check(&got, "agent_daily", "2024-03-01,A1,W,19\n");
    check(&got, "product_offers", "P1,W,5,19\n");
}

#[test]
fn report_names_and_headers() {
    let names = sales_report_names(SalesSource::Qcompany);
    assert_eq!(
        names,
        [
            "top_products",
            "customers",
            "repeat_customers",
            "top_customers",
            "customer_product_repeats",
            "time_of_day",
            "monthly",
            "order_values",
            "rfm",
            "revenue_by_category",
            "revenue_by_location",
            "offers",
            "product_offers",
            "payment_methods",
            "agent_daily",
        ]
    );
    for name in names {
        assert!(!sales_header(name).is_empty());
    }
    assert_eq!(sales_header("offers"), "discount_pct,lines,units,revenue");
    assert_eq!(sales_header("product_offers"), "product_id,product_name,discount_pct,lines");
    assert_eq!(sales_header("payment_methods"), "payment_method,orders,revenue");
    assert_eq!(sales_header("agent_daily"), "date,agent,product_name,units");
    // The other sources keep their ten reports, and no new ones.
    for source in [SalesSource::Rees46, SalesSource::OnlineRetail] {
        let keys: Vec<String> = sales_reports(&[], source, Params::default()).into_keys().collect();
        let mut want: Vec<String> = sales_report_names(source).iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(keys, want);
        assert_eq!(want.len(), 10);
    }
}

/// The online-retail reader shares the CSV reading with qcompany: its lines keep their
/// own fields, with no payment method and no agent.
#[test]
fn online_retail_lines_have_no_payment_method_or_agent() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "inv.csv",
        b"\xEF\xBB\xBF InvoiceNo ,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
536365,85123A,6,12/1/2010 8:26,2.55,17850,United Kingdom\n\
C536366,85123A,-1,12/1/2010 9:00,2.55,,United Kingdom\n\
536367,85123A,1,12/1/2010 9:00,-2.55,17850,United Kingdom\n",
    );
    let (result, lines) = read_online_retail(&path, 0.5);
    assert_eq!((result.rows, result.accepted, result.rejected), (3, 2, 1));
    assert_eq!(reject_lines(&result), vec![4]);
    let got: Vec<(&str, bool, &str, i64, i64, &str, &str, &str, bool)> = lines
        .iter()
        .map(|l| {
            (
                l.order.as_str(),
                l.cancelled,
                l.customer.as_str(),
                l.quantity,
                l.unit_cents,
                l.location.as_str(),
                l.payment_method.as_str(),
                l.agent.as_str(),
                l.online,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("536365", false, "17850", 6, 255, "United Kingdom", "", "", true),
            ("C536366", true, "", -1, 255, "United Kingdom", "", "", true),
        ]
    );
}
