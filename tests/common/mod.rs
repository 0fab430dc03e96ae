//! A plain, single-threaded reference for the ten interaction reports of SPEC §4.1,
//! written from the contract alone (no cartflow code, no dataflow): read the rees46
//! files the way §2, §8 and §9 say, fold them into `BTreeMap`s, and print every report
//! as the exact text the program must write. Also: reading a cartflow output directory
//! into the same shape, and small helpers the integration tests share.
//!
//! Readings of the contract that this file follows (see also the test files):
//! - A row is rejected for: a field count unlike the header's; any field that is not
//!   UTF-8; an empty (after trimming) required field (event_time, event_type,
//!   product_id, price, user_id); a price that is not `[+-]?digits[.digits]`; a
//!   negative price (`-0.00`, any spelling of zero, is not negative); a time that is not
//!   one of the §2 forms or names an impossible date or clock time.
//! - Prices are rounded half away from zero to integer cents, and the price band is
//!   taken from the rounded cents (9.995 is 10.00, band `10-25`).
//! - Hour of day is the hour written in the timestamp (its local clock).
//! - Blank lines (empty, or a lone `\r`) are not rows but are counted as physical lines.
//! - A file is refused whole when rows > 0 and rejected / rows > max_reject_rate, or when
//!   it cannot be read (bad gzip, not UTF-8 header) or its header lacks a required column.
//! - Non-standard event types count as events everywhere (event_counts, top_categories,
//!   category_prices, the per-user interaction counts, sessions, and they make a group
//!   exist in price_bands, brand_funnel and hourly_activity), but never as a view, cart
//!   or purchase.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod sales;
pub mod techco;

/// The ten interaction reports, in SPEC order.
pub const REPORTS: [&str; 10] = [
    "event_counts",
    "top_categories",
    "category_prices",
    "price_bands",
    "user_preferences",
    "top_user_categories",
    "engaged_users",
    "brand_funnel",
    "hourly_activity",
    "session_summary",
];

/// The header row of each report (SPEC §4.1).
pub fn header(report: &str) -> &'static str {
    match report {
        "event_counts" => "event_type,events,users,sessions",
        "top_categories" => "category_id,category_code,interactions",
        "category_prices" => "category_code,events,avg_price,min_price,max_price",
        "price_bands" => "category_code,band,views,carts,purchases,revenue,purchase_rate",
        "user_preferences" => "user_id,category_code,brand,interactions,share",
        "top_user_categories" => "user_id,category_code,interactions",
        "engaged_users" => "category_code,brand,rank,user_id,interactions",
        "brand_funnel" => "brand,views,carts,purchases,revenue,cart_rate,purchase_rate,buyers",
        "hourly_activity" => "hour,views,carts,purchases,revenue",
        "session_summary" => "sessions,avg_events,cart_sessions,purchase_sessions,purchase_session_rate",
        "customers" => "customer_id,orders,units,revenue,first_order,last_order",
        "rfm" => "customer_id,recency_days,frequency,monetary,r,f,m,segment",
        other => panic!("unknown report {other}"),
    }
}

/// Leaderboard and per-group lengths (SPEC §1 defaults: 10 and 3).
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub top: usize,
    pub per_group: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { top: 10, per_group: 3 }
    }
}

pub const DEFAULT_MAX_REJECT_RATE: f64 = 0.05;

// ---------------------------------------------------------------------------------------
// Reading input (SPEC §2, §8, §9)
// ---------------------------------------------------------------------------------------

/// One accepted rees46 row, as an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The calendar date (year, month, day) written in event_time (its local clock).
    pub date: (i32, u32, u32),
    pub hour: u8,
    pub event_type: String,
    pub product_id: String,
    pub category_id: String,
    pub category_code: String,
    pub brand: String,
    pub price_cents: i64,
    pub user_id: String,
    pub session: String,
}

/// A rejected row: the 1-based physical line where the record starts, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub line: u64,
    pub reason: String,
}

/// What reading one file gave.
#[derive(Clone, Debug)]
pub struct FileResult {
    /// The file's name (last path component), as `_quality.csv` and `_rejects/` use it.
    pub name: String,
    /// Data rows (non-blank records after the header).
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Refused whole: unreadable, missing a required column, or too many bad rows.
    pub refused: bool,
    /// Every bad row (also of a file refused for its reject rate).
    pub rejects: Vec<Reject>,
    /// Accepted rows; empty when the file is refused.
    pub events: Vec<Event>,
}

