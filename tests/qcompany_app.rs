//! qcompany app logs (SPEC §2): JSON lines whose every log is an interaction and whose
//! purchases are order lines. Figures below are worked out by hand from the readings in
//! `src/formats/qcompany_app.rs`: a line's revenue is its totalAmount, an event's price
//! is that total per unit (else the product dimension's, else 0), and a customer's
//! purchases at one timestamp are one order.

mod common;

use std::path::Path;

use common::*;

/// Seven good logs and two bad ones:
/// - C1 views and carts P1 (Shoes) at 09:00, then at 09:05 buys 2 × P1 for 50.00 and
///   1 × P2 (Bags) for 19.99 with a card: one order of 69.99;
/// - a guest buys P2 for 20.01 in cash on 2024-03-02 (no quantity: 1);
/// - C2 searches (no product, no category), then in April buys 3 × P1 for 100.00:
///   33.33 a unit;
/// - line 8's total `12,50` is no plain decimal; line 9 has no eventType.
const LOGS: &str = r#"{"eventType": "view", "customerId": "C1", "productId": "P1", "timestamp": "2024-03-01 09:00:00", "category": "Shoes", "source": "home", "quantity": null, "totalAmount": null, "paymentMethod": null, "recommendedProductId": null, "algorithm": null}
{"eventType": "add_to_cart", "customerId": "C1", "productId": "P1", "timestamp": "2024-03-01 09:00:00", "category": "Shoes", "source": "recommendation", "recommendedProductId": "P2", "algorithm": "trending"}
{"eventType": "purchase", "customerId": "C1", "productId": "P1", "timestamp": "2024-03-01 09:05:00", "category": "Shoes", "quantity": 2, "totalAmount": 50.00, "paymentMethod": "Card"}
{"eventType": "purchase", "customerId": "C1", "productId": "P2", "timestamp": "2024-03-01 09:05:00", "category": "Bags", "quantity": 1, "totalAmount": "19.99", "paymentMethod": "Card"}
{"eventType": "purchase", "customerId": null, "productId": "P2", "timestamp": "2024-03-02 18:00:00", "category": "Bags", "quantity": null, "totalAmount": 20.01, "paymentMethod": "Cash"}
{"eventType": "search", "customerId": "C2", "productId": null, "timestamp": "2024-03-02 18:00:00", "category": null}
{"eventType": "purchase", "customerId": "C2", "productId": "P1", "timestamp": "2024-04-01 12:30:00", "category": "Shoes", "quantity": 3, "totalAmount": 100, "paymentMethod": "Card"}
{"eventType": "purchase", "customerId": "C2", "productId": "P1", "timestamp": "2024-04-01 12:31:00", "category": "Shoes", "quantity": 1, "totalAmount": "12,50"}
{"customerId": "C2", "productId": "P1", "timestamp": "2024-04-01 12:32:00"}
"#;

/// Runs `--format qcompany`, which reads `*.jsonl` files as app logs, or `format`.
fn run_as(format: &str, input: &Path, out: &Path, extra: &[&str]) -> std::collections::BTreeMap<String, String> {
    let (input, out) = (input.display().to_string(), out.display().to_string());
    let mut args = vec!["run", "--format", format, "--input", &input, "--out", &out, "--max-reject-rate", "0.5"];
    args.extend(extra);
    cartflow_ok(&args);
    read_every_report(Path::new(&out))
}

fn run(input: &Path, out: &Path, extra: &[&str]) -> std::collections::BTreeMap<String, String> {
    run_as("qcompany", input, out, extra)
}

