//! A plain, single-threaded reference for the `techco` source (SPEC §2, §3, §8, §9),
//! written from the contract alone: read the web logs and the product dimension the way
//! the contract says, turn every accepted log into an interaction (`super::Event`) and
//! every `purchase` log into an order line (`super::sales::Line`), and hand them to the
//! existing references (`super::reports`, `super::sales::sales_reports`). Nothing here
//! computes a report.
//!
//! Readings of the contract that this file follows:
//! - A log file is JSON lines, or, when its first non-whitespace byte (after an optional
//!   UTF-8 BOM) is `[`, one JSON array whose elements are the rows. In JSON lines every
//!   physical line that is not empty after trimming whitespace is a row; in an array every
//!   element is. A row's `line` is the 1-based physical line where it starts.
//! - A row is rejected when it is not a JSON object (a line that is not JSON, or is JSON
//!   with trailing text; an array; a number or string), or when any of its values (of any
//!   key, known or not) is an array or an object. Only the keys `log_id, customer_id,
//!   product_id, quantity, action, timestamp` are read, exactly as spelled; others are
//!   ignored. An absent key is null.
//! - A value as text: a string trimmed; a boolean `true`/`false`; an integer in decimal;
//!   any other number as Rust prints an f64 with `{}` (so `1.0` is `1`, `2.5` is `2.5`);
//!   null is empty.
//! - Required (empty rejects the row): log_id, action, timestamp. timestamp is a §2 time
//!   (`super::parse_time`). quantity: empty means 1, else `[+-]?digits` with at most 12
//!   digits. It is checked on every log, not only on purchases.
//! - An array that is not well-formed JSON (an element that does not parse, a missing
//!   comma or `]`, a trailing comma, text after `]`) makes the file unreadable: refused
//!   whole, like an unreadable CSV. A bad gzip stream likewise.
//! - The reject rate refuses a file as for the other readers: rows > 0 and rejected /
//!   rows > max_reject_rate; then accepted = 0, rejected = rows, nothing of it applied.
//!   `FileResult::events` stays empty: the events and lines are returned beside it.
//! - Product dimension files (`product_data.csv`): CSV, header matched by name (trimmed,
//!   case-insensitive, a UTF-8 BOM stripped); a file without a product_id column, or that
//!   cannot be read, gives nothing. A row is left out for a field count unlike the
//!   header's, a field that is not UTF-8, an empty product_id, or a price that is not a
//!   plain decimal or is negative (`super::parse_price`); an empty price is no price. Later
//!   rows (and later files) replace earlier rows of the same id. No reject rate applies.
//! - Each accepted log: event_type = action, user = customer_id, session = "" (every log),
//!   product = product_id, category_id = "", category_code = the dimension's category
//!   (else ""), brand = "", price = the dimension's price (else 0), date and hour as written.
//! - A log whose action is exactly `purchase` is also a line: order = log_id, customer =
//!   customer_id, product = product_id, name = the dimension's product_name, category and
//!   unit price as for the event, quantity, online, no discount/location/payment/agent.
//!   `sales.rs` has no product dimension of its own: it shows the most frequent non-empty
//!   name on a product's lines, and since every line of a product carries the same
//!   dimension name, that is the dimension's name.
//! - techco yields exactly the rees46 set of sales reports; `sales.rs` has no techco
//!   source, so `SalesSource::Rees46` selects them.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::sales::{parse_quantity, sales_reports, Line, SalesSource};
use super::{parse_price, parse_time, reports, Event, FileResult, Params, Reject};

/// Product id → (product_name, category, price in cents if the dimension gives one).
pub type ProductDimension = BTreeMap<String, (String, String, Option<i64>)>;

/// The keys of a techco log that cartflow reads.
pub const TECHCO_KEYS: [&str; 6] = ["log_id", "customer_id", "product_id", "quantity", "action", "timestamp"];

// ---------------------------------------------------------------------------------------
// The product dimension
// ---------------------------------------------------------------------------------------

/// Reads product dimension files (`product_id,product_name,category,price`) in order; a
/// later row of the same id replaces an earlier one.
pub fn read_techco_products(paths: &[PathBuf]) -> ProductDimension {
    let mut out = ProductDimension::new();
    for path in paths {
        read_products_into(path, &mut out);
    }
    out
}

