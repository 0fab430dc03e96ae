//! Logs as JSON lines or one JSON array (SPEC §2: techco web logs, qcompany app
//! logs): the row boundaries, line numbers and file-level errors both share, and
//! JSON scalars read as text the way CSV fields are.
//!
//! A line of JSON lines, or an element of an array, that a format cannot read is a
//! rejected row; a file whose JSON cannot be followed to its end is refused whole.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;

use super::{Reject, RowError, Scan, Unreadable};

/// A JSON scalar as text: strings as they are, numbers as written by Rust.
#[derive(Debug)]
pub enum Scalar<'a> {
    Text(Cow<'a, str>),
    Integer(i128),
    Float(f64),
    Bool(bool),
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ScalarVisitor<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Integer(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Integer(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
        }
        deserializer.deserialize_any(ScalarVisitor(std::marker::PhantomData))
    }
}

/// Text buffers for scalars that are not strings, reused from row to row.
pub struct Scratch<const N: usize> {
    pub buffers: [String; N],
}

impl<const N: usize> Default for Scratch<N> {
    fn default() -> Self {
        Scratch { buffers: std::array::from_fn(|_| String::new()) }
    }
}

/// The text of a field, trimmed; empty when null or absent.
pub fn text<'s>(value: &'s Option<Scalar<'_>>, buffer: &'s mut String) -> &'s str {
    buffer.clear();
    match value {
        None => "",
        Some(Scalar::Text(text)) => text.trim(),
        Some(Scalar::Integer(n)) => {
            let _ = write!(buffer, "{n}");
            buffer
        }
        Some(Scalar::Float(x)) => {
            let _ = write!(buffer, "{x}");
            buffer
        }
        Some(Scalar::Bool(b)) => {
            let _ = write!(buffer, "{b}");
            buffer
        }
    }
}

/// Reads a log file's bytes (already decompressed), JSON lines or one array, handing
/// each row's bytes to `read_row`; a row it cannot read becomes a [`Reject`] with the
/// physical line the row starts on.
pub fn scan_rows(data: &[u8], mut read_row: impl FnMut(&[u8]) -> Result<(), RowError>) -> Result<Scan, Unreadable> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut scan = Scan::default();
    let mut handle = |scan: &mut Scan, start: usize, end: usize, line: u64| {
        scan.rows += 1;
        let bytes = &data[start..end];
        let outcome = read_row(bytes);
        if let Err(error) = outcome {
            let raw = String::from_utf8_lossy(bytes).trim_end().to_string();
            scan.rejects.push(Reject { line, error, bytes: (start as u64, end as u64), raw });
        }
    };
    let first = data.iter().position(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|i| data[i] == b'[') {
        let refuse = |reason: &str, rows| Err(Unreadable { reason: reason.into(), rows });
        let mut at = first.unwrap_or(0) + 1;
        let mut line = 1 + newlines(&data[..at]);
        let skip_space = |at: &mut usize, line: &mut u64| {
            let skipped = data[*at..].iter().take_while(|b| b.is_ascii_whitespace()).count();
            *line += newlines(&data[*at..*at + skipped]);
            *at += skipped;
        };
        loop {
            skip_space(&mut at, &mut line);
            if scan.rows > 0 {
                // After an element: a comma and the next one, or the end.
                match data.get(at) {
                    Some(b']') => break,
                    Some(b',') => {
                        at += 1;
                        skip_space(&mut at, &mut line);
                    }
                    _ => return refuse("cannot read as JSON: expected `,` or `]` after an array element", scan.rows),
                }
            }
            match data.get(at) {
                Some(b']') if scan.rows == 0 => break,
                Some(b']') => return refuse("cannot read as JSON: a trailing comma in the array", scan.rows),
                None => return refuse("the JSON array is not closed", scan.rows),
                Some(_) => {}
            }
            let mut values = serde_json::Deserializer::from_slice(&data[at..]).into_iter::<IgnoredAny>();
            if let Some(Err(e)) = values.next() {
                return Err(Unreadable { reason: format!("cannot read as JSON: {e}"), rows: scan.rows });
            }
            let end = at + values.byte_offset();
            handle(&mut scan, at, end, line);
            line += newlines(&data[at..end]);
            at = end;
        }
        if data[at + 1..].iter().any(|b| !b.is_ascii_whitespace()) {
            return refuse("cannot read as JSON: text after the array", scan.rows);
        }
    } else {
        let mut line = 0;
        let mut at = 0;
        for piece in data.split_inclusive(|&b| b == b'\n') {
            line += 1;
            let start = at;
            at += piece.len();
            if piece.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            handle(&mut scan, start, at, line);
        }
    }
    Ok(scan)
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
