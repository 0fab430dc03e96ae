//! Synthetic invoice lines shaped like the UCI "Online Retail II" export: a UK gift
//! wholesaler's invoices from December 2009 to December 2010.
//!
//! - **A fixed shop.** Products (stock code, description, price) and customers (id,
//!   country) are functions of their index and a constant, never of the seed, so files
//!   generated with other seeds or sizes describe the same shop, as real new exports do.
//! - **The seed drives the invoices**: who buys, what, how many.
//! - **Time comes from the line's index.** Line `j` of `N` falls at the fraction `j / N`
//!   of the period, so every file is one contiguous slice of it, in time order, and
//!   files are written in parallel. An invoice's lines share its time, customer and
//!   country; an invoice never straddles two files, because each file starts its own.
//! - Invoice numbers are the index of the invoice's first line plus a constant: they
//!   grow with time and never repeat. About 2% of invoices are cancellations (`C` and
//!   negative quantities), about 20% are guests' (no customer id).

use std::io::Write;

use anyhow::Result;
use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

use super::{skewed, write_files, GenOptions, GenSummary};

const HEADER: &[u8] = b"Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n";

/// Fixes the shop; changing it changes every generated file.
const WORLD: u64 = 0x0E11_7E7A_1120_0912;
const PRODUCTS: u64 = 4_000;
const CUSTOMERS: u64 = 5_900;
/// 2009-12-01 and the days after it the export spans.
const FIRST_DAY: i64 = 14_579;
const DAYS: i64 = 396;
const FIRST_INVOICE: u64 = 489_434;

const COUNTRIES: [&str; 12] = [
    "Germany",
    "France",
    "EIRE",
    "Spain",
    "Netherlands",
    "Belgium",
    "Switzerland",
    "Portugal",
    "Australia",
    "Norway",
    "Channel Islands",
    "Italy",
];
const ADJECTIVES: [&str; 16] = [
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "VINTAGE",
    "REGENCY",
    "JUMBO",
    "SET OF 3",
    "RETRO",
    "WOODEN",
    "GLASS",
    "HEART",
    "PAPER",
    "ENAMEL",
    "FELTCRAFT",
    "CERAMIC",
];
const NOUNS: [&str; 16] = [
    "T-LIGHT HOLDER",
    "LANTERN",
    "CAKESTAND",
    "BAG",
    "MUG",
    "CANDLE",
    "DOORMAT",
    "BUNTING",
    "CLOCK",
    "TEACUP",
    "NAPKINS",
    "HOT WATER BOTTLE",
    "CUSHION COVER",
    "BOWL",
    "CHRISTMAS DECORATION",
    "LUNCH BOX",
];
const QUANTITIES: [i64; 10] = [1, 2, 3, 4, 6, 12, 12, 24, 48, 96];

pub fn generate_online_retail(opts: &GenOptions) -> Result<GenSummary> {
    write_files(opts, "lines", "csv", |out, k, first, rows| write_rows(out, opts.seed, opts.events, k, first, rows))
}

