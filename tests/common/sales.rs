//! A plain, single-threaded reference for the sales reports of SPEC §4.2, written from
//! the contract alone (no cartflow code, no dataflow): order lines from rees46 purchase
//! events or read from online-retail, qcompany or kiosk files the way §2, §8 and §9 say
//! (kiosk lines priced and named from the product dimension), folded into `BTreeMap`s,
//! and every report printed as the exact text the program must write.
//!
//! Readings of the contract that this file follows:
//! - online-retail headers are matched by name, trimmed, case-insensitively, a UTF-8 BOM
//!   stripped; each field has the aliases of the three documented spellings
//!   (`Invoice`/`InvoiceNo`/`invoice_no`, `StockCode`/`stock_code`, `Description`,
//!   `Quantity`, `InvoiceDate`/`invoice_date`, `Price`/`UnitPrice`/`unit_price`,
//!   `Customer ID`/`CustomerID`/`customer_id`, `Country`), which may be mixed; the first
//!   column of a field wins. A header without invoice, stock code, quantity, invoice
//!   date or price refuses the file; description, customer and country may be absent
//!   (then empty).
//! - A row is rejected for: a field count unlike the header's; a field that is not
//!   UTF-8; an empty (after trimming) invoice, stock code, quantity, invoice date or
//!   price; a quantity that is not `[+-]?digits` (or does not fit an i64); a price that
//!   is not `[+-]?digits[.digits]` or is negative (`-0.00` is not); a time that is not a
//!   §2 form. Blank lines, line numbers, quoted multi-line fields, gzip and refusal work
//!   as for rees46 (`super::read_file`).
//! - The time of a line is its written (local) date and hour; a date-only time has
//!   hour 0.
//! - Line amount = quantity × unit cents × (100 − discount) / 100, rounded half away
//!   from zero per line. Amounts and sums are held in i128.
//! - `growth_pct` never prints `-0.00`: a value that rounds to zero prints `0.00`.
//! - Leaderboards (`top_products`, `top_customers`, `customer_product_repeats`,
//!   `product_offers`) keep the first `--top` rows; `revenue_by_category`,
//!   `revenue_by_location`, `offers`, `payment_methods` and `agent_daily` are full tables.
//! - qcompany transactions: the twenty columns of §2, each matched by its own name
//!   (trimmed, case-insensitive, BOM stripped). transaction_id, transaction_date,
//!   product_id, units and unit_price are required (absent from the header: the file is
//!   refused; empty: the row is rejected); the rest may be absent (then empty). units is
//!   `[+-]?digits`, unit_price a price as above, transaction_date a §2 time.
//!   offer_1..offer_5 and is_online are flags, `true,false,1,0,yes,no,t,f,y,n` in any
//!   case, empty = false, anything else rejects the row. discount = 5·k for the largest
//!   true offer_k (offers do not stack). A line: order = transaction_id, never cancelled,
//!   customer = customer_id, product = product_id, name = product_name, category =
//!   product_category, quantity = units, channel from is_online, payment method =
//!   payment_method, agent = sales_agent_id; location = the city of shipping_address
//!   for an online line (see `shipping_city`), else branch_id (no branch dimension).
//!   Field counts, UTF-8, blank lines, line numbers and refusal as for online-retail.
//! - A product's shown name is its non-empty dimension name where one is given, else
//!   the most frequent non-empty name of its lines (ties: smallest), else empty.
//! - The product name every report shows is the one `top_products` shows. `agent_daily`
//!   shows the agent id and leaves out lines with no agent; its product id breaks the
//!   last ties without being shown.
//! - kiosk sales: the five columns of §2 (`kiosk_id,product_id,card_hash,date_time,
//!   fc_number`), each matched by its own name (trimmed, case-insensitive, BOM
//!   stripped). kiosk_id, product_id and date_time are required (absent from the
//!   header: the file is refused; empty: the row is rejected); card_hash and fc_number
//!   may be empty or absent. date_time is a §2 time. Field counts, UTF-8, blank lines,
//!   line numbers and refusal as for online-retail. A row is one line: quantity 1,
//!   never cancelled, customer = card_hash (empty: a guest), location = kiosk_id,
//!   category = fc_number, offline, no discount, payment method or agent, empty name;
//!   order = (kiosk_id, card_hash, date_time as written), so one card's rows at one
//!   kiosk at one written time are one order, and so are a guest's.
//! - The kiosk product dimension: `product_id,product_name,fc_number,brand,onqi,cost,
//!   margins` by name; the product_id column and value are required, the rest optional.
//!   cost is a price as above (to cents, half away from zero; `-0.00` is 0); empty means
//!   no cost. A row with an empty product_id, an unparsable or negative cost, a wrong
//!   field count or invalid UTF-8 gives nothing; so does a file that cannot be read or
//!   has no product_id column. Files apply in order, rows in file order, each accepted
//!   row replacing the product's whole entry (name and cost).
//! - A kiosk line's unit price is its product's dimension cost, 0 when the product is
//!   not in the dimension or has no cost. Kiosk lines carry no names, so a product
//!   outside the dimension, or with an empty name there, is shown with an empty name.
//!   kiosk writes the rees46 reports plus revenue_by_location (online_revenue 0.00).
#![allow(clippy::type_complexity)]
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{csv_text, parse_price, parse_time, FileResult, LineCounter, Params, Reject};