fn read_products_into(path: &Path, out: &mut ProductDimension) {
    let Ok(data) = super::file_bytes(path) else { return };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&data[..]);
    let mut record = csv::ByteRecord::new();
    let mut columns: BTreeMap<&str, usize> = BTreeMap::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {
            for (i, field) in record.iter().enumerate() {
                let field = if i == 0 { field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field) } else { field };
                let Ok(text) = std::str::from_utf8(field) else { return };
                let key = text.trim().to_lowercase();
                if let Some(c) = ["product_id", "product_name", "category", "price"].into_iter().find(|c| *c == key) {
                    columns.entry(c).or_insert(i);
                }
            }
        }
        _ => return,
    }
    if !columns.contains_key("product_id") {
        return;
    }
    let width = record.len();
    while let Ok(true) = reader.read_byte_record(&mut record) {
        if record.len() != width {
            continue;
        }
        let Ok(text) = record.iter().map(|f| std::str::from_utf8(f).map(str::trim)).collect::<Result<Vec<_>, _>>()
        else {
            continue;
        };
        let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
        let id = get("product_id");
        if id.is_empty() {
            continue;
        }
        let price = match get("price") {
            "" => None,
            p => match parse_price(p) {
                Ok(cents) => Some(cents),
                Err(_) => continue,
            },
        };
        out.insert(id.to_string(), (get("product_name").to_string(), get("category").to_string(), price));
    }
}

// ---------------------------------------------------------------------------------------
// The web logs
// ---------------------------------------------------------------------------------------

/// Reads one techco log file by the contract: its quality figures and rejects, and the
/// interactions and order lines of its accepted logs (none when the file is refused).
pub fn read_techco(
    path: &Path,
    max_reject_rate: f64,
    dimension: &ProductDimension,
) -> (FileResult, Vec<Event>, Vec<Line>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut result =
        FileResult { name, rows: 0, accepted: 0, rejected: 0, refused: false, rejects: vec![], events: vec![] };
    let mut events = vec![];
    let mut lines = vec![];
    let data = match super::file_bytes(path) {
        Ok(data) => data,
        Err(_) => {
            result.refused = true;
            return (result, events, lines);
        }
    };
    // The BOM is replaced by spaces so that byte offsets stay those of the file.
    let mut data = data;
    if data.starts_with(b"\xEF\xBB\xBF") {
        data[..3].copy_from_slice(b"   ");
    }
    let mut take = |result: &mut FileResult, line: u64, row: Result<(Event, Option<Line>), String>| {
        result.rows += 1;
        match row {
            Ok((event, line)) => {
                result.accepted += 1;
                events.push(event);
                lines.extend(line);
            }
            Err(reason) => {
                result.rejected += 1;
                result.rejects.push(Reject { line, reason });
            }
        }
    };
    let first = data.iter().position(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|i| data[i] == b'[') {
        // One JSON array: each element is a row, starting where its first byte is.
        let mut at = first.unwrap() + 1;
        let line_of = |at: usize| 1 + data[..at].iter().filter(|b| **b == b'\n').count() as u64;
        let skip_ws = |mut at: usize| {
            while at < data.len() && data[at].is_ascii_whitespace() {
                at += 1;
            }
            at
        };
        at = skip_ws(at);
        let mut well_formed = false;
        if data.get(at) == Some(&b']') {
            at += 1;
            well_formed = true;
        } else {
            loop {
                let mut stream = serde_json::Deserializer::from_slice(&data[at..]).into_iter::<Value>();
                let value = match stream.next() {
                    Some(Ok(value)) => value,
                    _ => break,
                };
                let end = at + stream.byte_offset();
                take(&mut result, line_of(at), log_row(&value, dimension));
                at = skip_ws(end);
                match data.get(at) {
                    Some(b',') => at = skip_ws(at + 1),
                    Some(b']') => {
                        at += 1;
                        well_formed = true;
                        break;
                    }
                    _ => break,
                }
            }
        }
        if !well_formed || skip_ws(at) != data.len() {
            result.refused = true;
        }
    } else {
        // JSON lines: each non-blank physical line is a row.
        for (i, raw) in data.split(|b| *b == b'\n').enumerate() {
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let row = match serde_json::from_slice::<Value>(raw) {
                Ok(value) => log_row(&value, dimension),
                Err(_) => Err("not JSON".to_string()),
            };
            take(&mut result, i as u64 + 1, row);
        }
    }
    let too_many = result.rows > 0 && (result.rejected as f64) / (result.rows as f64) > max_reject_rate;
    if result.refused || too_many {
        result.refused = true;
        result.accepted = 0;
        result.rejected = result.rows;
        events.clear();
        lines.clear();
    }
    (result, events, lines)
}

