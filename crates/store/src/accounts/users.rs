//! Staff accounts, administered within the admin's region subtree.

use super::records::UserRecord;
use super::tokens::revoke_user_tokens;
use crate::accounts::auth::hash_password;
use crate::core::audit::Event;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::token::RevokeReason;
use domain::user::{NewUser, check_password};
use domain::{Action, Actor, Invalid, RegionCode, Role, Scope, UnitId, UserId, decide};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub email: Option<String>,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub unit_region: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub created_at_ms: i64,
}

impl UserRow {
    pub fn scope(&self) -> Scope {
        Scope::from_code(
            self.unit_region
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        )
    }
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.full_name, u.email, u.unit_id, n.name AS unit_name, \
     n.region_code, u.role, u.disabled, u.totp_enabled, u.created_at \
     FROM users u JOIN units n ON n.id = u.unit_id WHERE 1=1";

/// Which accounts a user list shows besides the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOnly {
    #[default]
    All,
    /// Locked now by failed sign-ins.
    Locked,
    /// Active accounts of roles that see identities, without two-step verification.
    NoTotp,
    Disabled,
}

impl UserOnly {
    pub fn parse(s: &str) -> Option<UserOnly> {
        Some(match s {
            "" | "all" => UserOnly::All,
            "locked" => UserOnly::Locked,
            "no_totp" => UserOnly::NoTotp,
            "disabled" => UserOnly::Disabled,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            UserOnly::All => "",
            UserOnly::Locked => "locked",
            UserOnly::NoTotp => "no_totp",
            UserOnly::Disabled => "disabled",
        }
    }
}

/// A search of the accounts in an admin's subtree, one page at a time.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the username or the full name (any case).
    pub q: String,
    pub role: Option<Role>,
    pub only: UserOnly,
    /// From 0.
    pub page: i64,
    pub per_page: i64,
}

/// One page of accounts and how many match in all.
#[derive(Debug, Clone, Serialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    pub total: i64,
}

/// Ends what an account could do until now: its sessions (it signs in again) and its API
/// tokens (revoked with `why`); returns how many tokens were revoked.
async fn end_access(
    tx: &mut crate::core::write::Write<'_>,
    id: UserId,
    why: RevokeReason,
) -> Result<u64> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await?;
    let now = tx.now_ms();
    revoke_user_tokens(tx, id, now, why).await
}

/// The roles that see identities (and so must use two-step verification when it is
/// required).
fn identity_roles() -> Vec<&'static str> {
    Role::ALL
        .iter()
        .filter(|r| r.sees_identities())
        .map(|r| r.as_str())
        .collect()
}

impl Store {
    /// Accounts in the admin's subtree that match `f`, a page at a time, with the total.
    pub async fn find_users(&self, actor: &Actor, f: &UserFilter) -> Result<UserPage> {
        decide(actor, Action::ViewUser, &actor.scope)?;
        let needle = f.q.trim().to_lowercase();
        let like = format!(
            "%{}%",
            needle
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let now = self.now_ms();
        let identity_roles = identity_roles();
        // The same condition for the page and for the count.
        let cond = |q: &mut Sql| {
            q.scope("n.region_code", &actor.scope);
            if !needle.is_empty() {
                q.push(" AND (LOWER(u.username) LIKE ")
                    .bind_text(like.clone())
                    .push(" ESCAPE '\\' OR LOWER(u.full_name) LIKE ")
                    .bind_text(like.clone())
                    .push(" ESCAPE '\\')");
            }
            if let Some(r) = f.role {
                q.push(" AND u.role = ").bind_text(r.as_str());
            }
            match f.only {
                UserOnly::All => {}
                UserOnly::Disabled => {
                    q.push(" AND u.disabled <> 0");
                }
                UserOnly::Locked => {
                    q.push(" AND u.username IN (SELECT username FROM login_failures WHERE locked_until > ")
                        .bind_int(now)
                        .push(")");
                }
                UserOnly::NoTotp => {
                    q.push(" AND u.disabled = 0 AND u.totp_enabled = 0 AND u.role");
                    q.in_list(&identity_roles);
                }
            }
        };
        let per_page = f.per_page.clamp(1, 200);
        let mut q = Sql::new(USER_SELECT);
        cond(&mut q);
        q.push(" ORDER BY n.region_code IS NOT NULL, n.region_code, n.name, u.username LIMIT ")
            .bind_int(per_page)
            .push(" OFFSET ")
            .bind_int(f.page.clamp(0, 100_000) * per_page);
        let rows: Vec<UserRow> = q
            .build_as::<UserRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(UserRow::try_from)
            .collect::<Result<_>>()?;
        let mut c =
            Sql::new("SELECT COUNT(*) FROM users u JOIN units n ON n.id = u.unit_id WHERE 1=1");
        cond(&mut c);
        let total: i64 = c.build_scalar().fetch_one(self.pool()).await?;
        self.audit_user_list(actor, rows.len()).await?;
        Ok(UserPage { rows, total })
    }

    /// Accounts in the admin's subtree.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<UserRow>> {
        decide(actor, Action::ViewUser, &actor.scope)?;
        let mut q = Sql::new(USER_SELECT);
        q.scope("n.region_code", &actor.scope);
        q.push(" ORDER BY n.region_code IS NOT NULL, n.region_code, n.name, u.username LIMIT 5000");
        let rows: Vec<UserRow> = q
            .build_as::<UserRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(UserRow::try_from)
            .collect::<Result<_>>()?;
        self.audit_user_list(actor, rows.len()).await?;
        Ok(rows)
    }

