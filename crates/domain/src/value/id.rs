//! Record ids as they arrive in paths, forms and query strings: a positive decimal
//! integer. One rule, so a bad id is treated the same way everywhere.

use crate::validation::FieldError;

/// Ids are database keys (`i64`); 18 digits always fit.
pub const ID_MAX_DIGITS: usize = 18;

/// A positive decimal id: ASCII digits only (no sign, no `+`, no spaces inside, no
/// full-width digits), at most [`ID_MAX_DIGITS`] of them, greater than zero. Surrounding
/// whitespace is ignored.
pub fn parse(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() > ID_MAX_DIGITS {
        return None;
    }
    super::ascii_number(b).filter(|n| *n > 0)
}

/// A required id: empty is `err.required`, anything else that is not an id is `err.id`.
pub fn id(field: &str, s: &str) -> Result<i64, FieldError> {
    match opt_id(field, s)? {
        Some(n) => Ok(n),
        None => Err(FieldError::new(field, "err.required")),
    }
}

/// An optional id (an unselected `<select>`): empty is `None`.
pub fn opt_id(field: &str, s: &str) -> Result<Option<i64>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    parse(s)
        .map(Some)
        .ok_or_else(|| FieldError::new(field, "err.id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_decimal_ids_only() {
        assert_eq!(parse("1"), Some(1));
        assert_eq!(parse("42"), Some(42));
        assert_eq!(parse(" 42 "), Some(42));
        assert_eq!(parse("007"), Some(7));
        assert_eq!(parse("999999999999999999"), Some(999_999_999_999_999_999));
        for bad in [
            "",
            "0",
            "000",
            "-5",
            "+5",
            "4 2",
            "4_2",
            "42a",
            "0x2a",
            "1e3",
            "4.2",
            "１２",
            "\u{0}1",
            "1000000000000000000",
            "9223372036854775807",
            "99999999999999999999999",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn field_errors() {
        assert_eq!(id("victim", "7"), Ok(7));
        assert_eq!(id("victim", "-5"), Err(FieldError::new("victim", "err.id")));
        assert_eq!(
            id("victim", " "),
            Err(FieldError::new("victim", "err.required"))
        );
        assert_eq!(opt_id("unit_id", ""), Ok(None));
        assert_eq!(
            opt_id("unit_id", "0"),
            Err(FieldError::new("unit_id", "err.id"))
        );
    }
}
