//! Services in a plan: planned by the plan's units (or through a referral), updated
//! through their states, and read with their evidence.

use super::records::{EvidenceMetaRecord, ServiceRecord};
use super::*;
use crate::core::write::{Allowed, Write};
use domain::audit::AuditAction;
use domain::notification::NotificationKind;
use domain::recovery::ReferralKind;
use domain::value::text;

impl Store {
    /// Plans a service for a victim, given by any unit (a unit outside the case's region
    /// gets no access from this: ask it with a referral).
    pub async fn add_service(
        &self,
        actor: &Actor,
        victim: i64,
        s: &NewService,
        today: Day,
    ) -> Result<i64> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        self.add_service_checked(allowed, victim, &vc, s, today, None)
            .await
    }

    /// The receiving unit of an accepted take-over referral plans the victim's services
    /// itself: given by its own unit or units of its region, tied to the referral (so its
    /// access to them ends with it).
    pub async fn add_service_for_referral(
        &self,
        actor: &Actor,
        referral: i64,
        s: &NewService,
        today: Day,
    ) -> Result<i64> {
        let f = self.referral_facts(referral, today).await?;
        let allowed = self.allow_by(
            actor,
            referral_side(actor, &f).and_then(|side| {
                if side == domain::recovery::ReferralSide::Receiver {
                    Ok(())
                } else {
                    Err(domain::Denied::NotFound)
                }
            }),
        )?;
        let (victim, kind): (i64, String) =
            sqlx::query_as("SELECT victim_id, kind FROM referrals WHERE id = $1")
                .bind(referral)
                .fetch_one(self.pool())
                .await?;
        if ReferralKind::parse(&kind) != Some(ReferralKind::Takeover)
            || f.state != ReferralState::Accepted
        {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        let vc = self.victim_case(victim).await?;
        self.add_service_checked(allowed, victim, &vc, s, today, Some(referral))
            .await
    }

    pub(super) async fn add_service_checked(
        &self,
        allowed: Allowed<'_>,
        victim: i64,
        vc: &VictimCase,
        s: &NewService,
        today: Day,
        referral: Option<i64>,
    ) -> Result<i64> {
        let actor = allowed.actor();
        self.check_plan_open(victim).await?;
        let mut errs = Invalid::default();
        let ty = self.service_type(&s.service_code).await?;
        if ty.is_none() {
            errs.push("service_code", "err.choice");
        }
        // A unit may be given a service directly when it sees the case (its region contains
        // the case's); any other unit is asked through a referral, with consent.
        match s.unit_id {
            None => errs.push("unit_id", "err.required"),
            Some(u) => match self.unit_scope(u).await? {
                None => errs.push("unit_id", "err.unit_unknown"),
                // Through a take-over: the receiving unit's own region.
                Some(us)
                    if referral.is_some() && u != actor.unit_id.0 && !actor.scope.contains(&us) =>
                {
                    errs.push("unit_id", "err.service_unit_refer")
                }
                Some(us) if referral.is_none() && !us.contains(&vc.scope) && u != vc.owner.0 => {
                    errs.push("unit_id", "err.service_unit_refer")
                }
                Some(_) => {}
            },
        }
        let requested = s.requested_on.unwrap_or(today);
        if requested > today {
            errs.push("requested_on", "err.date_future");
        }
        if let Some(d) = s.due_on
            && d < requested
        {
            errs.push("due_on", "err.due_before_request");
        }
        errs.into_result(())?;
        let (Some(ty), Some(unit)) = (ty, s.unit_id) else {
            return Err(StoreError::NotFound);
        };
        let due = s.due_on.unwrap_or(requested + ty.default_days);
        let mut tx = self.recovery_write(allowed, victim).await?;
        self.ensure_plan(&mut tx, victim, vc, today).await?;
        let id = self
            .insert_service(
                &mut tx, victim, vc, &ty.code, unit, requested, due, referral,
            )
            .await?;
        // Another unit learns that a service waits on it.
        if unit != actor.unit_id.0 {
            let link = match referral {
                Some(rid) => format!("/referrals/{rid}"),
                None => format!("/victims/{victim}/plan#service-{id}"),
            };
            self.notify_unit(
                &mut tx,
                unit,
                NotificationKind::ServiceAssigned,
                &link,
                actor,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_service(
        &self,
        w: &mut Write<'_>,
        victim: i64,
        vc: &VictimCase,
        code: &str,
        unit: i64,
        requested: Day,
        due: Day,
        referral: Option<i64>,
    ) -> Result<i64> {
        let now = w.now_ms();
        let username = w.actor().username.clone();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO services (victim_id, case_id, service_code, unit_id, requested_on, due_on, status, is_open, referral_id, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'planned', 1, $7, $8, $9, $9) RETURNING id",
        )
        .bind(victim)
        .bind(vc.case_id.0)
        .bind(code.to_owned())
        .bind(unit)
        .bind(requested)
        .bind(due)
        .bind(referral)
        .bind(username)
        .bind(now)
        .fetch_one(&mut **w)
        .await?;
        w.audit(Event {
            action: AuditAction::ServicePlan,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("service={id} victim={victim} code={code} unit={unit} due={due}"),
        })
        .await?;
        Ok(id)
    }

    /// Who may reach this service: those who manage the case's services, or the unit it is
    /// assigned to through an open referral (to change it: while the referral is accepted,
    /// not yet delivered). Returns the victim, the case and whether access is through the
    /// referral.
    pub(super) async fn check_service_edit<'a>(
        &self,
        actor: &'a Actor,
        service: i64,
    ) -> Result<(i64, VictimCase, Allowed<'a>, Option<i64>)> {
        let (victim, vc, via) = self.service_access(actor, service, true).await?;
        if !via {
            let allowed = self.allow(actor, Action::ManageServices, &vc.scope)?;
            return Ok((victim, vc, allowed, None));
        }
        // Through the referral: the proof is the referral rule's own decision (the receiving
        // unit, while the referral is accepted); the write checks the state again inside.
        let rid: Option<i64> = sqlx::query_scalar("SELECT referral_id FROM services WHERE id = $1")
            .bind(service)
            .fetch_one(self.pool())
            .await?;
        let rid = rid.ok_or(StoreError::NotFound)?;
        let f = self.referral_facts(rid, self.today(actor)).await?;
        let decision = referral_side(actor, &f).and_then(|side| {
            if side == domain::recovery::ReferralSide::Receiver
                && f.state == ReferralState::Accepted
            {
                Ok(())
            } else {
                Err(domain::Denied::NotFound)
            }
        });
        let allowed = self.allow_by(actor, decision)?;
        Ok((victim, vc, allowed, Some(rid)))
    }

    /// Inside a write made through a referral: the referral is still accepted (a withdrawal
    /// that committed meanwhile ends the receiving unit's access).
    pub(super) async fn referral_accepted_in(
        &self,
        conn: &mut AnyConnection,
        referral: Option<i64>,
    ) -> Result<()> {
        let Some(rid) = referral else {
            return Ok(());
        };
        let sql = if self.backend() == crate::Backend::Postgres {
            "SELECT state FROM referrals WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT state FROM referrals WHERE id = $1"
        };
        let state: String = sqlx::query_scalar(sql)
            .bind(rid)
            .fetch_one(&mut *conn)
            .await?;
        if state != ReferralState::Accepted.as_str() {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        Ok(())
    }

    pub(super) async fn service_access(
        &self,
        actor: &Actor,
        service: i64,
        edit: bool,
    ) -> Result<(i64, VictimCase, bool)> {
        let (victim, referral): (i64, Option<i64>) =
            sqlx::query_as("SELECT victim_id, referral_id FROM services WHERE id = $1")
                .bind(service)
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound)?;
        let vc = self.victim_case(victim).await?;
        if decide(actor, Action::ViewCase, &vc.scope).is_ok()
            && decide(actor, Action::ManageServices, &vc.scope).is_ok()
        {
            return Ok((victim, vc, false));
        }
        // The receiving unit of the service's referral (a requested service, or the services
        // it planned itself after a take-over).
        if let Some(rid) = referral {
            let f = self.referral_facts(rid, self.today(actor)).await?;
            if referral_side(actor, &f)? == domain::recovery::ReferralSide::Receiver
                && (!edit || f.state == ReferralState::Accepted)
            {
                return Ok((victim, vc, true));
            }
        }
        Err(StoreError::NotFound)
    }

    /// Notes and files of a victim's services are for the receiving unit of the service's
    /// referral, or for those who may see the case's identities.
    pub(super) async fn notes_allowed(
        &self,
        actor: &Actor,
        vc: &VictimCase,
        via_referral: bool,
    ) -> Result<bool> {
        Ok(via_referral
            || self
                .identity_access(actor, vc.case_id, vc.owner, &vc.scope)
                .await?
                == IdentityAccess::Granted)
    }

    /// The services that came with a referral, for its page (the receiving unit records
    /// their progress there).
    pub async fn referral_services(
        &self,
        actor: &Actor,
        referral: i64,
        today: Day,
    ) -> Result<Vec<ServiceView>> {
        let f = self.referral_facts(referral, today).await?;
        let side = referral_side(actor, &f)?;
        let victim: i64 = sqlx::query_scalar("SELECT victim_id FROM referrals WHERE id = $1")
            .bind(referral)
            .fetch_one(self.pool())
            .await?;
        let vc = self.victim_case(victim).await?;
        let notes = match side {
            domain::recovery::ReferralSide::Receiver => true,
            domain::recovery::ReferralSide::Sender => self.notes_allowed(actor, &vc, false).await?,
            // Overseers read that the referral is late, not what was done for the victim.
            domain::recovery::ReferralSide::Overseer => return Ok(Vec::new()),
        };
        let mut list = self.services_of(victim, notes, today).await?;
        list.retain(|s| s.referral_id == Some(referral));
        Ok(list)
    }

    /// Records progress of a service: status, reason, outcome, the day it was done.
    pub async fn update_service(
        &self,
        actor: &Actor,
        service: i64,
        u: &ServiceUpdate,
        today: Day,
    ) -> Result<()> {
        let (victim, vc, allowed, via) = self.check_service_edit(actor, service).await?;
        self.check_plan_open(victim).await?;
        let mut errs = Invalid::default();
        let status = ServiceStatus::parse(&u.status);
        match status {
            None => errs.push("status", "err.choice"),
            Some(s) if s.needs_reason() && u.reason.trim().is_empty() => {
                errs.push("reason", "err.reason_required")
            }
            _ => {}
        }
        text::MESSAGE.check(&mut errs, "outcome", &u.outcome);
        text::NOTE.check(&mut errs, "reason", &u.reason);
        if u.done_on.is_some_and(|d| d > today) {
            errs.push("done_on", "err.date_future");
        }
        errs.into_result(())?;
        let Some(status) = status else {
            return Err(StoreError::NotFound);
        };
        let k = self.keyring()?;
        let reason = Some(u.reason.trim())
            .filter(|s| !s.is_empty())
            .map(|s| k.encrypt("services.reason", s))
            .transpose()?;
        let outcome = Some(u.outcome.trim())
            .filter(|s| !s.is_empty())
            .map(|s| k.encrypt("services.outcome", s))
            .transpose()?;
        let done = if status.is_open() {
            None
        } else {
            Some(u.done_on.unwrap_or(today))
        };
        let mut tx = self.recovery_write(allowed, victim).await?;
        self.referral_accepted_in(&mut tx, via).await?;
        sqlx::query(
            "UPDATE services SET status = $1, is_open = $2, reason_enc = COALESCE($3, reason_enc), outcome_enc = COALESCE($4, outcome_enc), \
             done_on = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status.as_str())
        .bind(status.is_open() as i64)
        .bind(reason)
        .bind(outcome)
        .bind(done)
        .bind(self.now_ms())
        .bind(service)
        .execute(&mut *tx)
        .await?;
        tx.audit(Event {
            action: AuditAction::ServiceUpdate,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!(
                "service={service} victim={victim} status={}",
                status.as_str()
            ),
        })
        .await?;
        // A requested service delivered: its referral is delivered too (one path, whichever
        // form the receiving unit used), and the sender is told.
        if status == ServiceStatus::Delivered {
            let referral: Option<(i64, i64)> = sqlx::query_as(
                "SELECT r.id, r.from_unit_id FROM referrals r WHERE r.service_id = $1 AND r.state = $2",
            )
            .bind(service)
            .bind(ReferralState::Accepted.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((rid, from)) = referral {
                sqlx::query(
                    "UPDATE referrals SET state = $1, delivered_on = $2, updated_at = $3 WHERE id = $4 AND state = $5",
                )
                .bind(ReferralState::Delivered.as_str())
                .bind(done.unwrap_or(today))
                .bind(self.now_ms())
                .bind(rid)
                .bind(ReferralState::Accepted.as_str())
                .execute(&mut *tx)
                .await?;
                tx.audit(Event {
                    action: AuditAction::ReferralDeliver,
                    record_type: "case",
                    record_id: vc.case_id.to_string(),
                    detail: format!("referral={rid} victim={victim} state=delivered"),
                })
                .await?;
                self.notify_unit(
                    &mut tx,
                    from,
                    NotificationKind::ReferralDelivered,
                    &format!("/referrals/{rid}"),
                    actor,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn services_of(
        &self,
        victim: i64,
        notes: bool,
        today: Day,
    ) -> Result<Vec<ServiceView>> {
        let k = self.keyring()?;
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match v {
                Some(v) if notes => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let rows: Vec<ServiceRecord> = sqlx::query_as(
            "SELECT s.id, s.service_code, s.unit_id, n.name AS unit_name, s.requested_on, s.due_on, s.status, \
             s.reason_enc, s.outcome_enc, s.done_on, s.referral_id, s.is_open \
             FROM services s JOIN units n ON n.id = s.unit_id WHERE s.victim_id = $1 ORDER BY s.requested_on, s.id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?;
        let ev_rows: Vec<EvidenceMetaRecord> = sqlx::query_as(
            "SELECT e.id, e.service_id, e.filename_enc, e.content_type, e.size, e.uploaded_by, e.created_at FROM service_evidence e \
             JOIN services s ON s.id = e.service_id WHERE s.victim_id = $1 ORDER BY e.id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let mut evidence = Vec::new();
            for e in ev_rows.iter().filter(|e| e.service_id == r.id) {
                evidence.push(EvidenceMeta {
                    id: e.id,
                    filename: dec("service_evidence.filename", e.filename_enc.clone())?,
                    content_type: e.content_type.clone(),
                    size: e.size,
                    uploaded_by: e.uploaded_by.clone(),
                    at_ms: e.created_at,
                });
            }
            out.push(ServiceView {
                id: r.id,
                victim_id: victim,
                service_code: r.service_code,
                unit_id: UnitId(r.unit_id),
                unit_name: r.unit_name,
                requested_on: r.requested_on,
                due_on: r.due_on,
                status: r.status,
                reason: dec("services.reason", r.reason_enc)?,
                outcome: dec("services.outcome", r.outcome_enc)?,
                done_on: r.done_on,
                referral_id: r.referral_id,
                overdue: r.is_open != 0 && r.due_on < today,
                evidence,
            });
        }
        Ok(out)
    }
}
