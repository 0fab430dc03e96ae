//! Synthetic sales transactions in the `qcompany` layout: a retailer with a few
//! branches, sales agents, offers, and online orders shipped to addresses.
//!
//! - **A fixed company.** Products, customers, agents and branches are functions of
//!   their index, never of the seed, so files made with other seeds describe the
//!   same company.
//! - **The seed drives the transactions**: who buys what, where, how, at which offer.
//! - **Time comes from the row's index**, over the year 2023, so every file is one
//!   contiguous slice of the year in time order. A transaction's lines share its
//!   time, customer, agent, branch, channel and payment, and never straddle files.
//! - `OUT/dimensions/` holds the branch and agent tables (`--branches`, `--agents`).
//! - About 30% of transactions are online (shipped to an address whose city is the
//!   location), 10% are guests', and one line in three carries an offer, now and
//!   then two at once.
//! - `gen --format qcompany-app` writes the same company's app logs instead (JSON
//!   lines, `app-NNNNN.jsonl`): sessions of views, searches and carts by its
//!   customers (a few anonymous), some ending in a checkout that logs one purchase
//!   per product, at one time, with its total and payment method.

use std::io::Write;

use anyhow::{Context, Result};
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::{skewed, write_files, GenOptions, GenSummary};

const HEADER: &[u8] = b"transaction_id,transaction_date,customer_id,customer_name,customer_email,sales_agent_id,\
branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,units,unit_price,\
is_online,payment_method,shipping_address\n";

const WORLD: u64 = 0x51C0_4A11_2023_0101;
const PRODUCTS: u64 = 120;
const CUSTOMERS: u64 = 800;
const AGENTS: u64 = 20;
const BRANCHES: u64 = 8;
/// 2023-01-01, and the year after it.
const FIRST_DAY: i64 = 19_358;
const DAYS: i64 = 365;

const CATEGORIES: [&str; 8] = ["Electronics", "Home", "Garden", "Toys", "Books", "Sports", "Beauty", "Grocery"];
const ITEMS: [&str; 12] =
    ["Lamp", "Kettle", "Chair", "Puzzle", "Novel", "Racket", "Serum", "Coffee", "Speaker", "Hose", "Blanket", "Ball"];
const CITIES: [&str; 10] =
    ["Leeds", "York", "Bath", "Bristol", "Cardiff", "Dundee", "Exeter", "Hull", "Perth", "São Paulo"];
const STREETS: [&str; 6] = ["High St", "Mill Lane", "Station Rd", "Church St", "Park Ave", "Queen's Walk"];
const FIRST_NAMES: [&str; 8] = ["Ann", "Bo", "Chloé", "Dev", "Ewa", "Femi", "Gus", "Hana"];
const LAST_NAMES: [&str; 6] = ["Smith", "Okafor", "Nowak", "Lee", "García", "O'Neil"];
const PAYMENTS: [&str; 4] = ["Cash", "Credit Card", "Debit Card", "Mobile Wallet"];

pub fn generate_qcompany(opts: &GenOptions) -> Result<GenSummary> {
    write_dimensions(opts)?;
    write_files(opts, "sales", "csv", |out, k, first, rows| write_rows(out, opts.seed, opts.events, k, first, rows))
}

pub fn generate_qcompany_app(opts: &GenOptions) -> Result<GenSummary> {
    write_files(opts, "app", "jsonl", |out, k, first, rows| write_app_logs(out, opts.seed, opts.events, k, first, rows))
}

