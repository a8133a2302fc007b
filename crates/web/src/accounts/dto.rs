//! Bodies of the accounts API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    /// admin, data_officer, verifier, case_worker, partner_officer, analyst, viewer
    pub role: String,
    pub disabled: bool,
    pub totp_enabled: bool,
}

impl From<store::UserRow> for UserOut {
    fn from(u: store::UserRow) -> Self {
        UserOut {
            id: u.id.0,
            username: u.username,
            full_name: u.full_name,
            email: u.email,
            unit_id: u.unit_id.0,
            unit_name: u.unit_name,
            role: u.role.as_str().into(),
            disabled: u.disabled,
            totp_enabled: u.totp_enabled,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub unit_id: Option<i64>,
    pub role: String,
    /// Initial password (at least 10 characters).
    pub password: String,
}