/// One order line (SPEC §3), with the fields the rees46 and online-retail reports use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// (year, month, day) of the line time on its own clock.
    pub date: (i32, u32, u32),
    /// Hour of day (0–23) on the same clock.
    pub hour: u32,
    pub order: String,
    pub cancelled: bool,
    /// Empty: a guest.
    pub customer: String,
    pub product: String,
    pub name: String,
    pub category: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub discount_pct: i64,
    pub location: String,
    pub online: bool,
    /// Empty where the source has none (rees46, online-retail).
    pub payment_method: String,
    /// The sales agent's id; empty where the source has none.
    pub agent: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesSource {
    Rees46,
    OnlineRetail,
    Qcompany,
    Kiosk,
}

const REES46_REPORTS: [&str; 10] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_category",
];

const ONLINE_RETAIL_REPORTS: [&str; 10] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_location",
];

const QCOMPANY_REPORTS: [&str; 15] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_category",
    "revenue_by_location",
    "offers",
    "product_offers",
    "payment_methods",
    "agent_daily",
];

const KIOSK_REPORTS: [&str; 11] = [
    "top_products",
    "customers",
    "repeat_customers",
    "top_customers",
    "customer_product_repeats",
    "time_of_day",
    "monthly",
    "order_values",
    "rfm",
    "revenue_by_category",
    "revenue_by_location",
];

/// The per-entity sales reports (written as `OUT/<report>/part-*.csv`).
pub const SALES_PER_ENTITY: [&str; 2] = ["customers", "rfm"];

/// The sales reports written for a source (SPEC §9), in SPEC order.
pub fn sales_report_names(source: SalesSource) -> &'static [&'static str] {
    match source {
        SalesSource::Rees46 => &REES46_REPORTS,
        SalesSource::OnlineRetail => &ONLINE_RETAIL_REPORTS,
        SalesSource::Qcompany => &QCOMPANY_REPORTS,
        SalesSource::Kiosk => &KIOSK_REPORTS,
    }
}

