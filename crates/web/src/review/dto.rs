//! Request bodies and query parameters of the verification and clearing API.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct FieldNoteIn {
    pub field: String,
    pub note: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReviewIn {
    /// submit, verify, clear or return
    pub action: String,
    /// Required to return (or field notes).
    pub note: String,
    pub field_notes: Vec<FieldNoteIn>,
    /// Justification of each warning, by rule code (and `.N` for victim N, 0-based), e.g. `{"R07.0": "..."}`.
    pub justifications: HashMap<String, String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct PeriodIn {
    /// YYYY-MM
    pub month: String,
    /// true closes (locks cleared records), false reopens (needs a reason).
    pub close: bool,
    pub reason: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct QualityQuery {
    /// label, cases, completeness, days_to_submit, days_to_clear, return_rate, pending_duplicates, cleared
    pub sort: String,
    /// asc or desc
    pub dir: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct PairsQuery {
    /// pending (default), same or different
    pub status: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct DecisionIn {
    /// same, different or undo
    pub decision: String,
}
