//! Rows of the account tables (users, sessions, API tokens) as this folder's queries
//! select them, mapped by column name.

use super::tokens::ApiToken;
use super::users::UserRow;
use crate::{Result, StoreError};
use domain::ids::TokenId;
use domain::{Role, UnitId, UserId};

/// A role as stored; an unknown one is a broken row, not a user error.
pub(super) fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Other(format!("unknown role {s}")))
}

/// A user with the unit's name and region (the columns of `USER_SELECT`).
#[derive(sqlx::FromRow)]
pub(super) struct UserRecord {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: Option<String>,
    pub role: String,
    pub disabled: i64,
    pub totp_enabled: i64,
    pub created_at: i64,
}

impl TryFrom<UserRecord> for UserRow {
    type Error = StoreError;
    fn try_from(r: UserRecord) -> Result<Self> {
        Ok(UserRow {
            id: UserId(r.id),
            username: r.username,
            full_name: r.full_name,
            email: r.email,
            unit_id: UnitId(r.unit_id),
            unit_name: r.unit_name,
            unit_region: r.region_code,
            role: role_of(&r.role)?,
            disabled: r.disabled != 0,
            totp_enabled: r.totp_enabled != 0,
            created_at_ms: r.created_at,
        })
    }
}

/// What a login checks.
#[derive(sqlx::FromRow)]
pub(super) struct AccountRecord {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub unit_id: i64,
    pub role: String,
    pub disabled: i64,
    pub totp_enabled: i64,
    pub region_code: Option<String>,
}

/// A session with its user, unit and unread notifications.
#[derive(sqlx::FromRow)]
pub(super) struct SessionRecord {
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub second_factor_ok: i64,
    pub username: String,
    pub full_name: String,
    pub role: String,
    pub unit_id: i64,
    pub disabled: i64,
    pub totp_enabled: i64,
    pub region_code: Option<String>,
    pub unit_name: String,
    pub unread: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<ApiTokenRecord> for ApiToken {
    fn from(r: ApiTokenRecord) -> Self {
        ApiToken {
            id: TokenId(r.id),
            name: r.name,
            created_at_ms: r.created_at,
            last_used_at_ms: r.last_used_at,
            revoked: r.revoked_at.is_some(),
        }
    }
}

/// A valid bearer token with its owner.
#[derive(sqlx::FromRow)]
pub(super) struct TokenActorRecord {
    pub id: i64,
    pub last_used_at: Option<i64>,
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub unit_id: i64,
    pub region_code: Option<String>,
}
