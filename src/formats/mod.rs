//! Input formats: from a file's bytes to cartflow records (SPEC §2, §8, §9).
//!
//! A file is read once, row by row, into a reused buffer. Each format maps the
//! header onto its fields by name, then turns every row into records or a
//! [`RowError`] that says why the row was rejected.

pub mod csv_rows;
pub mod custom;
pub mod dimensions;
pub mod fields;
pub mod json;
pub mod kiosk;
pub mod online_retail;
pub mod qcompany;
pub mod qcompany_app;
pub mod rees46;
pub mod techco;

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::records::{OrderLine, Record};
use crate::sources::ByteRange;
use csv_rows::CsvRows;

/// The formats `--format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Multi-category store clickstream: event_time,event_type,product_id,...
    Rees46,
    /// Invoice lines: Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country
    OnlineRetail,
    /// Sales transactions with offers, agents and branches: transaction_id,transaction_date,...
    /// (its app logs, files named *.json or *.jsonl, are read as qcompany-app)
    Qcompany,
    /// qcompany app logs as JSON lines: eventType,customerId,productId,timestamp,...
    QcompanyApp,
    /// Kiosk sales, one item a row: kiosk_id,product_id,card_hash,date_time,fc_number
    Kiosk,
    /// Web logs as JSON lines or a JSON array: log_id,customer_id,product_id,quantity,action,timestamp
    Techco,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Rees46 => "rees46",
            Format::OnlineRetail => "online-retail",
            Format::Qcompany => "qcompany",
            Format::QcompanyApp => "qcompany-app",
            Format::Kiosk => "kiosk",
            Format::Techco => "techco",
        }
    }

    /// The format a file of this format's source is read in: a qcompany source's
    /// app logs are JSON, told apart from its CSV transactions by their names.
    pub fn for_file(self, path: &Path) -> Format {
        let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let json = [".json", ".jsonl", ".ndjson"].iter().any(|ext| name.ends_with(ext));
        match self {
            Format::Qcompany if json => Format::QcompanyApp,
            format => format,
        }
    }
}

/// What a file is read as: facts in an input format or a job file's own CSV
/// layout, or a dimension table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind<'a> {
    Facts(Format),
    Custom(&'a custom::CustomLayout),
    Dimension(dimensions::DimensionKind),
}

impl From<Format> for FileKind<'_> {
    fn from(format: Format) -> Self {
        FileKind::Facts(format)
    }
}

impl FileKind<'_> {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Facts(format) => format.name(),
            FileKind::Custom(_) => "custom layout",
            FileKind::Dimension(kind) => kind.name(),
        }
    }
}

/// A file's header, matched by name: case-insensitive, surrounding spaces ignored.
pub struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn new(header: &Row<'_>) -> Self {
        let names = (0..header.len())
            .map(|i| {
                let raw = header.bytes(i);
                let raw = if i == 0 { raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw) } else { raw };
                String::from_utf8_lossy(raw).trim().to_ascii_lowercase()
            })
            .collect();
        Columns { names }
    }

    pub fn optional(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn required(&self, name: &str) -> Result<usize, String> {
        self.optional(name).ok_or_else(|| format!("no `{name}` column in the header"))
    }

    /// The first of several accepted spellings of one column.
    pub fn optional_any(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|name| self.optional(name))
    }

    pub fn required_any(&self, names: &[&str]) -> Result<usize, String> {
        self.optional_any(names).ok_or_else(|| {
            let spelled = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ");
            format!("no {spelled} column in the header")
        })
    }
}

/// One data row, validated lazily: fields are decoded and trimmed as asked for.
pub struct Row<'r> {
    /// The row's fields, each followed by one separator byte but the last.
    bytes: &'r [u8],
    /// Where each field ends in `bytes`.
    ends: &'r [usize],
    /// `bytes` when they are valid UTF-8 as a whole (nearly always): one check
    /// per row instead of one per field read.
    text: Option<&'r str>,
}

impl<'r> Row<'r> {
    fn new(bytes: &'r [u8], ends: &'r [usize]) -> Self {
        Row { bytes, ends, text: std::str::from_utf8(bytes).ok() }
    }

