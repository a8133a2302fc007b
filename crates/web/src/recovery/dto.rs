//! Request bodies and query parameters of the recovery API (plans, services, evidence,
//! closure, ledger, tasks).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct NeedsIn {
    /// Service codes (see GET /api/v1/service-types); codes already assessed are kept.
    pub needs: Vec<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ExplanationIn {
    /// Why the need will not be met; empty clears the explanation.
    pub explanation: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ServiceUpdateIn {
    /// planned, in_progress, delivered, refused or not_possible
    pub status: String,
    /// Required for refused and not_possible.
    pub reason: String,
    pub outcome: String,
    /// YYYY-MM-DD, default today when the service ends.
    pub done_on: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct EvidenceQuery {
    /// The file's name, kept for the download (path and control characters are dropped).
    /// Prefer the `X-File-Name` header (percent-encoded UTF-8): proxies log query strings,
    /// and a file name can name a person.
    pub filename: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct CloseIn {
    /// YYYY-MM-DD: the reintegration follow-up (required, not in the future).
    pub followup_on: String,
    pub note: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct LedgerIn {
    /// restitution or compensation
    pub track: String,
    /// assessment, demand, award, deposit, payment, warning or seizure
    pub kind: String,
    /// Whole rupiah (ignored for a warning).
    pub amount: Option<i64>,
    /// YYYY-MM-DD, not in the future.
    pub on_day: String,
    pub note: String,
    /// Confirms a payment above what is outstanding.
    pub confirm: bool,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct TasksQuery {
    /// 1-based page of the services (50 a page).
    pub page: Option<i64>,
}