/// The header row of each sales report (SPEC §4.2).
pub fn sales_header(report: &str) -> &'static str {
    match report {
        "top_products" => "product_id,product_name,units,orders,revenue",
        "customers" => "customer_id,orders,units,revenue,first_order,last_order",
        "repeat_customers" => "customers,repeat_customers,repeat_rate,orders,repeat_orders",
        "top_customers" => "customer_id,orders,units,revenue",
        "customer_product_repeats" => "customer_id,product_id,purchases",
        "time_of_day" => "daypart,lines,units,revenue",
        "monthly" => {
            "month,orders,cancelled_orders,revenue,cancelled_revenue,growth_pct,active_customers,new_customers,returning_customers"
        }
        "order_values" => "orders,mean,median,mode,min,max",
        "rfm" => "customer_id,recency_days,frequency,monetary,r,f,m,segment",
        "revenue_by_category" => "category,orders,units,revenue",
        "revenue_by_location" => "location,orders,revenue,online_revenue",
        "offers" => "discount_pct,lines,units,revenue",
        "product_offers" => "product_id,product_name,discount_pct,lines",
        "payment_methods" => "payment_method,orders,revenue",
        "agent_daily" => "date,agent,product_name,units",
        other => panic!("unknown sales report {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// Order lines from rees46 purchases (SPEC §9)
// ---------------------------------------------------------------------------------------

/// The order lines of accepted rees46 events: one per `purchase` event (case-sensitive):
/// order = user_session, customer = user_id, quantity 1, unit price = price, empty name,
/// category = category_code, online, no location, no discount.
pub fn lines_from_events(events: &[super::Event]) -> Vec<Line> {
    events
        .iter()
        .filter(|e| e.event_type == "purchase")
        .map(|e| Line {
            date: e.date,
            hour: e.hour as u32,
            order: e.session.clone(),
            cancelled: false,
            customer: e.user_id.clone(),
            product: e.product_id.clone(),
            name: String::new(),
            category: e.category_code.clone(),
            quantity: 1,
            unit_cents: e.price_cents,
            discount_pct: 0,
            location: String::new(),
            online: true,
            payment_method: String::new(),
            agent: String::new(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Reading online-retail files (SPEC §2, §8, §9)
// ---------------------------------------------------------------------------------------

/// The canonical online-retail fields and the header names that mean each.
const OR_FIELDS: [(&str, &[&str]); 8] = [
    ("invoice", &["invoice", "invoiceno", "invoice_no"]),
    ("stock_code", &["stockcode", "stock_code"]),
    ("description", &["description"]),
    ("quantity", &["quantity"]),
    ("invoice_date", &["invoicedate", "invoice_date"]),
    ("price", &["price", "unitprice", "unit_price"]),
    ("customer", &["customer id", "customerid", "customer_id"]),
    ("country", &["country"]),
];
const OR_REQUIRED: [&str; 5] = ["invoice", "stock_code", "quantity", "invoice_date", "price"];

/// Reads one online-retail file by the contract: the file's quality figures and rejects
/// (`FileResult::events` stays empty), and its accepted order lines (none when refused).
pub fn read_online_retail(path: &Path, max_reject_rate: f64) -> (FileResult, Vec<Line>) {
    let canonical = |key: &str| OR_FIELDS.iter().find(|(_, names)| names.contains(&key)).map(|(c, _)| *c);
    read_line_csv(path, max_reject_rate, &canonical, &OR_REQUIRED, &parse_online_retail_row)
}

/// Reads one CSV file of order lines (or of other rows `T`, such as dimension rows): the
/// header maps each column (trimmed, lower-cased, a UTF-8 BOM stripped) to a canonical
/// field by `canonical`, the first column of a field winning; a header without every
/// `required` field refuses the file. Each data row goes through `parse` (with the
/// header's width and the column map). Blank lines, line numbers and the reject-rate
/// refusal are as for rees46 (`super::read_file`).
fn read_line_csv<T>(
    path: &Path,
    max_reject_rate: f64,
    canonical: &dyn Fn(&str) -> Option<&'static str>,
    required: &[&str],
    parse: &dyn Fn(&csv::ByteRecord, usize, &BTreeMap<&str, usize>) -> Result<T, String>,
) -> (FileResult, Vec<T>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut result =
        FileResult { name, rows: 0, accepted: 0, rejected: 0, refused: false, rejects: vec![], events: vec![] };
    let mut lines = vec![];
    let data = match super::file_bytes(path) {
        Ok(data) => data,
        Err(_) => {
            result.refused = true;
            return (result, lines);
        }
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&data[..]);
    let mut record = csv::ByteRecord::new();
    let columns: Option<BTreeMap<&str, usize>> = match reader.read_byte_record(&mut record) {
        Ok(true) => {
            let mut map = BTreeMap::new();
            let mut ok = true;
            for (i, field) in record.iter().enumerate() {
                let field = if i == 0 { field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field) } else { field };
                match std::str::from_utf8(field) {
                    Ok(text) => {
                        if let Some(c) = canonical(&text.trim().to_lowercase()) {
                            map.entry(c).or_insert(i);
                        }
                    }
                    Err(_) => ok = false,
                }
            }
            if ok && required.iter().all(|c| map.contains_key(c)) {
                Some(map)
            } else {
                None
            }
        }
        _ => None,
    };
    let Some(columns) = columns else {
        result.refused = true;
        while let Ok(true) = reader.read_byte_record(&mut record) {
            result.rows += 1;
        }
        result.rejected = result.rows;
        return (result, lines);
    };
    let width = record.len();
    let mut counter = LineCounter { at: 0, newlines: 0 };
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => {
                result.refused = true;
                break;
            }
        }
        result.rows += 1;
        let line = counter.line_at(&data, record.position().unwrap().byte() as usize);
        match parse(&record, width, &columns) {
            Ok(l) => {
                result.accepted += 1;
                lines.push(l);
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
        lines.clear();
    }
    (result, lines)
}

/// A data row's fields as trimmed text, or why the row is rejected: a field count
/// unlike the header's, or a field that is not UTF-8.
fn row_text(record: &csv::ByteRecord, width: usize) -> Result<Vec<&str>, String> {
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
    Ok(text)
}

fn parse_online_retail_row(
    record: &csv::ByteRecord,
    width: usize,
    columns: &BTreeMap<&str, usize>,
) -> Result<Line, String> {
    let text = row_text(record, width)?;
    let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
    for name in OR_REQUIRED {
        if get(name).is_empty() {
            return Err(format!("missing {name}"));
        }
    }
    let quantity = parse_quantity(get("quantity"))?;
    let unit_cents = parse_price(get("price"))?;
    let (date, hour) = parse_time(get("invoice_date")).ok_or_else(|| "unparsable time".to_string())?;
    let order = get("invoice").to_string();
    Ok(Line {
        date,
        hour: hour as u32,
        cancelled: order.starts_with('C'),
        order,
        customer: get("customer").to_string(),
        product: get("stock_code").to_string(),
        name: get("description").to_string(),
        category: String::new(),
        quantity,
        unit_cents,
        discount_pct: 0,
        location: get("country").to_string(),
        online: true,
        payment_method: String::new(),
        agent: String::new(),
    })
}

/// `[+-]?digits` as an i64.
pub fn parse_quantity(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("unparsable quantity {s:?}"));
    }
    // i64's own parser takes the same `[+-]?digits`; it only adds the range check.
    s.parse::<i64>().map_err(|_| format!("unparsable quantity {s:?}"))
}

/// Reads every online-retail file; the lines of files that are not refused, in file
/// order, and the file results sorted by name.
pub fn load_online_retail(files: &[PathBuf], max_reject_rate: f64) -> (Vec<FileResult>, Vec<Line>) {
    let mut results = vec![];
    let mut lines = vec![];
    for f in files {
        let (r, l) = read_online_retail(f, max_reject_rate);
        results.push(r);
        lines.extend(l);
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    (results, lines)
}

// ---------------------------------------------------------------------------------------
// Reading qcompany sales transactions (SPEC §2, §8, §9)
// ---------------------------------------------------------------------------------------

/// The columns of a qcompany transactions file, each matched by its own name only.
const QC_COLUMNS: [&str; 20] = [
    "transaction_id",
    "transaction_date",
    "customer_id",
    "customer_name",
    "customer_email",
    "sales_agent_id",
    "branch_id",
    "product_id",
    "product_name",
    "product_category",
    "offer_1",
    "offer_2",
    "offer_3",
    "offer_4",
    "offer_5",
    "units",
    "unit_price",
    "is_online",
    "payment_method",
    "shipping_address",
];
const QC_REQUIRED: [&str; 5] = ["transaction_id", "transaction_date", "product_id", "units", "unit_price"];
const QC_OFFERS: [&str; 5] = ["offer_1", "offer_2", "offer_3", "offer_4", "offer_5"];

/// Reads one qcompany transactions file by the contract: the file's quality figures and
/// rejects (`FileResult::events` stays empty), and its accepted order lines (none when
/// refused).
pub fn read_qcompany(path: &Path, max_reject_rate: f64) -> (FileResult, Vec<Line>) {
    let canonical = |key: &str| QC_COLUMNS.iter().find(|c| **c == key).copied();
    read_line_csv(path, max_reject_rate, &canonical, &QC_REQUIRED, &parse_qcompany_row)
}

fn parse_qcompany_row(record: &csv::ByteRecord, width: usize, columns: &BTreeMap<&str, usize>) -> Result<Line, String> {
    let text = row_text(record, width)?;
    let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
    for name in QC_REQUIRED {
        if get(name).is_empty() {
            return Err(format!("missing required field {name}"));
        }
    }
    let quantity = parse_quantity(get("units"))?;
    let unit_cents = parse_price(get("unit_price"))?;
    let (date, hour) = parse_time(get("transaction_date")).ok_or_else(|| "unparsable time".to_string())?;
    // Offers do not stack: the largest k whose offer_k is true gives 5·k percent.
    let mut discount_pct = 0;
    for (k, name) in QC_OFFERS.iter().enumerate() {
        if parse_flag(name, get(name))? {
            discount_pct = 5 * (k as i64 + 1);
        }
    }
    let online = parse_flag("is_online", get("is_online"))?;
    let location = if online { shipping_city(get("shipping_address")) } else { get("branch_id").to_string() };
    Ok(Line {
        date,
        hour: hour as u32,
        order: get("transaction_id").to_string(),
        cancelled: false,
        customer: get("customer_id").to_string(),
        product: get("product_id").to_string(),
        name: get("product_name").to_string(),
        category: get("product_category").to_string(),
        quantity,
        unit_cents,
        discount_pct,
        location,
        online,
        payment_method: get("payment_method").to_string(),
        agent: get("sales_agent_id").to_string(),
    })
}

/// A qcompany flag: `true,false,1,0,yes,no,t,f,y,n` in any case; empty (or an absent
/// column) is false; anything else rejects the row.
pub fn parse_flag(column: &str, s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "t" | "y" => Ok(true),
        "false" | "0" | "no" | "f" | "n" | "" => Ok(false),
        _ => Err(format!("unparsable flag {column} {s:?}")),
    }
}

/// The city of a shipping address: line breaks read as commas, the parts trimmed and
/// empty ones dropped; the second-to-last part of two or more, the only part of one,
/// empty for none.
pub fn shipping_city(address: &str) -> String {
    let address = address.replace(['\r', '\n'], ",");
    let parts: Vec<&str> = address.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    match parts.len() {
        0 => String::new(),
        1 => parts[0].to_string(),
        n => parts[n - 2].to_string(),
    }
}

/// Reads every qcompany file; the lines of files that are not refused, in file order,
/// and the file results sorted by name.
pub fn load_qcompany(files: &[PathBuf], max_reject_rate: f64) -> (Vec<FileResult>, Vec<Line>) {
    let mut results = vec![];
    let mut lines = vec![];
    for f in files {
        let (r, l) = read_qcompany(f, max_reject_rate);
        results.push(r);
        lines.extend(l);
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    (results, lines)
}

/// The expected text of every qcompany sales report for these input files.
pub fn expected_qcompany(files: &[PathBuf], params: Params, max_reject_rate: f64) -> BTreeMap<String, String> {
    let (_, lines) = load_qcompany(files, max_reject_rate);
    sales_reports(&lines, SalesSource::Qcompany, params)
}

// ---------------------------------------------------------------------------------------
// Reading kiosk sales and the product dimension (SPEC §2, §3, §8, §9)
// ---------------------------------------------------------------------------------------

/// The columns of a kiosk sales file, each matched by its own name only.
const KIOSK_COLUMNS: [&str; 5] = ["kiosk_id", "product_id", "card_hash", "date_time", "fc_number"];
const KIOSK_REQUIRED: [&str; 3] = ["kiosk_id", "product_id", "date_time"];

/// Reads one kiosk sales file by the contract: the file's quality figures and rejects
/// (`FileResult::events` stays empty), and its accepted order lines (none when refused),
/// each with unit price 0 until `price_kiosk_lines` gives it the dimension's cost.
pub fn read_kiosk(path: &Path, max_reject_rate: f64) -> (FileResult, Vec<Line>) {
    let canonical = |key: &str| KIOSK_COLUMNS.iter().find(|c| **c == key).copied();
    read_line_csv(path, max_reject_rate, &canonical, &KIOSK_REQUIRED, &parse_kiosk_row)
}

fn parse_kiosk_row(record: &csv::ByteRecord, width: usize, columns: &BTreeMap<&str, usize>) -> Result<Line, String> {
    let text = row_text(record, width)?;
    let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
    for name in KIOSK_REQUIRED {
        if get(name).is_empty() {
            return Err(format!("missing required field {name}"));
        }
    }
    let (date, hour) = parse_time(get("date_time")).ok_or_else(|| "unparsable time".to_string())?;
    Ok(Line {
        date,
        hour: hour as u32,
        order: kiosk_order_id(get("kiosk_id"), get("card_hash"), get("date_time")),
        cancelled: false,
        customer: get("card_hash").to_string(),
        product: get("product_id").to_string(),
        name: String::new(),
        category: get("fc_number").to_string(),
        quantity: 1,
        unit_cents: 0,
        discount_pct: 0,
        location: get("kiosk_id").to_string(),
        online: false,
        payment_method: String::new(),
        agent: String::new(),
    })
}

/// The order id of a kiosk row: the triple (kiosk_id, card_hash, date_time as written)
/// as one text, each part length-prefixed so that distinct triples never meet. Order
/// ids are only counted, never shown.
pub fn kiosk_order_id(kiosk: &str, card: &str, time: &str) -> String {
    format!("{}:{kiosk}|{}:{card}|{time}", kiosk.len(), card.len())
}

/// Reads every kiosk file; the lines of files that are not refused, in file order, and
/// the file results sorted by name. Unit prices are still 0.
pub fn load_kiosk(files: &[PathBuf], max_reject_rate: f64) -> (Vec<FileResult>, Vec<Line>) {
    let mut results = vec![];
    let mut lines = vec![];
    for f in files {
        let (r, l) = read_kiosk(f, max_reject_rate);
        results.push(r);
        lines.extend(l);
    }
    results.sort_by(|a, b| a.name.cmp(&b.name));
    (results, lines)
}

/// The columns of the kiosk product dimension, each matched by its own name only.
const DIMENSION_COLUMNS: [&str; 7] = ["product_id", "product_name", "fc_number", "brand", "onqi", "cost", "margins"];

/// One accepted dimension row: product id, name (may be empty), cost in cents (None:
/// no cost given).
type DimensionRow = (String, String, Option<i64>);

fn parse_dimension_row(
    record: &csv::ByteRecord,
    width: usize,
    columns: &BTreeMap<&str, usize>,
) -> Result<DimensionRow, String> {
    let text = row_text(record, width)?;
    let get = |name: &str| columns.get(name).map_or("", |i| text[*i]);
    if get("product_id").is_empty() {
        return Err("missing required field product_id".into());
    }
    let cost = match get("cost") {
        "" => None,
        c => Some(parse_price(c)?),
    };
    Ok((get("product_id").to_string(), get("product_name").to_string(), cost))
}

/// The product dimension from these files, in order: product id → (name, cost in
/// cents). A later row, in the same file or a later one, replaces the product's whole
/// entry; rows that cannot be read give nothing (no reject rate applies).
pub fn read_product_dimension(paths: &[PathBuf]) -> BTreeMap<String, (String, Option<i64>)> {
    let canonical = |key: &str| DIMENSION_COLUMNS.iter().find(|c| **c == key).copied();
    let mut products = BTreeMap::new();
    for path in paths {
        let (_, rows) = read_line_csv(path, f64::INFINITY, &canonical, &["product_id"], &parse_dimension_row);
        for (product, name, cost) in rows {
            products.insert(product, (name, cost));
        }
    }
    products
}

/// Gives each kiosk line its product's dimension cost (0 without one).
pub fn price_kiosk_lines(lines: &mut [Line], dimension: &BTreeMap<String, (String, Option<i64>)>) {
    for l in lines {
        l.unit_cents = dimension.get(&l.product).and_then(|(_, cost)| *cost).unwrap_or(0);
    }
}

/// The non-empty product names of a dimension, as `sales_reports_named` takes them.
pub fn dimension_names(dimension: &BTreeMap<String, (String, Option<i64>)>) -> BTreeMap<String, String> {
    dimension
        .iter()
        .filter(|(_, (name, _))| !name.is_empty())
        .map(|(product, (name, _))| (product.clone(), name.clone()))
        .collect()
}

/// The expected text of every kiosk sales report for these sales files and product
/// dimension files (applied in order).
pub fn expected_kiosk(
    files: &[PathBuf],
    dimension_files: &[PathBuf],
    params: Params,
    max_reject_rate: f64,
) -> BTreeMap<String, String> {
    let (_, mut lines) = load_kiosk(files, max_reject_rate);
    let dimension = read_product_dimension(dimension_files);
    price_kiosk_lines(&mut lines, &dimension);
    sales_reports_named(&lines, SalesSource::Kiosk, params, &dimension_names(&dimension))
}

/// The expected text of every online-retail sales report for these input files.
pub fn expected_online_retail(files: &[PathBuf], params: Params, max_reject_rate: f64) -> BTreeMap<String, String> {
    let (_, lines) = load_online_retail(files, max_reject_rate);
    sales_reports(&lines, SalesSource::OnlineRetail, params)
}

/// The expected text of every rees46 sales report for these input files.
pub fn expected_rees46_sales(files: &[PathBuf], params: Params, max_reject_rate: f64) -> BTreeMap<String, String> {
    let (_, events) = super::load(files, max_reject_rate);
    sales_reports(&lines_from_events(&events), SalesSource::Rees46, params)
}

// ---------------------------------------------------------------------------------------
// Numbers and dates as printed
// ---------------------------------------------------------------------------------------

/// Integer cents (any sign) with exactly two decimals; negatives as `-1.50`.
pub fn money128(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// n / d (d ≠ 0, any signs) rounded half away from zero to an integer.
pub fn div_round_signed(n: i128, d: i128) -> i128 {
    assert!(d != 0);
    let (na, da) = (n.unsigned_abs(), d.unsigned_abs());
    let q = ((2 * na + da) / (2 * da)) as i128;
    if (n < 0) != (d < 0) {
        -q
    } else {
        q
    }
}

/// A line's amount in cents: quantity × unit cents × (100 − discount) / 100, rounded half
/// away from zero.
pub fn line_amount(l: &Line) -> i128 {
    div_round_signed(l.quantity as i128 * l.unit_cents as i128 * (100 - l.discount_pct as i128), 100)
}

fn date_text(d: (i32, u32, u32)) -> String {
    format!("{:04}-{:02}-{:02}", d.0, d.1, d.2)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(d: (i32, u32, u32)) -> i64 {
    let (y, m, day) = (d.0 as i64, d.1 as i64, d.2 as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `1 + floor(5·(rank−1)/n)` for rank 1..=n.
fn score(rank: usize, n: usize) -> u32 {
    (1 + 5 * (rank - 1) / n) as u32
}

fn segment(r: u32, f: u32) -> &'static str {
    if r >= 4 && f >= 4 {
        "Champions"
    } else if r >= 2 && f >= 4 {
        "Loyal"
    } else if r <= 2 && f >= 3 {
        "At risk"
    } else if r >= 4 {
        "Promising"
    } else if r == 3 {
        "Needs attention"
    } else {
        "Hibernating"
    }
}

fn s<T: ToString>(v: T) -> String {
    v.to_string()
}

// ---------------------------------------------------------------------------------------
// The sales reports (SPEC §4.2)
// ---------------------------------------------------------------------------------------

/// Per-group figures over non-cancelled lines.
#[derive(Default)]
struct Agg<'a> {
    lines: u64,
    units: i128,
    revenue: i128,
    orders: BTreeSet<&'a str>,
}

impl<'a> Agg<'a> {
    fn add(&mut self, l: &'a Line) {
        self.lines += 1;
        self.units += l.quantity as i128;
        self.revenue += line_amount(l);
        self.orders.insert(&l.order);
    }
}

/// Every sales report of `source` for these order lines, as report name → full text,
/// with no product dimension.
pub fn sales_reports(lines: &[Line], source: SalesSource, params: Params) -> BTreeMap<String, String> {
    sales_reports_named(lines, source, params, &BTreeMap::new())
}

/// Every sales report of `source` for these order lines, a product's name taken from
/// `product_names` (product id → its dimension name) where it has a non-empty one.
pub fn sales_reports_named(
    lines: &[Line],
    source: SalesSource,
    params: Params,
    product_names: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |name: &str, rows: Vec<Vec<String>>| {
        out.insert(name.to_string(), csv_text(sales_header(name), &rows));
    };
    let live: Vec<&Line> = lines.iter().filter(|l| !l.cancelled).collect();
    let customers_live: Vec<&Line> = live.iter().copied().filter(|l| !l.customer.is_empty()).collect();

    // The name each product is shown with: its non-empty dimension name, else the most
    // frequent non-empty name over its live lines (ties: smallest), empty if none.
    let shown: BTreeMap<&str, &str> = {
        let mut names: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for l in &live {
            let g = names.entry(&l.product).or_default();
            if !l.name.is_empty() {
                *g.entry(&l.name).or_default() += 1;
            }
        }
        names
            .into_iter()
            .map(|(product, names)| {
                // Names come in ascending order, so a strictly larger count wins.
                let mut best: Option<(&str, u64)> = None;
                for (name, n) in names {
                    if best.is_none_or(|(_, b)| n > b) {
                        best = Some((name, n));
                    }
                }
                match product_names.get(product).filter(|n| !n.is_empty()) {
                    Some(name) => (product, name.as_str()),
                    None => (product, best.map_or("", |b| b.0)),
                }
            })
            .collect()
    };

    // top_products: per product over live lines; units desc, then product_id,
    // product_name, orders, revenue.
    {
        let mut by: BTreeMap<&str, Agg> = BTreeMap::new();
        for l in &live {
            by.entry(&l.product).or_default().add(l);
        }
        let mut rows: Vec<(&str, &str, i128, usize, i128)> = by
            .iter()
            .map(|(product, agg)| (*product, shown[product], agg.units, agg.orders.len(), agg.revenue))
            .collect();
        rows.sort_by(|a, b| {
            b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(b.1)).then(a.3.cmp(&b.3)).then(a.4.cmp(&b.4))
        });
        rows.truncate(params.top);
        put(
            "top_products",
            rows.iter()
                .map(|(p, n, units, orders, rev)| vec![s(p), s(n), s(units), s(orders), money128(*rev)])
                .collect(),
        );
    }

    // Per non-guest customer over live lines: figures, first and last date.
    struct Cust<'a> {
        agg: Agg<'a>,
        first: (i32, u32, u32),
        last: (i32, u32, u32),
    }
    let mut custs: BTreeMap<&str, Cust> = BTreeMap::new();
    for l in &customers_live {
        let c = custs.entry(&l.customer).or_insert_with(|| Cust { agg: Agg::default(), first: l.date, last: l.date });
        c.agg.add(l);
        c.first = c.first.min(l.date);
        c.last = c.last.max(l.date);
    }

    // customers: per non-guest customer; sorted by customer_id.
    put(
        "customers",
        custs
            .iter()
            .map(|(id, c)| {
                vec![
                    s(id),
                    s(c.agg.orders.len()),
                    s(c.agg.units),
                    money128(c.agg.revenue),
                    date_text(c.first),
                    date_text(c.last),
                ]
            })
            .collect(),
    );

    // repeat_customers: one row.
    {
        let n = custs.len();
        let repeaters: BTreeSet<&str> =
            custs.iter().filter(|(_, c)| c.agg.orders.len() >= 2).map(|(id, _)| *id).collect();
        let orders: BTreeSet<&str> = customers_live.iter().map(|l| l.order.as_str()).collect();
        let repeat_orders: BTreeSet<&str> = customers_live
            .iter()
            .filter(|l| repeaters.contains(l.customer.as_str()))
            .map(|l| l.order.as_str())
            .collect();
        put(
            "repeat_customers",
            vec![vec![
                s(n),
                s(repeaters.len()),
                super::ratio(repeaters.len() as u128, n as u128, 6),
                s(orders.len()),
                s(repeat_orders.len()),
            ]],
        );
    }

    // top_customers: orders desc, then customer_id (then units, revenue).
    {
        let mut rows: Vec<(&str, usize, i128, i128)> =
            custs.iter().map(|(id, c)| (*id, c.agg.orders.len(), c.agg.units, c.agg.revenue)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
        rows.truncate(params.top);
        put(
            "top_customers",
            rows.iter().map(|(id, orders, units, rev)| vec![s(id), s(orders), s(units), money128(*rev)]).collect(),
        );
    }

    // customer_product_repeats: lines per (customer, product); purchases desc, then
    // customer_id, product_id.
    {
        let mut by: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for l in &customers_live {
            *by.entry((&l.customer, &l.product)).or_default() += 1;
        }
        let mut rows: Vec<_> = by.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.truncate(params.top);
        put("customer_product_repeats", rows.iter().map(|((c, p), n)| vec![s(c), s(p), s(n)]).collect());
    }

    // time_of_day: Morning < 12, Afternoon < 17, Evening; only dayparts with lines.
    {
        let names = ["Morning", "Afternoon", "Evening"];
        let mut by: BTreeMap<usize, Agg> = BTreeMap::new();
        for l in &live {
            let part = if l.hour < 12 {
                0
            } else if l.hour < 17 {
                1
            } else {
                2
            };
            by.entry(part).or_default().add(l);
        }
        put(
            "time_of_day",
            by.iter().map(|(p, a)| vec![s(names[*p]), s(a.lines), s(a.units), money128(a.revenue)]).collect(),
        );
    }

    // monthly: every month with any line.
    {
        #[derive(Default)]
        struct Month<'a> {
            orders: BTreeSet<&'a str>,
            cancelled_orders: BTreeSet<&'a str>,
            revenue: i128,
            cancelled_revenue: i128,
            active: BTreeSet<&'a str>,
        }
        let mut by: BTreeMap<(i32, u32), Month> = BTreeMap::new();
        for l in lines {
            let m = by.entry((l.date.0, l.date.1)).or_default();
            if l.cancelled {
                m.cancelled_orders.insert(&l.order);
                m.cancelled_revenue += (l.quantity as i128 * l.unit_cents as i128).abs();
            } else {
                m.orders.insert(&l.order);
                m.revenue += line_amount(l);
                if !l.customer.is_empty() {
                    m.active.insert(&l.customer);
                }
            }
        }
        let rows = by
            .iter()
            .map(|(&(y, mo), m)| {
                let prev_key = if mo == 1 { (y - 1, 12) } else { (y, mo - 1) };
                let growth = match by.get(&prev_key) {
                    Some(p) if p.revenue != 0 => {
                        money128(div_round_signed((m.revenue - p.revenue) * 10_000, p.revenue))
                    }
                    _ => String::new(),
                };
                let new = m
                    .active
                    .iter()
                    .filter(|c| {
                        let first = custs[*c].first;
                        (first.0, first.1) == (y, mo)
                    })
                    .count();
                vec![
                    format!("{y:04}-{mo:02}"),
                    s(m.orders.len()),
                    s(m.cancelled_orders.len()),
                    money128(m.revenue),
                    money128(m.cancelled_revenue),
                    growth,
                    s(m.active.len()),
                    s(new),
                    s(m.active.len() - new),
                ]
            })
            .collect();
        put("monthly", rows);
    }

    // order_values: over the totals of non-cancelled orders, guests included.
    {
        let mut totals: BTreeMap<&str, i128> = BTreeMap::new();
        for l in &live {
            *totals.entry(&l.order).or_default() += line_amount(l);
        }
        let mut v: Vec<i128> = totals.into_values().collect();
        v.sort();
        let n = v.len();
        let row = if n == 0 {
            vec![s(0), String::new(), String::new(), String::new(), String::new(), String::new()]
        } else {
            let sum: i128 = v.iter().sum();
            let median = if n % 2 == 1 { v[n / 2] } else { div_round_signed(v[n / 2 - 1] + v[n / 2], 2) };
            let mut counts: BTreeMap<i128, usize> = BTreeMap::new();
            for t in &v {
                *counts.entry(*t).or_default() += 1;
            }
            // Ascending totals, so a strictly larger count wins: ties go to the smallest.
            let mut mode = (v[0], 0);
            for (t, c) in counts {
                if c > mode.1 {
                    mode = (t, c);
                }
            }
            vec![
                s(n),
                money128(div_round_signed(sum, n as i128)),
                money128(median),
                money128(mode.0),
                money128(v[0]),
                money128(v[n - 1]),
            ]
        };
        put("order_values", vec![row]);
    }

    // rfm: per non-guest customer; reference day = latest live date (guests included) + 1.
    {
        let rows = if let Some(latest) = live.iter().map(|l| l.date).max() {
            let reference = days_from_civil(latest) + 1;
            let n = custs.len();
            let base: Vec<(&str, i64, usize, i128)> = custs
                .iter()
                .map(|(id, c)| (*id, reference - days_from_civil(c.last), c.agg.orders.len(), c.agg.revenue))
                .collect();
            let ranks = |cmp: &dyn Fn(&(&str, i64, usize, i128), &(&str, i64, usize, i128)) -> std::cmp::Ordering| {
                let mut order: Vec<usize> = (0..n).collect();
                order.sort_by(|a, b| cmp(&base[*a], &base[*b]).then(base[*a].0.cmp(base[*b].0)));
                let mut scores = vec![0u32; n];
                for (i, at) in order.into_iter().enumerate() {
                    scores[at] = score(i + 1, n);
                }
                scores
            };
            let r = ranks(&|a, b| b.1.cmp(&a.1));
            let f = ranks(&|a, b| a.2.cmp(&b.2));
            let m = ranks(&|a, b| a.3.cmp(&b.3));
            base.iter()
                .enumerate()
                .map(|(i, (id, recency, freq, monetary))| {
                    vec![
                        s(id),
                        s(recency),
                        s(freq),
                        money128(*monetary),
                        s(r[i]),
                        s(f[i]),
                        s(m[i]),
                        s(segment(r[i], f[i])),
                    ]
                })
                .collect()
        } else {
            vec![]
        };
        put("rfm", rows);
    }

    let by_category = matches!(source, SalesSource::Rees46 | SalesSource::Qcompany | SalesSource::Kiosk);
    let by_location = matches!(source, SalesSource::OnlineRetail | SalesSource::Qcompany | SalesSource::Kiosk);

    // revenue_by_category: revenue desc, then category, orders, units.
    if by_category {
        let mut by: BTreeMap<&str, Agg> = BTreeMap::new();
        for l in &live {
            by.entry(&l.category).or_default().add(l);
        }
        let mut rows: Vec<(&str, usize, i128, i128)> =
            by.iter().map(|(c, a)| (*c, a.orders.len(), a.units, a.revenue)).collect();
        rows.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        put(
            "revenue_by_category",
            rows.iter().map(|(c, orders, units, rev)| vec![s(c), s(orders), s(units), money128(*rev)]).collect(),
        );
    }

    // revenue_by_location: revenue desc, then location, orders, online_revenue.
    if by_location {
        let mut by: BTreeMap<&str, (Agg, i128)> = BTreeMap::new();
        for l in &live {
            let g = by.entry(&l.location).or_default();
            g.0.add(l);
            if l.online {
                g.1 += line_amount(l);
            }
        }
        let mut rows: Vec<(&str, usize, i128, i128)> =
            by.iter().map(|(loc, (a, online))| (*loc, a.orders.len(), a.revenue, *online)).collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(&b.1)).then(a.3.cmp(&b.3)));
        put(
            "revenue_by_location",
            rows.iter()
                .map(|(loc, orders, rev, online)| vec![s(loc), s(orders), money128(*rev), money128(*online)])
                .collect(),
        );
    }

    if source != SalesSource::Qcompany {
        return out;
    }

    // offers: per discount percent (0 included); lines desc, then discount_pct, units,
    // revenue. A full table.
    {
        let mut by: BTreeMap<i64, Agg> = BTreeMap::new();
        for l in &live {
            by.entry(l.discount_pct).or_default().add(l);
        }
        let mut rows: Vec<(i64, u64, i128, i128)> = by.iter().map(|(d, a)| (*d, a.lines, a.units, a.revenue)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
        put(
            "offers",
            rows.iter().map(|(d, lines, units, rev)| vec![s(d), s(lines), s(units), money128(*rev)]).collect(),
        );
    }

    // product_offers: lines per (product, discount > 0), with the product's shown name;
    // lines desc, then product_id, product_name, discount_pct; a leaderboard.
    {
        let mut by: BTreeMap<(&str, i64), u64> = BTreeMap::new();
        for l in live.iter().filter(|l| l.discount_pct > 0) {
            *by.entry((&l.product, l.discount_pct)).or_default() += 1;
        }
        let mut rows: Vec<(&str, &str, i64, u64)> = by.iter().map(|((p, d), n)| (*p, shown[p], *d, *n)).collect();
        rows.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(b.0)).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
        rows.truncate(params.top);
        put("product_offers", rows.iter().map(|(p, n, d, lines)| vec![s(p), s(n), s(d), s(lines)]).collect());
    }

    // payment_methods: per payment method, the empty one included: distinct orders and
    // revenue; revenue desc, then payment_method, orders. A full table.
    {
        let mut by: BTreeMap<&str, Agg> = BTreeMap::new();
        for l in &live {
            by.entry(&l.payment_method).or_default().add(l);
        }
        let mut rows: Vec<(&str, usize, i128)> = by.iter().map(|(m, a)| (*m, a.orders.len(), a.revenue)).collect();
        rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(&b.1)));
        put("payment_methods", rows.iter().map(|(m, orders, rev)| vec![s(m), s(orders), money128(*rev)]).collect());
    }

    // agent_daily: units per (date, non-empty agent id, product), shown with the agent id
    // and the product's shown name; date asc, units desc, then agent, product_name, and
    // the product id (not shown). A full table.
    {
        let mut by: BTreeMap<((i32, u32, u32), &str, &str), i128> = BTreeMap::new();
        for l in live.iter().filter(|l| !l.agent.is_empty()) {
            *by.entry((l.date, &l.agent, &l.product)).or_default() += l.quantity as i128;
        }
        let mut rows: Vec<((i32, u32, u32), &str, &str, i128, &str)> =
            by.iter().map(|((date, agent, p), units)| (*date, *agent, shown[p], *units, *p)).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.3.cmp(&a.3)).then(a.1.cmp(b.1)).then(a.2.cmp(b.2)).then(a.4.cmp(b.4)));
        put(
            "agent_daily",
            rows.iter()
                .map(|(date, agent, name, units, _)| vec![date_text(*date), s(agent), s(name), s(units)])
                .collect(),
        );
    }

    out
}
