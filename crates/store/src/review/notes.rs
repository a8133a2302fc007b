//! Reviewers' notes and warnings' justifications are free text that may name people, so
//! they are kept like identities: encrypted at rest (bound to their column) and shown under
//! the case's identity access — the owning unit, or an open break-the-glass grant. The
//! reviewer who wrote a note always reads it back; everyone else sees that it exists.

use super::records::ReviewStepRecord;
use super::rules::JUSTIFICATION;
use super::*;
use crate::core::access::IdentityAccess;
use crate::core::crypto::Keyring;
use crate::core::write::Maintenance;
use domain::UnitId;

/// The columns review text is bound to when encrypted.
pub(super) const NOTE: &str = "case_reviews.note";
pub(super) const FIELD_NOTES: &str = "case_reviews.field_notes";

/// Rows sealed per transaction when plaintext from before encryption is found.
const SEAL_BATCH: i64 = 500;

/// A step's general note, encrypted (`None` when there is none).
pub(super) fn seal_note(k: &Keyring, note: &str) -> Result<Option<String>> {
    k.encrypt_opt(NOTE, Some(note).filter(|n| !n.is_empty()))
}

/// A step's field notes as encrypted JSON (`None` when there are none).
pub(super) fn seal_field_notes(k: &Keyring, notes: &[FieldNote]) -> Result<Option<String>> {
    if notes.is_empty() {
        return Ok(None);
    }
    let json = serde_json::to_string(notes).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(Some(k.encrypt(FIELD_NOTES, &json)?))
}

impl Store {
    /// May the actor read the case's review text (notes, justifications)? The same answer
    /// as for its identities.
    pub(super) async fn reads_review_text(
        &self,
        actor: &Actor,
        id: CaseId,
        owner: i64,
        scope: &Scope,
    ) -> Result<bool> {
        Ok(self
            .identity_access(actor, id, UnitId(owner), scope)
            .await?
            == IdentityAccess::Granted)
    }

    /// The case's review steps, oldest first, with their text decrypted where `actor`
    /// may read it (`text_visible`, or the step is the actor's own) and withheld otherwise.
    pub(super) async fn review_steps(
        &self,
        actor: &Actor,
        id: CaseId,
        text_visible: bool,
    ) -> Result<Vec<ReviewStep>> {
        let rows: Vec<ReviewStepRecord> = sqlx::query_as(
            "SELECT action, from_state, to_state, actor_id, actor_name, actor_level, at, \
             note_enc, field_notes_enc, changed FROM case_reviews WHERE case_id = $1 ORDER BY id",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let k = self.keyring()?;
        rows.into_iter()
            .map(|r| {
                let own = actor.user_id.is_some() && r.actor_id == actor.user_id.map(|u| u.0);
                r.into_step(k, text_visible || own)
            })
            .collect()
    }

    /// Encrypts review text stored in plaintext before it was encrypted (databases from
    /// before migration 13) and empties the plaintext columns. Run at start-up once the key
    /// is loaded, and by key rotation; does nothing when there is nothing left to seal.
    pub async fn seal_review_text(&self) -> Result<u64> {
        let k = self.keyring()?;
        let mut done = 0;
        let mut last = 0i64;
        loop {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, note, field_notes FROM case_reviews \
                 WHERE id > $1 AND (note <> '' OR field_notes <> '[]') ORDER BY id LIMIT $2",
            )
            .bind(last)
            .bind(SEAL_BATCH)
            .fetch_all(self.pool())
            .await?;
            let Some(tail) = rows.last() else { break };
            last = tail.0;
            let mut tx = self.maintenance(Maintenance::SealPlaintext).await?;
            self.secure_delete(&mut tx, true).await?;
            for (id, note, field_notes) in rows {
                let notes: Vec<FieldNote> = serde_json::from_str(&field_notes).unwrap_or_default();
                sqlx::query(
                    "UPDATE case_reviews SET note = '', field_notes = '[]', note_enc = COALESCE($1, note_enc), \
                     field_notes_enc = COALESCE($2, field_notes_enc) WHERE id = $3",
                )
                .bind(seal_note(k, &note)?)
                .bind(seal_field_notes(k, &notes)?)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                done += 1;
            }
            self.secure_delete(&mut tx, false).await?;
            tx.commit().await?;
        }
        loop {
            let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
                "SELECT case_id, rule_code, victim_pos, justification FROM case_rule_hits \
                 WHERE justification IS NOT NULL LIMIT $1",
            )
            .bind(SEAL_BATCH)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = self.maintenance(Maintenance::SealPlaintext).await?;
            self.secure_delete(&mut tx, true).await?;
            for (case_id, code, pos, text) in rows {
                sqlx::query(
                    "UPDATE case_rule_hits SET justification = NULL, justification_enc = $1 \
                     WHERE case_id = $2 AND rule_code = $3 AND victim_pos = $4",
                )
                .bind(k.encrypt(JUSTIFICATION, &text)?)
                .bind(case_id)
                .bind(code)
                .bind(pos)
                .execute(&mut *tx)
                .await?;
                done += 1;
            }
            self.secure_delete(&mut tx, false).await?;
            tx.commit().await?;
        }
        if done > 0 {
            tracing::info!(rows = done, "encrypted review notes stored in plaintext");
        }
        Ok(done)
    }
}

impl ReviewStepRecord {
    /// The step as shown: its text decrypted when `visible`, else withheld (marked so).
    fn into_step(self, k: &Keyring, visible: bool) -> Result<ReviewStep> {
        let note = match &self.note_enc {
            Some(c) => k.decrypt(NOTE, c)?,
            None => String::new(),
        };
        let mut field_notes: Vec<FieldNote> = match &self.field_notes_enc {
            Some(c) => serde_json::from_str(&k.decrypt(FIELD_NOTES, c)?).unwrap_or_default(),
            None => Vec::new(),
        };
        let has_text = !note.is_empty() || field_notes.iter().any(|n| !n.note.is_empty());
        let note = if visible { note } else { String::new() };
        if !visible {
            for n in field_notes.iter_mut() {
                n.note.clear();
            }
        }
        Ok(ReviewStep {
            action: self.action,
            from_state: self.from_state,
            to_state: self.to_state,
            actor_name: self.actor_name,
            actor_level: self.actor_level.as_deref().and_then(ActingLevel::parse),
            at_ms: self.at,
            note,
            field_notes,
            note_hidden: has_text && !visible,
            changed: serde_json::from_str(&self.changed).unwrap_or_default(),
        })
    }
}
