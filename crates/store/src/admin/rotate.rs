//! `gugus keys rotate`: re-encrypts every identifying field (and every free text kept like
//! one: recovery notes, review notes, justifications, break-the-glass reasons) under the
//! current key and recomputes the blind indexes, in small batches, each in its own
//! transaction. Servers
//! keep running during the rotation when they hold both keys (the new one as
//! `GUGUS_SECRET_KEY_FILE`, the old one as `GUGUS_PREVIOUS_SECRET_KEY_FILE`): they read
//! either and write only with the new one. Rows already under the new key are skipped, so
//! an interrupted rotation is simply run again.

use crate::core::audit::Event;
use crate::core::blind::{forget_name_tokens, write_name_tokens};
use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, Scope};
use sqlx::AssertSqlSafe;

#[derive(Debug, Clone, Copy, Default)]
pub struct RotateStats {
    pub victims: u64,
    pub cases: u64,
    pub perpetrators: u64,
    /// Free-text fields of recovery (notes, reasons, messages) and evidence files.
    pub recovery: u64,
    /// Break-the-glass reasons.
    pub grants: u64,
    /// Reviewers' notes and warnings' justifications.
    pub review: u64,
    /// Complaints from the public: their texts, contacts and notes.
    pub complaints: u64,
}

/// Encrypted text of complaints from the public: (table, key column, column, associated data).
const COMPLAINT_TEXT: &[(&str, &str, &str, &str)] = &[
    ("complaints", "id", "what_enc", "complaints.what"),
    ("complaints", "id", "contact_enc", "complaints.contact"),
    ("complaint_notes", "id", "body_enc", "complaint_notes.body"),
];

/// Encrypted free text of the review workflow: (table, key column, column, associated data).
const REVIEW_TEXT: &[(&str, &str, &str, &str)] = &[
    ("case_reviews", "id", "note_enc", "case_reviews.note"),
    (
        "case_reviews",
        "id",
        "field_notes_enc",
        "case_reviews.field_notes",
    ),
];

/// Encrypted free-text columns of recovery: (table, key column, column, associated data).
const RECOVERY_TEXT: &[(&str, &str, &str, &str)] = &[
    ("services", "id", "reason_enc", "services.reason"),
    ("services", "id", "outcome_enc", "services.outcome"),
    ("referrals", "id", "basis_note_enc", "referrals.basis_note"),
    ("referrals", "id", "message_enc", "referrals.message"),
    (
        "referrals",
        "id",
        "decline_reason_enc",
        "referrals.decline_reason",
    ),
    (
        "referral_messages",
        "id",
        "body_enc",
        "referral_messages.body",
    ),
    ("ledger_entries", "id", "note_enc", "ledger_entries.note"),
    (
        "victim_needs",
        "id",
        "explanation_enc",
        "victim_needs.explanation",
    ),
    (
        "service_plans",
        "victim_id",
        "closure_note_enc",
        "service_plans.closure_note",
    ),
    (
        "service_evidence",
        "id",
        "filename_enc",
        "service_evidence.filename",
    ),
];

