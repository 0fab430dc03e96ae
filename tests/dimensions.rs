//! Dimension tables (SPEC §3) as a user meets them: a second product file renames a
//! product and the reports follow without the facts being read again, the change log
//! says what changed, a restart shows the checkpoint's tables, prices are those known
//! when a line is read, and branches and agents name what qcompany lines only key.

mod common;

use std::path::Path;

use common::*;

fn read(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| format!("<<{name}: {e}>>"))
}

fn body(text: &str) -> String {
    text.split_once('\n').map_or("", |(_, rest)| rest).to_string()
}

fn epoch_of(out: &Path) -> u64 {
    let json: serde_json::Value = serde_json::from_str(&read(out, "_epoch.json")).unwrap();
    json["epoch"].as_u64().unwrap()
}

const KIOSK_HEADER: &str = "kiosk_id,product_id,card_hash,date_time,fc_number\n";
const PRODUCTS_HEADER: &str = "product_id,product_name,fc_number,brand,onqi,cost,margins\n";

#[test]
fn a_later_product_file_renames_a_product_and_the_reports_follow() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dims) = (tmp.path().join("data"), tmp.path().join("dims"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&dims).unwrap();
    // One basket of two items at K1, one guest item at K2.
    write(
        &data,
        "k1.csv",
        format!(
            "{KIOSK_HEADER}K1,P1,c1,2024-03-01 09:00:00,FC1\nK1,P2,c1,2024-03-01 09:00:00,FC1\n\
             K2,P1,,2024-03-01 13:00:00,FC2\n"
        ),
    );
    write(&dims, "a.csv", format!("{PRODUCTS_HEADER}P1,Cola,FC1,Acme,1,1.50,0.2\nP2,Chips,FC1,Brio,1,2.00,0.3\n"));
    let (out, state) = (tmp.path().join("out"), tmp.path().join("state"));
    let run = |extra: &[&str]| {
        let (d, o, s, p) = (
            data.display().to_string(),
            out.display().to_string(),
            state.display().to_string(),
            dims.display().to_string(),
        );
        let mut args = vec!["run", "--input", &d, "--format", "kiosk", "--out", &o, "--state", &s, "--products", &p];
        args.extend_from_slice(extra);
        args.push("--quiet");
        cartflow_ok(&args);
    };

    run(&["-w", "2"]);
    assert_eq!(body(&read(&out, "top_products.csv")), "P1,Cola,2,2,3.00\nP2,Chips,1,1,2.00\n");
    assert_eq!(body(&read(&out, "revenue_by_location.csv")), "K1,1,3.50,0.00\nK2,1,1.50,0.00\n");
    assert_eq!(body(&read(&out, "revenue_by_category.csv")), "FC1,1,2,3.50\nFC2,1,1,1.50\n");
    assert!(read(&out, "_quality.csv").contains("\na.csv,2,2,0,\n"), "{}", read(&out, "_quality.csv"));
    assert_eq!(epoch_of(&out), 1);

    // A later file renames P1 and raises its cost: the name changes at once, the lines
    // already counted keep the price they were read at.
    write(&dims, "b.csv", format!("{PRODUCTS_HEADER}P1,Cola Zero,FC1,Acme,1,9.99,0.2\n"));
    run(&["-w", "3"]);
    assert_eq!(body(&read(&out, "top_products.csv")), "P1,Cola Zero,2,2,3.00\nP2,Chips,1,1,2.00\n");
    assert_eq!(epoch_of(&out), 2, "the new dimension file is an epoch of its own");
    let log = read(&out, "changes/top_products.csv");
    assert!(log.ends_with("2,-1,P1,Cola,2,2,3.00\n2,1,P1,Cola Zero,2,2,3.00\n"), "{log}");

    // Nothing changed: a restart shows the checkpoint's tables and adds no epoch.
    run(&["-w", "1"]);
    assert_eq!(epoch_of(&out), 2);
    assert_eq!(body(&read(&out, "top_products.csv")), "P1,Cola Zero,2,2,3.00\nP2,Chips,1,1,2.00\n");

    // A line read now takes the new price.
    write(&data, "k2.csv", format!("{KIOSK_HEADER}K3,P1,c9,2024-03-02 18:00:00,FC1\n"));
    run(&["-w", "2"]);
    assert_eq!(body(&read(&out, "top_products.csv")), "P1,Cola Zero,3,3,12.99\nP2,Chips,1,1,2.00\n");
    assert_eq!(epoch_of(&out), 3);
}

