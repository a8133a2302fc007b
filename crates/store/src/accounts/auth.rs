//! Logging in: argon2id password check, per-username throttling and lockout (the same for
//! names that do not exist, so a lockout does not reveal which accounts do), database-held
//! sessions with idle and absolute expiry (any server process sharing the database sees
//! them), and optional TOTP as a second factor.

use super::records::{AccountRecord, SessionRecord, role_of};
use super::tokens::revoke_user_tokens;
use crate::core::audit::Event;
use crate::{Result, Store, StoreError, hash_token, random_token};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use domain::audit::AuditAction;
use domain::token::RevokeReason;
use domain::user::check_password;
use domain::{Actor, Invalid, RegionCode, Role, Scope, UnitId, UserId};

#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    /// Failed attempts (password or second factor) before a temporary lockout.
    pub max_failures: i64,
    pub lockout_ms: i64,
    /// Failures older than this are forgotten.
    pub failure_window_ms: i64,
    /// How many days an API token lives (`GUGUS_API_TOKEN_DAYS`), and the most a
    /// token may be given when it is made.
    pub token_days: i64,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            idle_ms: 30 * 60_000,
            absolute_ms: 12 * 3_600_000,
            max_failures: 5,
            lockout_ms: 15 * 60_000,
            failure_window_ms: 15 * 60_000,
            token_days: domain::token::DEFAULT_DAYS,
        }
    }
}

/// Argon2id needs 19 MiB per hash. Run on tokio's blocking pool, each new pool thread got its
/// own allocator arena that kept those megabytes: a server grew from 12 MB to 130 MB after 28
/// logins. All hashing runs on one dedicated thread instead, so the memory is reused; logins
/// queue for it (a hash takes ~15 ms in release builds).
type HashJob = Box<dyn FnOnce() + Send>;

fn hasher() -> Option<&'static std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>> {
    static HASHER: std::sync::OnceLock<Option<std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>>> =
        std::sync::OnceLock::new();
    HASHER
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
            std::thread::Builder::new()
                .name("gugus-argon2".into())
                .spawn(move || {
                    for job in rx {
                        job();
                    }
                })
                .ok()
                .map(|_| std::sync::Mutex::new(tx))
        })
        .as_ref()
}

async fn on_hasher<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = tx.send(f());
    });
    let sent = hasher()
        .and_then(|h| h.lock().ok())
        .is_some_and(|h| h.send(job).is_ok());
    if !sent {
        return Err(StoreError::Other(
            "password hashing thread is not running".into(),
        ));
    }
    rx.await
        .map_err(|_| StoreError::Other("password hashing thread stopped".into()))
}

