//! The errors callers act on: not found (404), forbidden (403, with or without a reason),
//! invalid fields (422), conflict (409), and everything else (500, logged once, shown to
//! nobody).

use domain::{Denied, Invalid};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden for a reason the user should read (403); the text is a message key, e.g.
    /// why a reviewer may not review this record.
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The request contradicts the current state; the text is a message key
    /// (`conflict.*` in the web catalogue) so the user reads it in their language.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A configuration problem found before touching any data (bad URL scheme …).
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
    /// Submission refused by validation rules: every rule that fires, errors and warnings
    /// (warnings without a justification refuse it too).
    #[error("validation rules refused the submission")]
    Rules(Vec<RuleHit>),
}

impl From<Denied> for StoreError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Forbidden => StoreError::Forbidden,
            Denied::NotFound => StoreError::NotFound,
        }
    }
}

impl StoreError {
    /// True for a unique-constraint violation on either backend.
    pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
        match e {
            sqlx::Error::Database(d) => {
                d.code()
                    .is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                    || d.message().contains("UNIQUE constraint failed")
                    || d.message().contains("duplicate key value")
            }
            _ => false,
        }
    }
}

/// One rule a case breaks, with its message in both languages.
#[derive(Debug, Clone, Serialize)]
pub struct RuleHit {
    pub code: String,
    pub severity: domain::rules::Severity,
    /// The victim's position (0-based) for a victim rule.
    pub victim: Option<usize>,
    pub field: String,
    pub message_id: String,
    pub message_en: String,
    pub justification: Option<String>,
    /// A justification is on record but withheld from the viewer (no identity access).
    pub justification_hidden: bool,
}

impl RuleHit {
    pub fn message(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.message_en
        } else {
            &self.message_id
        }
    }
    /// The form field name of this warning's justification.
    pub fn justification_key(&self) -> String {
        match self.victim {
            Some(v) => format!("{}.{}", self.code, v),
            None => self.code.clone(),
        }
    }
}
