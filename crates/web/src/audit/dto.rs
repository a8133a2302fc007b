//! Bodies and query parameters of the audit API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
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
