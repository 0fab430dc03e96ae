//! The kiosk reference in `common/sales.rs` pinned to figures worked out by hand from the
//! SPEC (§2, §3, §4.2, §8, §9): small kiosk sales files and product dimension files whose
//! every report was computed on paper, and the file-level rules (required columns,
//! rejects, line numbers, the reject rate). cartflow is not run here; these tests check
//! only the reference, so that a misreading of the contract shows up as a wrong figure
//! in one place.
#![allow(clippy::type_complexity)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::sales::*;
use common::*;

const KIOSK_HEADER: &str = "kiosk_id,product_id,card_hash,date_time,fc_number\n";

/// Twelve good rows over two months at two kiosks, a blank line, three bad rows:
/// - order (KA, c1, 2024-01-10 09:00:00): K1, K2, K1 (line 4 writes the time with
///   spaces around it: trimmed, the same order);
/// - a guest basket at KA at the same time: K3, K5 (one order);
/// - c2 at KB at the same time: another order;
/// - c1 at KA at `2024-01-10 09:00`: the same instant written differently, so another
///   order;
/// - c2 at KB on 2024-01-25 18:30: K4;
/// - 2024-02-03 13:15 at KB: a guest and c3 buy K2 at the same time (two orders);
/// - 2024-02-14 20:00 at KA: c1 (empty fc_number) and c2 buy K1 (two orders);
/// - bad: an empty kiosk_id (line 15), an impossible date (16), four fields (17).
const SALES: &str = "\
KA,K1,c1,2024-01-10 09:00:00,FC1
KA,K2,c1,2024-01-10 09:00:00,FC2
KA,K1,c1, 2024-01-10 09:00:00 ,FC1
KA,K3,,2024-01-10 09:00:00,FC2
KA,K5,,2024-01-10 09:00:00,FC3
KB,K1,c2,2024-01-10 09:00:00,FC1
KA,K2,c1,2024-01-10 09:00,FC2
KB,K4,c2,2024-01-25 18:30:00,FC3
KB,K2,,2024-02-03 13:15:00,FC2
KB,K2,c3,2024-02-03 13:15:00,FC2
KA,K1,c1,2024-02-14 20:00:00,
KA,K1,c2,2024-02-14 20:00:00,FC1

,K1,c1,2024-02-14 20:00:00,FC1
KA,K1,c1,14/02/2024 20:00,FC1
KA,K1,c1,2024-02-14 20:00:00
";

/// The first dimension file:
/// - K1 first `Kola` at 9.99, then `Cola` at 1.50 (a later row of the same product
///   replaces it), then a `Pepsi` row whose cost `1e3` is unparsable (skipped);
/// - K2 `Chips` at 2.005 → 2.01 (half away from zero);
/// - K3 with a cost, 0.995 → 1.00, and no name; a later `K3,Nuts` row of two fields is
///   skipped;
/// - K4 `Gum` at 0.75, then `Gum XL` at -1.00 (negative: skipped);
/// - a row with no product_id (skipped). K5 is in no dimension file.
const DIM_A: &str = "\
product_id,product_name,fc_number,brand,onqi,cost,margins
K1,Kola,FC1,BrandA,1,9.99,0.2
K2,Chips,FC2,BrandB,,2.005,
K3,,FC2,,,0.995,
K1,Cola,FC1,BrandA,1,1.50,0.2
K4,Gum,FC3,,,0.75,
K4,Gum XL,FC3,,,-1.00,
K1,Pepsi,FC1,,,1e3,

K3,Nuts
,Nameless,FC9,,,1.00,
";

/// The second dimension file (its own column order, three columns, header in other
/// case with spaces): K2 becomes `Crisps` at 2.50; K4's whole row is replaced, so it
/// keeps the name `Gum` and loses its cost.
const DIM_B: &str = "\
 COST ,Product_ID,product_name
2.50,K2,Crisps
,K4,Gum
";

struct Files {
    sales: PathBuf,
    dim_a: PathBuf,
    dim_b: PathBuf,
}