/// A product's row text from `StockCode` to `Price` is fixed: (code, description, price).
fn product(index: u64) -> (String, String, String) {
    let mut rng = Pcg64Mcg::new(u128::from(WORLD ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let code = match rng.next_u64() % 10 {
        0 => format!("{}{}", 20_000 + index, ["A", "B", "C"][(index % 3) as usize]),
        _ => format!("{}", 20_000 + index),
    };
    let adjective = ADJECTIVES[(rng.next_u64() % 16) as usize];
    let noun = NOUNS[(rng.next_u64() % 16) as usize];
    let description = match rng.next_u64() % 12 {
        // Some descriptions carry a comma, so the CSV must quote them.
        0 => format!("\"{adjective} {noun}, ASSORTED\""),
        _ => format!("{adjective} {noun} {}", index % 97),
    };
    // Mostly cheap gifts, a long tail up to a few hundred.
    let cents = match rng.next_u64() % 500 {
        0 => 5_000 + rng.next_u64() % 40_000,
        1..=60 => 500 + rng.next_u64() % 1_500,
        499 => 0,
        _ => 29 + rng.next_u64() % 470,
    };
    (code, description, format!("{}.{:02}", cents / 100, cents % 100))
}

/// A customer's id and country.
fn customer(index: u64) -> (String, &'static str) {
    let spread = index.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
    let country =
        if spread % 10 == 0 { COUNTRIES[(spread / 10 % COUNTRIES.len() as u64) as usize] } else { "United Kingdom" };
    (format!("{}", 12_346 + index), country)
}

/// The days the shop opens: every day but Saturday (1970-01-01 was a Thursday, so
/// day % 7 == 2 is a Saturday).
fn open_days() -> Vec<i64> {
    (FIRST_DAY..FIRST_DAY + DAYS).filter(|day| day.rem_euclid(7) != 2).collect()
}

/// `YYYY-MM-DD HH:MM:SS` at the fraction `at` of the open days, 07:00 to 20:00,
/// busiest around midday. Monotone in `at`, so a file's invoices come in time order.
fn invoice_time(at: f64, open: &[i64]) -> String {
    let position = (at * open.len() as f64).clamp(0.0, open.len() as f64 - 1e-9);
    let day = open[position as usize];
    let x = position.fract();
    let within = x + 0.12 * (2.0 * std::f64::consts::PI * x).sin() / std::f64::consts::PI;
    let minute_of_day = 7 * 60 + (within * 13.0 * 60.0) as i64;
    let (year, month, date) = crate::formats::fields::civil_from_days(day);
    format!("{year:04}-{month:02}-{date:02} {:02}:{:02}:00", minute_of_day / 60, minute_of_day % 60)
}

fn write_rows<W: Write + ?Sized>(out: &mut W, seed: u64, total: u64, k: usize, first: u64, rows: u64) -> Result<()> {
    let mut rng = Pcg64Mcg::new(u128::from(seed) << 64 | k as u128);
    let catalogue: Vec<(String, String, String)> = (0..PRODUCTS).map(product).collect();
    let open = open_days();
    let mut buffer = Vec::with_capacity(1 << 20);
    buffer.extend_from_slice(HEADER);
    let mut line = first;
    let end = first + rows;
    while line < end {
        let invoice_lines = (1 + skewed(&mut rng, 60) + rng.next_u64() % 3).min(end - line);
        let at = line as f64 / total.max(1) as f64;
        let time = invoice_time(at, &open);
        let cancelled = rng.next_u64() % 50 == 0;
        let guest = !cancelled && rng.next_u64() % 5 == 0;
        let (customer_id, country) = if guest {
            (String::new(), if rng.next_u64() % 10 == 0 { "France" } else { "United Kingdom" })
        } else {
            customer(skewed(&mut rng, CUSTOMERS))
        };
        let invoice = format!("{}{}", if cancelled { "C" } else { "" }, FIRST_INVOICE + line);
        for _ in 0..invoice_lines {
            let (code, description, price) = &catalogue[skewed(&mut rng, PRODUCTS) as usize];
            let mut quantity = QUANTITIES[skewed(&mut rng, QUANTITIES.len() as u64) as usize];
            if rng.next_u64() % 500 == 0 {
                quantity *= 10;
            }
            if cancelled {
                quantity = -quantity;
            }
            // Now and then a line of a named product comes without its description.
            let description = if rng.next_u64() % 200 == 0 { "" } else { description.as_str() };
            writeln!(buffer, "{invoice},{code},{description},{quantity},{time},{price},{customer_id},{country}")?;
            line += 1;
        }
        if buffer.len() > 1 << 20 {
            out.write_all(&buffer)?;
            buffer.clear();
        }
    }
    out.write_all(&buffer)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generate(dir: &std::path::Path, events: u64, files: usize, seed: u64) -> Vec<Vec<u8>> {
        let opts = GenOptions { events, seed, files, out: dir.to_path_buf(), gzip: false };
        let summary = generate_online_retail(&opts).unwrap();
        summary.files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    #[test]
    fn exact_rows_time_order_and_the_shape_of_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let files = generate(dir.path(), 30_001, 3, 7);
        let mut rows = 0;
        let (mut cancelled, mut guests, mut last_time) = (0, 0, String::new());
        let mut invoices_per_file: Vec<std::collections::BTreeSet<String>> = Vec::new();
        for bytes in &files {
            let mut reader = csv::Reader::from_reader(&bytes[..]);
            assert_eq!(
                reader.headers().unwrap().iter().collect::<Vec<_>>().join(","),
                "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
            );
            let mut invoices = std::collections::BTreeSet::new();
            for record in reader.records() {
                let record = record.unwrap();
                assert_eq!(record.len(), 8);
                rows += 1;
                cancelled += usize::from(record[0].starts_with('C'));
                guests += usize::from(record[6].is_empty());
                assert!(record[4] >= *last_time, "time order");
                last_time = record[4].to_string();
                invoices.insert(record[0].to_string());
            }
            invoices_per_file.push(invoices);
        }
        assert_eq!(rows, 30_001);
        assert!(cancelled > 100 && cancelled < 2_000, "{cancelled} cancelled lines");
        assert!(guests > 3_000 && guests < 10_000, "{guests} guest lines");
        assert!(invoices_per_file[0].is_disjoint(&invoices_per_file[1]), "an invoice stays in one file");
    }

    #[test]
    fn the_same_options_give_the_same_bytes() {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        assert_eq!(generate(a.path(), 5_000, 2, 1), generate(b.path(), 5_000, 2, 1));
        assert_ne!(generate(a.path(), 5_000, 2, 1), generate(c.path(), 5_000, 2, 2));
    }
}
