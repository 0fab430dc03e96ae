//! A custom CSV layout in the job file (SPEC §2): column names mapped onto record
//! fields. The same data written under other column names, in another order, with
//! the formats' encodings swapped for the layout's own (a discount percent for five
//! offer flags, `online`/`offline` for a flag, the city already taken from the
//! address), gives byte for byte the reports of the built-in format.

mod common;

use std::path::Path;

use common::sales::shipping_city;
use common::*;

fn gen(format: &str, events: &str, out: &Path) {
    let out = out.display().to_string();
    cartflow_ok(&[
        "gen", "--format", format, "--events", events, "--seed", "9", "--files", "2", "--out", &out, "--quiet",
    ]);
}

/// Rewrites every CSV file of `from` into `to` through `row`, which gets the header
/// and a row and returns the new row; `header` is the new header.
fn rewrite(
    from: &Path,
    to: &Path,
    header: &[&str],
    row: impl Fn(&csv::StringRecord, &csv::StringRecord) -> Vec<String>,
) {
    std::fs::create_dir_all(to).unwrap();
    for path in dir_files(from) {
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let names = reader.headers().unwrap().clone();
        let mut writer = csv::Writer::from_path(to.join(path.file_name().unwrap())).unwrap();
        writer.write_record(header).unwrap();
        for record in reader.records() {
            writer.write_record(row(&names, &record.unwrap())).unwrap();
        }
        writer.flush().unwrap();
    }
}

fn field<'r>(names: &csv::StringRecord, record: &'r csv::StringRecord, name: &str) -> &'r str {
    &record[names.iter().position(|n| n == name).unwrap()]
}

