//! Break-the-glass access to identities outside the owning unit, and search for similar
//! victims before a new case is created.

use super::records::{GrantRecord, SimilarRecord};
use super::*;
use crate::core::write::Maintenance;
use domain::audit::AuditAction;
use domain::value::text;

/// The column a break-the-glass reason's ciphertext is bound to.
pub(crate) const GRANT_REASON: &str = "identity_grants.reason";

impl Store {
    /// The case's break-the-glass grants with their reasons decrypted (for the owning
    /// unit only: callers decide).
    pub(super) async fn grants(&self, id: CaseId) -> Result<Vec<Grant>> {
        let rows: Vec<GrantRecord> = sqlx::query_as(
            "SELECT id, username, unit_name, reason_enc, granted_at, expires_at FROM identity_grants WHERE case_id = $1 ORDER BY id DESC",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let k = self.keyring()?;
        rows.into_iter().map(|r| r.into_grant(k)).collect()
    }

    /// Breaks the glass: opens the case's identities to the actor for [`GRANT_HOURS`].
    pub async fn break_glass(&self, actor: &Actor, id: CaseId, reason: &str) -> Result<()> {
        let scope = self.case_scope(id).await?;
        let allowed = self.allow(actor, Action::ViewCase, &scope)?;
        let owner: i64 = sqlx::query_scalar("SELECT unit_id FROM cases WHERE id = $1")
            .bind(id.0)
            .fetch_one(self.pool())
            .await?;
        match self
            .identity_access(actor, id, UnitId(owner), &scope)
            .await?
        {
            IdentityAccess::Never => return Err(StoreError::Forbidden),
            IdentityAccess::Granted => return Ok(()),
            IdentityAccess::BreakGlass => {}
        }
        let user = actor.user_id.ok_or(StoreError::Forbidden)?;
        let reason = reason.trim();
        if reason.chars().count() < text::BREAK_GLASS_REASON_MIN {
            return Err(Invalid::one("reason", "err.reason_short").into());
        }
        if text::REASON.exceeded_by(reason) {
            return Err(Invalid::one("reason", text::REASON.too_long_key()).into());
        }
        let unit_name: String = sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
            .bind(actor.unit_id.0)
            .fetch_one(self.pool())
            .await?;
        // The reason may name the victim: it is encrypted like the identities, and the
        // audit entry refers to the grant instead of copying it.
        let reason_enc = self.keyring()?.encrypt(GRANT_REASON, reason)?;
        let now = self.now_ms();
        let mut tx = self.write(allowed).await?;
        let grant: i64 = sqlx::query_scalar(
            "INSERT INTO identity_grants (case_id, user_id, username, unit_name, legacy_reason, reason_enc, granted_at, expires_at) \
             VALUES ($1, $2, $3, $4, '', $5, $6, $7) RETURNING id",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(actor.username.clone())
        .bind(unit_name)
        .bind(reason_enc)
        .bind(now)
        .bind(now + GRANT_HOURS * 3_600_000)
        .fetch_one(&mut *tx)
        .await?;
        // The owning unit learns at once that its victims' identities were opened (the
        // notification carries a link, never the reason or a name).
        self.notify_unit(
            &mut tx,
            owner,
            domain::notification::NotificationKind::IdentityOpened,
            &format!("/cases/{id}"),
            actor,
        )
        .await?;
        let ev = Event {
            action: AuditAction::CaseBreakGlass,
            record_type: "case",
            record_id: id.to_string(),
            detail: format!("grant={grant} hours={GRANT_HOURS}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Encrypts the break-the-glass reasons a version before 0014 stored in plaintext and
    /// blanks them (called at start-up once the key is loaded, and before a key rotation;
    /// nothing to do on a database written by this version). Returns how many were encrypted.
    pub async fn encrypt_legacy_plaintext(&self) -> Result<u64> {
        let k = self.keyring()?;
        let mut done = 0;
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, legacy_reason FROM identity_grants WHERE legacy_reason <> '' ORDER BY id LIMIT 500",
            )
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.maintenance(Maintenance::SealPlaintext).await?;
            self.secure_delete(&mut tx, true).await?;
            for (id, plain) in rows {
                // Compare-and-set: another server starting at the same time may be at it too.
                done += sqlx::query(
                    "UPDATE identity_grants SET reason_enc = $1, legacy_reason = '' WHERE id = $2 AND legacy_reason = $3",
                )
                .bind(k.encrypt(GRANT_REASON, &plain)?)
                .bind(id)
                .bind(plain)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            self.secure_delete(&mut tx, false).await?;
            tx.commit().await?;
        }
        if done > 0 {
            tracing::info!(
                grants = done,
                "encrypted break-the-glass reasons kept in plaintext"
            );
        }
        Ok(done)
    }

    /// "Search before create": victims in the actor's scope with the same NIK, or the same
    /// name words (and the same birth date when one is given). Identity roles only; the
    /// answer carries case codes and initials, nothing more.
    pub async fn similar_victims(
        &self,
        actor: &Actor,
        nik: Option<&str>,
        name: &str,
        birth_date: Option<Day>,
    ) -> Result<Vec<SimilarVictim>> {
        decide(actor, Action::ViewIdentity, &actor.scope)?;
        let k = self.keyring()?;
        let mut out: Vec<SimilarVictim> = Vec::new();
        let base = "SELECT v.case_id, c.code, v.initials FROM victims v JOIN cases c ON c.id = v.case_id WHERE 1=1";
        if let Some(n) = nik.and_then(domain::nik::Nik::parse) {
            let mut q = Sql::new(base);
            q.scope("c.region_code", &actor.scope);
            q.push(" AND v.nik_index")
                .in_list(&k.blind_indexes("nik", n.as_str()))
                .push(" LIMIT 10");
            for r in q.build_as::<SimilarRecord>().fetch_all(self.pool()).await? {
                out.push(r.into_view("nik"));
            }
        }
        let tokens = name_tokens(name);
        if !tokens.is_empty() {
            let mut q = Sql::new(base);
            q.scope("c.region_code", &actor.scope);
            for t in &tokens {
                q.push(" AND EXISTS (SELECT 1 FROM victim_name_tokens nt WHERE nt.victim_id = v.id AND nt.token")
                    .in_list(&k.blind_indexes("name", t))
                    .push(")");
            }
            if let Some(b) = birth_date {
                q.push(" AND v.birth_date = ").bind_int(b);
            }
            q.push(" LIMIT 10");
            let reason = if birth_date.is_some() {
                "name_birth"
            } else {
                "name"
            };
            for r in q.build_as::<SimilarRecord>().fetch_all(self.pool()).await? {
                if !out.iter().any(|s| s.case_id.0 == r.case_id) {
                    out.push(r.into_view(reason));
                }
            }
        }
        let ev = Event {
            action: AuditAction::CaseSearch,
            record_type: "case",
            record_id: String::new(),
            detail: format!("by=similar hits={}", out.len()),
        };
        self.audit(actor, ev).await?;
        Ok(out)
    }
}