    /// Who listed accounts, and how many they saw.
    async fn audit_user_list(&self, actor: &Actor, rows: usize) -> Result<()> {
        self.audit(
            actor,
            Event {
                action: AuditAction::UserList,
                record_type: "user",
                record_id: String::new(),
                detail: format!("rows={rows}"),
            },
        )
        .await
    }

    /// For an admin's home page: accounts of the admin's region locked now by failed
    /// sign-ins, and (when two-step verification is required) active accounts of roles
    /// that see identities without it. `None` for a user who may not list users.
    pub async fn account_health(&self, actor: &Actor) -> Result<Option<(i64, Option<i64>)>> {
        if decide(actor, Action::ViewUser, &actor.scope).is_err() {
            return Ok(None);
        }
        let mut q = Sql::new(
            "SELECT COUNT(*) FROM login_failures f JOIN users u ON u.username = f.username \
             JOIN units n ON n.id = u.unit_id WHERE f.locked_until > ",
        );
        q.bind_int(self.now_ms());
        q.scope("n.region_code", &actor.scope);
        let locked: i64 = q.build_scalar().fetch_one(self.pool()).await?;
        let without = if self.require_totp().await? {
            let roles = identity_roles();
            let mut q = Sql::new(
                "SELECT COUNT(*) FROM users u JOIN units n ON n.id = u.unit_id \
                 WHERE u.disabled = 0 AND u.totp_enabled = 0 AND u.role",
            );
            q.in_list(&roles);
            q.scope("n.region_code", &actor.scope);
            Some(q.build_scalar().fetch_one(self.pool()).await?)
        } else {
            None
        };
        Ok(Some((locked, without)))
    }