/// `OUT/dimensions/branches.csv` and `agents.csv`: every branch but the last is
/// located, and every agent but one is named, as in real, slightly stale exports.
fn write_dimensions(opts: &GenOptions) -> Result<()> {
    let dir = opts.out.join("dimensions");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut branches = String::from("branch_id,class,location,establish_date\n");
    for b in 1..BRANCHES {
        let class = ["A", "B", "C"][(b % 3) as usize];
        branches.push_str(&format!(
            "B{b:02},{class},{},20{:02}-0{}-15\n",
            CITIES[(b * 3 % 10) as usize],
            10 + b,
            1 + b % 9
        ));
    }
    let mut agents = String::from("sales_person_id,name,hire_date\n");
    for a in 1..=AGENTS {
        if a == 13 {
            continue;
        }
        let mut rng = world_rng(3, a);
        let first = FIRST_NAMES[(rng.next_u64() % FIRST_NAMES.len() as u64) as usize];
        let last = LAST_NAMES[(rng.next_u64() % LAST_NAMES.len() as u64) as usize];
        agents.push_str(&format!("A{a:03},{first} {last},2019-0{}-01\n", 1 + a % 9));
    }
    for (name, text) in [("branches.csv", branches), ("agents.csv", agents)] {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn world_rng(kind: u64, index: u64) -> Pcg64Mcg {
    Pcg64Mcg::new(u128::from(WORLD ^ kind.rotate_left(32) ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// (product_id, product_name, product_category, unit price in cents).
fn product(index: u64) -> (String, String, &'static str, u64) {
    let mut rng = world_rng(1, index);
    let item = ITEMS[(rng.next_u64() % ITEMS.len() as u64) as usize];
    let category = CATEGORIES[(rng.next_u64() % CATEGORIES.len() as u64) as usize];
    let cents = match rng.next_u64() % 10 {
        0 => 10_000 + rng.next_u64() % 90_000,
        _ => 199 + rng.next_u64() % 4_800,
    };
    (format!("P{:04}", 100 + index), format!("{item} {}", index % 40), category, cents)
}

/// (customer_id, "name", email, home address).
fn customer(index: u64) -> (String, String, String, String) {
    let mut rng = world_rng(2, index);
    let first = FIRST_NAMES[(rng.next_u64() % FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[(rng.next_u64() % LAST_NAMES.len() as u64) as usize];
    let street = STREETS[(rng.next_u64() % STREETS.len() as u64) as usize];
    let city = CITIES[(rng.next_u64() % CITIES.len() as u64) as usize];
    let number = 1 + rng.next_u64() % 200;
    // Some addresses break their lines with a newline instead of a comma.
    let separator = if rng.next_u64() % 4 == 0 { "\n" } else { ", " };
    let address = format!("\"{number} {street}{separator}{city}, {}{}\"", &city[..1], 10 + index % 90);
    let email = format!("{}.{}{index}@example.com", first.to_lowercase(), last.to_lowercase().replace('\'', ""));
    (format!("C{:05}", 1 + index), format!("\"{first} {last}\""), email, address)
}

/// `YYYY-MM-DD HH:MM:SS` at the fraction `at` of the year, shops open 08:00–21:00.
fn transaction_time(at: f64) -> String {
    let position = (at * DAYS as f64).clamp(0.0, DAYS as f64 - 1e-9);
    let day = FIRST_DAY + position as i64;
    let minute = 8 * 60 + (position.fract() * 13.0 * 60.0) as i64;
    let (year, month, date) = crate::formats::fields::civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02} {:02}:{:02}:{:02}", minute / 60, minute % 60, (day * 7 + minute) % 60)
}

fn write_rows<W: Write + ?Sized>(out: &mut W, seed: u64, total: u64, k: usize, first: u64, rows: u64) -> Result<()> {
    let mut rng = Pcg64Mcg::new(u128::from(seed) << 64 | k as u128 | 1 << 63);
    let catalogue: Vec<_> = (0..PRODUCTS).map(product).collect();
    let customers: Vec<_> = (0..CUSTOMERS).map(customer).collect();
    let mut buffer = Vec::with_capacity(1 << 20);
    buffer.extend_from_slice(HEADER);
    let mut row = first;
    let end = first + rows;
    while row < end {
        let transaction = row;
        let lines = (1 + rng.next_u64() % 3).min(end - row);
        let time = transaction_time(row as f64 / total.max(1) as f64);
        let online = rng.next_u64() % 10 < 3;
        let guest = rng.next_u64() % 10 == 0;
        let (customer_id, name, email, address) = if guest {
            (
                String::new(),
                String::new(),
                String::new(),
                format!("\"{} Market Sq, {}\"", 1 + row % 9, CITIES[(row % 10) as usize]),
            )
        } else {
            customers[skewed(&mut rng, CUSTOMERS) as usize].clone()
        };
        let branch = format!("B{:02}", 1 + rng.next_u64() % BRANCHES);
        // Online orders are mostly taken without an agent.
        let agent = if online && rng.next_u64() % 4 != 0 {
            String::new()
        } else {
            format!("A{:03}", 1 + rng.next_u64() % AGENTS)
        };
        let payment =
            if online { PAYMENTS[1 + (rng.next_u64() % 3) as usize] } else { PAYMENTS[(rng.next_u64() % 4) as usize] };
        let shipping = if online { address.as_str() } else { "" };
        let channel = if online { "True" } else { "False" };
        for _ in 0..lines {
            let (product_id, product_name, category, cents) = &catalogue[skewed(&mut rng, PRODUCTS) as usize];
            let mut offers = ["False"; 5];
            if rng.next_u64() % 3 == 0 {
                offers[(rng.next_u64() % 5) as usize] = "True";
                if rng.next_u64() % 10 == 0 {
                    offers[(rng.next_u64() % 5) as usize] = "True";
                }
            }
            let units = 1 + skewed(&mut rng, 6);
            let [o1, o2, o3, o4, o5] = offers;
            writeln!(
                buffer,
                "T{:07},{time},{customer_id},{name},{email},{agent},{branch},{product_id},{product_name},{category},\
                 {o1},{o2},{o3},{o4},{o5},{units},{}.{:02},{channel},{payment},{shipping}",
                1 + transaction,
                cents / 100,
                cents % 100
            )?;
            row += 1;
        }
        if buffer.len() > 1 << 20 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    Ok(())
}

const SOURCES: [&str; 4] = ["search", "home", "recommendation", "push"];
const ALGORITHMS: [&str; 2] = ["collaborative", "trending"];

fn write_app_logs<W: Write + ?Sized>(
    out: &mut W,
    seed: u64,
    total: u64,
    k: usize,
    first: u64,
    rows: u64,
) -> Result<()> {
    let mut rng = Pcg64Mcg::new(u128::from(seed) << 64 | k as u128 | 1 << 62);
    let catalogue: Vec<_> = (0..PRODUCTS).map(product).collect();
    let mut buffer = Vec::with_capacity(1 << 20);
    let mut row = first;
    let end = first + rows;
    let null = || "null".to_string();
    let quoted = |text: &str| format!("\"{text}\"");
    while row < end {
        // One visit: a few events by one shopper, logged at one time, maybe a checkout.
        let customer = match rng.next_u64() % 20 {
            0 => null(),
            _ => quoted(&format!("C{:05}", 1 + skewed(&mut rng, CUSTOMERS))),
        };
        let time = transaction_time(row as f64 / total.max(1) as f64);
        let mut basket = Vec::new();
        let events = (2 + rng.next_u64() % 5).min(end - row);
        for _ in 0..events {
            let (product_id, _, category, cents) = &catalogue[skewed(&mut rng, PRODUCTS) as usize];
            let source = SOURCES[(rng.next_u64() % SOURCES.len() as u64) as usize];
            let (recommended, algorithm) = if source == "recommendation" {
                let other = &catalogue[(rng.next_u64() % PRODUCTS) as usize].0;
                (quoted(other), quoted(ALGORITHMS[(rng.next_u64() % 2) as usize]))
            } else {
                (null(), null())
            };
            let (event_type, product, category) = match rng.next_u64() % 10 {
                0 => ("search", null(), null()),
                1..=6 => ("view", quoted(product_id), quoted(category)),
                _ => {
                    basket.push((product_id.clone(), *category, *cents));
                    ("add_to_cart", quoted(product_id), quoted(category))
                }
            };
            writeln!(
                buffer,
                "{{\"eventType\": \"{event_type}\", \"customerId\": {customer}, \"productId\": {product}, \
                 \"timestamp\": \"{time}\", \"category\": {category}, \"source\": \"{source}\", \"quantity\": null, \
                 \"totalAmount\": null, \"paymentMethod\": null, \"recommendedProductId\": {recommended}, \
                 \"algorithm\": {algorithm}}}"
            )?;
            row += 1;
        }
        if rng.next_u64() % 2 == 0 {
            let payment = PAYMENTS[1 + (rng.next_u64() % 3) as usize];
            for (product_id, category, cents) in basket.into_iter().take((end - row) as usize) {
                let quantity = 1 + skewed(&mut rng, 3);
                let total = cents * quantity;
                writeln!(
                    buffer,
                    "{{\"eventType\": \"purchase\", \"customerId\": {customer}, \"productId\": \"{product_id}\", \
                     \"timestamp\": \"{time}\", \"category\": \"{category}\", \"source\": \"checkout\", \
                     \"quantity\": {quantity}, \"totalAmount\": {}.{:02}, \"paymentMethod\": \"{payment}\", \
                     \"recommendedProductId\": null, \"algorithm\": null}}",
                    total / 100,
                    total % 100
                )?;
                row += 1;
            }
        }
        if buffer.len() > 1 << 20 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    Ok(())
}
