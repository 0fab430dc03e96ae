#![allow(clippy::type_complexity)]
mod common;

// The techco reference in `common/techco.rs` pinned to figures worked out by hand from
// the SPEC (§2, §3, §4, §8, §9): small log and product files whose every report was
// computed on paper, the same logs as JSON lines, as a JSON array spread over lines,
// as a one-line array and gzipped, and the file-level rules (rejects with their
// physical lines, the reject rate, unreadable arrays). cartflow is not run here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::techco::*;
use common::*;

/// The product dimension, with a header of odd case and spacing:
/// - 101 is named twice: the later row (Phone, 250.50) replaces `Old Phone`.
/// - 103 has a negative price: the row is left out, so 103 is not in the dimension.
/// - 104 has no price; 105's 9.995 rounds half away from zero to 10.00.
const PRODUCTS: &str = "\
 Product_ID ,product_name, CATEGORY ,Price
101,Old Phone,Phones,1.00
100,Laptop,Computers,1000.00
101,Phone,Phones,250.50
103,Broken,Junk,-1.00
104,Gift Card,Gifts,
 105 ,  Cable , Computers , 9.995
";

fn products(dir: &Path) -> PathBuf {
    write(dir, "product_data.csv", PRODUCTS.as_bytes())
}

/// Ten good logs (one a line, a blank line among them):
/// 1 view by 5 of 100 (Computers, 1000.00), 09:00.
/// 2 purchase by "5" of "100" (ids as strings), quantity absent → 1, 10:30.
/// 3 purchase by a null customer (guest) of 101 (Phones, 250.50), quantity 3 → 751.50,
///   18:15 on its own +02:00 clock.
/// 4 purchase by 6 of 103, not in the dimension: price 0, empty category; quantity "2".
/// 5 cart by 6 with a null product.
/// 6 `Purchase` by 7 of 100: an event of its own type, not a purchase nor an order line.
/// 7 purchase by 5 of 104 (Gifts, no price → 0), quantity "+1", two unknown keys.
/// 8 purchase by 6 of 105 (Cable, 10.00) on a date-only timestamp: hour 0.
/// 9 purchase with log_id 9.5 (a float as text) by " 8 " of 101, 17:00 at -05:00.
/// 10 view by 8 of 105, 17:30.
const GOOD: &str = r#"{"log_id": 1, "customer_id": 5, "product_id": 100, "quantity": null, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}
{"log_id": 2, "customer_id": "5", "product_id": "100", "action": "purchase", "timestamp": "2024-05-01 10:30:00"}
{"log_id": "3", "customer_id": null, "product_id": 101, "quantity": 3, "action": "purchase", "timestamp": "2024-05-01T18:15:00+02:00"}

{"log_id": 4, "customer_id": 6, "product_id": 103, "quantity": "2", "action": "purchase", "timestamp": "2024-05-02T14:00:00Z"}
{"log_id": 5, "customer_id": 6, "product_id": null, "action": "cart", "timestamp": "2024-05-02T14:05:00Z"}
{"log_id": 6, "customer_id": 7, "product_id": 100, "quantity": 1, "action": "Purchase", "timestamp": "2024-06-03T08:00:00Z"}
{"log_id": 7, "customer_id": 5, "product_id": 104, "quantity": "+1", "action": "purchase", "timestamp": "2024-06-03T12:00:00Z", "note": "gift", "wrapped": true}
{"log_id": 8, "customer_id": 6, "product_id": 105, "action": "purchase", "timestamp": "20240604"}
{"log_id": 9.5, "customer_id": " 8 ", "product_id": 101, "quantity": 1, "action": "purchase", "timestamp": "2024-06-04T17:00:00-05:00"}
{"log_id": 10, "customer_id": 8, "product_id": 105, "action": "view", "timestamp": "2024-06-04T17:30:00Z"}
"#;