fn files(dir: &Path) -> Files {
    Files {
        sales: write(dir, "kiosk.csv", format!("{KIOSK_HEADER}{SALES}").as_bytes()),
        dim_a: write(dir, "products_a.csv", DIM_A.as_bytes()),
        dim_b: write(dir, "products_b.csv", DIM_B.as_bytes()),
    }
}

fn product(name: &str, cost: Option<i64>) -> (String, Option<i64>) {
    (name.to_string(), cost)
}

#[test]
fn reference_reads_the_hand_made_file() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files(tmp.path());
    // 3 of 15 rows rejected: a rate of exactly 0.2 is not above 0.2, so the file stays.
    let (result, lines) = read_kiosk(&f.sales, 0.2);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (15, 12, 3));
    assert_eq!(reject_lines(&result), vec![15, 16, 17]);
    assert!(result.rejects[0].reason.contains("kiosk_id"), "{:?}", result.rejects[0]);
    assert!(result.rejects[1].reason.contains("time"), "{:?}", result.rejects[1]);
    assert!(result.rejects[2].reason.contains("fields"), "{:?}", result.rejects[2]);

    let got: Vec<(&str, &str, &str, &str, (i32, u32, u32), u32)> = lines
        .iter()
        .map(|l| (l.location.as_str(), l.product.as_str(), l.customer.as_str(), l.category.as_str(), l.date, l.hour))
        .collect();
    assert_eq!(
        got,
        vec![
            ("KA", "K1", "c1", "FC1", (2024, 1, 10), 9),
            ("KA", "K2", "c1", "FC2", (2024, 1, 10), 9),
            ("KA", "K1", "c1", "FC1", (2024, 1, 10), 9),
            ("KA", "K3", "", "FC2", (2024, 1, 10), 9),
            ("KA", "K5", "", "FC3", (2024, 1, 10), 9),
            ("KB", "K1", "c2", "FC1", (2024, 1, 10), 9),
            ("KA", "K2", "c1", "FC2", (2024, 1, 10), 9),
            ("KB", "K4", "c2", "FC3", (2024, 1, 25), 18),
            ("KB", "K2", "", "FC2", (2024, 2, 3), 13),
            ("KB", "K2", "c3", "FC2", (2024, 2, 3), 13),
            ("KA", "K1", "c1", "", (2024, 2, 14), 20),
            ("KA", "K1", "c2", "FC1", (2024, 2, 14), 20),
        ]
    );
    // One unit each, never cancelled, offline, nothing else; unpriced until the
    // dimension is applied.
    for l in &lines {
        assert_eq!((l.quantity, l.unit_cents, l.discount_pct, l.cancelled, l.online), (1, 0, 0, false, false));
        assert_eq!((l.name.as_str(), l.payment_method.as_str(), l.agent.as_str()), ("", "", ""));
    }
    // Orders: the (kiosk, card, written time) triple.
    let order = |i: usize| lines[i].order.as_str();
    assert_eq!(order(0), order(1));
    assert_eq!(order(0), order(2));
    assert_eq!(order(3), order(4));
    assert_ne!(order(0), order(3));
    assert_ne!(order(0), order(5));
    assert_ne!(order(0), order(6));
    assert_ne!(order(8), order(9));
    assert_ne!(order(10), order(11));
    let distinct: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.order.as_str()).collect();
    assert_eq!(distinct.len(), 9);
}

#[test]
fn kiosk_order_ids_keep_the_three_parts_apart() {
    let t = "2024-01-10 09:00:00";
    assert_eq!(kiosk_order_id("KA", "c1", t), kiosk_order_id("KA", "c1", t));
    assert_ne!(kiosk_order_id("KA", "c1", t), kiosk_order_id("KA", "c1", "2024-01-10 09:00"));
    assert_ne!(kiosk_order_id("KA", "c1", t), kiosk_order_id("KA", "", t));
    assert_ne!(kiosk_order_id("KA", "c1", t), kiosk_order_id("KB", "c1", t));
    // No separator inside a part can make two triples meet.
    assert_ne!(kiosk_order_id("a|b", "c", t), kiosk_order_id("a", "b|c", t));
    assert_ne!(kiosk_order_id("a", "", "1:|t"), kiosk_order_id("a", "1:", "t"));
    assert_ne!(kiosk_order_id("", "a", t), kiosk_order_id("a", "", t));
}

