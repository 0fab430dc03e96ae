//! Splitting a CSV byte stream into rows, as the `csv` crate reads it (RFC 4180,
//! any of `\n`, `\r\n` and `\r` ending a row, blank lines skipped).
//!
//! Nearly every line of a large export is plain: no quote and no carriage
//! return. Such a line is split at its commas where it lies in the read buffer:
//! a few vectorised searches per row, and no copy. Any other row (quoted
//! fields, a field over several lines, `\r` line ends) goes through
//! `csv_core`'s parser, the one the `csv` crate uses, so quoting reads exactly
//! as it does there.

use std::io::{self, Read};

use csv_core::ReadRecordResult;
use memchr::{memchr3, memchr_iter};

use super::Row;

/// Where a row lies in the stream, counted as the `csv` crate counts: from
/// where the search for the row began (blank lines before it included) to just
/// past its last byte read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowPosition {
    /// The line the search began on, from 1, counting `\n` only.
    pub line: u64,
    pub start: u64,
    pub end: u64,
}

pub struct CsvRows<R> {
    input: R,
    buffer: Vec<u8>,
    /// The bytes not read yet are `buffer[start..filled]`.
    start: usize,
    filled: usize,
    eof: bool,
    /// The stream position of `buffer[start]`.
    byte: u64,
    line: u64,
    parser: csv_core::Reader,
    /// Output space for the parser: field bytes back to back, and their ends.
    parser_fields: Vec<u8>,
    parser_ends: Vec<usize>,
    /// The current row: its bytes, each field followed by a comma but the last,
    /// and where each field ends. A plain row's bytes are `buffer[plain]`; a
    /// parsed row's are `parsed`.
    plain: Option<(usize, usize)>,
    parsed: Vec<u8>,
    ends: Vec<usize>,
}

/// Appends where each comma of `text` is.
///
/// Eight bytes at a time: the fields of a line are a dozen bytes or so apart,
/// too close for a vectorised search per comma to pay for its set-up.
fn push_commas(text: &[u8], ends: &mut Vec<usize>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    let mut words = text.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let diff = u64::from_le_bytes(word.try_into().expect("eight bytes")) ^ COMMAS;
        // The top bit of each byte that is zero in `diff`, exactly: no carry
        // crosses a byte, as it would in the shorter `(x - 0x01..) & !x` test.
        let mut commas = !(((diff & LOW7) + LOW7) | diff | LOW7);
        while commas != 0 {
            ends.push(base + commas.trailing_zeros() as usize / 8);
            commas &= commas - 1;
        }
        base += 8;
    }
    for (i, &byte) in words.remainder().iter().enumerate() {
        if byte == b',' {
            ends.push(base + i);
        }
    }
}

impl<R: Read> CsvRows<R> {
    pub fn new(input: R) -> Self {
        Self::with_capacity(input, 1 << 20)
    }