/// The same ten logs as one JSON array spread over many lines, in other spacing.
const GOOD_ARRAY: &str = r#"
  [
  {"log_id": 1, "customer_id": 5, "product_id": 100, "quantity": null,
   "action": "view", "timestamp": "2024-05-01T09:00:00Z"},
  {"log_id": 2, "customer_id": "5", "product_id": "100", "action": "purchase", "timestamp": "2024-05-01 10:30:00"}
  ,
  {
    "log_id": "3",
    "customer_id": null,
    "product_id": 101,
    "quantity": 3,
    "action": "purchase",
    "timestamp": "2024-05-01T18:15:00+02:00"
  },

  {"log_id": 4, "customer_id": 6, "product_id": 103, "quantity": "2", "action": "purchase", "timestamp": "2024-05-02T14:00:00Z"},
  {"log_id": 5, "customer_id": 6, "product_id": null, "action": "cart", "timestamp": "2024-05-02T14:05:00Z"}, {"log_id": 6, "customer_id": 7, "product_id": 100, "quantity": 1, "action": "Purchase", "timestamp": "2024-06-03T08:00:00Z"},
  {"log_id": 7, "customer_id": 5, "product_id": 104, "quantity": "+1", "action": "purchase", "timestamp": "2024-06-03T12:00:00Z", "note": "gift", "wrapped": true},
  {"log_id": 8, "customer_id": 6, "product_id": 105, "action": "purchase", "timestamp": "20240604"},
  {"log_id": 9.5, "customer_id": " 8 ", "product_id": 101, "quantity": 1, "action": "purchase", "timestamp": "2024-06-04T17:00:00-05:00"},
  {"log_id": 10, "customer_id": 8, "product_id": 105, "action": "view", "timestamp": "2024-06-04T17:30:00Z"}
]
"#;

#[test]
fn reference_reads_the_product_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let dim = read_techco_products(&[products(tmp.path())]);
    let want: ProductDimension = [
        ("100", ("Laptop", "Computers", Some(100_000))),
        ("101", ("Phone", "Phones", Some(25_050))),
        ("104", ("Gift Card", "Gifts", None)),
        ("105", ("Cable", "Computers", Some(1_000))),
    ]
    .into_iter()
    .map(|(id, (n, c, p))| (id.to_string(), (n.to_string(), c.to_string(), p)))
    .collect();
    assert_eq!(dim, want);

    // A later file replaces the rows of the ids it names and keeps the others; a file
    // without a product_id column gives nothing.
    let later =
        write(tmp.path(), "later.csv", b"product_id,product_name,category,price\n100,Laptop Pro,Computers,1200\n");
    let no_id = write(tmp.path(), "no_id.csv", b"id,product_name,category,price\n100,Nope,Nope,1.00\n");
    let dim = read_techco_products(&[products(tmp.path()), later, no_id]);
    assert_eq!(dim["100"], ("Laptop Pro".to_string(), "Computers".to_string(), Some(120_000)));
    assert_eq!(dim["101"].0, "Phone");
    assert_eq!(dim.len(), 4);
}

