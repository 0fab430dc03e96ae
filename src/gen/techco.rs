//! Synthetic techco web logs as JSON lines, with the product dimension that gives
//! their categories and prices (`OUT/dimensions/product_data.csv`).
//!
//! A fixed shop (products are functions of their index, never of the seed); the
//! seed drives the visits. Time comes from the row's index over May 2024, so
//! files are contiguous slices in time order. Log ids are numbers, some customers
//! are anonymous (`null`), searches name no product, and only purchases carry a
//! quantity, as such exports do.

use std::io::Write;

use anyhow::{Context, Result};
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::{skewed, write_files, GenOptions, GenSummary};

const WORLD: u64 = 0x7EC0_0000_2024_0501;
const PRODUCTS: u64 = 60;
const CUSTOMERS: u64 = 400;
/// 2024-05-01 and the month after it.
const FIRST_DAY: i64 = 19_844;
const DAYS: i64 = 31;
const CATEGORIES: [&str; 5] = ["Laptops", "Phones", "Audio", "Accessories", "Wearables"];
const NAMES: [&str; 8] = ["Nimbus", "Orbit", "Pulse", "Quasar", "Ripple", "Sonic", "Tempo", "Vertex"];

pub fn generate_techco(opts: &GenOptions) -> Result<GenSummary> {
    write_products(opts)?;
    write_files(opts, "logs", "jsonl", |out, k, first, rows| write_rows(out, opts.seed, opts.events, k, first, rows))
}

fn write_products(opts: &GenOptions) -> Result<()> {
    let dir = opts.out.join("dimensions");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = String::from("product_id,product_name,category,price\n");
    for index in 0..PRODUCTS {
        let mut rng = Pcg64Mcg::new(u128::from(WORLD ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        let category = CATEGORIES[(rng.next_u64() % CATEGORIES.len() as u64) as usize];
        let name = NAMES[(rng.next_u64() % NAMES.len() as u64) as usize];
        let cents = match category {
            "Laptops" => 60_000 + rng.next_u64() % 150_000,
            "Phones" => 20_000 + rng.next_u64() % 100_000,
            _ => 999 + rng.next_u64() % 30_000,
        };
        text.push_str(&format!("{},{name} {index},{category},{}.{:02}\n", 100 + index, cents / 100, cents % 100));
    }
    let path = dir.join("product_data.csv");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn write_rows<W: Write + ?Sized>(out: &mut W, seed: u64, total: u64, k: usize, first: u64, rows: u64) -> Result<()> {
    let mut rng = Pcg64Mcg::new(u128::from(seed) << 64 | k as u128 | 1 << 61);
    let mut buffer = Vec::with_capacity(1 << 20);
    for row in first..first + rows {
        let position = (row as f64 / total.max(1) as f64 * DAYS as f64).clamp(0.0, DAYS as f64 - 1e-9);
        let day = FIRST_DAY + position as i64;
        let second = (position.fract() * 86_400.0) as i64;
        let (year, month, date) = crate::formats::fields::civil_from_days(day);
        let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
        let customer = if rng.next_u64() % 10 == 0 {
            "null".to_string()
        } else {
            format!("{}", 5_000 + skewed(&mut rng, CUSTOMERS))
        };
        let roll = rng.next_u64() % 100;
        let action = match roll {
            0..70 => "view",
            70..85 => "add_to_cart",
            85..93 => "purchase",
            93..96 => "remove_from_cart",
            _ => "search",
        };
        let product =
            if action == "search" { "null".to_string() } else { format!("{}", 100 + skewed(&mut rng, PRODUCTS)) };
        let quantity = if action == "purchase" { format!("{}", 1 + skewed(&mut rng, 3)) } else { "null".into() };
        writeln!(
            buffer,
            "{{\"log_id\": {}, \"customer_id\": {customer}, \"product_id\": {product}, \"quantity\": {quantity}, \
             \"action\": \"{action}\", \"timestamp\": \"{year:04}-{month:02}-{date:02}T{h:02}:{m:02}:{s:02}Z\"}}",
            1 + row
        )?;
        if buffer.len() > 1 << 20 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    Ok(())
}