fn run_job(dir: &Path, job: &str) {
    let path = write(dir, "job.toml", job);
    let out = cartflow(&["run", "--config", &path.display().to_string(), "--quiet"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_order_line_layout_reads_like_its_format() {
    let tmp = tempfile::tempdir().unwrap();
    gen("qcompany", "4000", &tmp.path().join("sales"));
    let offers = ["offer_1", "offer_2", "offer_3", "offer_4", "offer_5"];
    rewrite(
        &tmp.path().join("sales"),
        &tmp.path().join("pos"),
        &[
            "Qty",
            "Sold At",
            " Receipt ",
            "SKU",
            "Item",
            "Dept",
            "Price",
            "Member",
            "Off",
            "Sold Via",
            "Paid By",
            "Clerk",
            "Store",
            "Town",
        ],
        |names, r| {
            let f = |name| field(names, r, name).to_string();
            let largest = offers.iter().rposition(|o| field(names, r, o).eq_ignore_ascii_case("true"));
            let online = f("is_online") == "True";
            vec![
                f("units"),
                f("transaction_date"),
                f("transaction_id"),
                f("product_id"),
                f("product_name"),
                f("product_category"),
                f("unit_price"),
                f("customer_id"),
                largest.map_or(String::new(), |k| format!("{}%", 5 * (k + 1))),
                if online { "Online" } else { "offline" }.to_string(),
                f("payment_method"),
                f("sales_agent_id"),
                f("branch_id"),
                if online { shipping_city(&f("shipping_address")) } else { String::new() },
            ]
        },
    );
    let dims = "[dimensions]\nbranches = \"sales/dimensions/branches.csv\"\nagents = \"sales/dimensions/agents.csv\"\n";
    run_job(tmp.path(), &format!("out = \"want\"\n[[source]]\nformat = \"qcompany\"\ninput = \"sales\"\n{dims}"));
    run_job(
        tmp.path(),
        &format!(
            "out = \"got\"\nworkers = 2\n[[source]]\ninput = \"pos\"\n[source.order_lines]\n\
             time = \"sold at\"\norder = \"Receipt\"\nproduct = \"SKU\"\nunit_price = \"Price\"\nquantity = \"Qty\"\n\
             customer = \"Member\"\nproduct_name = \"Item\"\ncategory = \"Dept\"\ndiscount_pct = \"Off\"\n\
             channel = \"Sold Via\"\npayment_method = \"Paid By\"\nagent = \"Clerk\"\nbranch = \"Store\"\nlocation = \"Town\"\n{dims}"
        ),
    );
    let want = read_every_report(&tmp.path().join("want"));
    assert!(want.contains_key("offers") && want.contains_key("agent_daily"), "{:?}", want.keys());
    assert_reports_eq(&want, &read_every_report(&tmp.path().join("got")), "custom layout vs qcompany");
}

#[test]
fn an_interaction_layout_reads_like_the_clickstream() {
    let tmp = tempfile::tempdir().unwrap();
    generate(&tmp.path().join("events"), 5000, 3, 2);
    rewrite(
        &tmp.path().join("events"),
        &tmp.path().join("clicks"),
        &["who", "what", "when", "item", "cost", "visit", "shelf", "aisle", "maker"],
        |names, r| {
            let f = |name| field(names, r, name).to_string();
            vec![
                f("user_id"),
                f("event_type"),
                f("event_time"),
                f("product_id"),
                f("price"),
                f("user_session"),
                f("category_id"),
                f("category_code"),
                f("brand"),
            ]
        },
    );
    run_job(tmp.path(), "out = \"want\"\n[[source]]\nformat = \"rees46\"\ninput = \"events\"\n");
    run_job(
        tmp.path(),
        "out = \"got\"\n[[source]]\ninput = \"clicks\"\n[source.interactions]\ntime = \"when\"\nevent_type = \"what\"\n\
         user = \"who\"\nproduct = \"item\"\nprice = \"cost\"\nsession = \"visit\"\ncategory_id = \"shelf\"\n\
         category_code = \"aisle\"\nbrand = \"maker\"\n",
    );
    let want = read_every_report(&tmp.path().join("want"));
    assert!(want.contains_key("event_counts") && want.contains_key("rfm"), "{:?}", want.keys());
    assert_reports_eq(&want, &read_every_report(&tmp.path().join("got")), "custom layout vs rees46");
}

/// A layout that leaves fields out writes only the reports it can: no category, no
/// location, no offers; every line is one unit. A file without a mapped column is
/// refused whole, and a bad value rejects its row.
#[test]
fn a_small_layout_writes_the_reports_it_can() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("in")).unwrap();
    write(
        tmp.path(),
        "in/till.csv",
        "when,ticket,sku,amount\n2024-01-05 10:00:00,1,A,2.50\n2024-01-05 10:00:00,1,B,1.00\n\
         2024-01-06 18:00:00,2,A,2.50\n2024-01-06 18:30:00,3,A,-1\n",
    );
    write(tmp.path(), "in/other.csv", "when,ticket,sku\n2024-01-05 10:00:00,1,A\n");
    run_job(
        tmp.path(),
        "out = \"out\"\nmax_reject_rate = 0.5\n[[source]]\ninput = \"in\"\n[source.order_lines]\n\
         time = \"when\"\norder = \"ticket\"\nproduct = \"sku\"\nunit_price = \"amount\"\n",
    );
    let out = tmp.path().join("out");
    let got = read_every_report(&out);
    for absent in
        ["revenue_by_category", "revenue_by_location", "offers", "payment_methods", "agent_daily", "event_counts"]
    {
        assert!(!got.contains_key(absent), "{absent} needs a field the layout does not map");
    }
    check(&got, "top_products", "A,,2,2,5.00\nB,,1,1,1.00\n");
    check(&got, "order_values", "2,3.00,3.00,2.50,2.50,3.50\n");
    let quality = std::fs::read_to_string(out.join("_quality.csv")).unwrap();
    assert!(
        quality.contains("\nother.csv,1,0,1,not a custom layout file: no `amount` column in the header\n"),
        "{quality}"
    );
    assert!(quality.contains("\ntill.csv,4,3,1,negative price: 1\n"), "{quality}");
}

#[test]
fn layout_mistakes_name_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let job = tmp.path().join("job.toml");
    let lines = "[source.order_lines]\ntime = \"t\"\norder = \"o\"\nproduct = \"p\"\nunit_price = \"u\"\n";
    for (text, says) in [
        (format!("out = \"r\"\n[[source]]\ninput = \"x\"\n{lines}colour = \"c\"\n"), "line 9"),
        (
            "out = \"r\"\n[[source]]\ninput = \"x\"\n[source.order_lines]\ntime = \"t\"\n".to_string(),
            "missing field `order`",
        ),
        (format!("out = \"r\"\n\n[[source]]\nformat = \"kiosk\"\ninput = \"x\"\n{lines}"), "line 3"),
        ("out = \"r\"\n[[source]]\ninput = \"x\"\n".to_string(), "needs a `format`"),
    ] {
        std::fs::write(&job, &text).unwrap();
        let out = cartflow(&["run", "--config", &job.display().to_string()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        assert!(stderr.contains(says) && stderr.lines().count() == 1, "{text:?} should say {says:?}: {stderr}");
    }
}