#[test]
fn reference_reads_the_hand_made_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let dim = read_techco_products(&[products(tmp.path())]);
    let (result, events, lines) = read_techco(&write(tmp.path(), "logs.jsonl", GOOD.as_bytes()), 0.05, &dim);
    assert!(!result.refused);
    assert_eq!((result.name.as_str(), result.rows, result.accepted, result.rejected), ("logs.jsonl", 10, 10, 0));
    assert!(result.rejects.is_empty());
    let got: Vec<(&str, &str, &str, &str, i64, u8, (i32, u32, u32))> = events
        .iter()
        .map(|e| {
            (
                e.event_type.as_str(),
                e.user_id.as_str(),
                e.product_id.as_str(),
                e.category_code.as_str(),
                e.price_cents,
                e.hour,
                e.date,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("view", "5", "100", "Computers", 100_000, 9, (2024, 5, 1)),
            ("purchase", "5", "100", "Computers", 100_000, 10, (2024, 5, 1)),
            ("purchase", "", "101", "Phones", 25_050, 18, (2024, 5, 1)),
            ("purchase", "6", "103", "", 0, 14, (2024, 5, 2)),
            ("cart", "6", "", "", 0, 14, (2024, 5, 2)),
            ("Purchase", "7", "100", "Computers", 100_000, 8, (2024, 6, 3)),
            ("purchase", "5", "104", "Gifts", 0, 12, (2024, 6, 3)),
            ("purchase", "6", "105", "Computers", 1_000, 0, (2024, 6, 4)),
            ("purchase", "8", "101", "Phones", 25_050, 17, (2024, 6, 4)),
            ("view", "8", "105", "Computers", 1_000, 17, (2024, 6, 4)),
        ]
    );
    assert!(events.iter().all(|e| e.session.is_empty() && e.category_id.is_empty() && e.brand.is_empty()));
    let got: Vec<(&str, &str, &str, &str, &str, i64, i64)> = lines
        .iter()
        .map(|l| {
            (
                l.order.as_str(),
                l.customer.as_str(),
                l.product.as_str(),
                l.name.as_str(),
                l.category.as_str(),
                l.quantity,
                l.unit_cents,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("2", "5", "100", "Laptop", "Computers", 1, 100_000),
            ("3", "", "101", "Phone", "Phones", 3, 25_050),
            ("4", "6", "103", "", "", 2, 0),
            ("7", "5", "104", "Gift Card", "Gifts", 1, 0),
            ("8", "6", "105", "Cable", "Computers", 1, 1_000),
            ("9.5", "8", "101", "Phone", "Phones", 1, 25_050),
        ]
    );
    assert!(lines.iter().all(|l| !l.cancelled
        && l.online
        && l.discount_pct == 0
        && l.location.is_empty()
        && l.payment_method.is_empty()
        && l.agent.is_empty()));
    assert_eq!((lines[1].date, lines[1].hour), ((2024, 5, 1), 18));
}

#[test]
fn reference_hand_computed_techco() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = write(tmp.path(), "logs.jsonl", GOOD.as_bytes());
    let dims = [products(tmp.path())];
    let got = expected_techco(&[logs], &dims, Params::default(), DEFAULT_MAX_REJECT_RATE);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    let mut want_names = techco_report_names();
    want_names.sort();
    assert_eq!(names, want_names);
    assert_eq!(names.len(), 20);

    // Interactions. Every log has the empty session; users 5, "", 6, 7, 8.
    // `Purchase` sorts before `all` by its bytes.
    check(&got, "event_counts", "Purchase,1,1,1\nall,10,5,1\ncart,1,1,1\npurchase,6,4,1\nview,2,2,1\n");
    check(&got, "session_summary", "1,10.00,1,1,1.000000\n");
    // The empty code and Phones tie on 2: the code decides.
    check(&got, "top_categories", ",Computers,5\n,,2\n,Phones,2\n,Gifts,1\n");
    // Computers: (3 × 1000.00 + 2 × 10.00) / 5 = 604.00; "" and Gifts tie at 0.00.
    check(
        &got,
        "category_prices",
        "Computers,5,604.00,10.00,1000.00\nPhones,2,250.50,250.50,250.50\n,2,0.00,0.00,0.00\nGifts,1,0.00,0.00,0.00\n",
    );
    // `Purchase` makes its band exist but is no purchase; no views: empty rate.
    check(
        &got,
        "price_bands",
        ",0-10,0,1,1,0.00,\nComputers,10-25,1,0,1,10.00,1.000000\nComputers,1000+,1,0,1,1000.00,1.000000\n\
         Gifts,0-10,0,0,1,0.00,\nPhones,250-500,0,0,2,501.00,\n",
    );
    // 6's only pair with a code is Computers (its two code-less events do not count);
    // 8 ties Computers and Phones one each: the smallest pair.
    check(
        &got,
        "user_preferences",
        ",Phones,,1,1.000000\n5,Computers,,2,0.666667\n6,Computers,,1,1.000000\n7,Computers,,1,1.000000\n\
         8,Computers,,1,0.500000\n",
    );
    check(
        &got,
        "top_user_categories",
        "5,Computers,2\n6,,2\n,Phones,1\n5,Gifts,1\n6,Computers,1\n7,Computers,1\n8,Computers,1\n8,Phones,1\n",
    );
    // No brands at all.
    check(&got, "engaged_users", "");
    check(&got, "brand_funnel", "");
    // Hour 8 holds only the `Purchase` event.
    check(
        &got,
        "hourly_activity",
        "0,0,0,1,10.00\n8,0,0,0,0.00\n9,1,0,0,0.00\n10,0,0,1,1000.00\n12,0,0,1,0.00\n14,0,1,1,0.00\n\
         17,1,0,1,250.50\n18,0,0,1,250.50\n",
    );

    // Sales: six lines, orders 2, 3 (guest, 3 × 250.50), 4 (0.00), 7 (0.00), 8, 9.5.
    // 100, 104 and 105 tie on one unit: the product id decides; 103 has no name.
    check(
        &got,
        "top_products",
        "101,Phone,4,2,1002.00\n103,,2,1,0.00\n100,Laptop,1,1,1000.00\n104,Gift Card,1,1,0.00\n105,Cable,1,1,10.00\n",
    );
    check(
        &got,
        "customers",
        "5,2,2,1000.00,2024-05-01,2024-06-03\n6,2,3,10.00,2024-05-02,2024-06-04\n8,1,1,250.50,2024-06-04,2024-06-04\n",
    );
    // Orders of non-guests: 2, 4, 7, 8, 9.5; of repeat customers 5 and 6: 2, 4, 7, 8.
    check(&got, "repeat_customers", "3,2,0.666667,5,4\n");
    check(&got, "top_customers", "5,2,2,1000.00\n6,2,3,10.00\n8,1,1,250.50\n");
    check(&got, "customer_product_repeats", "5,100,1\n5,104,1\n6,103,1\n6,105,1\n8,101,1\n");
    check(&got, "time_of_day", "Morning,2,2,1010.00\nAfternoon,2,3,0.00\nEvening,2,4,1002.00\n");
    // June against May: (260.50 − 1751.50) / 1751.50 = −85.127…%.
    check(&got, "monthly", "2024-05,3,0,1751.50,0.00,,2,2,0\n2024-06,3,0,260.50,0.00,-85.13,3,1,2\n");
    // Totals 0, 0, 10.00, 250.50, 751.50, 1000.00: mean 2012.00 / 6 = 335.333…,
    // median (10.00 + 250.50) / 2, mode 0.00 (twice).
    check(&got, "order_values", "6,335.33,130.25,0.00,0.00,1000.00\n");
    // Reference day 2024-06-05. r: 5 (2 days), then 6 and 8 (1 day) by id → 1, 2, 4;
    // f: 8 (1), 5, 6 (2) → 1, 2, 4; m: 6, 8, 5 → 1, 2, 4.
    check(&got, "rfm", "5,2,2,1000.00,1,2,4,Hibernating\n6,1,2,10.00,2,4,1,Loyal\n8,1,1,250.50,4,1,2,Promising\n");
    // The empty category and Gifts tie at 0.00: the category decides.
    check(&got, "revenue_by_category", "Computers,2,2,1010.00\nPhones,2,4,1002.00\n,1,2,0.00\nGifts,1,1,0.00\n");

    // --top 2 cuts the leaderboards only.
    let short = expected_techco(
        &[tmp.path().join("logs.jsonl")],
        &dims,
        Params { top: 2, per_group: 3 },
        DEFAULT_MAX_REJECT_RATE,
    );
    check(&short, "top_products", "101,Phone,4,2,1002.00\n103,,2,1,0.00\n");
    check(&short, "top_customers", "5,2,2,1000.00\n6,2,3,10.00\n");
    check(&short, "top_categories", ",Computers,5\n,,2\n");
    assert_eq!(short["revenue_by_category"], got["revenue_by_category"]);

    // Without the dimension every price is 0 and every category and name empty.
    let bare = expected_techco(&[tmp.path().join("logs.jsonl")], &[], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&bare, "revenue_by_category", ",6,9,0.00\n");
    check(&bare, "top_products", "101,,4,2,0.00\n103,,2,1,0.00\n100,,1,1,0.00\n104,,1,1,0.00\n105,,1,1,0.00\n");
}

