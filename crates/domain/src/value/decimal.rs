//! Decimal numbers typed into a form, a spreadsheet cell or the API (indicator values,
//! index weights): `12.5` or `12,5` (one decimal separator, either), a leading minus,
//! nothing else. `1.234,5` is refused rather than guessed: a dot is a thousands separator
//! in Indonesian and a decimal point in English.

use crate::validation::FieldError;

/// Largest magnitude accepted (well inside f64's exact integers).
pub const DECIMAL_MAX: f64 = 1e12;

/// The value, or `None` for anything that is not one plain decimal number.
pub fn parse(s: &str) -> Option<f64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    if digits.is_empty() || digits.len() > 30 {
        return None;
    }
    let mut seps = 0;
    let mut out = String::with_capacity(digits.len() + 1);
    for c in digits.chars() {
        match c {
            '0'..='9' => out.push(c),
            '.' | ',' => {
                seps += 1;
                out.push('.');
            }
            _ => return None,
        }
    }
    if seps > 1 || out.starts_with('.') || out.ends_with('.') {
        return None;
    }
    let v: f64 = out.parse().ok()?;
    let v = if neg { -v } else { v };
    (v.is_finite() && v.abs() <= DECIMAL_MAX).then_some(v)
}

/// A required decimal: `err.decimal` when it is not one.
pub fn decimal(field: &str, s: &str) -> Result<f64, FieldError> {
    parse(s).ok_or_else(|| FieldError::new(field, "err.decimal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_separator_either_way_nothing_else() {
        assert_eq!(parse("12.5"), Some(12.5));
        assert_eq!(parse(" 12,5 "), Some(12.5));
        assert_eq!(parse("-3"), Some(-3.0));
        assert_eq!(parse("0"), Some(0.0));
        for bad in [
            "", "-", "1.234,5", "1.2.3", "12a", "1e5", "NaN", "inf", ".5", "5.", "+1", "1 000",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(parse("1000000000001"), None);
        assert!(decimal("value", "x").is_err());
    }
}
