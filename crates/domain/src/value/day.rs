//! Calendar days, written strictly `YYYY-MM-DD` (what an HTML date input sends and what
//! the API documents) and kept as day numbers (days since 1970-01-01).

use crate::time::{civil_from_days, days_from_civil};
use crate::validation::FieldError;

/// A calendar day, stored as days since 1970-01-01.
pub type Day = i64;

/// The years a day may fall in: older records than 1900 do not exist, later ones are typos.
pub const YEAR_MIN: i64 = 1900;
pub const YEAR_MAX: i64 = 2200;

/// A real calendar day written `YYYY-MM-DD` (four-digit year, two-digit month and day,
/// ASCII digits), surrounding whitespace ignored. `2026-1-5` is not one.
pub fn parse(s: &str) -> Option<Day> {
    let b = s.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    ymd(&b[..4], &b[5..7], &b[8..])
}

/// The day of these year, month and day digits, if they name a real day in range.
pub(crate) fn ymd(y: &[u8], m: &[u8], d: &[u8]) -> Option<Day> {
    let (y, m, d) = (
        super::ascii_number(y)?,
        super::ascii_number(m)?,
        super::ascii_number(d)?,
    );
    if !(YEAR_MIN..=YEAR_MAX).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    (civil_from_days(days) == (y, m, d)).then_some(days)
}

/// A required day: empty is `err.required`, anything but `YYYY-MM-DD` is `err.date`.
pub fn day(field: &str, s: &str) -> Result<Day, FieldError> {
    match opt_day(field, s)? {
        Some(d) => Ok(d),
        None => Err(FieldError::new(field, "err.required")),
    }
}

/// An optional day: empty is `None`, anything but `YYYY-MM-DD` is `err.date`.
pub fn opt_day(field: &str, s: &str) -> Result<Option<Day>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse(s)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "err.date"))
}

/// `YYYY-MM-DD`.
pub fn format_day(d: Day) -> String {
    let (y, m, dd) = civil_from_days(d);
    format!("{y:04}-{m:02}-{dd:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_yyyy_mm_dd() {
        let d = parse("2026-01-05").unwrap();
        assert_eq!(format_day(d), "2026-01-05");
        assert_eq!(
            parse(" 2026-01-05\n"),
            Some(d),
            "surrounding whitespace is ignored"
        );
        assert_eq!(
            parse("2024-02-29").map(format_day).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse("1970-01-01"), Some(0));
        for bad in [
            "2026-1-5",
            "2026-01-5",
            "2026-1-05",
            "26-01-05",
            "02026-01-05",
            "2026/01/05",
            "2026-01-05T00:00",
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-01-00",
            "1899-12-31",
            "2201-01-01",
            "+026-01-05",
            "2026-+1-05",
            "2026--1-05",
            "2026-01-0\u{0}",
            "２０２６-０１-０５",
            "2026-01 -05",
            "",
            "2026-01-05-",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn required_and_optional() {
        assert_eq!(opt_day("rescued_on", "  "), Ok(None));
        assert_eq!(
            opt_day("rescued_on", "2026-1-5"),
            Err(FieldError::new("rescued_on", "err.date"))
        );
        assert_eq!(
            day("reported_on", ""),
            Err(FieldError::new("reported_on", "err.required"))
        );
        assert_eq!(
            day("reported_on", "2026-03-02"),
            Ok(parse("2026-03-02").unwrap())
        );
    }
}
