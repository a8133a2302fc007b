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

/// A new role and/or unit for an account.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct AccessIn {
    pub unit_id: Option<i64>,
    /// admin, data_officer, verifier, case_worker, partner_officer, analyst or viewer.
    pub role: String,
}

/// The user list's search (the total is in the `X-Total-Count` header).
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct UserParams {
    /// Part of the username or the full name.
    pub q: String,
    pub role: String,
    /// locked, no_totp or disabled.
    pub only: String,
    /// From 0.
    pub page: i64,
    /// 1–200, default 200.
    pub per_page: Option<i64>,
}

/// One of your API tokens (never its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub name: String,
    /// full or read_only
    pub kind: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    /// active, expired or revoked
    pub state: String,
    /// Why it was revoked: owner, password_change, password_reset or account_disabled.
    pub revoked_reason: Option<String>,
}

impl From<store::ApiToken> for TokenOut {
    fn from(t: store::ApiToken) -> Self {
        TokenOut {
            id: t.id.0,
            name: t.name,
            kind: t.kind.as_str().into(),
            created_at_ms: t.created_at_ms,
            expires_at_ms: t.expires_at_ms,
            last_used_at_ms: t.last_used_at_ms,
            state: t.state.as_str().into(),
            revoked_reason: t.revoked_reason.map(|r| r.as_str().into()),
        }
    }
}

/// A token to create. Only with a signed-in session (a token cannot make tokens).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    pub name: String,
    /// full (default) or read_only
    pub kind: String,
    /// Days it lives: 1 up to the instance's lifetime (GUGUS_API_TOKEN_DAYS, 90 unless
    /// configured), which is also the default.
    pub days: Option<i64>,
}

/// A token just created: `token` is shown this once and never again.
#[derive(Serialize, ToSchema)]
pub struct NewTokenOut {
    pub id: i64,
    pub token: String,
    pub kind: String,
    pub days: i64,
    pub expires_at_ms: i64,
}