    /// The number of fields.
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] + 1 };
        Some(start..end)
    }

    /// A field's bytes as they are; empty past the last field.
    fn bytes(&self, index: usize) -> &'r [u8] {
        self.range(index).map_or(&[][..], |range| &self.bytes[range])
    }

    fn text(&self, index: usize, name: &str) -> Result<&'r str, RowError> {
        // A field is valid where the whole row is: fields are split at ASCII
        // commas, so each starts and ends on a character boundary.
        if let Some(field) = self.text.zip(self.range(index)).and_then(|(text, range)| text.get(range)) {
            return Ok(trim(field));
        }
        std::str::from_utf8(self.bytes(index))
            .map(trim)
            .map_err(|_| RowError::new("invalid UTF-8", format!("in {name}")))
    }

    /// A field that must not be empty (SPEC §9: an empty required field rejects the row).
    pub fn required(&self, index: usize, name: &'static str) -> Result<&'r str, RowError> {
        let text = self.text(index, name)?;
        if text.is_empty() {
            return Err(RowError::new("missing required field", name));
        }
        Ok(text)
    }

    /// A field that may be empty or absent from the file altogether.
    pub fn optional(&self, index: Option<usize>) -> Result<&'r str, RowError> {
        index.map_or(Ok(""), |i| self.text(i, "a text field"))
    }
}

/// `text` without surrounding white space, as `str::trim` has it. Most fields
/// begin and end with a printable ASCII character, which no white space is:
/// they are returned without the Unicode scan.
fn trim(text: &str) -> &str {
    let plain = |byte: Option<&u8>| byte.is_some_and(|&b| b.is_ascii_graphic());
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// Why a row was rejected: a stable `kind` that `_quality.csv` counts, and the detail
/// `_rejects/` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub kind: &'static str,
    pub detail: String,
}

impl RowError {
    pub fn new(kind: &'static str, detail: impl Into<String>) -> Self {
        RowError { kind, detail: detail.into() }
    }

    /// A price: a plain decimal in cents, never negative (SPEC §9: `-0.00` is not).
    pub fn price(text: &str) -> Result<i64, RowError> {
        let cents = fields::parse_cents(text).map_err(|why| RowError::field("price", why, text))?;
        if fields::is_negative_decimal(text) {
            return Err(RowError::new("negative price", text));
        }
        Ok(cents)
    }

    /// A field whose text does not parse: names the field, the problem and the text.
    pub fn field(name: &'static str, why: &str, text: &str) -> Self {
        RowError { kind: unparsable_kind(name), detail: format!("{why}: {text:?}") }
    }
}

fn unparsable_kind(name: &str) -> &'static str {
    match name {
        "price" => "unparsable price",
        "quantity" => "unparsable quantity",
        _ => "unparsable time",
    }
}

/// Everything one format reads from a row.
pub enum Layout {
    Rees46(rees46::Rees46Layout),
    OnlineRetail(online_retail::OnlineRetailLayout),
    Qcompany(qcompany::QcompanyLayout),
    Kiosk(kiosk::KioskLayout),
    Custom(custom::ResolvedLayout),
    Dimension(dimensions::DimensionLayout),
}

impl Layout {
    fn for_header(kind: FileKind<'_>, columns: &Columns) -> Result<Layout, String> {
        let format = match kind {
            FileKind::Facts(format) => format,
            FileKind::Custom(layout) => return layout.resolve(columns).map(Layout::Custom),
            FileKind::Dimension(kind) => {
                return dimensions::DimensionLayout::from_header(kind, columns).map(Layout::Dimension)
            }
        };
        match format {
            Format::Rees46 => rees46::Rees46Layout::from_header(columns).map(Layout::Rees46),
            Format::OnlineRetail => online_retail::OnlineRetailLayout::from_header(columns).map(Layout::OnlineRetail),
            Format::Qcompany => qcompany::QcompanyLayout::from_header(columns).map(Layout::Qcompany),
            Format::Kiosk => kiosk::KioskLayout::from_header(columns).map(Layout::Kiosk),
            Format::Techco | Format::QcompanyApp => Err("logs are JSON, not CSV".into()),
        }
    }

    fn parse<'r>(&self, row: &Row<'r>) -> Result<Record<'r>, RowError> {
        match self {
            Layout::Rees46(layout) => layout.parse(row).map(Record::Interaction),
            Layout::OnlineRetail(layout) => layout.parse(row).and_then(amount_in_range).map(Record::OrderLine),
            Layout::Qcompany(layout) => layout.parse(row).and_then(amount_in_range).map(Record::OrderLine),
            Layout::Kiosk(layout) => layout.parse(row).map(Record::OrderLine),
            Layout::Custom(layout) => match layout.parse(row)? {
                Record::OrderLine(line) => amount_in_range(line).map(Record::OrderLine),
                record => Ok(record),
            },
            Layout::Dimension(layout) => layout.parse(row).map(Record::Dimension),
        }
    }
}

/// The largest line amount (quantity × unit price) read, in cents: as many integer
/// digits of money as a price may have. Sums of cents are exact only while they fit
/// in 64 bits, so a line beyond this is rejected rather than let wrap around.
pub const MAX_LINE_CENTS: i128 = 10i128.pow(17) - 1;