#[test]
fn app_logs_yield_interaction_and_sales_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = write(tmp.path(), "app.jsonl", LOGS);
    let got = run_as("qcompany-app", &logs, &tmp.path().join("out"), &[]);
    check(&got, "event_counts", "add_to_cart,1,1,1\nall,7,3,1\npurchase,4,3,1\nsearch,1,1,1\nview,1,1,1\n");
    // Shoes: (0 + 0 + 25.00 + 33.33) / 4 = 14.5825; Bags: (19.99 + 20.01) / 2.
    check(&got, "category_prices", "Bags,2,20.00,19.99,20.01\nShoes,4,14.58,0.00,33.33\n,1,0.00,0.00,0.00\n");
    check(&got, "payment_methods", "Card,2,169.99\nCash,1,20.01\n");
    // Totals 69.99, 20.01 and 100.00: each once, so the smallest is the mode.
    check(&got, "order_values", "3,63.33,69.99,20.01,20.01,100.00\n");
    check(&got, "top_products", "P1,,5,2,150.00\nP2,,2,2,40.00\n");
    check(&got, "revenue_by_category", "Shoes,2,5,150.00\nBags,2,2,40.00\n");
    // April grows (100.00 − 90.00) / 90.00 = 11.11%; the guest is no customer.
    check(&got, "monthly", "2024-03,2,0,90.00,0.00,,1,1,0\n2024-04,1,0,100.00,0.00,11.11,1,1,0\n");
    for absent in ["offers", "product_offers", "agent_daily", "revenue_by_location"] {
        assert!(!got.contains_key(absent), "app logs alone carry no offers, agents or locations: {absent}");
    }
    let quality = read_quality(&tmp.path().join("out"));
    assert_eq!((quality[0].rows, quality[0].accepted, quality[0].rejected), (9, 7, 2));
    let rejects = read_rejects(&tmp.path().join("out"), "app.jsonl").unwrap();
    let lines: Vec<(u64, &str)> = rejects.iter().map(|r| (r.line, r.reason.as_str())).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!((lines[0].0, lines[1].0), (8, 9));
    assert!(lines[0].1.contains("price") && lines[1].1.contains("eventType"), "{lines:?}");
}

/// A log without a total takes the product dimension's price; the log's own category
/// stays; the dimension names the product.
#[test]
fn logs_without_a_total_are_priced_by_the_product_dimension() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = write(tmp.path(), "app.jsonl", LOGS);
    let products =
        write(tmp.path(), "products.csv", "product_id,product_name,category,price\nP1,Runner,Footwear,10.00\n");
    let got = run(&logs, &tmp.path().join("out"), &["--products", &products.display().to_string()]);
    // Shoes: (10.00 + 10.00 + 25.00 + 33.33) / 4 = 19.5825.
    check(&got, "category_prices", "Bags,2,20.00,19.99,20.01\nShoes,4,19.58,10.00,33.33\n,1,0.00,0.00,0.00\n");
    check(&got, "top_products", "P1,Runner,5,2,150.00\nP2,,2,2,40.00\n");
    check(&got, "revenue_by_category", "Shoes,2,5,150.00\nBags,2,2,40.00\n");
}

/// A qcompany directory holding transactions and app logs writes the interaction
/// reports beside the sales ones, the same at 1, 2 and 4 workers, and as the two
/// sources of a job file (`qcompany` and `qcompany-app`).
#[test]
fn transactions_and_app_logs_together_at_any_worker_count() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data_text = data.display().to_string();
    cartflow_ok(&["gen", "--format", "qcompany", "--events", "3000", "--seed", "5", "--out", &data_text, "--quiet"]);
    cartflow_ok(&[
        "gen",
        "--format",
        "qcompany-app",
        "--events",
        "2500",
        "--seed",
        "5",
        "--files",
        "2",
        "--out",
        &data_text,
        "--quiet",
    ]);
    let branches = data.join("dimensions/branches.csv").display().to_string();
    let dims = ["--branches", &branches];
    let one = run(&data, &tmp.path().join("w1"), &[&dims[..], &["-w", "1"]].concat());
    for name in ["event_counts", "user_preferences", "offers", "payment_methods", "revenue_by_location"] {
        assert!(one.contains_key(name), "{name} is written");
    }
    assert!(one["event_counts"].lines().any(|l| l.starts_with("purchase,")), "app purchases are events");
    for workers in ["2", "4"] {
        let got = run(&data, &tmp.path().join(format!("w{workers}")), &[&dims[..], &["-w", workers]].concat());
        assert_reports_eq(&one, &got, &format!("{workers} workers"));
    }
    let job = write(
        tmp.path(),
        "job.toml",
        "out = \"job-out\"\nmax_reject_rate = 0.5\n[[source]]\nformat = \"qcompany-app\"\ninput = [\"data/app-00001.jsonl\", \"data/app-00002.jsonl\"]\n\
         [[source]]\nformat = \"qcompany\"\ninput = \"data/sales-00001.csv\"\n[dimensions]\nbranches = \"data/dimensions/branches.csv\"\n"
    );
    cartflow_ok(&["run", "--config", &job.display().to_string(), "--quiet"]);
    assert_reports_eq(&one, &read_every_report(&tmp.path().join("job-out")), "a job file with two sources");
}