#[test]
fn reference_reads_the_product_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files(tmp.path());
    let a = read_product_dimension(std::slice::from_ref(&f.dim_a));
    let want_a: BTreeMap<String, (String, Option<i64>)> = [
        ("K1", product("Cola", Some(150))),
        ("K2", product("Chips", Some(201))),
        ("K3", product("", Some(100))),
        ("K4", product("Gum", Some(75))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(a, want_a);

    let ab = read_product_dimension(&[f.dim_a.clone(), f.dim_b.clone()]);
    let mut want_ab = want_a.clone();
    want_ab.insert("K2".into(), product("Crisps", Some(250)));
    want_ab.insert("K4".into(), product("Gum", None));
    assert_eq!(ab, want_ab);

    // In the other order the first file's rows are the later ones.
    assert_eq!(read_product_dimension(&[f.dim_b.clone(), f.dim_a.clone()]), want_a);
    assert_eq!(read_product_dimension(&[]), BTreeMap::new());
}

/// Header behind a BOM, trimmed, in any case, with a quoted name; costs with a sign,
/// `-0.00`, a quoted `12,50`, `N/A`, an invalid UTF-8 name; a file without a
/// product_id column and a file that does not exist give nothing and do not stop the
/// others.
#[test]
fn dimension_reading_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let odd = write(
        tmp.path(),
        "odd.csv",
        b"\xEF\xBB\xBF Cost , PRODUCT_NAME ,Product_Id\n\
+1.005,\"Nuts, salted\",P1\n\
-0.00,Free,P2\n\
\"12,50\",Comma,P3\n\
N/A,Unknown,P4\n\
1.00,\xFF,P5\n\
  ,  Spaced  ,  P6  \n\
1.00,Wide,P7,extra\n",
    );
    let no_key = write(tmp.path(), "no_key.csv", b"product_name,cost\nGhost,1.00\n");
    let missing = tmp.path().join("absent.csv");
    let got = read_product_dimension(&[no_key, odd, missing]);
    let want: BTreeMap<String, (String, Option<i64>)> =
        [("P1", product("Nuts, salted", Some(101))), ("P2", product("Free", Some(0))), ("P6", product("Spaced", None))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    assert_eq!(got, want);
}

#[test]
fn reference_hand_computed_kiosk() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files(tmp.path());
    let dims = [f.dim_a.clone(), f.dim_b.clone()];
    let got = expected_kiosk(std::slice::from_ref(&f.sales), &dims, Params::default(), 0.2);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    let mut want_names = sales_report_names(SalesSource::Kiosk).to_vec();
    want_names.sort();
    assert_eq!(names, want_names);

    // Prices: K1 1.50, K2 2.50, K3 1.00, K4 0 (no cost after DIM_B), K5 0 (not in the
    // dimension). Order totals: c1's basket 5.50, the guest basket 1.00, c2 1.50, c1's
    // second January order 2.50, c2's K4 0.00, the February guest 2.50, c3 2.50, c1
    // 1.50, c2 1.50: 18.50 in all.
    // K3, K4 and K5 tie on one unit: product id decides. K3 has a cost but no name,
    // K5 no entry: both shown with an empty name.
    check(&got, "top_products", "K1,Cola,5,4,7.50\nK2,Crisps,4,4,10.00\nK3,,1,1,1.00\nK4,Gum,1,1,0.00\nK5,,1,1,0.00\n");
    check(
        &got,
        "customers",
        "c1,3,5,9.50,2024-01-10,2024-02-14\nc2,3,3,3.00,2024-01-10,2024-02-14\nc3,1,1,2.50,2024-02-03,2024-02-03\n",
    );
    // Seven orders of card holders (the two guest orders are left out), six of them by
    // c1 and c2.
    check(&got, "repeat_customers", "3,2,0.666667,7,6\n");
    check(&got, "top_customers", "c1,3,5,9.50\nc2,3,3,3.00\nc3,1,1,2.50\n");
    check(&got, "customer_product_repeats", "c1,K1,3\nc1,K2,2\nc2,K1,2\nc2,K4,1\nc3,K2,1\n");
    check(&got, "time_of_day", "Morning,7,7,10.50\nAfternoon,2,2,5.00\nEvening,3,3,3.00\n");
    // February: (8.00 − 10.50) / 10.50 = −23.8095…%; c3 is new, c1 and c2 return.
    check(&got, "monthly", "2024-01,5,0,10.50,0.00,,2,2,0\n2024-02,4,0,8.00,0.00,-23.81,3,1,2\n");
    // Totals 0.00, 1.00, 1.50 ×3, 2.50 ×3, 5.50: mean 18.50 / 9 = 2.0555… → 2.06; the
    // fifth is 1.50; 1.50 and 2.50 tie as mode, the smaller wins.
    check(&got, "order_values", "9,2.06,1.50,1.50,0.00,5.50\n");
    // Reference day 2024-02-15; n = 3, so ranks 1, 2, 3 score 1, 2, 4. c1 and c2 tie on
    // recency and frequency: customer_id ranks c1 first.
    check(&got, "rfm", "c1,1,3,9.50,2,2,4,Hibernating\nc2,1,3,3.00,4,4,2,Champions\nc3,12,1,2.50,1,1,1,Hibernating\n");
    // Categories are the sales file's fc_number; c1's February line has none.
    check(&got, "revenue_by_category", "FC2,5,5,11.00\nFC1,3,4,6.00\n,1,1,1.50\nFC3,2,2,0.00\n");
    // Kiosk lines are offline: no online revenue.
    check(&got, "revenue_by_location", "KA,5,12.00,0.00\nKB,4,6.50,0.00\n");

    // --top 2 cuts the leaderboards only.
    let short = expected_kiosk(std::slice::from_ref(&f.sales), &dims, Params { top: 2, per_group: 3 }, 0.2);
    check(&short, "top_products", "K1,Cola,5,4,7.50\nK2,Crisps,4,4,10.00\n");
    check(&short, "top_customers", "c1,3,5,9.50\nc2,3,3,3.00\n");
    check(&short, "customer_product_repeats", "c1,K1,3\nc1,K2,2\n");
    for report in ["customers", "rfm", "monthly", "revenue_by_category", "revenue_by_location", "order_values"] {
        assert_eq!(short[report], got[report], "{report} is not a leaderboard");
    }

    // At the default rate the three bad rows refuse the file: every report is empty.
    let refused = expected_kiosk(std::slice::from_ref(&f.sales), &dims, Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&refused, "top_products", "");
    check(&refused, "customers", "");
    check(&refused, "repeat_customers", "0,0,,0,0\n");
    check(&refused, "monthly", "");
    check(&refused, "order_values", "0,,,,,\n");
    check(&refused, "revenue_by_location", "");
}