fn amount_in_range(line: OrderLine<'_>) -> Result<OrderLine<'_>, RowError> {
    let gross = i128::from(line.quantity) * i128::from(line.unit_cents);
    if gross.abs() > MAX_LINE_CENTS {
        let detail =
            format!("quantity {} × unit price {} cents exceeds {MAX_LINE_CENTS} cents", line.quantity, line.unit_cents);
        return Err(RowError::new("amount too large", detail));
    }
    Ok(line)
}

/// What reading a file's rows produced, before any of it is applied.
#[derive(Debug, Default)]
pub struct Scan {
    /// Data rows: records, not counting the header or blank lines.
    pub rows: u64,
    pub rejects: Vec<Reject>,
}

/// A rejected row: where it starts, why, and where its bytes are in the
/// (decompressed) file so that `_rejects/` can quote it.
#[derive(Clone, Debug)]
pub struct Reject {
    pub line: u64,
    pub error: RowError,
    bytes: (u64, u64),
    pub raw: String,
}

/// A file that cannot be read as its format at all: it is refused whole (SPEC §8).
#[derive(Debug)]
pub struct Unreadable {
    pub reason: String,
    pub rows: u64,
}

/// Reads every row of `path` as `format` (only the rows of `range`, when given),
/// handing each good record to `on_record`. Bad rows are collected with their
/// line and reason; a file that cannot be read as the format comes back as
/// [`Unreadable`].
pub fn scan_file<'k>(
    path: &Path,
    kind: impl Into<FileKind<'k>>,
    range: Option<ByteRange>,
    bytes_read: &AtomicU64,
    mut on_record: impl FnMut(Record<'_>),
) -> Result<Scan, Unreadable> {
    let kind = kind.into();
    let unreadable = |reason: String, rows| Unreadable { reason, rows };
    if let FileKind::Facts(format @ (Format::Techco | Format::QcompanyApp)) = kind {
        // JSON has no record boundary a byte range could find: the first range's
        // worker reads the whole file, any other range reads nothing.
        if range.is_some_and(|r| r.start > 0) {
            return Ok(Scan::default());
        }
        let mut data = Vec::new();
        open(path, bytes_read)
            .and_then(|mut input| input.read_to_end(&mut data))
            .map_err(|e| unreadable(format!("cannot read: {e}"), 0))?;
        return match format {
            Format::Techco => techco::scan_logs(&data, on_record),
            _ => qcompany_app::scan_logs(&data, on_record),
        };
    }
    let input = open(path, bytes_read).map_err(|e| unreadable(format!("cannot open: {e}"), 0))?;
    let mut rows = CsvRows::new(input);
    let columns = match rows.advance() {
        Ok(Some(_)) => Columns::new(&rows.row()),
        Ok(None) => return Err(unreadable("empty file: no header row".into(), 0)),
        Err(e) => return Err(unreadable(format!("cannot read: {e}"), 0)),
    };
    let width = rows.row().len();
    // A range is read from its own start, after the header has been read
    // above; its positions are shifted back to the file's bytes and lines.
    let mut shift = (0, 0);
    if let Some(range) = range {
        let mut file = File::open(path).map_err(|e| unreadable(format!("cannot open: {e}"), 0))?;
        file.seek(SeekFrom::Start(range.start)).map_err(|e| unreadable(format!("cannot read: {e}"), 0))?;
        let counted = CountingReader { inner: file, counter: bytes_read };
        rows = CsvRows::new(Box::new(counted.take(range.end - range.start)));
        shift = (range.start, range.lines_before);
        if range.start == 0 {
            // The first range starts with the header, read already.
            rows.advance().map_err(|e| unreadable(format!("cannot read: {e}"), 0))?;
        }
    }
    let layout = match Layout::for_header(kind, &columns) {
        Ok(layout) => layout,
        Err(why) => {
            let rows = count_remaining_rows(&mut rows);
            return Err(unreadable(format!("not a {} file: {why}", kind.name()), rows));
        }
    };

    let mut scan = Scan::default();
    loop {
        let position = match rows.advance() {
            Ok(Some(position)) => position,
            Ok(None) => break,
            Err(e) => return Err(unreadable(format!("cannot read: {e}"), scan.rows)),
        };
        scan.rows += 1;
        let row = rows.row();
        let outcome = if row.len() != width {
            Err(RowError::new("wrong field count", format!("expected {width} fields, found {}", row.len())))
        } else {
            layout.parse(&row).map(&mut on_record)
        };
        if let Err(error) = outcome {
            scan.rejects.push(Reject {
                line: position.line + shift.1,
                error,
                bytes: (position.start + shift.0, position.end + shift.0),
                raw: String::new(),
            });
        }
    }
    if !scan.rejects.is_empty() {
        quote_rejected_rows(path, &mut scan.rejects)
            .map_err(|e| unreadable(format!("cannot re-read rejected rows: {e}"), scan.rows))?;
    }
    Ok(scan)
}

/// Opens a file, decompressing `.gz`, counting the bytes read from disk.
fn open<'a>(path: &Path, bytes_read: &'a AtomicU64) -> io::Result<Box<dyn Read + 'a>> {
    let file = CountingReader { inner: File::open(path)?, counter: bytes_read };
    if is_compressed(path) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file))))
    } else {
        Ok(Box::new(file))
    }
}