    async fn load_user(&self, id: UserId) -> Result<UserRow> {
        let mut q = Sql::new(USER_SELECT);
        q.push(" AND u.id = ").bind_int(id.0);
        q.build_as::<UserRecord>()
            .fetch_optional(self.pool())
            .await?
            .map(UserRow::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    /// One account (audited: staff names and e-mail are personal data too).
    pub async fn user(&self, actor: &Actor, id: UserId) -> Result<UserRow> {
        let u = self.load_user(id).await?;
        decide(actor, Action::ViewUser, &u.scope())?;
        self.audit(
            actor,
            Event {
                action: AuditAction::UserView,
                record_type: "user",
                record_id: id.to_string(),
                detail: String::new(),
            },
        )
        .await?;
        Ok(u)
    }

    /// The actor's own account.
    pub async fn me(&self, actor: &Actor) -> Result<UserRow> {
        let id = actor.user_id.ok_or(StoreError::NotFound)?;
        self.load_user(id).await
    }

    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<UserId> {
        // The unit must exist and lie in the admin's subtree; otherwise it is a field error.
        let unit = match self.unit(actor, new.unit_id).await {
            Ok(u) => u,
            Err(StoreError::NotFound) => return Err(Invalid::one("unit_id", "err.unit").into()),
            Err(e) => return Err(e),
        };
        let allowed = match self.allow(actor, Action::ManageUser, &unit.scope()) {
            Err(StoreError::NotFound) => return Err(Invalid::one("unit_id", "err.unit").into()),
            other => other?,
        };
        let hash = hash_password(new.password.expose().clone()).await?;
        let mut tx = self.write(allowed).await?;
        let now = tx.now_ms();
        let id: i64 = match sqlx::query_scalar(
            "INSERT INTO users (username, full_name, email, unit_id, role, password_hash, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(new.username.as_str().to_owned())
        .bind(new.full_name.clone())
        .bind(new.email.clone())
        .bind(new.unit_id.0)
        .bind(new.role.as_str())
        .bind(hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(e) if StoreError::is_unique_violation(&e) => return Err(Invalid::one("username", "err.username_taken").into()),
            Err(e) => return Err(e.into()),
        };
        let ev = Event {
            action: AuditAction::UserCreate,
            record_type: "user",
            record_id: id.to_string(),
            detail: format!("unit={} role={}", new.unit_id, new.role.as_str()),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(UserId(id))
    }

    /// An admin sets a new password for an account in scope; its sessions end and its API
    /// tokens are revoked.
    pub async fn reset_password(&self, actor: &Actor, id: UserId, password: &str) -> Result<()> {
        let u = self.load_user(id).await?;
        let allowed = self.allow(actor, Action::ManageUser, &u.scope())?;
        let mut errs = Invalid::default();
        check_password(&mut errs, "password", password, &u.username);
        errs.into_result(())?;
        let hash = hash_password(password.to_owned()).await?;
        let mut tx = self.write(allowed).await?;
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(self.now_ms())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(u.username.clone())
            .execute(&mut *tx)
            .await?;
        let revoked = end_access(&mut tx, id, RevokeReason::PasswordReset).await?;
        tx.audit(Event {
            action: AuditAction::UserPasswordReset,
            record_type: "user",
            record_id: id.to_string(),
            detail: format!("tokens_revoked={revoked}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables or re-enables an account in scope. Disabling ends its sessions and revokes
    /// its API tokens (re-enabling does not bring them back).
    pub async fn set_user_disabled(&self, actor: &Actor, id: UserId, disabled: bool) -> Result<()> {
        let u = self.load_user(id).await?;
        let allowed = self.allow(actor, Action::ManageUser, &u.scope())?;
        if actor.user_id == Some(id) && disabled {
            return Err(StoreError::Conflict("conflict.self_disable"));
        }
        let mut tx = self.write(allowed).await?;
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled as i64)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let mut detail = String::new();
        if disabled {
            let revoked = end_access(&mut tx, id, RevokeReason::AccountDisabled).await?;
            detail = format!("tokens_revoked={revoked}");
        }
        let action = if disabled {
            AuditAction::UserDisable
        } else {
            AuditAction::UserEnable
        };
        tx.audit(Event {
            action,
            record_type: "user",
            record_id: id.to_string(),
            detail,
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An admin moves an account in scope to another unit of the admin's subtree and/or
    /// gives it another role. Its sessions end and its API tokens are revoked: what it
    /// could see was decided by the old role and unit. An admin cannot change their own.
    pub async fn change_user_access(
        &self,
        actor: &Actor,
        id: UserId,
        unit_id: &str,
        role: &str,
    ) -> Result<()> {
        let u = self.load_user(id).await?;
        let allowed = self.allow(actor, Action::ManageUser, &u.scope())?;
        if actor.user_id == Some(id) {
            return Err(StoreError::Conflict("conflict.self_change"));
        }
        // Read after the access check: a refused request learns nothing from its input.
        let mut errs = Invalid::default();
        let unit_id = errs.take(domain::value::id("unit_id", unit_id)).map(UnitId);
        let role = Role::parse(role.trim());
        if role.is_none() {
            errs.push("role", "err.choice");
        }
        errs.into_result(())?;
        let (Some(unit_id), Some(role)) = (unit_id, role) else {
            return Err(Invalid::one("unit_id", "err.required").into());
        };
        // The new unit must lie in the admin's subtree; otherwise it is a field error.
        let unit = match self.unit(actor, unit_id).await {
            Ok(n) => n,
            Err(StoreError::NotFound) => return Err(Invalid::one("unit_id", "err.unit").into()),
            Err(e) => return Err(e),
        };
        // (The write goes by the account's present scope; the new unit is checked too.)
        let _into_unit = match self.allow(actor, Action::ManageUser, &unit.scope()) {
            Err(StoreError::NotFound | StoreError::Forbidden) => {
                return Err(Invalid::one("unit_id", "err.unit").into());
            }
            other => other?,
        };
        if u.unit_id == unit_id && u.role == role {
            return Ok(());
        }
        let mut tx = self.write(allowed).await?;
        sqlx::query("UPDATE users SET unit_id = $1, role = $2 WHERE id = $3")
            .bind(unit_id.0)
            .bind(role.as_str())
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let revoked = end_access(&mut tx, id, RevokeReason::AccessChanged).await?;
        tx.audit(Event {
            action: AuditAction::UserChangeAccess,
            record_type: "user",
            record_id: id.to_string(),
            detail: format!(
                "from_unit={} from_role={} unit={} role={} tokens_revoked={revoked}",
                u.unit_id,
                u.role.as_str(),
                unit_id,
                role.as_str()
            ),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds an account id by username (CLI).
    pub async fn user_id_by_username(&self, username: &str) -> Result<Option<UserId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username.trim().to_lowercase())
            .fetch_optional(self.pool())
            .await?;
        Ok(id.map(UserId))
    }
}