    /// `capacity` is where the buffer starts; it grows to hold the longest row.
    pub fn with_capacity(input: R, capacity: usize) -> Self {
        CsvRows {
            input,
            buffer: vec![0; capacity.max(1)],
            start: 0,
            filled: 0,
            eof: false,
            byte: 0,
            line: 1,
            parser: csv_core::Reader::new(),
            parser_fields: vec![0; 256],
            parser_ends: vec![0; 32],
            plain: None,
            parsed: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Moves to the next row, if there is one.
    pub fn advance(&mut self) -> io::Result<Option<RowPosition>> {
        let (start, line) = (self.byte, self.line);
        loop {
            let unread = &self.buffer[self.start..self.filled];
            // One search finds the line's end, or a byte that only the parser reads.
            let end = match memchr3(b'\n', b'"', b'\r', unread) {
                Some(end) if unread[end] == b'\n' => end,
                Some(_) => return self.parse(start, line),
                None if self.eof && unread.is_empty() => return Ok(None),
                None if self.eof => unread.len(),
                None => {
                    self.refill()?;
                    continue;
                }
            };
            let text = &unread[..end];
            let consumed = (end + 1).min(unread.len());
            if text.is_empty() {
                self.consume_plain(consumed);
                continue;
            }
            self.ends.clear();
            push_commas(text, &mut self.ends);
            self.ends.push(end);
            self.plain = Some((self.start, self.start + end));
            self.consume_plain(consumed);
            return Ok(Some(RowPosition { line, start, end: self.byte }));
        }
    }

    /// The current row.
    pub fn row(&self) -> Row<'_> {
        let bytes = match self.plain {
            Some((from, to)) => &self.buffer[from..to],
            None => &self.parsed[..],
        };
        Row::new(bytes, &self.ends)
    }

    /// Reads one row with the full parser, from the start of the unread bytes.
    fn parse(&mut self, start: u64, line: u64) -> io::Result<Option<RowPosition>> {
        self.parser.reset();
        let (mut fields_len, mut ends_len) = (0, 0);
        loop {
            if self.start == self.filled && !self.eof {
                // The parser takes empty input for the end of the stream.
                self.refill()?;
                continue;
            }
            let input = &self.buffer[self.start..self.filled];
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.parser_fields[fields_len..],
                &mut self.parser_ends[ends_len..],
            );
            self.line += memchr_iter(b'\n', &input[..read]).count() as u64;
            self.start += read;
            self.byte += read as u64;
            fields_len += written;
            ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !self.eof {
                        self.refill()?;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let grown = self.parser_fields.len() * 2;
                    self.parser_fields.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.parser_ends.len() * 2;
                    self.parser_ends.resize(grown, 0);
                }
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return Ok(None),
            }
        }
        // Lay the fields out as a plain row's are, a comma after each but the last.
        self.parsed.clear();
        self.ends.clear();
        let mut from = 0;
        for (i, &to) in self.parser_ends[..ends_len].iter().enumerate() {
            if i > 0 {
                self.parsed.push(b',');
            }
            self.parsed.extend_from_slice(&self.parser_fields[from..to]);
            self.ends.push(self.parsed.len());
            from = to;
        }
        self.plain = None;
        Ok(Some(RowPosition { line, start, end: self.byte }))
    }

    /// Steps past `n` bytes of plain rows and blank lines, in which only `\n` ends a line.
    fn consume_plain(&mut self, n: usize) {
        let newline = n > 0 && self.buffer[self.start + n - 1] == b'\n';
        self.start += n;
        self.byte += n as u64;
        self.line += u64::from(newline);
    }

    /// Moves the unread bytes to the front of the buffer and reads more after
    /// them, growing the buffer when a row fills it.
    fn refill(&mut self) -> io::Result<()> {
        self.buffer.copy_within(self.start..self.filled, 0);
        self.filled -= self.start;
        self.start = 0;
        if self.filled == self.buffer.len() {
            let grown = self.buffer.len() * 2;
            self.buffer.resize(grown, 0);
        }
        loop {
            match self.input.read(&mut self.buffer[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the `csv` crate reads from `data`: each record's fields, its line as
    /// quoting a rejected row reports it, and its bytes without blank lines
    /// before it or line ends after it.
    fn with_csv(data: &[u8]) -> Vec<(Vec<Vec<u8>>, u64, Vec<u8>)> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(data);
        let mut record = csv::ByteRecord::new();
        let mut rows = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let position = record.position().unwrap();
            let span = (position.line(), position.byte(), reader.position().byte());
            rows.push((record.iter().map(<[u8]>::to_vec).collect(), span));
        }
        rows.into_iter().map(|(fields, (line, from, to))| (fields, quoted(data, line, from, to))).map(flatten).collect()
    }

    fn with_csv_rows(data: &[u8], capacity: usize) -> Vec<(Vec<Vec<u8>>, u64, Vec<u8>)> {
        let mut rows = CsvRows::with_capacity(data, capacity);
        let mut out = Vec::new();
        while let Some(position) = rows.advance().unwrap() {
            let row = rows.row();
            let fields = (0..row.len()).map(|i| row.bytes(i).to_vec()).collect();
            out.push(flatten((fields, quoted(data, position.line, position.start, position.end))));
        }
        out
    }

    fn flatten<A, B, C>((a, (b, c)): (A, (B, C))) -> (A, B, C) {
        (a, b, c)
    }

    /// The line and bytes a rejected row is quoted with (see `quote_rejected_rows`).
    fn quoted(data: &[u8], line: u64, from: u64, to: u64) -> (u64, Vec<u8>) {
        let raw = &data[from as usize..to as usize];
        let blank = raw.iter().take_while(|&&b| b == b'\n' || b == b'\r').count();
        let mut record = &raw[blank..];
        while let [rest @ .., b'\n' | b'\r'] = record {
            record = rest;
        }
        (line + super::super::line_breaks(&raw[..blank]), record.to_vec())
    }

    #[test]
    fn rows_match_the_csv_crate_on_awkward_input() {
        let cases: &[&[u8]] = &[
            b"",
            b"a,b\n",
            b"a,b",
            b"a,,b\n\n\nc\n",
            b"\n\na\n",
            b"a,\"b,c\"\nd\n",
            b"a,\"multi\nline\",x\ny\n",
            b"a\r\nb\r\n\r\nc",
            b"a\rb\rc\r",
            b"\"unterminated\nrow",
            b"a\"b,c\n",
            b"\"\"\"\",x\n",
            b" , \n,\n",
            b"caf\xC3\xA9,\xFF\n",
            b"a,b\r\n\"q\"\r\nc,d\n",
        ];
        for data in cases {
            for capacity in [1, 3, 1 << 10] {
                assert_eq!(with_csv_rows(data, capacity), with_csv(data), "{:?} at capacity {capacity}", data);
            }
        }
    }

    #[test]
    fn rows_match_the_csv_crate_on_random_input() {
        let alphabet = b"ab,,\"\n\n\r ";
        let mut random = crate::test_sequence(0x2545_f491_4f6c_dd1d);
        let mut next = move |bound: usize| random(bound as u64) as usize;
        for case in 0..3000 {
            let len = next(40);
            let data: Vec<u8> = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let capacity = 1 + next(12);
            assert_eq!(
                with_csv_rows(&data, capacity),
                with_csv(&data),
                "case {case}: {:?}",
                String::from_utf8_lossy(&data)
            );
        }
    }

    #[test]
    fn commas_are_found_next_to_every_byte_value() {
        // Each byte value before and after a comma, at every offset within a
        // word: a test that lets a carry cross bytes would mark a neighbour.
        for value in 0..=255u8 {
            for offset in 0..17 {
                let mut text = vec![b'a'; offset];
                text.extend_from_slice(&[value, b',', value, value.wrapping_add(1), b',']);
                text.extend(std::iter::repeat_n(value, 9));
                let expected: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b',').collect();
                let mut found = Vec::new();
                push_commas(&text, &mut found);
                assert_eq!(found, expected, "byte {value} at offset {offset}");
            }
        }
    }
}
