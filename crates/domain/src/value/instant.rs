//! Instants (unix milliseconds) as the API sends them, RFC 3339 with an offset
//! (`2026-12-07T23:30:00Z`, `2026-12-08T06:30:00+07:00`), and as an HTML `datetime-local`
//! input sends them (`2026-12-08T06:30`, no offset), read in the zone of the user's region.

use crate::time::Zone;
use crate::validation::FieldError;

/// RFC 3339 date-time, or a local `YYYY-MM-DDTHH:MM[:SS]` read in `zone`. Seconds may
/// carry a fraction (kept to the millisecond). Surrounding whitespace is ignored.
pub fn parse(s: &str, zone: Zone) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 16
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
    {
        return None;
    }
    let day = super::day::ymd(&b[..4], &b[5..7], &b[8..10])?;
    let hour = super::ascii_number(&b[11..13]).filter(|h| *h < 24)?;
    let minute = super::ascii_number(&b[14..16]).filter(|m| *m < 60)?;
    let mut rest = &b[16..];
    let mut second = 0;
    let mut milli = 0;
    if let [b':', s1, s2, tail @ ..] = rest {
        second = super::ascii_number(&[*s1, *s2]).filter(|s| *s < 60)?;
        rest = tail;
        if let [b'.', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || n > 9 {
                return None;
            }
            let frac = &tail[..n];
            milli = frac
                .iter()
                .chain(std::iter::repeat(&b'0'))
                .take(3)
                .fold(0, |m, c| m * 10 + i64::from(c - b'0'));
            rest = &tail[n..];
        }
    }
    let offset_minutes = match rest {
        [] => zone.offset_hours() * 60,
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = super::ascii_number(&[*h1, *h2]).filter(|h| *h < 24)?;
            let m = super::ascii_number(&[*m1, *m2]).filter(|m| *m < 60)?;
            if *sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None,
    };
    let secs = day * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(secs * 1000 + milli)
}

/// A required instant: empty is `err.required`, anything else unreadable `err.datetime`.
pub fn instant(field: &str, s: &str, zone: Zone) -> Result<i64, FieldError> {
    match opt_instant(field, s, zone)? {
        Some(ms) => Ok(ms),
        None => Err(FieldError::new(field, "err.required")),
    }
}

/// An optional instant: empty is `None`.
pub fn opt_instant(field: &str, s: &str, zone: Zone) -> Result<Option<i64>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse(s, zone)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "err.datetime"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{day_at, format_ms};
    use crate::value::day;

    #[test]
    fn rfc3339_with_an_offset() {
        let ms = parse("2026-12-07T23:30:00Z", Zone::Wib).unwrap();
        assert_eq!(format_ms(ms, 0), "2026-12-07 23:30");
        // The zone is irrelevant when the text carries an offset.
        assert_eq!(parse("2026-12-07T23:30:00Z", Zone::Wit), Some(ms));
        assert_eq!(parse("2026-12-08T06:30:00+07:00", Zone::Wit), Some(ms));
        assert_eq!(parse("2026-12-07t23:30:00z", Zone::Wib), Some(ms));
        assert_eq!(parse("2026-12-07T19:30:00-04:00", Zone::Wib), Some(ms));
        assert_eq!(parse("2026-12-07T23:30:00.25Z", Zone::Wib), Some(ms + 250));
        assert_eq!(
            parse("2026-12-07T23:30:00.123456789Z", Zone::Wib),
            Some(ms + 123)
        );
        assert_eq!(parse("2026-12-07T23:30Z", Zone::Wib), Some(ms));
        // 23:30 UTC is already the next day in WIB.
        let d = day::parse("2026-12-07").unwrap();
        assert_eq!(day_at(ms, Zone::Wib), d + 1);
        assert_eq!(parse("1970-01-01T00:00:00Z", Zone::Wib), Some(0));
    }

    #[test]
    fn datetime_local_is_read_in_the_zone() {
        let utc = parse("2026-12-07T23:30:00Z", Zone::Wib).unwrap();
        assert_eq!(parse("2026-12-08T06:30", Zone::Wib), Some(utc));
        assert_eq!(parse("2026-12-08T07:30", Zone::Wita), Some(utc));
        assert_eq!(parse("2026-12-08T08:30:00", Zone::Wit), Some(utc));
    }

    #[test]
    fn refuses_the_rest() {
        for bad in [
            "",
            "2026-12-07",
            "2026-12-07 23:30",
            "2026-12-7T23:30",
            "2026-12-07T24:00",
            "2026-12-07T23:60",
            "2026-12-07T23:30:60Z",
            "2026-12-07T3:30",
            "2026-02-30T10:00",
            "2026-12-07T23:30+07",
            "2026-12-07T23:30:00+0700",
            "2026-12-07T23:30:00+24:00",
            "2026-12-07T23:30:00.Z",
            "2026-12-07T23:30.5Z",
            "2026-12-07T23:30:00ZZ",
            "2026-12-07T23:30:00 Z",
            "2026-12-07T23:30:00\u{0}",
            "２０２６-12-07T23:30",
            "-2026-12-07T23:30",
        ] {
            assert_eq!(parse(bad, Zone::Wib), None, "{bad:?}");
        }
    }

    #[test]
    fn field_errors() {
        assert_eq!(
            instant("at", "", Zone::Wib),
            Err(FieldError::new("at", "err.required"))
        );
        assert_eq!(
            instant("at", "tomorrow", Zone::Wib),
            Err(FieldError::new("at", "err.datetime"))
        );
        assert_eq!(opt_instant("at", " ", Zone::Wib), Ok(None));
    }
}
