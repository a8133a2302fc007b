//! API tokens for `/api/v1`: shown once, stored as a SHA-256 hash, acting with exactly
//! their owner's role and scope, for a limited time (`AuthPolicy::token_days`, or fewer
//! days chosen when made), and optionally read-only. A token ends when its owner revokes
//! it, changes their password, has it reset by an admin or is disabled; and it is refused
//! while the owner's role requires two-factor login that the owner has not set up.

use super::records::{ApiTokenRecord, TokenActorRecord, role_of};
use crate::core::audit::Event;
use crate::{Result, Store, StoreError, hash_token, random_token};
use domain::audit::AuditAction;
use domain::ids::TokenId;
use domain::token::{DAY_MS, RevokeReason, TokenKind, TokenRequest, TokenState};
use domain::value::text;
use domain::{Actor, Invalid, RegionCode, Scope, UnitId, UserId};
use sqlx::AnyConnection;

/// One of the owner's tokens as the token list shows it.
#[derive(Debug, Clone)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub kind: TokenKind,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub state: TokenState,
    /// Why it was revoked (when it was).
    pub revoked_reason: Option<RevokeReason>,
}

/// A freshly created token; `secret` is never stored and never shown again.
#[derive(Clone)]
pub struct NewToken {
    pub id: TokenId,
    pub secret: domain::secret::Secret<String>,
    pub kind: TokenKind,
    pub days: i64,
    pub expires_at_ms: i64,
}

/// What a bearer token is worth at this moment.
#[derive(Debug, Clone)]
pub enum TokenAuth {
    Valid {
        actor: Actor,
        kind: TokenKind,
    },
    /// Not a token of this instance.
    Unknown,
    Expired,
    /// Revoked (by its owner, a password change or reset, or the account's deactivation).
    Revoked,
    /// The owner's role must use two-factor login and the owner has not set it up.
    NeedsTwoFactor,
}

/// Revokes every live token of `user` inside the caller's write; returns how many.
pub(super) async fn revoke_user_tokens(
    conn: &mut AnyConnection,
    user: UserId,
    now: i64,
    why: RevokeReason,
) -> Result<u64> {
    let res = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(why.as_str())
    .bind(user.0)
    .execute(&mut *conn)
    .await?;
    Ok(res.rows_affected())
}

impl Store {
    /// A full-rights token living the instance's token lifetime.
    pub async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken> {
        let req = TokenRequest::parse(name, "", "", self.policy().token_days)?;
        self.create_token_with(actor, &req).await
    }

    /// A token of the kind and lifetime asked for (at most the instance's lifetime).
    pub async fn create_token_with(&self, actor: &Actor, req: &TokenRequest) -> Result<NewToken> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let mut errs = Invalid::default();
        errs.take(text::line("name", &req.name, text::SHORT));
        if !(1..=self.policy().token_days).contains(&req.days) {
            errs.push("days", "err.count_range");
        }
        errs.into_result(())?;
        let secret = format!("gug_{}", random_token()?);
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        let expires = tx.now_ms() + req.days * DAY_MS;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, read_only) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(user.0)
            .bind(req.name.trim().to_owned())
            .bind(hash_token(&secret))
            .bind(tx.now_ms())
            .bind(expires)
            .bind(i64::from(req.kind == TokenKind::ReadOnly))
            .fetch_one(&mut *tx)
            .await?;
        tx.audit(Event {
            action: AuditAction::TokenCreate,
            record_type: "api_token",
            record_id: id.to_string(),
            detail: format!("kind={} days={}", req.kind, req.days),
        })
        .await?;
        tx.commit().await?;
        Ok(NewToken {
            id: TokenId(id),
            secret: secret.into(),
            kind: req.kind,
            days: req.days,
            expires_at_ms: expires,
        })
    }

    /// The actor's own tokens, newest first.
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let rows: Vec<ApiTokenRecord> = sqlx::query_as(
            "SELECT id, name, created_at, expires_at, last_used_at, revoked_at, revoked_reason, read_only \
             FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user.0)
        .fetch_all(self.pool())
        .await?;
        let now = self.now_ms();
        Ok(rows.into_iter().map(|r| r.into_token(now)).collect())
    }

    /// Revokes one of the actor's own tokens.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        let res = sqlx::query("UPDATE api_tokens SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND user_id = $4 AND revoked_at IS NULL")
            .bind(tx.now_ms())
            .bind(RevokeReason::Owner.as_str())
            .bind(id.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.audit(Event {
            action: AuditAction::TokenRevoke,
            record_type: "api_token",
            record_id: id.0.to_string(),
            detail: format!("reason={}", RevokeReason::Owner),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a bearer secret is worth now: the actor it acts as and its kind, or why it is
    /// refused. Refreshes "last used" at most once a minute.
    pub async fn token_auth(&self, secret: &str, origin: &str) -> Result<TokenAuth> {
        if !secret.starts_with("gug_") {
            return Ok(TokenAuth::Unknown);
        }
        let row: Option<TokenActorRecord> = sqlx::query_as(
            "SELECT t.id, t.last_used_at, t.expires_at, t.revoked_at, t.read_only, u.id AS user_id, u.username, \
             u.role, u.unit_id, u.disabled, u.totp_enabled, n.region_code \
             FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN units n ON n.id = u.unit_id \
             WHERE t.token_hash = $1",
        )
        .bind(hash_token(secret))
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else {
            return Ok(TokenAuth::Unknown);
        };
        let now = self.now_ms();
        if r.revoked_at.is_some() || r.disabled != 0 {
            return Ok(TokenAuth::Revoked);
        }
        if now >= r.expires_at {
            return Ok(TokenAuth::Expired);
        }
        let role = role_of(&r.role)?;
        // The same rule that sends the owner's browser to the enrolment page.
        if r.totp_enabled == 0 && role.sees_identities() && self.require_totp().await? {
            return Ok(TokenAuth::NeedsTwoFactor);
        }
        if r.last_used_at.is_none_or(|l| now - l > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(r.id)
                .execute(self.pool())
                .await?;
        }
        let kind = if r.read_only != 0 {
            TokenKind::ReadOnly
        } else {
            TokenKind::Full
        };
        let actor = Actor {
            user_id: Some(UserId(r.user_id)),
            username: r.username,
            unit_id: UnitId(r.unit_id),
            role,
            scope: Scope::from_code(
                r.region_code
                    .as_deref()
                    .and_then(|c| RegionCode::parse(c).ok()),
            ),
            origin: Some(origin.to_owned()),
        };
        Ok(TokenAuth::Valid { actor, kind })
    }

    /// The actor a bearer token acts as, if it is valid now (of either kind).
    pub async fn token_actor(&self, secret: &str, origin: &str) -> Result<Option<Actor>> {
        Ok(match self.token_auth(secret, origin).await? {
            TokenAuth::Valid { actor, .. } => Some(actor),
            _ => None,
        })
    }
}
