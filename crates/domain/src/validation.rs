//! Validation failures that name every failing field. `key` is a message key in the web
//! layer's translation catalogue (`err.*`), so the user reads it in their own language.

use crate::value::text;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
}

impl FieldError {
    pub fn new(field: &str, key: &'static str) -> Self {
        FieldError {
            field: field.to_owned(),
            key,
        }
    }
}

/// One or more invalid fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>().join(", "))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn push(&mut self, field: &str, key: &'static str) {
        self.0.push(FieldError::new(field, key));
    }
    /// Drops repeated (field, key) pairs, keeping the first.
    pub fn dedup(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.0.retain(|e| seen.insert((e.field.clone(), e.key)));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn one(field: &str, key: &'static str) -> Self {
        Invalid(vec![FieldError::new(field, key)])
    }
    /// The value of a parse, or `None` with its error recorded: lets a form parse every
    /// field with the `value` parsers and report all failures at once.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    /// `Ok(v)` when nothing failed.
    pub fn into_result<T>(self, v: T) -> Result<T, Invalid> {
        if self.0.is_empty() { Ok(v) } else { Err(self) }
    }
}

/// Trims and checks a required single-line text field (see [`text::line`]: no control
/// characters, at most `max` characters, the error naming the cap when `max` is one of
/// the [`text`] caps).
pub fn required_text(errs: &mut Invalid, field: &str, value: &str, max: usize) -> String {
    match text::line(field, value, text::Limit::new(max)) {
        Ok(v) => v,
        Err(e) => {
            errs.0.push(e);
            value.trim().to_owned()
        }
    }
}