/// The same sales under other dimensions: the first file alone (K2 `Chips` at 2.01,
/// K4 `Gum` at 0.75), the two files the other way round (the same), and none (every
/// price 0, every name empty).
#[test]
fn reference_hand_computed_dimension_order() {
    let tmp = tempfile::tempdir().unwrap();
    let f = files(tmp.path());
    let sales = [f.sales.clone()];
    let a = expected_kiosk(&sales, std::slice::from_ref(&f.dim_a), Params::default(), 0.2);
    check(&a, "top_products", "K1,Cola,5,4,7.50\nK2,Chips,4,4,8.04\nK3,,1,1,1.00\nK4,Gum,1,1,0.75\nK5,,1,1,0.00\n");
    // c1: 1.50 + 2.01 + 1.50, 2.01, 1.50 = 8.52; c2: 1.50 + 0.75 + 1.50 = 3.75.
    check(
        &a,
        "customers",
        "c1,3,5,8.52,2024-01-10,2024-02-14\nc2,3,3,3.75,2024-01-10,2024-02-14\nc3,1,1,2.01,2024-02-03,2024-02-03\n",
    );
    // Totals 0.75 (c2's K4), 1.00, 1.50 ×3, 2.01 ×3, 5.01: 17.29 / 9 = 1.9211… → 1.92;
    // 1.50 and 2.01 tie as mode.
    check(&a, "order_values", "9,1.92,1.50,1.50,0.75,5.01\n");
    // January 5.01 + 1.00 + 1.50 + 2.01 + 0.75 = 10.27, February 2.01 ×2 + 1.50 ×2 =
    // 7.02: growth −3.25 / 10.27 = −31.6455…%.
    check(&a, "monthly", "2024-01,5,0,10.27,0.00,,2,2,0\n2024-02,4,0,7.02,0.00,-31.65,3,1,2\n");
    check(&a, "revenue_by_category", "FC2,5,5,9.04\nFC1,3,4,6.00\n,1,1,1.50\nFC3,2,2,0.75\n");

    let ba = expected_kiosk(&sales, &[f.dim_b.clone(), f.dim_a.clone()], Params::default(), 0.2);
    assert_eq!(ba, a);

    let none = expected_kiosk(&sales, &[], Params::default(), 0.2);
    check(&none, "top_products", "K1,,5,4,0.00\nK2,,4,4,0.00\nK3,,1,1,0.00\nK4,,1,1,0.00\nK5,,1,1,0.00\n");
    check(&none, "order_values", "9,0.00,0.00,0.00,0.00,0.00\n");
    // No revenue in January: February's growth cannot be computed.
    check(&none, "monthly", "2024-01,5,0,0.00,0.00,,2,2,0\n2024-02,4,0,0.00,0.00,,3,1,2\n");
    // Equal revenue: the location decides.
    check(&none, "revenue_by_location", "KA,5,0.00,0.00\nKB,4,0.00,0.00\n");
    check(&none, "revenue_by_category", ",1,1,0.00\nFC1,3,4,0.00\nFC2,5,5,0.00\nFC3,2,2,0.00\n");
}