impl Store {
    pub async fn rotate_keys(&self, actor: &Actor, batch: i64) -> Result<RotateStats> {
        let allowed = self.allow(actor, Action::ManageSettings, &Scope::National)?;
        let k = self.keyring()?;
        // Plaintext an older version left behind is encrypted first (under the new key).
        self.encrypt_legacy_plaintext().await?;
        let mut stats = RotateStats::default();
        // Review text still in plaintext (a database never started since its upgrade) is
        // encrypted first, under the new key.
        stats.review += self.seal_review_text().await?;
        let mut last = 0i64;
        loop {
            #[allow(clippy::type_complexity)]
            let rows: Vec<(i64, String, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT id, name_enc, alias_enc, nik_enc, phone_enc FROM victims WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.0;
            let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
            for (id, name_enc, alias_enc, nik_enc, phone_enc) in rows {
                let all_current = k.is_current(&name_enc)
                    && [&alias_enc, &nik_enc, &phone_enc]
                        .iter()
                        .all(|c| c.as_ref().is_none_or(|c| k.is_current(c)));
                if all_current {
                    continue;
                }
                let name = k.decrypt("victims.name", &name_enc)?;
                let alias = alias_enc
                    .map(|c| k.decrypt("victims.alias", &c))
                    .transpose()?;
                let nik = nik_enc.map(|c| k.decrypt("victims.nik", &c)).transpose()?;
                let phone = phone_enc
                    .map(|c| k.decrypt("victims.phone", &c))
                    .transpose()?;
                sqlx::query("UPDATE victims SET name_enc = $1, alias_enc = $2, nik_enc = $3, nik_index = $4, phone_enc = $5 WHERE id = $6")
                    .bind(k.encrypt("victims.name", &name)?)
                    .bind(k.encrypt_opt("victims.alias", alias.as_deref())?)
                    .bind(k.encrypt_opt("victims.nik", nik.as_deref())?)
                    .bind(nik.as_deref().map(|n| k.blind_index("nik", n)))
                    .bind(k.encrypt_opt("victims.phone", phone.as_deref())?)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                // The tokens under the previous key go (computed again, as the table has no
                // index by victim), those under the current key are written.
                forget_name_tokens(&mut tx, k, id, &name, alias.as_deref()).await?;
                write_name_tokens(&mut tx, k, id, &name, alias.as_deref()).await?;
                stats.victims += 1;
            }
            tx.commit().await?;
        }
        let mut last = 0i64;
        loop {
            let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
                "SELECT id, chronology_enc FROM cases WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.0;
            let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
            for (id, c) in rows {
                let Some(c) = c else {
                    continue;
                };
                if k.is_current(&c) {
                    continue;
                }
                let plain = k.decrypt("cases.chronology", &c)?;
                sqlx::query("UPDATE cases SET chronology_enc = $1 WHERE id = $2")
                    .bind(k.encrypt("cases.chronology", &plain)?)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                stats.cases += 1;
            }
            tx.commit().await?;
        }
        let mut last = 0i64;
        loop {
            let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as("SELECT id, name_enc, alias_enc, nik_enc FROM perpetrators WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(last)
                .bind(batch)
                .fetch_all(self.pool())
                .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.0;
            let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
            for (id, name_enc, alias_enc, nik_enc) in rows {
                if k.is_current(&name_enc)
                    && [&alias_enc, &nik_enc]
                        .iter()
                        .all(|c| c.as_ref().is_none_or(|c| k.is_current(c)))
                {
                    continue;
                }
                let name = k.decrypt("perpetrators.name", &name_enc)?;
                let alias = alias_enc
                    .map(|c| k.decrypt("perpetrators.alias", &c))
                    .transpose()?;
                let nik = nik_enc
                    .map(|c| k.decrypt("perpetrators.nik", &c))
                    .transpose()?;
                sqlx::query("UPDATE perpetrators SET name_enc = $1, alias_enc = $2, nik_enc = $3, nik_index = $4 WHERE id = $5")
                    .bind(k.encrypt("perpetrators.name", &name)?)
                    .bind(k.encrypt_opt("perpetrators.alias", alias.as_deref())?)
                    .bind(k.encrypt_opt("perpetrators.nik", nik.as_deref())?)
                    .bind(nik.as_deref().map(|n| k.blind_index("nik", n)))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM perpetrator_name_tokens WHERE perpetrator_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let mut tokens = crate::core::blind::name_tokens(&name);
                if let Some(a) = &alias {
                    tokens.extend(crate::core::blind::name_tokens(a));
                }
                tokens.sort();
                tokens.dedup();
                for t in tokens {
                    sqlx::query("INSERT INTO perpetrator_name_tokens (token, perpetrator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(k.blind_index("perp_name", &t))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                stats.perpetrators += 1;
            }
            tx.commit().await?;
        }
        for (table, key, col, aad) in RECOVERY_TEXT {
            stats.recovery += self.rotate_text_column(table, key, col, aad, batch).await?;
        }
        stats.recovery += self
            .rotate_files("service_evidence", "service_evidence.body", batch)
            .await?;
        stats.grants += self
            .rotate_text_column(
                "identity_grants",
                "id",
                "reason_enc",
                crate::cases::GRANT_REASON,
                batch,
            )
            .await?;
        for (table, key, col, aad) in REVIEW_TEXT {
            stats.review += self.rotate_text_column(table, key, col, aad, batch).await?;
        }
        stats.review += self.rotate_justifications(batch).await?;
        for (table, key, col, aad) in COMPLAINT_TEXT {
            stats.complaints += self.rotate_text_column(table, key, col, aad, batch).await?;
        }
        stats.complaints += self
            .rotate_files("complaint_files", "complaint_files.body", batch)
            .await?;
        let mut tx = self.write(allowed).await?;
        let ev = Event {
            action: AuditAction::KeysRotate,
            record_type: "key",
            record_id: k.current_id().to_owned(),
            detail: format!(
                "victims={} cases={} perpetrators={} recovery={} grants={} review={} complaints={}",
                stats.victims,
                stats.cases,
                stats.perpetrators,
                stats.recovery,
                stats.grants,
                stats.review,
                stats.complaints
            ),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        // The linkage keys are keyed hashes too.
        self.rebuild_linkage_keys(None).await?;
        Ok(stats)
    }
}

impl Store {
    /// Re-encrypts one nullable text column under the current key, in batches.
    async fn rotate_text_column(
        &self,
        table: &str,
        key: &str,
        col: &str,
        aad: &str,
        batch: i64,
    ) -> Result<u64> {
        let k = self.keyring()?;
        let mut done = 0;
        let mut last = i64::MIN;
        let select = format!(
            "SELECT {key} AS k, {col} AS v FROM {table} WHERE {key} > $1 AND {col} IS NOT NULL ORDER BY {key} LIMIT $2"
        );
        // Compare-and-set: a value edited meanwhile (servers keep running) is left alone; it
        // was written under the new key anyway.
        let update = format!("UPDATE {table} SET {col} = $1 WHERE {key} = $2 AND {col} = $3");
        loop {
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(select.clone()))
                .bind(last)
                .bind(batch)
                .fetch_all(self.pool())
                .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.0;
            let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
            for (key, v) in rows {
                if k.is_current(&v) {
                    continue;
                }
                let plain = k.decrypt(aad, &v)?;
                sqlx::query(sqlx::AssertSqlSafe(update.clone()))
                    .bind(k.encrypt(aad, &plain)?)
                    .bind(key)
                    .bind(v.clone())
                    .execute(&mut *tx)
                    .await?;
                done += 1;
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Re-encrypts the warnings' justifications (a row is keyed by case, rule and victim),
    /// a batch of cases at a time.
    async fn rotate_justifications(&self, batch: i64) -> Result<u64> {
        let k = self.keyring()?;
        let aad = crate::review::JUSTIFICATION;
        let mut done = 0;
        let mut last = 0i64;
        loop {
            let cases: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT case_id FROM case_rule_hits WHERE case_id > $1 \
                 AND justification_enc IS NOT NULL ORDER BY case_id LIMIT $2",
            )
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = cases.last() else { break };
            last = *tail;
            let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
            for case in cases {
                let rows: Vec<(String, i64, String)> = sqlx::query_as(
                    "SELECT rule_code, victim_pos, justification_enc FROM case_rule_hits \
                     WHERE case_id = $1 AND justification_enc IS NOT NULL",
                )
                .bind(case)
                .fetch_all(&mut *tx)
                .await?;
                for (code, pos, v) in rows {
                    if k.is_current(&v) {
                        continue;
                    }
                    let plain = k.decrypt(aad, &v)?;
                    sqlx::query(
                        "UPDATE case_rule_hits SET justification_enc = $1 \
                         WHERE case_id = $2 AND rule_code = $3 AND victim_pos = $4 AND justification_enc = $5",
                    )
                    .bind(k.encrypt(aad, &plain)?)
                    .bind(case)
                    .bind(code)
                    .bind(pos)
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
                    done += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Re-encrypts the files of `table` (column `body`, associated data `aad`) whose key is
    /// not the current one: evidence files, complaints' attachments.
    async fn rotate_files(&self, table: &str, aad: &str, batch: i64) -> Result<u64> {
        let k = self.keyring()?;
        let current = k.current_id().as_bytes().to_vec();
        let mut done = 0;
        let mut last = 0i64;
        loop {
            // Ids first, then one file at a time: files are up to 5 MB each.
            let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT id FROM {table} WHERE id > $1 ORDER BY id LIMIT $2"
            )))
            .bind(last)
            .bind(batch)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = ids.last() else { break };
            last = *tail;
            for id in ids {
                let body: Vec<u8> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT body FROM {table} WHERE id = $1"
                )))
                .bind(id)
                .fetch_one(self.pool())
                .await?;
                let kid_len = body.first().copied().unwrap_or(0) as usize;
                if body.get(1..1 + kid_len) == Some(current.as_slice()) {
                    continue;
                }
                let plain = k.decrypt_bytes(aad, &body)?;
                let mut tx = self.maintenance(Maintenance::KeyRotation).await?;
                sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET body = $1 WHERE id = $2"
                )))
                .bind(k.encrypt_bytes(aad, &plain)?)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                done += 1;
            }
        }
        Ok(done)
    }
}

impl Store {
    /// Whether the database holds identities encrypted under some key (a victim's name).
    pub async fn holds_encrypted_data(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM victims WHERE name_enc IS NOT NULL")
            .fetch_one(self.pool())
            .await?;
        Ok(n > 0)
    }

    /// Decrypts a sample of the stored identities with the loaded key: `Ok(true)` when a
    /// sample was read, `Ok(false)` when there is nothing encrypted yet, and a configuration
    /// error when the key is not the one the data was written with (the server must not
    /// start and answer every case page with an error).
    pub async fn verify_key(&self) -> Result<bool> {
        let k = self.keyring()?;
        let sample: Option<String> = sqlx::query_scalar(
            "SELECT name_enc FROM victims WHERE name_enc IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        let Some(stored) = sample else {
            return Ok(false);
        };
        k.decrypt("victims.name", &stored).map_err(|_| {
            StoreError::Config(
                "the secret key does not decrypt the identities in this database: \
                 start with the key file the data was written with (GUGUS_SECRET_KEY_FILE)"
                    .into(),
            )
        })?;
        Ok(true)
    }
}
