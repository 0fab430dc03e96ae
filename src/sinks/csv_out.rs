//! Report CSV files: RFC 4180 quoting, `\n` line ends, exact number formats
//! (SPEC §4), and atomic replacement so a reader never sees half a file (SPEC §5).
//! Change logs are the one kind of file that grows: they are appended to.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A CSV file being written: either a replacement, written beside its final
/// name and renamed into place, or rows appended to a file. Rows are encoded
/// into a memory buffer first, which is also how [`render`] pre-encodes a row.
pub struct CsvOut {
    /// Encoded rows not yet written to the file.
    encoded: Vec<u8>,
    /// `None` for an in-memory renderer.
    file: Option<File>,
    /// Where the replacement is written, then renamed from; `None` when appending.
    temporary: Option<PathBuf>,
    target: PathBuf,
    scratch: String,
}

impl CsvOut {
    /// Starts a file that replaces `target` when finished.
    pub fn replace(target: &Path, header: &[&str]) -> io::Result<Self> {
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("report");
        let temporary = target.with_file_name(format!(".{name}.tmp"));
        let mut out = CsvOut::on(Some(File::create(&temporary)?), target);
        out.temporary = Some(temporary);
        out.header(header)?;
        Ok(out)
    }

    /// Appends rows to `target`, starting it with `header` if it is new or empty.
    pub fn append(target: &Path, header: &[&str]) -> io::Result<Self> {
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = fs::OpenOptions::new().create(true).append(true).open(target)?;
        let empty = file.metadata()?.len() == 0;
        let mut out = CsvOut::on(Some(file), target);
        if empty {
            out.header(header)?;
        }
        Ok(out)
    }

    fn on(file: Option<File>, target: &Path) -> Self {
        CsvOut { encoded: Vec::new(), file, temporary: None, target: target.to_path_buf(), scratch: String::new() }
    }

    fn header(&mut self, names: &[&str]) -> io::Result<()> {
        let mut fields = self.row();
        names.iter().for_each(|name| _ = fields.text(name));
        fields.end()
    }

    /// Starts a row: add fields in column order, then call [`Fields::end`].
    pub fn row(&mut self) -> Fields<'_> {
        let start = self.encoded.len();
        Fields { out: self, start, fields: 0 }
    }

    /// Adds rows encoded earlier by [`render`].
    pub fn rendered(&mut self, line: &[u8]) -> io::Result<()> {
        self.encoded.extend_from_slice(line);
        self.spill()
    }

    /// Moves the encoded rows to the file once enough have gathered.
    fn spill(&mut self) -> io::Result<()> {
        if self.encoded.len() >= 1 << 16 {
            self.write_out()?;
        }
        Ok(())
    }

    fn write_out(&mut self) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            file.write_all(&self.encoded)?;
            self.encoded.clear();
        }
        Ok(())
    }

    /// Flushes the file to disk and, for a replacement, renames it into place.
    pub fn finish(self) -> io::Result<()> {
        commit(vec![self.close()?])
    }

    /// Writes out the rows and starts the file's way to disk; [`commit`] waits
    /// for it and puts a replacement in place.
    pub fn close(mut self) -> io::Result<Closed> {
        self.write_out()?;
        let file = self.file.take().expect("a file, not an in-memory renderer, is closed");
        start_writeback(&file);
        Ok(Closed { file, rename: self.temporary.take().map(|temporary| (temporary, self.target.clone())) })
    }
}

/// A file written in full whose data may not be on disk yet.
pub struct Closed {
    file: File,
    /// For a replacement: from its temporary name to its final one.
    rename: Option<(PathBuf, PathBuf)>,
}

/// Waits until every file is on disk, then renames the replacements into place.
/// A worker writes a few dozen files per epoch: its writeback started as each was
/// closed, so the file system can commit them together instead of one journal
/// commit per file.
pub fn commit(files: Vec<Closed>) -> io::Result<()> {
    for closed in &files {
        closed.file.sync_data()?;
    }
    for closed in files {
        if let Some((temporary, target)) = closed.rename {
            fs::rename(temporary, target)?;
        }
    }
    Ok(())
}

/// Asks the kernel to start writing the file's data back now, without waiting.
#[cfg(target_os = "linux")]
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the call; the call only schedules I/O.
    // A failure is not an error: the sync in `commit` writes the data anyway.
    unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File) {}

/// One row encoded as a CSV line, ready for [`CsvOut::rendered`]: tables keep
/// their rows encoded, so rewriting a large report copies bytes instead of
/// formatting every row again.
pub fn render(write: impl FnOnce(&mut Fields<'_>)) -> Box<[u8]> {
    thread_local! {
        static RENDERER: std::cell::RefCell<CsvOut> =
            std::cell::RefCell::new(CsvOut::on(None, Path::new("")));
    }
    RENDERER.with(|renderer| {
        let mut renderer = renderer.borrow_mut();
        let mut fields = renderer.row();
        write(&mut fields);
        fields.end().expect("encoding into memory cannot fail");
        let line = renderer.encoded.as_slice().into();
        renderer.encoded.clear();
        line
    })
}

/// Appends `field` as RFC 4180 asks: as it stands, or quoted with its quotes
/// doubled when it holds a delimiter, a quote or a line break (`\r` too, which
/// readers take as a line end).
fn encode_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// The fields of one row, with the number formats every report shares.
pub struct Fields<'a> {
    out: &'a mut CsvOut,
    /// Where the row starts in the encoded bytes.
    start: usize,
    fields: usize,
}

