//! Evidence files of a service: recognised by their first bytes, stored encrypted, every
//! download audited.

use super::*;
use domain::audit::AuditAction;

impl Store {
    /// Stores an evidence file, encrypted, after checking its size and type.
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        service: i64,
        filename: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        let (victim, vc, allowed, via) = self.check_service_edit(actor, service).await?;
        self.check_plan_open(victim).await?;
        if bytes.is_empty() {
            return Err(Invalid::one("file", "err.file_empty").into());
        }
        if bytes.len() > EVIDENCE_MAX {
            return Err(Invalid::one("file", "err.file_too_large").into());
        }
        let Some(ctype) = evidence_type(bytes) else {
            return Err(Invalid::one("file", "err.file_type").into());
        };
        let name: String = filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let name = if name.trim().is_empty() {
            "bukti".to_owned()
        } else {
            name
        };
        let k = self.keyring()?;
        let body = k.encrypt_bytes("service_evidence.body", bytes)?;
        let fname = k.encrypt("service_evidence.filename", &name)?;
        let mut tx = self.recovery_write(allowed, victim).await?;
        self.referral_accepted_in(&mut tx, via).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_evidence (service_id, case_id, filename_enc, content_type, size, body, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(service)
        .bind(vc.case_id.0)
        .bind(fname)
        .bind(ctype)
        .bind(bytes.len() as i64)
        .bind(body)
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.audit(Event {
            action: AuditAction::ServiceEvidenceAdd,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!(
                "service={service} victim={victim} evidence={id} type={ctype} size={}",
                bytes.len()
            ),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reads an evidence file (audited): (file name, content type, bytes).
    pub async fn evidence(
        &self,
        actor: &Actor,
        evidence: i64,
    ) -> Result<(String, String, Vec<u8>)> {
        let r: super::records::EvidenceFileRecord = sqlx::query_as(
            "SELECT service_id, filename_enc, content_type, body FROM service_evidence WHERE id = $1",
        )
        .bind(evidence)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let service = r.service_id;
        let (_, vc, via) = self.service_access(actor, service, false).await?;
        if !self.notes_allowed(actor, &vc, via).await? {
            return Err(StoreError::NotFound);
        }
        let k = self.keyring()?;
        let name = k.decrypt("service_evidence.filename", &r.filename_enc)?;
        let body = k.decrypt_bytes("service_evidence.body", &r.body)?;
        self.audit(
            actor,
            Event {
                action: AuditAction::ServiceEvidenceView,
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("service={service} evidence={evidence}"),
            },
        )
        .await?;
        Ok((name, r.content_type, body))
    }
}