const QCOMPANY_HEADER: &str = "transaction_id,transaction_date,customer_id,customer_name,customer_email,\
sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,\
units,unit_price,is_online,payment_method,shipping_address\n";

#[test]
fn branches_locate_offline_sales_and_agents_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    write(
        &data,
        "q.csv",
        format!(
            "{QCOMPANY_HEADER}\
T1,2023-01-05 10:00:00,C1,,,A1,B1,P1,Mug,Home,0,0,0,0,0,2,3.00,0,Cash,
T2,2023-01-05 11:00:00,C2,,,A2,B2,P1,Mug,Home,0,0,0,0,0,1,3.00,0,Cash,
T3,2023-01-06 12:00:00,C2,,,,,P2,Pen,Office,0,0,0,0,0,1,1.00,1,Card,\"1 High St, Leeds, LS1\"
"
        ),
    );
    let branches = write(
        tmp.path(),
        "branches.csv",
        "branch_id,class,location,establish_date\nB1,A,Leeds,2010-01-01\n,B,Hull,2011-01-01\n",
    );
    let agents = write(tmp.path(), "agents.csv", "sales_person_id,name,hire_date\nA1,Ann Lee,2019-01-01\n");
    let run = |out: &Path, extra: &[&str]| {
        let (d, o) = (data.display().to_string(), out.display().to_string());
        let mut args = vec!["run", "--input", &d, "--format", "qcompany", "--out", &o, "--quiet", "-w", "2"];
        args.extend_from_slice(extra);
        cartflow_ok(&args);
    };

    let plain = tmp.path().join("plain");
    run(&plain, &[]);
    assert_eq!(body(&read(&plain, "revenue_by_location.csv")), "B1,1,6.00,0.00\nB2,1,3.00,0.00\nLeeds,1,1.00,1.00\n");
    assert_eq!(body(&read(&plain, "agent_daily.csv")), "2023-01-05,A1,Mug,2\n2023-01-05,A2,Mug,1\n");

    let named = tmp.path().join("named");
    let (b, a) = (branches.display().to_string(), agents.display().to_string());
    run(&named, &["--branches", &b, "--agents", &a, "--max-reject-rate", "0.5"]);
    // B1's sales join the online sales shipped to Leeds; B2 is not in the dimension.
    assert_eq!(body(&read(&named, "revenue_by_location.csv")), "Leeds,2,7.00,1.00\nB2,1,3.00,0.00\n");
    assert_eq!(body(&read(&named, "agent_daily.csv")), "2023-01-05,Ann Lee,Mug,2\n2023-01-05,A2,Mug,1\n");
    assert_eq!(
        read(&named, "_rejects/branches.csv.csv"),
        "line,reason,raw\n3,missing required field: branch_id,\",B,Hull,2011-01-01\"\n"
    );
    let quality = read(&named, "_quality.csv");
    assert!(quality.contains("\nbranches.csv,2,1,1,missing required field: 1\n"), "{quality}");
}

#[test]
fn an_empty_dimension_directory_is_no_dimension_yet_and_a_missing_one_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, dims) = (tmp.path().join("data"), tmp.path().join("dims"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&dims).unwrap();
    write(&data, "k.csv", format!("{KIOSK_HEADER}K1,P1,c1,2024-03-01 09:00:00,FC1\n"));
    let (d, o, p) =
        (data.display().to_string(), tmp.path().join("out").display().to_string(), dims.display().to_string());
    cartflow_ok(&["run", "--input", &d, "--format", "kiosk", "--out", &o, "--products", &p, "--quiet"]);
    assert_eq!(body(&read(Path::new(&o), "top_products.csv")), "P1,,1,1,0.00\n", "unpriced, unnamed");
    let missing = tmp.path().join("nowhere").display().to_string();
    let out = cartflow(&["run", "--input", &d, "--format", "kiosk", "--out", &o, "--products", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"), "{}", String::from_utf8_lossy(&out.stderr));
}
