//! Whole numbers typed into a form or sent to the API where a small count is asked for
//! (how many days a token lives): ASCII digits only, between 1 and a maximum the caller
//! names.

use crate::validation::FieldError;

/// A count from 1 to `max`; anything else (a sign, a fraction, zero, more than `max`) is
/// `None`. Surrounding whitespace is ignored.
pub fn parse(s: &str, max: i64) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() > super::id::ID_MAX_DIGITS {
        return None;
    }
    super::ascii_number(b).filter(|n| (1..=max).contains(n))
}

/// An optional count: empty is `None`, anything but 1..=`max` is `err.count_range`.
pub fn opt_count(field: &str, s: &str, max: i64) -> Result<Option<i64>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse(s, max)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "err.count_range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_one_to_the_maximum() {
        assert_eq!(parse("1", 90), Some(1));
        assert_eq!(parse(" 90 ", 90), Some(90));
        assert_eq!(parse("007", 90), Some(7));
        for bad in [
            "0",
            "91",
            "-5",
            "+5",
            "4.5",
            "1e2",
            "x",
            "９",
            "9999999999999999999",
        ] {
            assert_eq!(parse(bad, 90), None, "{bad:?}");
        }
        assert_eq!(opt_count("days", "", 90), Ok(None));
        assert_eq!(opt_count("days", "30", 90), Ok(Some(30)));
        assert_eq!(
            opt_count("days", "120", 90),
            Err(FieldError::new("days", "err.count_range"))
        );
    }
}
