//! API tokens for `/api/v1`: shown once, stored as a SHA-256 hash, revocable, and acting
//! with exactly their owner's role and scope.

use super::records::{ApiTokenRecord, TokenActorRecord, role_of};
use crate::core::audit::Event;
use crate::{Result, Store, StoreError, hash_token, random_token};
use domain::audit::AuditAction;
use domain::ids::TokenId;
use domain::{Actor, RegionCode, Scope, UnitId, UserId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked: bool,
}

/// A freshly created token; `secret` is never stored and never shown again.
#[derive(Clone)]
pub struct NewToken {
    pub id: TokenId,
    pub secret: domain::secret::Secret<String>,
}

impl Store {
    pub async fn create_token(&self, actor: &Actor, name: &str) -> Result<NewToken> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let mut errs = domain::Invalid::default();
        let name = domain::validation::required_text(&mut errs, "name", name, 80);
        errs.into_result(())?;
        let secret = format!("gug_{}", random_token()?);
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(user.0)
            .bind(name)
            .bind(hash_token(&secret))
            .bind(self.now_ms())
            .fetch_one(&mut *tx)
            .await?;
        tx.audit(Event {
            action: AuditAction::TokenCreate,
            record_type: "api_token",
            record_id: id.to_string(),
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(NewToken {
            id: TokenId(id),
            secret: secret.into(),
        })
    }

    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let rows: Vec<ApiTokenRecord> = sqlx::query_as("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC")
            .bind(user.0)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(ApiToken::from).collect())
    }

    /// Revokes one of the actor's own tokens.
    pub async fn revoke_token(&self, actor: &Actor, id: TokenId) -> Result<()> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        let res = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(self.now_ms())
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
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The actor a bearer token acts as, if it is valid and its owner is enabled.
    pub async fn token_actor(&self, secret: &str, origin: &str) -> Result<Option<Actor>> {
        if !secret.starts_with("gug_") {
            return Ok(None);
        }
        let th = hash_token(secret);
        let row: Option<TokenActorRecord> = sqlx::query_as(
            "SELECT t.id, t.last_used_at, u.id AS user_id, u.username, u.role, u.unit_id, n.region_code \
             FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN units n ON n.id = u.unit_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0",
        )
        .bind(th)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let now = self.now_ms();
        if r.last_used_at.is_none_or(|l| now - l > 60_000) {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now)
                .bind(r.id)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(Actor {
            user_id: Some(UserId(r.user_id)),
            username: r.username,
            unit_id: UnitId(r.unit_id),
            role: role_of(&r.role)?,
            scope: Scope::from_code(
                r.region_code
                    .as_deref()
                    .and_then(|c| RegionCode::parse(c).ok()),
            ),
            origin: Some(origin.to_owned()),
        }))
    }
}