const COLUMNS: [&str; 9] = [
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
];
const REQUIRED: [&str; 5] = ["event_time", "event_type", "product_id", "price", "user_id"];

/// The bytes of a file, gunzipped when its name ends in `.gz`.
fn file_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let raw = std::fs::read(path)?;
    if path.to_string_lossy().ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out)?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads one rees46 file by the contract. `max_reject_rate` decides refusal.
pub fn read_file(path: &Path, max_reject_rate: f64) -> FileResult {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut result =
        FileResult { name, rows: 0, accepted: 0, rejected: 0, refused: false, rejects: vec![], events: vec![] };
    let data = match file_bytes(path) {
        Ok(data) => data,
        Err(_) => {
            result.refused = true;
            return result;
        }
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&data[..]);
    let mut record = csv::ByteRecord::new();
    // The header: the first record.
    let columns: Option<BTreeMap<&str, usize>> = match reader.read_byte_record(&mut record) {
        Ok(true) => {
            let mut map = BTreeMap::new();
            let mut ok = true;
            for (i, field) in record.iter().enumerate() {
                match std::str::from_utf8(field) {
                    Ok(text) => {
                        let key = text.trim().to_ascii_lowercase();
                        if let Some(column) = COLUMNS.iter().find(|c| **c == key) {
                            map.entry(*column).or_insert(i);
                        }
                    }
                    Err(_) => ok = false,
                }
            }
            if ok && REQUIRED.iter().all(|c| map.contains_key(c)) {
                Some(map)
            } else {
                None
            }
        }
        _ => None,
    };
    let Some(columns) = columns else {
        result.refused = true;
        // Count the data rows anyway, so a refused file can show rejected = rows.
        while let Ok(true) = reader.read_byte_record(&mut record) {
            result.rows += 1;
        }
        result.rejected = result.rows;
        return result;
    };
    let width = record.len();
    let mut lines = LineCounter { at: 0, newlines: 0 };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                // Not CSV at all past this point: the file is unreadable.
                result.refused = true;
                break;
            }
        }
        result.rows += 1;
        let line = lines.line_at(&data, record.position().unwrap().byte() as usize);
        match parse_row(&record, width, &columns) {
            Ok(event) => {
                result.accepted += 1;
                result.events.push(event);
            }
            Err(reason) => {
                result.rejected += 1;
                result.rejects.push(Reject { line, reason });
            }
        }
    }
    let too_many = result.rows > 0 && (result.rejected as f64) / (result.rows as f64) > max_reject_rate;
    if result.refused || too_many {
        result.refused = true;
        result.accepted = 0;
        result.rejected = result.rows;
        result.events.clear();
    }
    result
}

/// Finds the 1-based physical line of each record from its start offset, counting `\n`
/// incrementally. The csv crate's `Position::line()` is not used: it gives the line of the
/// first blank line before a record rather than the record's own, and miscounts `\r\n`
/// files. Its byte offset can likewise point at the line ends before the record, so those
/// are stepped over here.
struct LineCounter {
    at: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, data: &[u8], start: usize) -> u64 {
        let mut at = start;
        while at < data.len() && (data[at] == b'\n' || data[at] == b'\r') {
            at += 1;
        }
        assert!(at >= self.at, "records come in order");
        self.newlines += data[self.at..at].iter().filter(|b| **b == b'\n').count() as u64;
        self.at = at;
        1 + self.newlines
    }
}

fn parse_row(record: &csv::ByteRecord, width: usize, columns: &BTreeMap<&str, usize>) -> Result<Event, String> {
    if record.len() != width {
        return Err(format!("expected {width} fields, found {}", record.len()));
    }
    let mut text = Vec::with_capacity(record.len());
    for field in record.iter() {
        match std::str::from_utf8(field) {
            Ok(t) => text.push(t.trim()),
            Err(_) => return Err("invalid UTF-8".into()),
        }
    }
    let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
    for name in REQUIRED {
        if get(name).is_empty() {
            return Err(format!("missing {name}"));
        }
    }
    let price_cents = parse_price(get("price"))?;
    let (date, hour) = parse_time(get("event_time")).ok_or_else(|| "unparsable time".to_string())?;
    Ok(Event {
        date,
        hour,
        event_type: get("event_type").to_string(),
        product_id: get("product_id").to_string(),
        category_id: get("category_id").to_string(),
        category_code: get("category_code").to_string(),
        brand: get("brand").to_string(),
        price_cents,
        user_id: get("user_id").to_string(),
        session: get("user_session").to_string(),
    })
}

