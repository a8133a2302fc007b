//! Whole rupiah, as people write them: `12500000`, `12.500.000`, `Rp 12.500.000`,
//! `Rp12.500.000,00`, `Rp 12.500.000,-`. Dots group thousands (exactly three digits after
//! each dot); a decimal part, after a comma, may only be zeros or the dash of a price tag
//! (there are no sen in practice).

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest amount accepted anywhere: Rp 1.000.000.000.000.000 (10^15, a thousand
/// trillion), far above any restitution or compensation and far below `i64::MAX`, so sums
/// of many amounts cannot overflow.
pub const RUPIAH_MAX: i64 = 1_000_000_000_000_000;

/// An amount of whole rupiah, `0..=RUPIAH_MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Rupiah(i64);

impl Rupiah {
    pub const ZERO: Rupiah = Rupiah(0);

    /// The amount, if it is within `0..=RUPIAH_MAX`.
    pub fn new(amount: i64) -> Option<Rupiah> {
        (0..=RUPIAH_MAX).contains(&amount).then_some(Rupiah(amount))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses an amount as written; the error is the message key (`err.rupiah` for text
    /// that is not an amount, `err.rupiah_max` above [`RUPIAH_MAX`]).
    pub fn parse(s: &str) -> Result<Rupiah, &'static str> {
        const BAD: &str = "err.rupiah";
        let t = s.trim();
        let t = match t.get(..2) {
            Some(p) if p.eq_ignore_ascii_case("rp") => {
                let t = &t[2..];
                t.strip_prefix('.')
                    .unwrap_or(t)
                    .trim_start_matches([' ', '\u{a0}'])
            }
            _ => t,
        };
        let whole = match t.split_once(',') {
            Some((w, "-")) => w,
            Some((w, frac)) if (1..=2).contains(&frac.len()) && frac.bytes().all(|b| b == b'0') => {
                w
            }
            Some(_) => return Err(BAD),
            None => t,
        };
        let groups: Vec<&str> = whole.split('.').collect();
        let digits_ok = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
        let well_formed = match groups.as_slice() {
            [only] => digits_ok(only) && (only.len() == 1 || !only.starts_with('0')),
            [first, rest @ ..] => {
                digits_ok(first)
                    && first.len() <= 3
                    && !first.starts_with('0')
                    && rest.iter().all(|g| g.len() == 3 && digits_ok(g))
            }
            [] => false,
        };
        if !well_formed {
            return Err(BAD);
        }
        let mut n: i64 = 0;
        for b in groups.concat().bytes() {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(b - b'0')))
                .ok_or("err.rupiah_max")?;
        }
        Rupiah::new(n).ok_or("err.rupiah_max")
    }
}

impl TryFrom<i64> for Rupiah {
    type Error = &'static str;
    fn try_from(v: i64) -> Result<Rupiah, &'static str> {
        Rupiah::new(v).ok_or("amount outside 0..=RUPIAH_MAX")
    }
}

impl From<Rupiah> for i64 {
    fn from(r: Rupiah) -> i64 {
        r.0
    }
}

impl fmt::Display for Rupiah {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_rupiah(self.0))
    }
}

/// A required amount: empty is `err.required`.
pub fn rupiah(field: &str, s: &str) -> Result<Rupiah, FieldError> {
    match opt_rupiah(field, s)? {
        Some(r) => Ok(r),
        None => Err(FieldError::new(field, "err.required")),
    }
}

/// An optional amount: empty is `None`.
pub fn opt_rupiah(field: &str, s: &str) -> Result<Option<Rupiah>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    Rupiah::parse(s)
        .map(Some)
        .map_err(|key| FieldError::new(field, key))
}

/// `12500000` → `Rp 12.500.000` (a negative sum, say an overpayment shown as a balance,
/// as `-Rp 12.500.000`).
pub fn format_rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 8);
    if amount < 0 {
        out.push('-');
    }
    out.push_str("Rp ");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<i64, &'static str> {
        Rupiah::parse(s).map(Rupiah::get)
    }

    #[test]
    fn as_people_write_it() {
        for (s, v) in [
            ("12500000", 12_500_000),
            ("12.500.000", 12_500_000),
            ("Rp 12.500.000", 12_500_000),
            ("Rp12.500.000", 12_500_000),
            ("Rp12.500.000,00", 12_500_000),
            ("Rp. 12.500.000", 12_500_000),
            ("Rp 12.500.000,-", 12_500_000),
            ("RP 12.500.000,0", 12_500_000),
            ("rp\u{a0}12.500.000", 12_500_000),
            ("  500 ", 500),
            ("0", 0),
            ("Rp 0,00", 0),
            ("999", 999),
            ("1.000", 1_000),
            ("1.000.000.000.000.000", RUPIAH_MAX),
        ] {
            assert_eq!(p(s), Ok(v), "{s:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for s in [
            "",
            "Rp",
            "Rp ",
            "1.2.3",
            "12.5",
            "12.50.000",
            "1.0000",
            "1234.567",
            ".500",
            "500.",
            "1..000",
            "-5",
            "Rp -5",
            "+5",
            "12,5",
            "12.500,50",
            "12.500,000",
            "12,00,00",
            "12,--",
            "12,",
            ",00",
            "12 500 000",
            "12_500_000",
            "0.500",
            "007",
            "１２",
            "1e6",
            "dua juta",
            "12,5 juta",
            "12\u{0}",
            "Rp 12.500.000 Rp",
            "USD 100",
        ] {
            assert_eq!(p(s), Err("err.rupiah"), "{s:?}");
        }
    }

    #[test]
    fn one_cap() {
        assert_eq!(p("1.000.000.000.000.001"), Err("err.rupiah_max"));
        assert_eq!(p("1000000000000000000000000"), Err("err.rupiah_max"));
        assert_eq!(Rupiah::new(RUPIAH_MAX + 1), None);
        assert_eq!(Rupiah::new(-1), None);
        assert!(serde_json::from_str::<Rupiah>("-5").is_err());
        assert_eq!(
            serde_json::from_str::<Rupiah>("12500000").ok(),
            Some(Rupiah(12_500_000))
        );
    }

    #[test]
    fn field_errors() {
        assert_eq!(
            rupiah("amount", "1.2.3"),
            Err(FieldError::new("amount", "err.rupiah"))
        );
        assert_eq!(
            rupiah("amount", ""),
            Err(FieldError::new("amount", "err.required"))
        );
        assert_eq!(opt_rupiah("restitution_ordered", "  "), Ok(None));
    }

    #[test]
    fn formats() {
        assert_eq!(format_rupiah(12_500_000), "Rp 12.500.000");
        assert_eq!(format_rupiah(0), "Rp 0");
        assert_eq!(format_rupiah(999), "Rp 999");
        assert_eq!(format_rupiah(1_000), "Rp 1.000");
        assert_eq!(format_rupiah(-2_500), "-Rp 2.500");
        assert_eq!(
            Rupiah::new(RUPIAH_MAX).unwrap().to_string(),
            "Rp 1.000.000.000.000.000"
        );
        for v in [0, 7, 1_000, 12_500_000, RUPIAH_MAX] {
            assert_eq!(p(&format_rupiah(v)), Ok(v), "round trip");
        }
    }
}