impl Fields<'_> {
    pub fn text(&mut self, value: &str) -> &mut Self {
        if self.fields > 0 {
            self.out.encoded.push(b',');
        }
        encode_field(&mut self.out.encoded, value.as_bytes());
        self.fields += 1;
        self
    }

    fn formatted(&mut self, format: impl FnOnce(&mut String)) -> &mut Self {
        let mut scratch = std::mem::take(&mut self.out.scratch);
        scratch.clear();
        format(&mut scratch);
        self.text(&scratch);
        self.out.scratch = scratch;
        self
    }

    /// An integer: never quoted, so its digits go straight into the row.
    pub fn int(&mut self, value: impl itoa::Integer) -> &mut Self {
        self.digits(itoa::Buffer::new().format(value))
    }

    /// A field the caller knows needs no quoting (digits, sign, point).
    fn digits(&mut self, value: &str) -> &mut Self {
        self.unquoted(|out| out.extend_from_slice(value.as_bytes()))
    }

    /// `scaled / 10^places` in fixed point: see [`write_fixed`].
    fn fixed(&mut self, scaled: i128, places: u32) -> &mut Self {
        self.unquoted(|out| write_fixed(out, scaled, places))
    }

    /// A field that `write` appends as it stands: numbers never need quoting.
    fn unquoted(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> &mut Self {
        if self.fields > 0 {
            self.out.encoded.push(b',');
        }
        write(&mut self.out.encoded);
        self.fields += 1;
        self
    }

    /// Integer cents as money with exactly two decimals.
    pub fn money(&mut self, cents: i64) -> &mut Self {
        self.fixed(i128::from(cents), 2)
    }

    /// Money, or an empty field for a value that cannot be computed.
    pub fn money_or_empty(&mut self, cents: Option<i64>) -> &mut Self {
        match cents {
            Some(cents) => self.money(cents),
            None => self.text(""),
        }
    }

    /// A calendar day (days since 1970-01-01) as `YYYY-MM-DD`.
    pub fn date(&mut self, day: i32) -> &mut Self {
        let (year, month, day) = crate::formats::fields::civil_from_days(i64::from(day));
        self.formatted(|s| {
            let _ = write!(s, "{year:04}-{month:02}-{day:02}");
        })
    }

    /// A calendar month (year × 12 + month − 1) as `YYYY-MM`.
    pub fn month(&mut self, month: u32) -> &mut Self {
        let (year, month) = (month / 12, month % 12 + 1);
        self.formatted(|s| {
            let _ = write!(s, "{year:04}-{month:02}");
        })
    }

    /// `numerator / denominator` with `places` decimals, rounded half away from zero;
    /// an empty field when the denominator is zero.
    pub fn ratio(&mut self, numerator: i64, denominator: i64, places: u32) -> &mut Self {
        match rounded_ratio(numerator, denominator, places) {
            Some(scaled) => self.fixed(scaled, places),
            None => self.text(""),
        }
    }

    /// A rate or share: six decimals.
    pub fn rate(&mut self, numerator: i64, denominator: i64) -> &mut Self {
        self.ratio(numerator, denominator, 6)
    }

    /// Ends the row. A row of no bytes at all (one empty field) is written `""`,
    /// so that it is not read as a blank line.
    pub fn end(&mut self) -> io::Result<()> {
        if self.out.encoded.len() == self.start {
            self.out.encoded.extend_from_slice(b"\"\"");
        }
        self.out.encoded.push(b'\n');
        self.out.spill()
    }
}

/// `numerator / denominator` scaled by 10^places and rounded half away from zero.
pub fn rounded_ratio(numerator: i64, denominator: i64, places: u32) -> Option<i128> {
    if denominator == 0 {
        return None;
    }
    // Counts and cents times 10^6 fit in 64 bits, whose division is a machine
    // instruction where 128-bit division is a library call; the wide form is
    // for the sums that do not fit.
    let narrow = 10i64.checked_pow(places).and_then(|scale| numerator.checked_mul(scale));
    Some(match narrow {
        Some(scaled) if denominator != -1 => i128::from(divide_rounded_64(scaled, denominator)),
        _ => divide_rounded(i128::from(numerator) * 10i128.pow(places), i128::from(denominator)),
    })
}

/// [`divide_rounded`] in 64 bits; `denominator` is neither 0 nor -1.
fn divide_rounded_64(numerator: i64, denominator: i64) -> i64 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    // |remainder| < |denominator| <= 2^63, so twice it fits in u64.
    if 2 * remainder.unsigned_abs() >= denominator.unsigned_abs() {
        quotient + if (numerator < 0) == (denominator < 0) { 1 } else { -1 }
    } else {
        quotient
    }
}