/// `[+-]?digits[.digits]` to integer cents, rounded half away from zero; negative
/// prices are an error (zero with a minus sign is not negative).
pub fn parse_price(s: &str) -> Result<i64, String> {
    let bad = || Err(format!("unparsable price {s:?}"));
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return bad();
    }
    let frac = frac.unwrap_or("");
    let mut cents: i64 = 0;
    for b in int.bytes() {
        cents = match cents.checked_mul(10).and_then(|c| c.checked_add((b - b'0') as i64)) {
            Some(c) => c,
            None => return bad(),
        };
    }
    let f = frac.as_bytes();
    let digit = |i: usize| f.get(i).map_or(0, |b| (b - b'0') as i64);
    cents = match cents.checked_mul(100).and_then(|c| c.checked_add(digit(0) * 10 + digit(1))) {
        Some(c) => c,
        None => return bad(),
    };
    if digit(2) >= 5 {
        cents += 1;
    }
    let zero = int.bytes().chain(frac.bytes()).all(|b| b == b'0');
    if negative && !zero {
        return Err(format!("negative price {s:?}"));
    }
    Ok(cents)
}

fn num(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if s.len() < min_len || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn valid_date(y: u32, m: u32, d: u32) -> bool {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    d >= 1 && d <= days
}

/// `HH:MM[:SS[.fff]]` → hour, validating every part.
fn clock(s: &str, hour_len: (usize, usize)) -> Option<u8> {
    let mut parts = s.split(':');
    let h = num(parts.next()?, hour_len.0, hour_len.1)?;
    let m = num(parts.next()?, 2, 2)?;
    if let Some(sec) = parts.next() {
        let (whole, frac) = match sec.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (sec, None),
        };
        let s = num(whole, 2, 2)?;
        if s > 59 || frac.is_some_and(|f| num(f, 1, 9).is_none()) {
            return None;
        }
    }
    if parts.next().is_some() || h > 23 || m > 59 {
        return None;
    }
    Some(h as u8)
}

/// The hour of day of a §2 timestamp on its own (written) clock, or None if it is not
/// one of: `2019-10-01 00:00:07 UTC`, ISO 8601 with or without offset (`T` or space,
/// optional seconds and fraction, `Z` or `±HH:MM`/`±HHMM`/`±HH`), `2010-12-01 08:26:00`,
/// `12/1/2010 8:26`, `20100112`.
pub fn parse_hour(s: &str) -> Option<u8> {
    parse_time(s).map(|(_, hour)| hour)
}

/// The calendar date (year, month, day) and hour of day of a §2 timestamp, both as
/// written (its local clock; an offset is checked but not applied); None as for
/// `parse_hour`. A date-only timestamp has hour 0.
pub fn parse_time(s: &str) -> Option<((i32, u32, u32), u8)> {
    let s = s.trim();
    // 20100112
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (num(&s[0..4], 4, 4)?, num(&s[4..6], 2, 2)?, num(&s[6..8], 2, 2)?);
        return valid_date(y, m, d).then_some(((y as i32, m, d), 0));
    }
    // 12/1/2010 8:26
    if s.contains('/') {
        let (date, time) = s.split_once(' ')?;
        let mut p = date.split('/');
        let (m, d, y) = (num(p.next()?, 1, 2)?, num(p.next()?, 1, 2)?, num(p.next()?, 4, 4)?);
        if p.next().is_some() || !valid_date(y, m, d) {
            return None;
        }
        return clock(time.trim(), (1, 2)).map(|h| ((y as i32, m, d), h));
    }
    // ISO-ish: YYYY-MM-DD[(T| )HH:MM[:SS[.f]][zone]]
    if s.len() < 10 || !s.is_char_boundary(10) {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(&date[0..4], 4, 4)?, num(&date[5..7], 2, 2)?, num(&date[8..10], 2, 2)?);
    if !valid_date(y, m, d) {
        return None;
    }
    if rest.is_empty() {
        return Some(((y as i32, m, d), 0));
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    // Split the zone off the clock.
    let (time, zone) = if let Some(t) = rest.strip_suffix(" UTC") {
        (t, "")
    } else if let Some(t) = rest.strip_suffix('Z') {
        (t, "")
    } else if let Some(i) = rest.find(['+', '-']) {
        (&rest[..i], &rest[i..])
    } else {
        (rest, "")
    };
    if !zone.is_empty() {
        let z = &zone[1..];
        let (zh, zm) = match z.split_once(':') {
            Some((h, m)) => (num(h, 2, 2)?, num(m, 2, 2)?),
            None if z.len() == 4 => (num(&z[0..2], 2, 2)?, num(&z[2..4], 2, 2)?),
            None => (num(z, 2, 2)?, 0),
        };
        if zh > 23 || zm > 59 {
            return None;
        }
    }
    clock(time, (2, 2)).map(|h| ((y as i32, m, d), h))
}

