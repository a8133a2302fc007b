//! Bounded text: trimmed, free of NUL and other control characters (multi-line fields
//! keep `\n` and `\t`, with `\r\n` made `\n`), at most so many characters. The caps live
//! here, one per kind of text, so every form and API endpoint agrees on them; the
//! too-long message names the cap (`err.too_long_150`: "at most 150 characters").

use crate::validation::FieldError;

/// Names of people, units and organisations.
pub const NAME_MAX: usize = 150;
/// Short single-line texts: a city, a report number, an office, a token's label.
pub const SHORT_MAX: usize = 100;
/// Reasons given for an action (break-glass access, declining, withdrawing, closing).
pub const REASON_MAX: usize = 1_000;
/// Notes and free text: explanations, legal-basis notes, ledger notes, service reasons.
pub const NOTE_MAX: usize = 2_000;
/// Messages and reports: referral messages, service outcomes, review notes.
pub const MESSAGE_MAX: usize = 4_000;
/// A case's chronology, the one long narrative.
pub const CHRONOLOGY_MAX: usize = 20_000;

/// The fewest characters of a reason that must be written down (reopening a period, a
/// legal basis instead of consent).
pub const REASON_MIN: usize = 10;
/// The fewest characters of a break-glass reason.
pub const BREAK_GLASS_REASON_MIN: usize = 15;

/// A cap and the message key that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    max: usize,
    key: &'static str,
}

impl Limit {
    /// A cap in characters; the caps above have a message that names them, any other
    /// cap says only "too long" (`err.too_long`).
    pub const fn new(max: usize) -> Limit {
        let key = match max {
            SHORT_MAX => "err.too_long_100",
            NAME_MAX => "err.too_long_150",
            REASON_MAX => "err.too_long_1000",
            NOTE_MAX => "err.too_long_2000",
            MESSAGE_MAX => "err.too_long_4000",
            CHRONOLOGY_MAX => "err.too_long_20000",
            _ => "err.too_long",
        };
        Limit { max, key }
    }
    pub const fn max(self) -> usize {
        self.max
    }
    /// The message key of a text over the cap.
    pub const fn too_long_key(self) -> &'static str {
        self.key
    }
}

impl Limit {
    /// Whether `s` is over this cap (counted in characters).
    pub fn exceeded_by(self, s: &str) -> bool {
        s.chars().count() > self.max
    }

    /// Records `field` as too long when `s` is over this cap (for values already read,
    /// e.g. by the store, which checks again what the web layer checked).
    pub fn check(self, errs: &mut crate::Invalid, field: &str, s: &str) {
        if self.exceeded_by(s) {
            errs.push(field, self.key);
        }
    }
}

pub const NAME: Limit = Limit::new(NAME_MAX);
pub const SHORT: Limit = Limit::new(SHORT_MAX);
pub const REASON: Limit = Limit::new(REASON_MAX);
pub const NOTE: Limit = Limit::new(NOTE_MAX);
pub const MESSAGE: Limit = Limit::new(MESSAGE_MAX);
pub const CHRONOLOGY: Limit = Limit::new(CHRONOLOGY_MAX);

/// Whether line breaks and tabs belong in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// An `<input>`: no control character at all.
    One,
    /// A `<textarea>`: `\n` and `\t` allowed, `\r\n` (and a lone `\r`) read as `\n`.
    Many,
}

/// The invisible marks that reorder text (embeddings, overrides, isolates): in a name they
/// can make "Benu" display as another name, so they are refused like control characters.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Bounded text, `None` when empty after trimming. Errors: `err.control_char` for NUL and
/// other control characters, the limit's `err.too_long_*` over the cap.
pub fn optional(
    field: &str,
    s: &str,
    limit: Limit,
    lines: Lines,
) -> Result<Option<String>, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t' | '\r');
    if t.chars()
        .any(|c| (c.is_control() && !allowed(c)) || is_bidi_control(c))
    {
        return Err(FieldError::new(field, "err.control_char"));
    }
    let t = if lines == Lines::Many && t.contains('\r') {
        t.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        t.to_owned()
    };
    if t.chars().count() > limit.max {
        return Err(FieldError::new(field, limit.key));
    }
    Ok(Some(t))
}