/// Integer division rounded half away from zero.
pub fn divide_rounded(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator.abs() {
        quotient + if (numerator < 0) == (denominator < 0) { 1 } else { -1 }
    } else {
        quotient
    }
}

/// Appends `scaled / 10^places` in fixed point to `out`, e.g. (-5, 2) as
/// `-0.05`. `places` is at most 19, so that 10^places fits in 64 bits.
fn write_fixed(out: &mut Vec<u8>, scaled: i128, places: u32) {
    let unit = 10u64.pow(places);
    let magnitude = scaled.unsigned_abs();
    if scaled < 0 {
        out.push(b'-');
    }
    // Below 2^64 (every figure a report shows), the 64-bit forms spare 128-bit division.
    let fraction = match u64::try_from(magnitude) {
        Ok(magnitude) => {
            out.extend_from_slice(itoa::Buffer::new().format(magnitude / unit).as_bytes());
            magnitude % unit
        }
        Err(_) => {
            out.extend_from_slice(itoa::Buffer::new().format(magnitude / u128::from(unit)).as_bytes());
            (magnitude % u128::from(unit)) as u64
        }
    };
    out.push(b'.');
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(fraction).as_bytes();
    out.resize(out.len() + (places as usize).saturating_sub(digits.len()), b'0');
    out.extend_from_slice(digits);
}

/// Flushes `bytes` to `target` atomically.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir)?;
    }
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temporary = target.with_file_name(format!(".{name}.tmp"));
    let mut file = File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_data()?;
    drop(file);
    fs::rename(&temporary, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(divide_rounded(5, 2), 3);
        assert_eq!(divide_rounded(-5, 2), -3);
        assert_eq!(divide_rounded(4, 3), 1);
        assert_eq!(divide_rounded(-4, 3), -1);
        assert_eq!(rounded_ratio(1, 3, 6), Some(333_333));
        assert_eq!(rounded_ratio(2, 3, 6), Some(666_667));
        assert_eq!(rounded_ratio(1, 0, 6), None);
        // The 64-bit form and the 128-bit one agree, signs and halves included.
        for numerator in [-7, -5, -1, 0, 1, 2, 5, 7, 1_000_003, i64::MAX / 1_000_000, i64::MIN / 1_000_000] {
            for denominator in [-3, -2, -1, 1, 2, 3, 7, 1_000_000, i64::MAX, i64::MIN] {
                for places in [0, 2, 6] {
                    let wide = divide_rounded(i128::from(numerator) * 10i128.pow(places), i128::from(denominator));
                    assert_eq!(rounded_ratio(numerator, denominator, places), Some(wide), "{numerator}/{denominator}");
                }
            }
        }
        // Too wide for 64 bits once scaled.
        assert_eq!(rounded_ratio(i64::MAX, 1, 6), Some(i128::from(i64::MAX) * 1_000_000));
    }

    fn encoded(fields: &[&str]) -> String {
        let line = render(|row| fields.iter().for_each(|field| _ = row.text(field)));
        String::from_utf8(line.into_vec()).unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(encoded(&["plain", "", "café"]), "plain,,café\n");
        assert_eq!(
            encoded(&["a,b", "say \"hi\"", "two\nlines", "cr\rhere"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\"\n"
        );
        assert_eq!(encoded(&[" spaced ", "#", "'"]), " spaced ,#,'\n");
        // A row of one empty field is not a blank line.
        assert_eq!(encoded(&[""]), "\"\"\n");
        assert_eq!(encoded(&["", ""]), ",\n");
    }

    #[test]
    fn encoding_matches_the_csv_crate() {
        // Every field shape a report can hold, against the csv crate's writer.
        let shapes = ["", "x", "a,b", "\"", "\"q\"", "\n", "\r\n", "é,\"", " a ", "1.00", "-0.05"];
        for first in shapes {
            for second in shapes {
                let mut writer =
                    csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
                writer.write_record([first, second]).unwrap();
                let want = String::from_utf8(writer.into_inner().unwrap()).unwrap();
                assert_eq!(encoded(&[first, second]), want, "{first:?}, {second:?}");
            }
        }
    }

    #[test]
    fn fixed_point_text() {
        let show = |scaled, places| {
            let mut text = Vec::new();
            write_fixed(&mut text, scaled, places);
            String::from_utf8(text).unwrap()
        };
        assert_eq!(show(-5, 2), "-0.05");
        assert_eq!(show(123_456, 2), "1234.56");
        assert_eq!(show(0, 6), "0.000000");
        assert_eq!(show(1_000_000, 6), "1.000000");
        assert_eq!(show(-1_000_001, 6), "-1.000001");
        assert_eq!(show(i128::MIN, 6), "-170141183460469231731687303715884.105728");
        assert_eq!(show(i128::from(i64::MAX) * 3, 2), format!("{}.{}", i128::from(i64::MAX) * 3 / 100, "21"));
    }
}