/// Argon2id with 7 MiB, 5 passes, 1 lane: one of the OWASP-recommended settings of equal
/// strength to 19 MiB × 2, chosen for its smaller memory (district offices run old PCs).
/// Verification reads the parameters from each stored hash, so older hashes still verify.
fn argon2id() -> Result<Argon2<'static>> {
    let params = argon2::Params::new(7 * 1024, 5, 1, None)
        .map_err(|e| StoreError::Other(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

pub(crate) async fn hash_password(password: String) -> Result<String> {
    on_hasher(move || {
        argon2id()?
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Other(format!("password hashing failed: {e}")))
    })
    .await?
}

/// A valid hash of a random password, verified against when the username is unknown so
/// that both cases take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=7168,t=5,p=1$c29tZXNhbHRzb21lc2FsdA$4xVSEoFrNqX1f3R9d6Yi0ZJ8QJQfXQmPeT4Ff4kF5Vw";

async fn verify_password(password: String, phc: String) -> bool {
    on_hasher(move || match PasswordHash::new(&phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Password accepted. `needs_second_factor`: the session is limited to the TOTP step.
    Ok {
        token: String,
        needs_second_factor: bool,
    },
    /// Unknown user, wrong password, or disabled account: one answer for all.
    Invalid,
    Locked {
        until_ms: i64,
    },
}

/// The logged-in user behind a session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub full_name: String,
    pub unit_name: String,
    pub second_factor_ok: bool,
    pub totp_enabled: bool,
    /// The instance requires 2FA for this role and the user has not set it up yet.
    pub must_enroll_totp: bool,
    /// Unread notifications (shown in the navigation).
    pub unread: i64,
}

#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret_base32: String,
    pub uri: String,
}

struct Account {
    id: i64,
    username: String,
    hash: String,
    unit_id: i64,
    role: Role,
    region: Option<String>,
    disabled: bool,
    totp_enabled: bool,
}

fn actor_for(
    id: i64,
    username: &str,
    unit_id: i64,
    role: Role,
    region: Option<&str>,
    origin: &str,
) -> Actor {
    Actor {
        user_id: Some(UserId(id)),
        username: username.to_owned(),
        unit_id: UnitId(unit_id),
        role,
        scope: Scope::from_code(region.and_then(|c| RegionCode::parse(c).ok())),
        origin: Some(origin.to_owned()),
    }
}

/// The anonymous actor used to audit failed logins against unknown names.
fn anonymous(origin: &str) -> Actor {
    Actor {
        user_id: None,
        username: "anonymous".into(),
        unit_id: UnitId(1),
        role: Role::Viewer,
        scope: Scope::National,
        origin: Some(origin.to_owned()),
    }
}

impl Store {
    async fn account(&self, username: &str) -> Result<Option<Account>> {
        let row: Option<AccountRecord> = sqlx::query_as(
            "SELECT u.id, u.username, u.password_hash, u.unit_id, u.role, u.disabled, u.totp_enabled, n.region_code \
             FROM users u JOIN units n ON n.id = u.unit_id WHERE u.username = $1",
        )
        .bind(username.to_owned())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Account {
            id: r.id,
            username: r.username,
            hash: r.password_hash,
            unit_id: r.unit_id,
            role: role_of(&r.role)?,
            region: r.region_code,
            disabled: r.disabled != 0,
            totp_enabled: r.totp_enabled != 0,
        }))
    }

    async fn locked_until(&self, username: &str) -> Result<i64> {
        let until: Option<i64> =
            sqlx::query_scalar("SELECT locked_until FROM login_failures WHERE username = $1")
                .bind(username.to_owned())
                .fetch_optional(self.pool())
                .await?;
        Ok(until.unwrap_or(0))
    }

    /// Counts a failure; locks the name after `max_failures` within the window.
    async fn record_failure(
        &self,
        username: &str,
        actor: &Actor,
        what: &str,
        record_id: String,
    ) -> Result<i64> {
        let now = self.now_ms();
        let p = self.policy;
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT failures, last_at FROM login_failures WHERE username = $1")
                .bind(username.to_owned())
                .fetch_optional(&mut *tx)
                .await?;
        let failures = match row {
            Some((failures, last_at)) if now - last_at <= p.failure_window_ms => failures + 1,
            _ => 1,
        };
        let locked_until = if failures >= p.max_failures {
            now + p.lockout_ms
        } else {
            0
        };
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username.to_owned())
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO login_failures (username, failures, last_at, locked_until) VALUES ($1, $2, $3, $4)")
            .bind(username.to_owned())
            .bind(failures)
            .bind(now)
            .bind(locked_until)
            .execute(&mut *tx)
            .await?;
        let detail = if locked_until > 0 {
            format!("{what}; locked")
        } else {
            what.to_owned()
        };
        tx.audit(Event {
            action: AuditAction::AuthLoginFailed,
            record_type: "user",
            record_id,
            detail,
        })
        .await?;
        tx.commit().await?;
        Ok(locked_until)
    }

    /// Checks a username and password and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        origin: &str,
    ) -> Result<LoginOutcome> {
        let name = username.trim().to_lowercase();
        if name.is_empty() || name.len() > 64 || password.len() > domain::user::MAX_PASSWORD_LEN * 4
        {
            return Ok(LoginOutcome::Invalid);
        }
        let until = self.locked_until(&name).await?;
        if until > self.now_ms() {
            return Ok(LoginOutcome::Locked { until_ms: until });
        }
        let account = self.account(&name).await?;
        let hash = account
            .as_ref()
            .map(|a| a.hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let ok = verify_password(password.to_owned(), hash).await;
        match account {
            Some(a) if ok && !a.disabled => {
                let actor = actor_for(
                    a.id,
                    &a.username,
                    a.unit_id,
                    a.role,
                    a.region.as_deref(),
                    origin,
                );
                let token = random_token()?;
                let now = self.now_ms();
                let mut tx = self.write(self.allow_own_account(&actor)).await?;
                // Failures are forgiven only when the login is complete: with a second factor
                // pending, a correct password leaves them counting, so wrong codes after it
                // still lead to the lockout (they are reset when the code is right).
                if !a.totp_enabled {
                    sqlx::query("DELETE FROM login_failures WHERE username = $1")
                        .bind(name.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, origin, second_factor_ok) VALUES ($1, $2, $3, $3, $4, $5)",
                )
                .bind(hash_token(&token))
                .bind(a.id)
                .bind(now)
                .bind(origin.to_owned())
                .bind(if a.totp_enabled { 0i64 } else { 1i64 })
                .execute(&mut *tx)
                .await?;
                let detail = if a.totp_enabled {
                    "password ok; second factor pending"
                } else {
                    "password ok"
                };
                tx.audit(Event {
                    action: AuditAction::AuthLogin,
                    record_type: "user",
                    record_id: a.id.to_string(),
                    detail: detail.into(),
                })
                .await?;
                tx.commit().await?;
                Ok(LoginOutcome::Ok {
                    token,
                    needs_second_factor: a.totp_enabled,
                })
            }
            Some(a) => {
                let actor = actor_for(
                    a.id,
                    &a.username,
                    a.unit_id,
                    a.role,
                    a.region.as_deref(),
                    origin,
                );
                let what = if a.disabled {
                    "account disabled"
                } else {
                    "wrong password"
                };
                let until = self
                    .record_failure(&name, &actor, what, a.id.to_string())
                    .await?;
                Ok(if until > 0 {
                    LoginOutcome::Locked { until_ms: until }
                } else {
                    LoginOutcome::Invalid
                })
            }
            None => {
                let until = self
                    .record_failure(&name, &anonymous(origin), "unknown username", String::new())
                    .await?;
                Ok(if until > 0 {
                    LoginOutcome::Locked { until_ms: until }
                } else {
                    LoginOutcome::Invalid
                })
            }
        }
    }

    /// The user behind a session token, or `None` when it is unknown, expired or the
    /// account was disabled. Refreshes the idle timer at most once a minute.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let th = hash_token(token);
        let row: Option<SessionRecord> = sqlx::query_as(
            "SELECT s.user_id, s.created_at, s.last_seen_at, s.second_factor_ok, u.username, u.full_name, u.role, \
             u.unit_id, u.disabled, u.totp_enabled, n.region_code, n.name AS unit_name, \
             (SELECT COUNT(*) FROM notifications x WHERE x.user_id = s.user_id AND x.read_at IS NULL) AS unread, \
             (SELECT value FROM settings WHERE key = $2) AS require_totp \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN units n ON n.id = u.unit_id WHERE s.token_hash = $1",
        )
        .bind(th.clone())
        .bind(crate::admin::settings::REQUIRE_TOTP)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let now = self.now_ms();
        let (created, seen) = (r.created_at, r.last_seen_at);
        let disabled = r.disabled != 0;
        if disabled || now - seen > self.policy.idle_ms || now - created > self.policy.absolute_ms {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(th)
                .execute(self.pool())
                .await?;
            return Ok(None);
        }
        if now - seen > 60_000 {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(th)
                .execute(self.pool())
                .await?;
        }
        let role = role_of(&r.role)?;
        let totp_enabled = r.totp_enabled != 0;
        let must_enroll_totp =
            !totp_enabled && role.sees_identities() && r.require_totp.as_deref() == Some("1");
        Ok(Some(SessionInfo {
            actor: actor_for(
                r.user_id,
                &r.username,
                r.unit_id,
                role,
                r.region_code.as_deref(),
                "",
            ),
            full_name: r.full_name,
            unit_name: r.unit_name,
            second_factor_ok: r.second_factor_ok != 0,
            totp_enabled,
            must_enroll_totp,
            unread: r.unread,
        }))
    }

    pub async fn logout(&self, token: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash_token(token))
            .execute(&mut *tx)
            .await?;
        let id = actor.user_id.map(|u| u.to_string()).unwrap_or_default();
        tx.audit(Event {
            action: AuditAction::AuthLogout,
            record_type: "user",
            record_id: id,
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn totp_secret(&self, user: UserId) -> Result<(Option<Vec<u8>>, i64)> {
        let (secret, last_step): (Option<String>, i64) =
            sqlx::query_as("SELECT totp_secret, totp_last_step FROM users WHERE id = $1")
                .bind(user.0)
                .fetch_one(self.pool())
                .await?;
        Ok((secret.and_then(|s| hex::decode(s).ok()), last_step))
    }

    /// Checks a TOTP code for `user`; a code's time step is accepted only once.
    async fn check_totp(&self, user: UserId, code: &str) -> Result<bool> {
        let (secret, last_step) = self.totp_secret(user).await?;
        let Some(secret) = secret else {
            return Ok(false);
        };
        let now_s = (self.now_ms() / 1000) as u64;
        match domain::totp::verify(&secret, code, now_s) {
            Some(step) if step as i64 > last_step => {
                // Compare-and-set so a code replayed concurrently is accepted once.
                let res = sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step = $3",
                )
                .bind(step as i64)
                .bind(user.0)
                .bind(last_step)
                .execute(self.pool())
                .await?;
                Ok(res.rows_affected() == 1)
            }
            _ => Ok(false),
        }
    }

    /// The second login step. Wrong codes count towards the lockout like wrong passwords.
    pub async fn verify_second_factor(
        &self,
        token: &str,
        actor: &Actor,
        code: &str,
    ) -> Result<LoginOutcome> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let until = self.locked_until(&actor.username).await?;
        if until > self.now_ms() {
            return Ok(LoginOutcome::Locked { until_ms: until });
        }
        if self.check_totp(user, code).await? {
            let mut tx = self.write(self.allow_own_account(actor)).await?;
            sqlx::query("UPDATE sessions SET second_factor_ok = 1 WHERE token_hash = $1")
                .bind(hash_token(token))
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM login_failures WHERE username = $1")
                .bind(actor.username.clone())
                .execute(&mut *tx)
                .await?;
            tx.audit(Event {
                action: AuditAction::AuthSecondFactor,
                record_type: "user",
                record_id: user.to_string(),
                detail: "totp ok".into(),
            })
            .await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Ok {
                token: token.to_owned(),
                needs_second_factor: false,
            });
        }
        let until = self
            .record_failure(
                &actor.username,
                actor,
                "wrong second factor",
                user.to_string(),
            )
            .await?;
        if until > 0 {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(hash_token(token))
                .execute(self.pool())
                .await?;
            return Ok(LoginOutcome::Locked { until_ms: until });
        }
        Ok(LoginOutcome::Invalid)
    }

    /// Starts TOTP enrolment: a new secret (or the one already pending, so reloading the
    /// page does not invalidate what the user scanned), active once confirmed with a code.
    pub async fn totp_begin(&self, actor: &Actor) -> Result<TotpSetup> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let mut secret = [0u8; 20];
        getrandom::fill(&mut secret)
            .map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
        sqlx::query("UPDATE users SET totp_secret = $1, totp_enabled = 0, totp_last_step = 0 WHERE id = $2 AND totp_enabled = 0 AND totp_secret IS NULL")
            .bind(hex::encode(secret))
            .bind(user.0)
            .execute(self.pool())
            .await?;
        let (stored, _) = self.totp_secret(user).await?;
        let stored = stored.ok_or_else(|| StoreError::Other("TOTP secret missing".into()))?;
        Ok(TotpSetup {
            secret_base32: domain::totp::base32_encode(&stored),
            uri: domain::totp::provisioning_uri(&stored, &actor.username),
        })
    }

    /// Confirms enrolment with a code from the app. Marks the current session as verified.
    pub async fn totp_confirm(&self, actor: &Actor, session_token: &str, code: &str) -> Result<()> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        if !self.check_totp(user, code).await? {
            return Err(Invalid::one("code", "err.totp_code").into());
        }
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        sqlx::query("UPDATE users SET totp_enabled = 1 WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET second_factor_ok = 1 WHERE token_hash = $1")
            .bind(hash_token(session_token))
            .execute(&mut *tx)
            .await?;
        tx.audit(Event {
            action: AuditAction::AccountTotpEnable,
            record_type: "user",
            record_id: user.to_string(),
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Turns TOTP off after re-checking the password; refused when the instance requires it.
    pub async fn totp_disable(&self, actor: &Actor, password: &str) -> Result<()> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        if actor.role.sees_identities() && self.require_totp().await? {
            return Err(StoreError::Conflict("conflict.totp_required"));
        }
        let a = self
            .account(&actor.username)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !verify_password(password.to_owned(), a.hash).await {
            return Err(Invalid::one("password", "err.password_wrong").into());
        }
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        sqlx::query("UPDATE users SET totp_enabled = 0, totp_secret = NULL WHERE id = $1")
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        tx.audit(Event {
            action: AuditAction::AccountTotpDisable,
            record_type: "user",
            record_id: user.to_string(),
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A user changes their own password. Their other sessions end and their API tokens
    /// are revoked (a token made by someone who knew the old password must not outlive it).
    pub async fn change_own_password(
        &self,
        actor: &Actor,
        current_token: &str,
        old: &str,
        new: &str,
        confirm: &str,
    ) -> Result<()> {
        let user = actor.user_id.ok_or(StoreError::NotFound)?;
        let a = self
            .account(&actor.username)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut errs = Invalid::default();
        if !verify_password(old.to_owned(), a.hash).await {
            errs.push("current_password", "err.password_wrong");
        }
        check_password(&mut errs, "new_password", new, &a.username);
        if new != confirm {
            errs.push("confirm_password", "err.password_mismatch");
        }
        errs.into_result(())?;
        let hash = hash_password(new.to_owned()).await?;
        let mut tx = self.write(self.allow_own_account(actor)).await?;
        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(self.now_ms())
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user.0)
            .bind(hash_token(current_token))
            .execute(&mut *tx)
            .await?;
        let now = tx.now_ms();
        let revoked = revoke_user_tokens(&mut tx, user, now, RevokeReason::PasswordChange).await?;
        tx.audit(Event {
            action: AuditAction::AccountPasswordChange,
            record_type: "user",
            record_id: user.to_string(),
            detail: format!("tokens_revoked={revoked}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a password without the old one (CLI `gugus user passwd`).
    pub async fn set_password_cli(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
    ) -> Result<()> {
        let id = self
            .user_id_by_username(username)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.reset_password(actor, id, password).await
    }

    /// Deletes expired sessions (run periodically by the server).
    pub async fn purge_sessions(&self) -> Result<u64> {
        let now = self.now_ms();
        let res = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(now - self.policy.idle_ms)
            .bind(now - self.policy.absolute_ms)
            .execute(self.pool())
            .await?;
        Ok(res.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dummy_hash_parses() {
        assert!(super::PasswordHash::new(super::DUMMY_HASH).is_ok());
    }
}