/// A scalar JSON value as text (None for an array or object).
fn value_text(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                format!("{}", n.as_f64().unwrap())
            }
        }
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// One log row: its interaction, and its order line when the action is `purchase`.
fn log_row(value: &Value, dimension: &ProductDimension) -> Result<(Event, Option<Line>), String> {
    let Value::Object(map) = value else {
        return Err("not a JSON object".to_string());
    };
    let mut text: BTreeMap<&str, String> = BTreeMap::new();
    for (key, v) in map {
        let t = value_text(v).ok_or_else(|| format!("{key} is not a string, number, boolean or null"))?;
        if let Some(k) = TECHCO_KEYS.iter().find(|k| **k == key.as_str()) {
            text.insert(*k, t);
        }
    }
    let get = |key: &str| text.get(key).map_or("", String::as_str);
    for key in ["log_id", "action", "timestamp"] {
        if get(key).is_empty() {
            return Err(format!("missing {key}"));
        }
    }
    let (date, hour) = parse_time(get("timestamp")).ok_or_else(|| "unparsable time".to_string())?;
    let quantity = match get("quantity") {
        "" => 1,
        q => {
            let digits = q.strip_prefix(['+', '-']).unwrap_or(q);
            if digits.len() > 12 {
                return Err(format!("unparsable quantity {q:?}"));
            }
            parse_quantity(q)?
        }
    };
    let product = get("product_id");
    let (name, category, price) = match dimension.get(product) {
        Some((name, category, price)) => (name.as_str(), category.as_str(), price.unwrap_or(0)),
        None => ("", "", 0),
    };
    let event = Event {
        date,
        hour,
        event_type: get("action").to_string(),
        product_id: product.to_string(),
        category_id: String::new(),
        category_code: category.to_string(),
        brand: String::new(),
        price_cents: price,
        user_id: get("customer_id").to_string(),
        session: String::new(),
    };
    let line = (get("action") == "purchase").then(|| Line {
        date,
        hour: hour as u32,
        order: get("log_id").to_string(),
        cancelled: false,
        customer: get("customer_id").to_string(),
        product: product.to_string(),
        name: name.to_string(),
        category: category.to_string(),
        quantity,
        unit_cents: price,
        discount_pct: 0,
        location: String::new(),
        online: true,
        payment_method: String::new(),
        agent: String::new(),
    });
    Ok((event, line))
}

/// Reads every log file against one dimension: the file results sorted by name, and the
/// events and lines of files that are not refused, in file order.
pub fn load_techco(
    files: &[PathBuf],
    max_reject_rate: f64,
    dimension: &ProductDimension,
) -> (Vec<FileResult>, Vec<Event>, Vec<Line>) {
    let mut results = vec![];
    let mut events = vec![];
    let mut lines = vec![];
    for f in files {
        let (r, e, l) = read_techco(f, max_reject_rate, dimension);
        results.push(r);
        events.extend(e);
        lines.extend(l);
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    (results, events, lines)
}

/// The expected text of all twenty techco reports (the ten interaction reports and the
/// rees46 set of sales reports) for these log files and product dimension files.
pub fn expected_techco(
    files: &[PathBuf],
    dimension_files: &[PathBuf],
    params: Params,
    max_reject_rate: f64,
) -> BTreeMap<String, String> {
    let dimension = read_techco_products(dimension_files);
    let (_, events, lines) = load_techco(files, max_reject_rate, &dimension);
    let mut out = reports(&events, params);
    out.extend(sales_reports(&lines, SalesSource::Rees46, params));
    out
}

/// The names of the twenty techco reports: the interaction reports, then the sales ones.
pub fn techco_report_names() -> Vec<&'static str> {
    super::REPORTS
        .iter()
        .copied()
        .chain(super::sales::sales_report_names(SalesSource::Rees46).iter().copied())
        .collect()
}
