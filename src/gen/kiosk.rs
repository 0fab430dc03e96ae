//! Synthetic kiosk sales in the `kiosk` layout, with the product dimension that
//! prices them (`OUT/dimensions/products.csv`).
//!
//! A fixed chain of kiosks and catalogue (functions of their index, never of the
//! seed); the seed drives the baskets. Time comes from the row's index over
//! March 2024, so files are contiguous slices in time order, and a basket (one
//! card at one kiosk at one moment, several items) never straddles two files.
//! About 15% of baskets are paid without a card (guests). A few catalogue
//! products are missing from the dimension or carry no cost, as in real exports.

use std::io::Write;

use anyhow::{Context, Result};
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::{skewed, write_files, GenOptions, GenSummary};

const HEADER: &[u8] = b"kiosk_id,product_id,card_hash,date_time,fc_number\n";
const WORLD: u64 = 0x6B10_5C00_2024_0301;
const PRODUCTS: u64 = 90;
const KIOSKS: u64 = 12;
const CARDS: u64 = 1_500;
/// 2024-03-01 and the month after it.
const FIRST_DAY: i64 = 19_783;
const DAYS: i64 = 31;
const FAMILIES: [&str; 6] = ["FC10", "FC20", "FC30", "FC40", "FC50", "FC60"];
const NAMES: [&str; 10] =
    ["Cola", "Crisps", "Water", "Chocolate", "Gum", "Sandwich", "Coffee", "Juice", "Cookies", "Energy Drink"];
const BRANDS: [&str; 5] = ["Acme", "Brio", "Cielo", "Dulce", ""];

pub fn generate_kiosk(opts: &GenOptions) -> Result<GenSummary> {
    write_products(opts)?;
    write_files(opts, "kiosk", "csv", |out, k, first, rows| write_rows(out, opts.seed, opts.events, k, first, rows))
}

/// (product_id, fc_number) of catalogue product `index`.
fn product(index: u64) -> (String, &'static str) {
    (format!("{}", 7_000_100 + index * 7), FAMILIES[(index % FAMILIES.len() as u64) as usize])
}

fn write_products(opts: &GenOptions) -> Result<()> {
    let dir = opts.out.join("dimensions");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut text = String::from("product_id,product_name,fc_number,brand,onqi,cost,margins\n");
    for index in 0..PRODUCTS {
        if index % 29 == 28 {
            continue; // not in the dimension: its lines are priced 0
        }
        let mut rng = Pcg64Mcg::new(u128::from(WORLD ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        let (id, family) = product(index);
        let name = NAMES[(rng.next_u64() % NAMES.len() as u64) as usize];
        let brand = BRANDS[(rng.next_u64() % BRANDS.len() as u64) as usize];
        let cents = 50 + rng.next_u64() % 450;
        let cost = if index % 31 == 30 { String::new() } else { format!("{}.{:02}", cents / 100, cents % 100) };
        let margin = 10 + rng.next_u64() % 40;
        let quoted = if index % 11 == 0 { format!("\"{name}, {}g\"", 50 + index) } else { format!("{name} {index}") };
        text.push_str(&format!("{id},{quoted},{family},{brand},{},{cost},0.{margin}\n", rng.next_u64() % 5));
    }
    let path = dir.join("products.csv");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn write_rows<W: Write + ?Sized>(out: &mut W, seed: u64, total: u64, k: usize, first: u64, rows: u64) -> Result<()> {
    let mut rng = Pcg64Mcg::new(u128::from(seed) << 64 | k as u128 | 1 << 62);
    let mut buffer = Vec::with_capacity(1 << 20);
    buffer.extend_from_slice(HEADER);
    let mut row = first;
    let end = first + rows;
    while row < end {
        let items = (1 + skewed(&mut rng, 5)).min(end - row);
        let position = (row as f64 / total.max(1) as f64 * DAYS as f64).clamp(0.0, DAYS as f64 - 1e-9);
        let day = FIRST_DAY + position as i64;
        let minute = 6 * 60 + (position.fract() * 17.0 * 60.0) as i64;
        let (year, month, date) = crate::formats::fields::civil_from_days(day);
        let time = format!("{year:04}-{month:02}-{date:02} {:02}:{:02}:{:02}", minute / 60, minute % 60, row % 60);
        let kiosk = format!("K{:03}", 1 + skewed(&mut rng, KIOSKS));
        let card = if rng.next_u64() % 100 < 15 {
            String::new()
        } else {
            format!("{:016x}", (skewed(&mut rng, CARDS) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        };
        for _ in 0..items {
            let (id, family) = product(skewed(&mut rng, PRODUCTS));
            writeln!(buffer, "{kiosk},{id},{card},{time},{family}")?;
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