/// Guests only, ties everywhere: ids compared by bytes (`K10` before `K9`), equal
/// revenue ordered by kiosk and by category, a quoted dimension name; two guests at
/// different kiosks at one time are two orders. The sales header is reordered, in other
/// case, behind a BOM, with card_hash absent.
#[test]
fn reference_hand_computed_guests_and_ties() {
    let tmp = tempfile::tempdir().unwrap();
    let sales = write(
        tmp.path(),
        "ties.csv",
        b"\xEF\xBB\xBF FC_Number ,DATE_TIME,Product_ID,Kiosk_ID\n\
B,2024-03-01 10:00:00,K9,KZ\n\
A,2024-03-01 10:00:00,K10,KA\n",
    );
    let dim = write(tmp.path(), "dim.csv", b"product_id,product_name,cost\nK9,\"Nine, big\",1.00\nK10,Ten,1\n");
    let got = expected_kiosk(&[sales], &[dim], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&got, "top_products", "K10,Ten,1,1,1.00\nK9,\"Nine, big\",1,1,1.00\n");
    check(&got, "customers", "");
    check(&got, "repeat_customers", "0,0,,0,0\n");
    check(&got, "top_customers", "");
    check(&got, "customer_product_repeats", "");
    check(&got, "time_of_day", "Morning,2,2,2.00\n");
    check(&got, "monthly", "2024-03,2,0,2.00,0.00,,0,0,0\n");
    check(&got, "order_values", "2,1.00,1.00,1.00,1.00,1.00\n");
    check(&got, "rfm", "");
    check(&got, "revenue_by_category", "A,1,1,1.00\nB,1,1,1.00\n");
    check(&got, "revenue_by_location", "KA,1,1.00,0.00\nKZ,1,1.00,0.00\n");
}