/// Bounded text that must be given: empty is `err.required`.
pub fn required(field: &str, s: &str, limit: Limit, lines: Lines) -> Result<String, FieldError> {
    optional(field, s, limit, lines)?.ok_or_else(|| FieldError::new(field, "err.required"))
}

/// A required single-line text.
pub fn line(field: &str, s: &str, limit: Limit) -> Result<String, FieldError> {
    required(field, s, limit, Lines::One)
}

/// An optional single-line text.
pub fn opt_line(field: &str, s: &str, limit: Limit) -> Result<Option<String>, FieldError> {
    optional(field, s, limit, Lines::One)
}

/// A required multi-line text.
pub fn multiline(field: &str, s: &str, limit: Limit) -> Result<String, FieldError> {
    required(field, s, limit, Lines::Many)
}

/// An optional multi-line text.
pub fn opt_multiline(field: &str, s: &str, limit: Limit) -> Result<Option<String>, FieldError> {
    optional(field, s, limit, Lines::Many)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_reports_on_its_own_field() {
        let mut errs = crate::Invalid::default();
        MESSAGE.check(&mut errs, "message", &"a".repeat(MESSAGE_MAX));
        NOTE.check(&mut errs, "basis_note", &"é".repeat(NOTE_MAX + 1));
        assert_eq!(errs.0.len(), 1);
        assert_eq!(
            (errs.0[0].field.as_str(), errs.0[0].key),
            ("basis_note", "err.too_long_2000")
        );
        assert!(REASON.exceeded_by(&"x".repeat(REASON_MAX + 1)));
        assert!(!REASON.exceeded_by(&"x".repeat(REASON_MAX)));
    }

    #[test]
    fn trims_and_refuses_control_characters() {
        assert_eq!(
            line("name", "  Yuliana Tefa ", NAME),
            Ok("Yuliana Tefa".into())
        );
        assert_eq!(opt_line("alias", " \t\n ", NAME), Ok(None));
        assert_eq!(
            line("name", "", NAME),
            Err(FieldError::new("name", "err.required"))
        );
        for bad in [
            "Yuli\u{0}ana",
            "a\u{7}b",
            "a\u{1b}[31mb",
            "a\u{7f}",
            "a\u{85}b",
            "a\nb",
            "a\tb",
            "a\r\nb",
        ] {
            assert_eq!(
                line("name", bad, NAME),
                Err(FieldError::new("name", "err.control_char")),
                "{bad:?}"
            );
        }
        // Multi-line fields keep line breaks and tabs, never NUL.
        assert_eq!(
            multiline("chronology", "satu\r\ndua\rtiga\n\tempat\r\n", CHRONOLOGY),
            Ok("satu\ndua\ntiga\n\tempat".into())
        );
        assert_eq!(
            multiline("chronology", "satu\u{0}dua", CHRONOLOGY),
            Err(FieldError::new("chronology", "err.control_char"))
        );
        assert_eq!(
            line("name", "Yohana\u{202E}Benu", NAME),
            Err(FieldError::new("name", "err.control_char"))
        );
        // Letters of any script are text, not control characters.
        assert_eq!(line("name", "Ñoño Ä 名前", NAME), Ok("Ñoño Ä 名前".into()));
    }

    #[test]
    fn caps_count_characters_and_name_themselves() {
        let at_cap = "é".repeat(NAME_MAX);
        assert_eq!(line("name", &at_cap, NAME), Ok(at_cap.clone()));
        assert_eq!(
            line("name", &format!("{at_cap}é"), NAME),
            Err(FieldError::new("name", "err.too_long_150"))
        );
        // Surrounding whitespace does not count; `\r\n` counts as one character.
        assert_eq!(
            line("city", &format!("  {}  ", "a".repeat(100)), SHORT).map(|s| s.len()),
            Ok(100)
        );
        let lines = "ab\r\n".repeat(NOTE_MAX / 3);
        assert!(opt_multiline("note", &lines, NOTE).is_ok());
        for limit in [NAME, SHORT, REASON, NOTE, MESSAGE, CHRONOLOGY] {
            assert_eq!(
                limit.too_long_key(),
                format!("err.too_long_{}", limit.max())
            );
            let over = "x".repeat(limit.max() + 1);
            assert_eq!(
                multiline("f", &over, limit),
                Err(FieldError::new("f", limit.too_long_key()))
            );
        }
        assert_eq!(Limit::new(64).too_long_key(), "err.too_long");
    }
}