/// Input files as `run --input DIR` takes them: the regular files directly in DIR,
/// except names starting with `.` or `_` or ending in `.tmp`/`.part`; sorted by name.
pub fn dir_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !(n.starts_with('.') || n.starts_with('_') || n.ends_with(".tmp") || n.ends_with(".part"))
        })
        .collect();
    files.sort();
    files
}

/// Reads every file; the events of files that are not refused, in file order.
pub fn load(files: &[PathBuf], max_reject_rate: f64) -> (Vec<FileResult>, Vec<Event>) {
    let mut results: Vec<FileResult> = files.iter().map(|f| read_file(f, max_reject_rate)).collect();
    let events = results.iter_mut().flat_map(|r| std::mem::take(&mut r.events)).collect();
    results.sort_by(|a, b| a.name.cmp(&b.name));
    (results, events)
}

/// The expected text of every report for these input files.
pub fn expected(files: &[PathBuf], params: Params, max_reject_rate: f64) -> BTreeMap<String, String> {
    let (_, events) = load(files, max_reject_rate);
    reports(&events, params)
}

// ---------------------------------------------------------------------------------------
// Numbers as printed (SPEC §4, §9)
// ---------------------------------------------------------------------------------------

/// Integer cents as money with exactly two decimals.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// n / d (both ≥ 0) rounded half away from zero to `decimals` places; empty when d = 0.
pub fn ratio(n: u128, d: u128, decimals: u32) -> String {
    if d == 0 {
        return String::new();
    }
    let scale = 10u128.pow(decimals);
    let scaled = (2 * n * scale + d) / (2 * d);
    if decimals == 0 {
        return scaled.to_string();
    }
    format!("{}.{:0width$}", scaled / scale, scaled % scale, width = decimals as usize)
}

/// n / d (d > 0, n ≥ 0) rounded half away from zero to an integer.
fn div_round(n: i128, d: i128) -> i64 {
    ((2 * n + d) / (2 * d)) as i64
}

/// The price band of a price in cents (lower bound included).
pub fn band(cents: i64) -> (usize, &'static str) {
    const BANDS: [(i64, &str); 8] = [
        (1_000, "0-10"),
        (2_500, "10-25"),
        (5_000, "25-50"),
        (10_000, "50-100"),
        (25_000, "100-250"),
        (50_000, "250-500"),
        (100_000, "500-1000"),
        (i64::MAX, "1000+"),
    ];
    let i = BANDS.iter().position(|(upper, _)| cents < *upper).unwrap();
    (i, BANDS[i].1)
}

/// Rows as CSV text: header, then each row, RFC 4180 quoting only where needed, `\n`.
pub fn csv_text(header: &str, rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    for row in rows {
        w.write_record(row).unwrap();
    }
    format!("{header}\n{}", String::from_utf8(w.into_inner().unwrap()).unwrap())
}

// ---------------------------------------------------------------------------------------
// The ten reports (SPEC §4.1)
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Funnel {
    views: u64,
    carts: u64,
    purchases: u64,
    revenue: i64,
}

impl Funnel {
    fn add(&mut self, e: &Event) {
        match e.event_type.as_str() {
            "view" => self.views += 1,
            "cart" => self.carts += 1,
            "purchase" => {
                self.purchases += 1;
                self.revenue += e.price_cents;
            }
            _ => {}
        }
    }
}