/// Every kind of bad row, each on its own line number, in a file with quoted fields
/// over two lines.
#[test]
fn reference_reading_rules() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(
        tmp.path(),
        "odd.csv",
        b"kiosk_id,product_id,card_hash,date_time,fc_number\n\
KA,K1,c1,2024-01-05T23:30:00+02:00,F\n\
KA,,c1,20240105,F\n\
KA,K1,c1,,F\n\
KA,K\xFF,c1,20240105,F\n\
KA,K1,c1,20240105,F,extra\n\
\"K\nA\",K1,,12/1/2010 8:26,\n\
KA,K1,c1,2024-13-01,F\n\
\n\
KA,K2,  c1  ,20240105,\"F, G\"\n",
    );
    let (result, lines) = read_kiosk(&path, 1.0);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (8, 3, 5));
    assert_eq!(reject_lines(&result), vec![3, 4, 5, 6, 9]);
    assert!(result.rejects[0].reason.contains("product_id"), "{:?}", result.rejects[0]);
    assert!(result.rejects[1].reason.contains("date_time"), "{:?}", result.rejects[1]);
    assert!(result.rejects[2].reason.contains("UTF-8"), "{:?}", result.rejects[2]);
    let got: Vec<(&str, &str, &str, &str, (i32, u32, u32), u32)> = lines
        .iter()
        .map(|l| (l.location.as_str(), l.product.as_str(), l.customer.as_str(), l.category.as_str(), l.date, l.hour))
        .collect();
    assert_eq!(
        got,
        vec![
            ("KA", "K1", "c1", "F", (2024, 1, 5), 23),
            ("K\nA", "K1", "", "", (2010, 12, 1), 8),
            ("KA", "K2", "c1", "F, G", (2024, 1, 5), 0),
        ]
    );
}

#[test]
fn a_header_without_a_required_column_refuses_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    for missing in ["kiosk_id", "product_id", "date_time"] {
        let columns: Vec<&str> = ["kiosk_id", "product_id", "date_time", "card_hash", "fc_number"]
            .into_iter()
            .filter(|c| *c != missing)
            .collect();
        let text = format!("{}\nKA,K1,20240105,c1\nKA,K1,20240105,c2\n", columns.join(","));
        let path = write(tmp.path(), &format!("no_{missing}.csv"), text.as_bytes());
        let (result, lines) = read_kiosk(&path, 1.0);
        assert!(result.refused, "without {missing}");
        assert_eq!((result.rows, result.accepted, result.rejected), (2, 0, 2), "without {missing}");
        assert!(lines.is_empty(), "without {missing}");
    }
    // The three required columns alone are enough: guests, no category.
    let path = write(tmp.path(), "minimal.csv", b"date_time,product_id,kiosk_id\n20240105,K1,KA\n");
    let (result, lines) = read_kiosk(&path, DEFAULT_MAX_REJECT_RATE);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, lines.len()), (1, 1, 1));
    assert_eq!((lines[0].customer.as_str(), lines[0].category.as_str(), lines[0].location.as_str()), ("", "", "KA"));
    // An empty file has no header: refused.
    let empty = write(tmp.path(), "empty.csv", b"");
    let (result, lines) = read_kiosk(&empty, DEFAULT_MAX_REJECT_RATE);
    assert!(result.refused);
    assert_eq!((result.rows, lines.len()), (0, 0));
}