pub fn is_compressed(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("gz"))
}

struct CountingReader<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn count_remaining_rows<R: Read>(rows: &mut CsvRows<R>) -> u64 {
    let mut count = 0;
    while let Ok(Some(_)) = rows.advance() {
        count += 1;
    }
    count
}

/// Line breaks in `bytes`: `\n`, `\r\n` and a lone `\r` each end one line.
fn line_breaks(bytes: &[u8]) -> u64 {
    let lone_returns = bytes.windows(2).filter(|pair| pair[0] == b'\r' && pair[1] != b'\n').count()
        + usize::from(bytes.last() == Some(&b'\r'));
    (bytes.iter().filter(|&&b| b == b'\n').count() + lone_returns) as u64
}

/// Rejected rows are rare, so rather than keep every row's raw bytes while reading,
/// the file is read a second time and only the rejected byte ranges are kept.
fn quote_rejected_rows(path: &Path, rejects: &mut [Reject]) -> io::Result<()> {
    let ignored = AtomicU64::new(0);
    let mut input = open(path, &ignored)?;
    let mut offset = 0u64;
    if !is_compressed(path) {
        // A range of a large file: start where its first rejected row does.
        let mut file = File::open(path)?;
        offset = rejects.first().map_or(0, |r| r.bytes.0);
        file.seek(SeekFrom::Start(offset))?;
        input = Box::new(file);
    }
    let mut buffer = vec![0u8; 1 << 16];
    let mut raw = Vec::new();
    for reject in rejects.iter_mut() {
        let (start, end) = reject.bytes;
        raw.clear();
        while offset < end {
            let want = buffer.len().min((end - offset) as usize);
            let n = input.read(&mut buffer[..want])?;
            if n == 0 {
                break;
            }
            let chunk_start = offset;
            offset += n as u64;
            let from = start.saturating_sub(chunk_start).min(n as u64) as usize;
            raw.extend_from_slice(&buffer[from..n]);
        }
        // The reader reports a record's position from where it started looking, so
        // blank lines before the record are part of the range: skip them, and count
        // them into the line number.
        let blank = raw.iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
        reject.line += line_breaks(&raw[..blank]);
        let mut record = &raw[blank..];
        while let [rest @ .., b'\n' | b'\r'] = record {
            record = rest;
        }
        reject.raw = String::from_utf8_lossy(record).into_owned();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's bytes and field ends, as the reader lays them out.
    fn row_of(fields: &[&[u8]]) -> (Vec<u8>, Vec<usize>) {
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(field);
            ends.push(bytes.len());
        }
        (bytes, ends)
    }

    #[test]
    fn trim_removes_what_str_trim_does() {
        for text in ["", " ", "a", " a", "a ", "\ta b\n", "\u{a0}x", "x\u{3000}", "é", " é ", "\u{85}", "a\u{2028}"] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn fields_of_a_valid_row_are_read_trimmed() {
        let (bytes, ends) = row_of(&[b" caf\xC3\xA9 ", b"", b"x"]);
        let row = Row::new(&bytes, &ends);
        assert_eq!(row.required(0, "brand"), Ok("café"));
        assert_eq!(row.optional(Some(1)), Ok(""));
        assert_eq!(row.required(1, "user_id").unwrap_err().kind, "missing required field");
        assert_eq!(row.optional(None), Ok(""));
    }

    #[test]
    fn a_character_split_across_two_fields_is_invalid_in_each() {
        // Back to back the two fields would read as "é"; apart, neither is UTF-8.
        let (bytes, ends) = row_of(&[b"ok", b"\xC3", b"\xA9"]);
        let row = Row::new(&bytes, &ends);
        assert_eq!(row.required(0, "event_type"), Ok("ok"));
        assert_eq!(row.required(1, "brand").unwrap_err().kind, "invalid UTF-8");
        assert_eq!(row.optional(Some(2)).unwrap_err().kind, "invalid UTF-8");
    }

    #[test]
    fn an_invalid_field_rejects_only_when_it_is_read() {
        let (bytes, ends) = row_of(&[b"ok", b"bad \xFF"]);
        let row = Row::new(&bytes, &ends);
        assert!(row.text.is_none());
        assert_eq!(row.required(0, "event_type"), Ok("ok"));
        assert_eq!(row.required(1, "brand").unwrap_err().detail, "in brand");
    }
}