fn s<T: ToString>(v: T) -> String {
    v.to_string()
}

/// Every report's expected text for these accepted events.
pub fn reports(events: &[Event], params: Params) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |name: &str, rows: Vec<Vec<String>>| {
        out.insert(name.to_string(), csv_text(header(name), &rows));
    };

    // event_counts: per type and `all`; `all` sorts among the types by its bytes.
    {
        let mut by: BTreeMap<&str, (u64, BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for e in events {
            for key in [e.event_type.as_str(), "all"] {
                let g = by.entry(key).or_default();
                g.0 += 1;
                g.1.insert(&e.user_id);
                g.2.insert(&e.session);
            }
        }
        put("event_counts", by.iter().map(|(t, g)| vec![s(t), s(g.0), s(g.1.len()), s(g.2.len())]).collect());
    }

    // top_categories: per (category_id, category_code); interactions desc, then id, code.
    {
        let mut by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for e in events {
            *by.entry((&e.category_id, &e.category_code)).or_default() += 1;
        }
        let mut rows: Vec<_> = by.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.truncate(params.top);
        put("top_categories", rows.iter().map(|((id, code), n)| vec![s(id), s(code), s(n)]).collect());
    }

    // category_prices: per code; printed avg (cents) desc, then code.
    {
        let mut by: BTreeMap<&str, (u64, i64, i64, i64)> = BTreeMap::new();
        for e in events {
            let g = by.entry(&e.category_code).or_insert((0, 0, i64::MAX, i64::MIN));
            g.0 += 1;
            g.1 += e.price_cents;
            g.2 = g.2.min(e.price_cents);
            g.3 = g.3.max(e.price_cents);
        }
        let mut rows: Vec<_> = by
            .into_iter()
            .map(|(code, (n, sum, lo, hi))| (div_round(sum as i128, n as i128), code, n, lo, hi))
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        put(
            "category_prices",
            rows.iter()
                .map(|(avg, code, n, lo, hi)| vec![s(code), s(n), money(*avg), money(*lo), money(*hi)])
                .collect(),
        );
    }

    // price_bands: per (code, band) with any event; code, then band's lower bound.
    {
        let mut by: BTreeMap<(&str, usize), Funnel> = BTreeMap::new();
        for e in events {
            by.entry((&e.category_code, band(e.price_cents).0)).or_default().add(e);
        }
        let names = ["0-10", "10-25", "25-50", "50-100", "100-250", "250-500", "500-1000", "1000+"];
        put(
            "price_bands",
            by.iter()
                .map(|((code, b), f)| {
                    vec![
                        s(code),
                        s(names[*b]),
                        s(f.views),
                        s(f.carts),
                        s(f.purchases),
                        money(f.revenue),
                        ratio(f.purchases as u128, f.views as u128, 6),
                    ]
                })
                .collect(),
        );
    }

    // Per (user, code, brand) counts, used by user_preferences and engaged_users.
    let mut user_pairs: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
    for e in events {
        *user_pairs.entry((&e.user_id, &e.category_code, &e.brand)).or_default() += 1;
    }

    // user_preferences: each user's top (code, brand) pair over events where code and
    // brand are not both empty; ties: the smallest pair; share = pair / user's total.
    {
        type Best<'a> = Option<(u64, &'a str, &'a str)>;
        let mut per_user: BTreeMap<&str, (u64, Best)> = BTreeMap::new();
        for ((user, code, brand), n) in &user_pairs {
            if code.is_empty() && brand.is_empty() {
                continue;
            }
            let g = per_user.entry(user).or_insert((0, None));
            g.0 += n;
            // Pairs come in ascending (code, brand) order, so a strictly larger count wins.
            if g.1.is_none_or(|(best, _, _)| *n > best) {
                g.1 = Some((*n, code, brand));
            }
        }
        put(
            "user_preferences",
            per_user
                .iter()
                .map(|(user, (total, best))| {
                    let (n, code, brand) = best.unwrap();
                    vec![s(user), s(code), s(brand), s(n), ratio(n as u128, *total as u128, 6)]
                })
                .collect(),
        );
    }

    // top_user_categories: per (user, code); interactions desc, then user, code.
    {
        let mut by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for e in events {
            *by.entry((&e.user_id, &e.category_code)).or_default() += 1;
        }
        let mut rows: Vec<_> = by.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.truncate(params.top);
        put("top_user_categories", rows.iter().map(|((u, code), n)| vec![s(u), s(code), s(n)]).collect());
    }

    // engaged_users: per (code, non-empty brand), users by events desc, ties user_id.
    {
        let mut groups: BTreeMap<(&str, &str), Vec<(u64, &str)>> = BTreeMap::new();
        for ((user, code, brand), n) in &user_pairs {
            if !brand.is_empty() {
                groups.entry((code, brand)).or_default().push((*n, user));
            }
        }
        let mut rows = vec![];
        for ((code, brand), mut users) in groups {
            users.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            for (i, (n, user)) in users.iter().take(params.per_group).enumerate() {
                rows.push(vec![s(code), s(brand), s(i + 1), s(user), s(n)]);
            }
        }
        put("engaged_users", rows);
    }

    // brand_funnel: per non-empty brand (with any event); revenue desc, then brand.
    {
        let mut by: BTreeMap<&str, (Funnel, BTreeSet<&str>)> = BTreeMap::new();
        for e in events {
            if e.brand.is_empty() {
                continue;
            }
            let g = by.entry(&e.brand).or_default();
            g.0.add(e);
            if e.event_type == "purchase" {
                g.1.insert(&e.user_id);
            }
        }
        let mut rows: Vec<_> = by.into_iter().collect();
        rows.sort_by(|a, b| b.1 .0.revenue.cmp(&a.1 .0.revenue).then(a.0.cmp(b.0)));
        put(
            "brand_funnel",
            rows.iter()
                .map(|(brand, (f, buyers))| {
                    vec![
                        s(brand),
                        s(f.views),
                        s(f.carts),
                        s(f.purchases),
                        money(f.revenue),
                        ratio(f.carts as u128, f.views as u128, 6),
                        ratio(f.purchases as u128, f.views as u128, 6),
                        s(buyers.len()),
                    ]
                })
                .collect(),
        );
    }

    // hourly_activity: per hour with any event.
    {
        let mut by: BTreeMap<u8, Funnel> = BTreeMap::new();
        for e in events {
            by.entry(e.hour).or_default().add(e);
        }
        put(
            "hourly_activity",
            by.iter().map(|(h, f)| vec![s(h), s(f.views), s(f.carts), s(f.purchases), money(f.revenue)]).collect(),
        );
    }

    // session_summary: one row over distinct session ids (the empty id included).
    {
        let mut sessions: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
        for e in events {
            let g = sessions.entry(&e.session).or_default();
            g.0 |= e.event_type == "cart";
            g.1 |= e.event_type == "purchase";
        }
        let n = sessions.len() as u128;
        let carts = sessions.values().filter(|g| g.0).count();
        let purchases = sessions.values().filter(|g| g.1).count() as u128;
        put(
            "session_summary",
            vec![vec![s(n), ratio(events.len() as u128, n, 2), s(carts), s(purchases), ratio(purchases, n, 6)]],
        );
    }

    out
}

