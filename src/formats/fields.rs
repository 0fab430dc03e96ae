//! Field-level parsing shared by every input format: money, quantities, timestamps.
//!
//! All parsers work on borrowed `&str` and never allocate: they run once per field
//! per row, on the hot path of ingest.

/// A wall-clock time as written in the source: seconds since 1970-01-01 00:00:00
/// on the record's own local clock. Keeping the local clock (not UTC) is what
/// hour-of-day and daypart reports need (SPEC §2).
pub type LocalTime = i64;

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Parses a plain decimal `[+-]?digits[.digits]` into integer cents, rounding half
/// away from zero. Exponents, thousands separators and anything else are refused,
/// so `1e3`, `12,50` and `N/A` do not parse.
pub fn parse_cents(text: &str) -> Result<i64, &'static str> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], &digits[dot + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    let has_dot = whole.len() != digits.len();
    if whole.is_empty() || (has_dot && fraction.is_empty()) {
        return Err("not a plain decimal number");
    }
    if !whole.iter().chain(fraction).all(u8::is_ascii_digit) {
        return Err("not a plain decimal number");
    }
    // 15 integer digits keep every cents sum of a realistic data set inside i64.
    let whole = trim_leading_zeros(whole);
    if whole.len() > 15 {
        return Err("number too large");
    }
    let mut cents: i64 = 0;
    for &d in whole {
        cents = cents * 10 + i64::from(d - b'0');
    }
    let digit = |i: usize| fraction.get(i).map_or(0, |d| i64::from(d - b'0'));
    cents = cents * 100 + digit(0) * 10 + digit(1);
    if digit(2) >= 5 {
        cents += 1;
    }
    let is_negative_value = negative && fraction.iter().chain(whole).any(|&d| d != b'0');
    Ok(if is_negative_value { -cents } else { cents })
}

/// True when the text, read as a plain decimal, is below zero (`-0.00` is not).
pub fn is_negative_decimal(text: &str) -> bool {
    text.strip_prefix('-').is_some_and(|rest| rest.bytes().any(|b| (b'1'..=b'9').contains(&b)))
}

fn trim_leading_zeros(digits: &[u8]) -> &[u8] {
    let first = digits.iter().position(|&d| d != b'0').unwrap_or(digits.len());
    &digits[first..]
}

/// A yes/no field: `true/false`, `1/0`, `yes/no`, `t/f`, `y/n` in any case; empty is no.
pub fn parse_flag(text: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["true", "1", "yes", "t", "y"];
    const FALSE: [&str; 6] = ["false", "0", "no", "f", "n", ""];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|f| text.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// Parses an integer quantity such as `12`, `-3` or `+4`.
pub fn parse_quantity(text: &str) -> Result<i64, &'static str> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not an integer");
    }
    let value = digits.bytes().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Ok(if negative { -value } else { value })
}

/// Parses every timestamp form of SPEC §2 into the record's local wall clock:
/// `2019-10-01 00:00:07 UTC`, ISO 8601 (`T` or space, optional fraction, optional
/// `Z`/`±hh:mm`/`±hhmm`), `2010-12-01 08:26:00`, `12/1/2010 8:26`, `20100112`.
pub fn parse_time(text: &str) -> Result<LocalTime, &'static str> {
    const BAD: &str = "unrecognised timestamp";
    let mut s = Scanner { bytes: text.as_bytes(), at: 0 };
    let (year, month, day);
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        year = s.fixed(4).ok_or(BAD)?;
        month = s.fixed(2).ok_or(BAD)?;
        day = s.fixed(2).ok_or(BAD)?;
        return civil_seconds(year, month, day, 0, 0, 0);
    }
    if text.as_bytes().get(4) == Some(&b'-') {
        year = s.fixed(4).ok_or(BAD)?;
        s.expect(b'-').ok_or(BAD)?;
        month = s.fixed(2).ok_or(BAD)?;
        s.expect(b'-').ok_or(BAD)?;
        day = s.fixed(2).ok_or(BAD)?;
        if s.done() {
            return civil_seconds(year, month, day, 0, 0, 0);
        }
        if !(s.eat(b'T') || s.eat(b' ')) {
            return Err(BAD);
        }
        let hour = s.fixed(2).ok_or(BAD)?;
        s.expect(b':').ok_or(BAD)?;
        let minute = s.fixed(2).ok_or(BAD)?;
        let second = if s.eat(b':') { s.fixed(2).ok_or(BAD)? } else { 0 };
        if s.eat(b'.') || s.eat(b',') {
            s.digits(1, 9).ok_or(BAD)?; // sub-second precision is not reported anywhere
        }
        s.eat(b' ');
        let rest = &text[s.at..];
        // An offset is kept as written: the local clock is what reports show.
        if !(rest.is_empty() || rest == "UTC" || rest == "Z" || is_offset(rest)) {
            return Err(BAD);
        }
        return civil_seconds(year, month, day, hour, minute, second);
    }
    // US form: M/D/YYYY H:MM[:SS]
    month = s.digits(1, 2).ok_or(BAD)?;
    s.expect(b'/').ok_or(BAD)?;
    day = s.digits(1, 2).ok_or(BAD)?;
    s.expect(b'/').ok_or(BAD)?;
    year = s.fixed(4).ok_or(BAD)?;
    if s.done() {
        return civil_seconds(year, month, day, 0, 0, 0);
    }
    s.expect(b' ').ok_or(BAD)?;
    let hour = s.digits(1, 2).ok_or(BAD)?;
    s.expect(b':').ok_or(BAD)?;
    let minute = s.fixed(2).ok_or(BAD)?;
    let second = if s.eat(b':') { s.fixed(2).ok_or(BAD)? } else { 0 };
    if !s.done() {
        return Err(BAD);
    }
    civil_seconds(year, month, day, hour, minute, second)
}