/// JSON lines, a JSON array spread over lines, the same array on one line, and the JSON
/// lines gzipped: the same logs, the same twenty reports.
#[test]
fn reference_reads_lines_and_arrays_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let dims = [products(tmp.path())];
    let lines = write(tmp.path(), "logs.jsonl", GOOD.as_bytes());
    let array = write(tmp.path(), "logs.json", GOOD_ARRAY.as_bytes());
    let one_line: String = GOOD_ARRAY.split('\n').map(str::trim).collect::<Vec<_>>().join(" ");
    let one_line = write(tmp.path(), "one.json", one_line.as_bytes());
    let gz = tmp.path().join("logs.jsonl.gz");
    write_gz(&gz, GOOD.as_bytes());
    let dim = read_techco_products(&dims);
    let want = expected_techco(std::slice::from_ref(&lines), &dims, Params::default(), DEFAULT_MAX_REJECT_RATE);
    for path in [&array, &one_line, &gz] {
        let (result, _, _) = read_techco(path, DEFAULT_MAX_REJECT_RATE, &dim);
        assert!(!result.refused, "{}", path.display());
        assert_eq!((result.rows, result.accepted, result.rejected), (10, 10, 0), "{}", path.display());
        let got = expected_techco(std::slice::from_ref(path), &dims, Params::default(), DEFAULT_MAX_REJECT_RATE);
        assert_reports_eq(&want, &got, &path.display().to_string());
    }
    // Two files are one data set: the array and the lines together count every log twice.
    let both = expected_techco(&[lines, array], &dims, Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&both, "event_counts", "Purchase,2,1,1\nall,20,5,1\ncart,2,1,1\npurchase,12,4,1\nview,4,2,1\n");
    check(&both, "order_values", "6,670.67,260.50,0.00,0.00,2000.00\n");
}