// ---------------------------------------------------------------------------------------
// Reading cartflow's output (SPEC §5)
// ---------------------------------------------------------------------------------------

/// Every report of an output directory as text. A report that is missing or malformed
/// shows as a line starting `<<` that can never equal expected text.
pub fn read_output(out: &Path) -> BTreeMap<String, String> {
    REPORTS
        .iter()
        .map(|r| {
            let text = if *r == "user_preferences" {
                read_parts(out, r).unwrap_or_else(|e| format!("<<{e}>>\n"))
            } else {
                let path = out.join(format!("{r}.csv"));
                std::fs::read_to_string(&path).unwrap_or_else(|e| format!("<<cannot read {}: {e}>>\n", path.display()))
            };
            (r.to_string(), text)
        })
        .collect()
}

/// Every report an output directory holds, whatever its source: each `<report>.csv`,
/// and each per-entity report's parts merged (`read_parts`), keyed by report name.
pub fn read_every_report(out: &Path) -> BTreeMap<String, String> {
    let mut reports = BTreeMap::new();
    for entry in std::fs::read_dir(out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('_') || name == "changes" {
            continue;
        }
        if path.is_dir() {
            reports.insert(name.clone(), read_parts(out, &name).unwrap_or_else(|e| format!("<<{e}>>\n")));
        } else if let Some(report) = name.strip_suffix(".csv") {
            reports.insert(report.to_string(), std::fs::read_to_string(&path).unwrap());
        }
    }
    reports
}