fn is_offset(rest: &str) -> bool {
    let b = rest.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    matches!(b.first(), Some(b'+' | b'-'))
        && match b.len() {
            3 => digits(1..3),
            5 => digits(1..5),
            6 => b[3] == b':' && digits(1..3) && digits(4..6),
            _ => false,
        }
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.bytes.get(self.at) == Some(&b);
        self.at += usize::from(hit);
        hit
    }
    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }
    fn fixed(&mut self, n: usize) -> Option<i64> {
        self.digits(n, n)
    }
    /// Reads between `min` and `max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.at;
        let mut value = 0i64;
        while self.at - start < max {
            match self.bytes.get(self.at) {
                Some(d) if d.is_ascii_digit() => value = value * 10 + i64::from(d - b'0'),
                _ => break,
            }
            self.at += 1;
        }
        (self.at - start >= min).then_some(value)
    }
}

fn civil_seconds(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Result<LocalTime, &'static str> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err("date out of range");
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err("time of day out of range");
    }
    Ok(days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second.min(59))
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar date of a day number, inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Hour of day (0–23) on the record's local clock.
pub fn hour_of_day(time: LocalTime) -> u8 {
    (time.rem_euclid(SECONDS_PER_DAY) / 3600) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(parse_cents("12.345"), Ok(1235));
        assert_eq!(parse_cents("12.3449"), Ok(1234));
        assert_eq!(parse_cents("-1.005"), Ok(-101));
        assert_eq!(parse_cents("7"), Ok(700));
        assert_eq!(parse_cents("+0.5"), Ok(50));
        assert_eq!(parse_cents("-0.00"), Ok(0));
        assert_eq!(parse_cents("2574.07"), Ok(257_407));
        assert_eq!(parse_cents("0001.10"), Ok(110));
    }

    #[test]
    fn cents_refuse_anything_but_plain_decimals() {
        for bad in ["", "1e3", "12,50", "N/A", ".5", "5.", "1.2.3", "--1", "+", " 1", "1_000", "inf"] {
            assert!(parse_cents(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(parse_cents("1234567890123456").is_err());
    }

    #[test]
    fn negative_means_below_zero() {
        assert!(is_negative_decimal("-0.01"));
        assert!(is_negative_decimal("-3"));
        assert!(!is_negative_decimal("-0.00"));
        assert!(!is_negative_decimal("0.01"));
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("-12"), Ok(-12));
        assert_eq!(parse_quantity("+4"), Ok(4));
        assert!(parse_quantity("1.5").is_err());
        assert!(parse_quantity("").is_err());
    }

    #[test]
    fn every_timestamp_form() {
        let at = |y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64| {
            days_from_civil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + s
        };
        assert_eq!(parse_time("2019-10-01 00:00:07 UTC"), Ok(at(2019, 10, 1, 0, 0, 7)));
        assert_eq!(parse_time("2019-10-01T23:59:59"), Ok(at(2019, 10, 1, 23, 59, 59)));
        assert_eq!(parse_time("2019-10-01T08:00:00+05:30"), Ok(at(2019, 10, 1, 8, 0, 0)));
        assert_eq!(parse_time("2019-10-01T08:00:00.123Z"), Ok(at(2019, 10, 1, 8, 0, 0)));
        assert_eq!(parse_time("2019-10-01T08:00:00-0700"), Ok(at(2019, 10, 1, 8, 0, 0)));
        assert_eq!(parse_time("2010-12-01 08:26:00"), Ok(at(2010, 12, 1, 8, 26, 0)));
        assert_eq!(parse_time("12/1/2010 8:26"), Ok(at(2010, 12, 1, 8, 26, 0)));
        assert_eq!(parse_time("20100112"), Ok(at(2010, 1, 12, 0, 0, 0)));
        assert_eq!(parse_time("2020-02-29"), Ok(at(2020, 2, 29, 0, 0, 0)));
    }

    #[test]
    fn bad_timestamps() {
        for bad in [
            "",
            "2019-13-01 00:00:00",
            "2019-02-30 00:00:00",
            "2019-10-01 24:00:00",
            "yesterday",
            "2019-10-01 00:00:07 PST",
            "2019/10/01",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 18_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(hour_of_day(parse_time("2019-10-01 17:30:00").unwrap()), 17);
    }
}
