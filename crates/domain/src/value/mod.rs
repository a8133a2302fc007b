//! One parser per kind of value typed into a form or sent to the API: days, instants,
//! rupiah, bounded text, ids and small counts. Each takes the field's name and the raw
//! text and returns the typed value or a [`FieldError`] naming the field with a message
//! key (`err.*`), so forms and the API refuse the same inputs with the same words.
//!
//! Optional fields use the `opt_*` variants (empty → `None`, malformed → an error). To
//! collect every failing field of a form, feed results to [`Invalid::take`].
//!
//! [`FieldError`]: crate::FieldError
//! [`Invalid::take`]: crate::Invalid::take

pub mod count;
pub mod day;
pub mod decimal;
pub mod id;
pub mod instant;
pub mod rupiah;
pub mod text;

pub use count::opt_count;
pub use day::{Day, day, format_day, opt_day};
pub use decimal::{DECIMAL_MAX, decimal};
pub use id::{ID_MAX_DIGITS, id, opt_id};
pub use instant::{instant, opt_instant};
pub use rupiah::{RUPIAH_MAX, Rupiah, format_rupiah, opt_rupiah, rupiah};

/// The value of `bytes` if they are all ASCII digits (and there is at least one).
/// `str::parse` would also take a sign; callers here never want one.
pub(crate) fn ascii_number(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 18 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::text;

    /// Every message key these parsers return is in both catalogues of the web layer.
    #[test]
    fn every_error_key_is_translated() {
        let mut keys = vec![
            "err.required",
            "err.date",
            "err.datetime",
            "err.id",
            "err.count_range",
            "err.rupiah",
            "err.rupiah_max",
            "err.control_char",
            "err.too_long",
        ];
        for l in [
            text::NAME,
            text::SHORT,
            text::REASON,
            text::NOTE,
            text::MESSAGE,
            text::CHRONOLOGY,
        ] {
            keys.push(l.too_long_key());
        }
        for (name, cat) in [
            ("id", include_str!("../../../web/locales/id.txt")),
            ("en", include_str!("../../../web/locales/en.txt")),
        ] {
            for k in &keys {
                let prefix = format!("{k} = ");
                assert!(
                    cat.lines().any(|l| l.starts_with(&prefix)),
                    "{k} missing in {name}.txt"
                );
            }
        }
    }
}