/// A per-entity report: `OUT/<report>/part-*.csv`, each with its header and sorted by its
/// first column; their rows merged by that column under one header, bytes as written.
pub fn read_parts(out: &Path, report: &str) -> Result<String, String> {
    if out.join(format!("{report}.csv")).exists() {
        return Err(format!("{report}.csv exists beside the per-entity {report}/ parts"));
    }
    let dir = out.join(report);
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("part-") && n.ends_with(".csv")
        })
        .collect();
    parts.sort();
    if parts.is_empty() {
        return Err(format!("no part-*.csv in {}", dir.display()));
    }
    let mut rows: Vec<(String, String)> = vec![];
    for part in &parts {
        let text = std::fs::read_to_string(part).map_err(|e| format!("cannot read {}: {e}", part.display()))?;
        let first_line = text.split('\n').next().unwrap_or("");
        if first_line != header(report) || !text.contains('\n') {
            return Err(format!("{}: header is {first_line:?}, expected {:?}", part.display(), header(report)));
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let mut starts = vec![];
        let mut keys = vec![];
        for record in reader.records() {
            let record = record.map_err(|e| format!("{}: {e}", part.display()))?;
            starts.push(record.position().unwrap().byte() as usize);
            keys.push(record.get(0).unwrap_or("").to_string());
        }
        for i in 1..keys.len() {
            if keys[i - 1] > keys[i] {
                return Err(format!(
                    "{} is not sorted by its first column: {:?} before {:?}",
                    part.display(),
                    keys[i - 1],
                    keys[i]
                ));
            }
        }
        for (i, key) in keys.into_iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            rows.push((key, text[starts[i]..end].to_string()));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = format!("{}\n", header(report));
    for (_, raw) in rows {
        text.push_str(&raw);
    }
    Ok(text)
}

/// A precise account of every report that differs, or None.
pub fn report_differences(
    expected: &BTreeMap<String, String>,
    got: &BTreeMap<String, String>,
    context: &str,
) -> Option<String> {
    let mut problems = vec![];
    for (report, want) in expected {
        let have = got.get(report).map(String::as_str).unwrap_or("<<missing>>\n");
        if want != have {
            problems.push(describe_diff(report, want, have));
        }
    }
    (!problems.is_empty()).then(|| {
        format!("{context}: {} report(s) differ from the reference\n\n{}", problems.len(), problems.join("\n"))
    })
}

/// Panics with a precise account of every report that differs.
pub fn assert_reports_eq(expected: &BTreeMap<String, String>, got: &BTreeMap<String, String>, context: &str) {
    if let Some(problems) = report_differences(expected, got, context) {
        panic!("{problems}");
    }
}

/// Collects failed checks so one test run reports all of them, then fails at the end.
#[derive(Default)]
pub struct Soft(Vec<String>);

impl Soft {
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    pub fn eq<T: PartialEq + std::fmt::Debug>(&mut self, got: T, want: T, what: &str) {
        if got != want {
            self.0.push(format!("{what}\n   expected {want:?}\n        got {got:?}"));
        }
    }

    pub fn reports(&mut self, expected: &BTreeMap<String, String>, got: &BTreeMap<String, String>, context: &str) {
        if let Some(problems) = report_differences(expected, got, context) {
            self.0.push(problems);
        }
    }

    pub fn finish(self) {
        if !self.0.is_empty() {
            panic!("{} check(s) failed:\n\n{}", self.0.len(), self.0.join("\n\n"));
        }
    }
}

/// The first lines where two texts differ, with some context.
pub fn describe_diff(report: &str, want: &str, have: &str) -> String {
    let w: Vec<&str> = want.split('\n').collect();
    let h: Vec<&str> = have.split('\n').collect();
    let mut out = format!("== {report}: expected {} lines, got {} lines\n", w.len() - 1, h.len() - 1);
    let mut shown = 0;
    for i in 0..w.len().max(h.len()) {
        let (a, b) = (w.get(i), h.get(i));
        if a != b {
            out.push_str(&format!(
                "   line {}:\n      expected {:?}\n      got      {:?}\n",
                i + 1,
                a.copied().unwrap_or("<none>"),
                b.copied().unwrap_or("<none>"),
            ));
            shown += 1;
            if shown == 8 {
                out.push_str("   ...\n");
                break;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Running the program and reading its side files
// ---------------------------------------------------------------------------------------

pub fn cartflow_bin() -> &'static str {
    env!("CARGO_BIN_EXE_cartflow")
}

/// Writes `contents` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// Asserts that a reference report is `body` under its header (clickstream or sales).
pub fn check(got: &BTreeMap<String, String>, report: &str, body: &str) {
    let head = if REPORTS.contains(&report) { header(report) } else { sales::sales_header(report) };
    let want = format!("{head}\n{body}");
    assert_eq!(got[report], want, "reference for {report}:\n{}", describe_diff(report, &want, &got[report]));
}

/// The line numbers of a file's rejected rows.
pub fn reject_lines(r: &FileResult) -> Vec<u64> {
    r.rejects.iter().map(|r| r.line).collect()
}

/// Runs cartflow with these arguments; returns its output (any exit status).
pub fn cartflow(args: &[&str]) -> Output {
    Command::new(cartflow_bin()).args(args).output().expect("cartflow runs")
}

/// Runs cartflow and insists on exit 0.
pub fn cartflow_ok(args: &[&str]) -> Output {
    let out = cartflow(args);
    assert!(
        out.status.success(),
        "cartflow {} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        args.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `cartflow run --input INPUT --format rees46 --out OUT` plus extra arguments.
pub fn run_reports(input: &[&Path], out: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["run".into(), "--input".into()];
    args.extend(input.iter().map(|p| p.display().to_string()));
    args.extend(["--format", "rees46", "--out"].map(String::from));
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    cartflow_ok(&refs)
}

/// One row of `_quality.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quality {
    pub file: String,
    pub rows: u64,
    pub accepted: u64,
    pub rejected: u64,
}

/// `OUT/_quality.csv`, checking its header and that its numbers parse.
pub fn read_quality(out: &Path) -> Vec<Quality> {
    let path = out.join("_quality.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        text.starts_with("file,rows,accepted,rejected,reason_counts\n"),
        "_quality.csv header: {:?}",
        text.lines().next()
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.expect("_quality.csv is CSV");
            let n =
                |i: usize| r[i].parse::<u64>().unwrap_or_else(|_| panic!("_quality.csv: {:?} is not a count", &r[i]));
            Quality { file: r[0].to_string(), rows: n(1), accepted: n(2), rejected: n(3) }
        })
        .collect()
}

/// The quality rows the reference expects, sorted by file name.
pub fn expected_quality(results: &[FileResult]) -> Vec<Quality> {
    let mut q: Vec<Quality> = results
        .iter()
        .map(|r| Quality { file: r.name.clone(), rows: r.rows, accepted: r.accepted, rejected: r.rejected })
        .collect();
    q.sort_by(|a, b| a.file.cmp(&b.file));
    q
}

/// One row of `_rejects/<file>.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectRow {
    pub line: u64,
    pub reason: String,
    pub raw: String,
}

/// `OUT/_rejects/<name>.csv`, or None when it does not exist.
pub fn read_rejects(out: &Path, file_name: &str) -> Option<Vec<RejectRow>> {
    let path = out.join("_rejects").join(format!("{file_name}.csv"));
    let bytes = std::fs::read(&path).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.starts_with("line,reason,raw\n"), "{}: header {:?}", path.display(), text.lines().next());
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    Some(
        reader
            .records()
            .map(|r| {
                let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(r.len(), 3, "{}: row {:?}", path.display(), r);
                RejectRow {
                    line: r[0].parse().unwrap_or_else(|_| panic!("{}: line {:?}", path.display(), &r[0])),
                    reason: r[1].to_string(),
                    raw: r[2].to_string(),
                }
            })
            .collect(),
    )
}

/// Writes `bytes` gzip-compressed to `path`.
pub fn write_gz(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(path).unwrap(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap();
}

/// `cartflow gen --format rees46 --events N --seed S --files K --out DIR`.
pub fn generate(dir: &Path, events: u64, seed: u64, files: usize) {
    cartflow_ok(&[
        "gen",
        "--format",
        "rees46",
        "--events",
        &events.to_string(),
        "--seed",
        &seed.to_string(),
        "--files",
        &files.to_string(),
        "--out",
        &dir.display().to_string(),
    ]);
}
