//! Bodies and query parameters of the audit API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    /// The actor's region when acting (empty = national).
    pub actor_region: String,
    /// Where the request came from; empty for staff outside your region.
    pub origin: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub detail: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditParams {
    /// `` (what staff of your region did), `ours` (everything done to your region's
    /// records, by anyone) or `ours_by_others` (the same, by staff outside your region).
    pub about: String,
    pub user: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    /// YYYY-MM-DD (WIB)
    pub from: String,
    pub to: String,
    /// Entries before this sequence number (paging).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The newest signed checkpoint of the audit chain. Keep `line` outside Gugus; `gugus
/// audit verify --checkpoint '<line>'` proves the trail was not shortened or rewritten since.
#[derive(Serialize, ToSchema)]
pub struct CheckpointOut {
    pub seq: i64,
    pub hash: String,
    pub at_ms: i64,
    pub line: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccessLogOut {
    pub case_id: i64,
    pub code: String,
    /// You are the owning unit: break-the-glass reasons are included.
    pub reasons_shown: bool,
    pub entries: Vec<AccessEntryOut>,
    /// Pass as `before` for the older entries (absent when there are none).
    pub older: Option<i64>,
}

/// One look at the case's records.
#[derive(Serialize, ToSchema)]
pub struct AccessEntryOut {
    pub seq: i64,
    pub at_ms: i64,
    pub username: String,
    pub unit_name: String,
    /// The actor's region when acting (empty = national).
    pub region_code: String,
    pub region_name: String,
    /// `case.view`, `case.identity_view`, `referral.identity_view`, `case.break_glass` …
    pub action: String,
    pub outside_unit: bool,
    pub outside_region: bool,
    pub grant_id: Option<i64>,
    pub expires_at_ms: Option<i64>,
    /// The written reason for breaking the glass (owning unit only).
    pub reason: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AccessLogParams {
    /// Only looks by people outside the owning unit.
    pub outside_only: bool,
    /// Entries before this sequence number (paging).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}