#[test]
fn the_reject_rate_refuses_a_file_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = |bad: usize| {
        let mut text = KIOSK_HEADER.to_string();
        for i in 0..20 {
            let time = if i < bad { "soon" } else { "2024-03-01 10:00:00" };
            text.push_str(&format!("KA,K1,c{i},{time},F\n"));
        }
        text
    };
    let dim = write(tmp.path(), "dim.csv", b"product_id,product_name,cost\nK1,One,0.50\n");
    // 1 bad row in 20 is a rate of 0.05: not above the default.
    let one = write(tmp.path(), "a_one.csv", rows(1).as_bytes());
    let (result, lines) = read_kiosk(&one, DEFAULT_MAX_REJECT_RATE);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected, lines.len()), (20, 19, 1, 19));
    assert_eq!(reject_lines(&result), vec![2]);
    // 2 in 20 is 0.10: refused whole, the bad rows still listed.
    let two = write(tmp.path(), "b_two.csv", rows(2).as_bytes());
    let (result, lines) = read_kiosk(&two, DEFAULT_MAX_REJECT_RATE);
    assert!(result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (20, 0, 20));
    assert_eq!(reject_lines(&result), vec![2, 3]);
    assert!(lines.is_empty());
    // ... unless the rate allows it.
    let (result, lines) = read_kiosk(&two, 0.1);
    assert!(!result.refused);
    assert_eq!(lines.len(), 18);

    // Loading both: only the first file's lines count, results sorted by name.
    let (results, lines) = load_kiosk(&[two.clone(), one.clone()], DEFAULT_MAX_REJECT_RATE);
    let names: Vec<(&str, bool)> = results.iter().map(|r| (r.name.as_str(), r.refused)).collect();
    assert_eq!(names, vec![("a_one.csv", false), ("b_two.csv", true)]);
    assert_eq!(lines.len(), 19);
    let got = expected_kiosk(&[two, one], &[dim], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&got, "top_products", "K1,One,19,19,9.50\n");
    check(&got, "repeat_customers", "19,0,0.000000,19,0\n");
    check(&got, "revenue_by_location", "KA,19,9.50,0.00\n");
}

#[test]
fn report_names_and_headers() {
    let names = sales_report_names(SalesSource::Kiosk);
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
        ]
    );
    let keys: Vec<String> = sales_reports(&[], SalesSource::Kiosk, Params::default()).into_keys().collect();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(keys, want);
    // The other sources keep their reports.
    for (source, n) in [(SalesSource::Rees46, 10), (SalesSource::OnlineRetail, 10), (SalesSource::Qcompany, 15)] {
        let keys: Vec<String> = sales_reports(&[], source, Params::default()).into_keys().collect();
        let mut want: Vec<String> = sales_report_names(source).iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(keys, want);
        assert_eq!(want.len(), n);
    }
}

/// Dimension names win over the names on the lines only where they are not empty; with
/// no dimension names the reports are those of `sales_reports`.
#[test]
fn dimension_names_replace_line_names() {
    let line = |product: &str, name: &str| Line {
        date: (2024, 1, 1),
        hour: 10,
        order: format!("O-{product}-{name}"),
        cancelled: false,
        customer: "c".into(),
        product: product.into(),
        name: name.into(),
        category: String::new(),
        quantity: 1,
        unit_cents: 100,
        discount_pct: 0,
        location: String::new(),
        online: true,
        payment_method: String::new(),
        agent: String::new(),
    };
    let lines = vec![line("P1", "a"), line("P2", "b"), line("P3", "c")];
    let names: BTreeMap<String, String> =
        [("P1", "Dim one"), ("P2", ""), ("P9", "Unsold")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    let got = sales_reports_named(&lines, SalesSource::Qcompany, Params::default(), &names);
    check(&got, "top_products", "P1,Dim one,1,1,1.00\nP2,b,1,1,1.00\nP3,c,1,1,1.00\n");
    let plain = sales_reports_named(&lines, SalesSource::Qcompany, Params::default(), &BTreeMap::new());
    assert_eq!(plain, sales_reports(&lines, SalesSource::Qcompany, Params::default()));
    check(&plain, "top_products", "P1,a,1,1,1.00\nP2,b,1,1,1.00\nP3,c,1,1,1.00\n");
}