/// JSON lines with bad rows, each rejected at its physical line (blank lines counted as
/// lines, not rows; a CRLF line end is still one line):
/// 3 a month 13; 4 no action key; 5 a null action; 6 an action of spaces; 7 not JSON;
/// 8 an array; 9 a nested object as a value (of a key cartflow reads); 10 a nested
/// array under an unknown key; 11 quantity `two`; 12 quantity 2.5; 13 a 13-digit
/// quantity; 14 a null log_id; 15 a number, not an object; 17 JSON with trailing text;
/// 18 no timestamp. Lines 1 and 16 (a 12-digit quantity) are good.
const BAD: &str = concat!(
    r#"{"log_id": 1, "customer_id": 5, "product_id": 100, "action": "purchase", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\r\n",
    "   \n",
    r#"{"log_id": 2, "customer_id": 5, "action": "view", "timestamp": "2024-13-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 3, "customer_id": 5, "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 4, "action": null, "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 5, "action": "  ", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    "log_id=6 action=view\n",
    r#"[{"log_id": 7, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}]"#,
    "\n",
    r#"{"log_id": 8, "product_id": {"id": 100}, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 9, "tags": [1], "action": "view", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 10, "quantity": "two", "action": "purchase", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 11, "quantity": 2.5, "action": "purchase", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 12, "quantity": 1234567890123, "action": "purchase", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": null, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    "42\n",
    r#"{"log_id": 15, "customer_id": 5, "product_id": 101, "quantity": "-999999999999", "action": "view", "timestamp": "2024-05-01T09:00:00Z"}"#,
    "\n",
    r#"{"log_id": 16, "action": "view", "timestamp": "2024-05-01T09:00:00Z"} x"#,
    "\n",
    r#"{"log_id": 17, "action": "view"}"#,
    "\n\n",
);

#[test]
fn reference_rejects_bad_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dim = read_techco_products(&[products(tmp.path())]);
    let path = write(tmp.path(), "bad.jsonl", BAD.as_bytes());
    let (result, events, lines) = read_techco(&path, 1.0, &dim);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (17, 2, 15));
    assert_eq!(reject_lines(&result), vec![3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18]);
    let reason = |line: u64| result.rejects.iter().find(|r| r.line == line).unwrap().reason.clone();
    assert!(reason(3).contains("time"), "{}", reason(3));
    for line in [4, 5, 6] {
        assert!(reason(line).contains("action"), "line {line}: {}", reason(line));
    }
    assert!(reason(14).contains("log_id"), "{}", reason(14));
    assert!(reason(18).contains("timestamp"), "{}", reason(18));
    for line in [11, 12, 13] {
        assert!(reason(line).contains("quantity"), "line {line}: {}", reason(line));
    }
    // The good purchase (quantity absent) and the good view.
    assert_eq!(events.len(), 2);
    assert_eq!((events[1].event_type.as_str(), events[1].category_code.as_str()), ("view", "Phones"));
    assert_eq!(lines.len(), 1);
    assert_eq!((lines[0].order.as_str(), lines[0].quantity, lines[0].unit_cents), ("1", 1, 100_000));

    // 15 of 17 rejected: refused at any rate below that share, kept at it.
    let (at_share, _, _) = read_techco(&path, 15.0 / 17.0, &dim);
    assert!(!at_share.refused);
    let (refused, events, lines) = read_techco(&path, DEFAULT_MAX_REJECT_RATE, &dim);
    assert!(refused.refused);
    assert_eq!((refused.rows, refused.accepted, refused.rejected), (17, 0, 17));
    assert_eq!(refused.rejects.len(), 15, "a refused file still lists its bad rows");
    assert!(events.is_empty() && lines.is_empty());
    let reports = expected_techco(&[path], &[], Params::default(), DEFAULT_MAX_REJECT_RATE);
    check(&reports, "event_counts", "");
    check(&reports, "session_summary", "0,,0,0,\n");
    check(&reports, "order_values", "0,,,,,\n");
    check(&reports, "top_products", "");
}

