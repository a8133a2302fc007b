//! Rows of the account tables (users, sessions, API tokens) as this folder's queries
//! select them, mapped by column name.

use super::tokens::ApiToken;
use super::users::UserRow;
use crate::{Result, StoreError};
use domain::ids::TokenId;
use domain::token::{RevokeReason, TokenKind, TokenState};
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
    /// The "two-factor login required" setting, read with the session (one query).
    pub require_totp: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ApiTokenRecord {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_reason: Option<String>,
    pub read_only: i64,
}

impl ApiTokenRecord {
    /// The token as it stands at `now`.
    pub fn into_token(self, now: i64) -> ApiToken {
        let state = if self.revoked_at.is_some() {
            TokenState::Revoked
        } else if now >= self.expires_at {
            TokenState::Expired
        } else {
            TokenState::Active
        };
        ApiToken {
            id: TokenId(self.id),
            name: self.name,
            kind: if self.read_only != 0 {
                TokenKind::ReadOnly
            } else {
                TokenKind::Full
            },
            created_at_ms: self.created_at,
            expires_at_ms: self.expires_at,
            last_used_at_ms: self.last_used_at,
            state,
            revoked_reason: self.revoked_reason.as_deref().and_then(RevokeReason::parse),
        }
    }
}

/// A bearer token with its owner, valid or not.
#[derive(sqlx::FromRow)]
pub(super) struct TokenActorRecord {
    pub id: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub read_only: i64,
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub unit_id: i64,
    pub disabled: i64,
    pub totp_enabled: i64,
    pub region_code: Option<String>,
}