/// A JSON array over several lines with bad elements: each rejected at the line where
/// the element starts (5 a 30 February, 7 no action, 9 a string, 10 a number and an
/// array as a value), the file opening with a blank line.
const BAD_ARRAY: &str = r#"
[
  {"log_id": 1, "customer_id": 5, "product_id": 100, "action": "purchase",
   "timestamp": "2024-05-01T09:00:00Z"},
  {"log_id": 2, "action": "view", "timestamp": "2024-02-30T09:00:00Z"},

  {"log_id": 3,
   "timestamp": "2024-05-01T09:00:00Z"}, {"log_id": 4, "action": "purchase", "timestamp": "2024-05-01T12:00:00Z", "quantity": 2, "product_id": 101},
  "just text",
  42, {"log_id": 5, "product_id": [100], "action": "view", "timestamp": "2024-05-01T09:00:00Z"},
  {"log_id": 6, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}]
"#;

#[test]
fn reference_rejects_bad_array_elements() {
    let tmp = tempfile::tempdir().unwrap();
    let dim = read_techco_products(&[products(tmp.path())]);
    let path = write(tmp.path(), "bad.json", BAD_ARRAY.as_bytes());
    let (result, events, lines) = read_techco(&path, 1.0, &dim);
    assert!(!result.refused);
    assert_eq!((result.rows, result.accepted, result.rejected), (8, 3, 5));
    assert_eq!(reject_lines(&result), vec![5, 7, 9, 10, 10]);
    assert!(result.rejects[0].reason.contains("time"), "{:?}", result.rejects[0]);
    assert!(result.rejects[1].reason.contains("action"), "{:?}", result.rejects[1]);
    assert_eq!(events.len(), 3);
    let got: Vec<(&str, i64, i64)> = lines.iter().map(|l| (l.order.as_str(), l.quantity, l.unit_cents)).collect();
    assert_eq!(got, vec![("1", 1, 100_000), ("4", 2, 25_050)]);
    let reports = expected_techco(std::slice::from_ref(&path), &[products(tmp.path())], Params::default(), 1.0);
    check(&reports, "event_counts", "all,3,2,1\npurchase,2,2,1\nview,1,1,1\n");
    check(&reports, "top_products", "101,Phone,2,1,501.00\n100,Laptop,1,1,1000.00\n");
    check(&reports, "revenue_by_category", "Computers,1,1,1000.00\nPhones,1,2,501.00\n");
    check(&reports, "order_values", "2,750.50,750.50,501.00,501.00,1000.00\n");
    // One of the two customers is a guest.
    check(&reports, "customers", "5,1,1,1000.00,2024-05-01,2024-05-01\n");
    check(&reports, "session_summary", "1,3.00,0,1,1.000000\n");
    // The default rate refuses it.
    let (refused, _, _) = read_techco(&path, DEFAULT_MAX_REJECT_RATE, &dim);
    assert!(refused.refused);
    assert_eq!((refused.accepted, refused.rejected), (0, 8));
}

/// An array that is not well-formed JSON cannot be read: the file is refused whole.
#[test]
fn reference_refuses_unreadable_arrays() {
    let tmp = tempfile::tempdir().unwrap();
    let good = r#"{"log_id": 1, "action": "view", "timestamp": "2024-05-01T09:00:00Z"}"#;
    for (name, text) in [
        ("unclosed.json", format!("[{good},\n{good}\n")),
        ("no_comma.json", format!("[{good}\n{good}]")),
        ("trailing_comma.json", format!("[{good},]")),
        ("after.json", format!("[{good}] {good}")),
        ("broken.json", format!("[{good},\n{{\"log_id\": 2,]")),
    ] {
        let (result, events, _) = read_techco(&write(tmp.path(), name, text.as_bytes()), 1.0, &BTreeMap::new());
        assert!(result.refused, "{name}");
        assert_eq!(result.accepted, 0, "{name}");
        assert!(events.is_empty(), "{name}");
    }
    let (empty, _, _) = read_techco(&write(tmp.path(), "empty.json", b" [ ]\n"), 0.05, &BTreeMap::new());
    assert!(!empty.refused);
    assert_eq!(empty.rows, 0);
    let (ok, events, _) =
        read_techco(&write(tmp.path(), "ok.json", format!("[{good}, {good}]").as_bytes()), 0.05, &BTreeMap::new());
    assert!(!ok.refused);
    assert_eq!((ok.rows, events.len()), (2, 2));
}
