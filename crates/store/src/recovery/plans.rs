//! Service plans: assessed needs, their explanations, closure and reopening, and the
//! plan view with its closure checklist.

use super::ledger::{LedgerRow, as_line};
use super::records::{NeedRecord, PlanRecord, PlanSummaryRecord};
use super::*;
use crate::core::write::{Allowed, Write};
use domain::audit::AuditAction;

impl Store {
    /// For planning and recording: the case in sight and the role may manage services.
    pub(super) async fn check_manage<'a>(
        &self,
        actor: &'a Actor,
        victim: i64,
    ) -> Result<(VictimCase, Allowed<'a>)> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        let allowed = self.allow(actor, Action::ManageServices, &vc.scope)?;
        Ok((vc, allowed))
    }

    /// Whether [`Store::close_plan`] would close the plan now, with the same refusals
    /// (not found, forbidden, closed, what is still missing), writing nothing: the page
    /// asks the user to confirm only a closure that can happen.
    pub async fn check_plan_closable(
        &self,
        actor: &Actor,
        victim: i64,
        followup_on: Option<Day>,
        today: Day,
    ) -> Result<()> {
        // Only asks; the closure opens its own write.
        let (_vc, _proof) = self.check_manage(actor, victim).await?;
        self.check_plan_open(victim).await?;
        if followup_on.is_some_and(|d| d > today) {
            return Err(Invalid::one("followup_on", "err.date_future").into());
        }
        let mut conn = self.pool().acquire().await?;
        Self::closure_refusal(&mut conn, victim, followup_on).await
    }

    /// What still stands in the way of closing the plan, as field errors.
    async fn closure_refusal(
        conn: &mut AnyConnection,
        victim: i64,
        followup_on: Option<Day>,
    ) -> Result<()> {
        let (needs, services) = Self::closure_inputs(conn, victim).await?;
        let mut blockers = closure_blockers(&needs, &services, followup_on);
        if Self::open_referrals(conn, victim).await? > 0 {
            blockers.push(("plan.block_open_referral", String::new()));
        }
        if blockers.is_empty() {
            return Ok(());
        }
        let mut errs = Invalid::default();
        for (key, _) in &blockers {
            let field = if *key == "plan.block_followup" {
                "followup_on"
            } else {
                "plan"
            };
            errs.push(field, key);
        }
        errs.dedup();
        Err(errs.into())
    }

    /// Opens a write of a victim's recovery records: the victim is locked and, inside the
    /// transaction, the plan must still be open.
    pub(super) async fn recovery_write<'a>(
        &self,
        allowed: Allowed<'a>,
        victim: i64,
    ) -> Result<Write<'a>> {
        let mut w = self.write(allowed).await?;
        self.lock_victim(&mut w, victim).await?;
        Self::plan_open_in(&mut w, victim).await?;
        Ok(w)
    }

    /// Creates the plan row if it does not exist yet (lead: the case's unit).
    pub(super) async fn ensure_plan(
        &self,
        conn: &mut AnyConnection,
        victim: i64,
        vc: &VictimCase,
        today: Day,
    ) -> Result<()> {
        let now = self.now_ms();
        sqlx::query(
            "INSERT INTO service_plans (victim_id, case_id, lead_unit_id, status, assessed_on, created_at, updated_at) \
             VALUES ($1, $2, $3, 'open', $4, $5, $5) ON CONFLICT (victim_id) DO NOTHING",
        )
        .bind(victim)
        .bind(vc.case_id.0)
        .bind(vc.owner.0)
        .bind(today)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Inside a write transaction, after [`Store::lock_victim`]: the plan is still open.
    pub(crate) async fn plan_open_in(conn: &mut AnyConnection, victim: i64) -> Result<()> {
        let s: Option<String> =
            sqlx::query_scalar("SELECT status FROM service_plans WHERE victim_id = $1")
                .bind(victim)
                .fetch_optional(&mut *conn)
                .await?;
        if s.as_deref() == Some("closed") {
            return Err(StoreError::Conflict("conflict.plan_closed"));
        }
        Ok(())
    }

    pub(crate) async fn check_plan_open(&self, victim: i64) -> Result<()> {
        let s: Option<String> =
            sqlx::query_scalar("SELECT status FROM service_plans WHERE victim_id = $1")
                .bind(victim)
                .fetch_optional(self.pool())
                .await?;
        if s.as_deref() == Some("closed") {
            return Err(StoreError::Conflict("conflict.plan_closed"));
        }
        Ok(())
    }

    /// Records assessed needs (service codes); codes already assessed are kept.
    pub async fn assess_needs(
        &self,
        actor: &Actor,
        victim: i64,
        codes: &[String],
        today: Day,
    ) -> Result<()> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        self.check_plan_open(victim).await?;
        let types = self.service_types().await?;
        let mut errs = Invalid::default();
        if codes.is_empty() {
            errs.push("needs", "err.required");
        }
        if codes.iter().any(|c| !types.iter().any(|t| &t.code == c)) {
            errs.push("needs", "err.choice");
        }
        errs.into_result(())?;
        let mut tx = self.recovery_write(allowed, victim).await?;
        self.ensure_plan(&mut tx, victim, &vc, today).await?;
        for c in codes {
            sqlx::query(
                "INSERT INTO victim_needs (victim_id, case_id, service_code, assessed_on, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (victim_id, service_code) DO NOTHING",
            )
            .bind(victim)
            .bind(vc.case_id.0)
            .bind(c.clone())
            .bind(today)
            .bind(self.now_ms())
            .execute(&mut *tx)
            .await?;
        }
        tx.audit(Event {
            action: AuditAction::PlanAssess,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim} needs={}", codes.join(",")),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Explains why a need will not be met (or clears the explanation with empty text).
    pub async fn explain_need(
        &self,
        actor: &Actor,
        victim: i64,
        need: i64,
        text: &str,
    ) -> Result<()> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        self.check_plan_open(victim).await?;
        let text = text.trim();
        if domain::value::text::NOTE.exceeded_by(text) {
            return Err(
                Invalid::one("explanation", domain::value::text::NOTE.too_long_key()).into(),
            );
        }
        let enc = if text.is_empty() {
            None
        } else {
            Some(self.keyring()?.encrypt("victim_needs.explanation", text)?)
        };
        let mut tx = self.recovery_write(allowed, victim).await?;
        let n = sqlx::query(
            "UPDATE victim_needs SET explanation_enc = $1 WHERE id = $2 AND victim_id = $3",
        )
        .bind(enc)
        .bind(need)
        .bind(victim)
        .execute(&mut *tx)
        .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.audit(Event {
            action: AuditAction::PlanNeedExplain,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim} need={need}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Closes a victim's plan when every need is met or explained and the reintegration
    /// follow-up is recorded; otherwise says what is missing.
    pub async fn close_plan(
        &self,
        actor: &Actor,
        victim: i64,
        followup_on: Option<Day>,
        note: &str,
        today: Day,
    ) -> Result<()> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        self.check_plan_open(victim).await?;
        if followup_on.is_some_and(|d| d > today) {
            return Err(Invalid::one("followup_on", "err.date_future").into());
        }
        let note = note.trim();
        let enc = Some(note)
            .filter(|s| !s.is_empty())
            .map(|s| self.keyring()?.encrypt("service_plans.closure_note", s))
            .transpose()?;
        // The checklist is read under the victim's lock: nothing is added between the check
        // and the closure.
        let mut tx = self.recovery_write(allowed, victim).await?;
        Self::closure_refusal(&mut tx, victim, followup_on).await?;
        let n = sqlx::query(
            "UPDATE service_plans SET status = 'closed', followup_on = $1, closure_note_enc = $2, closed_on = $3, closed_by = $4, updated_at = $5 \
             WHERE victim_id = $6 AND status = 'open'",
        )
        .bind(followup_on)
        .bind(enc)
        .bind(today)
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .bind(victim)
        .execute(&mut *tx)
        .await?;
        if n.rows_affected() == 0 {
            // Closed by someone else meanwhile, or no plan at all.
            return Err(StoreError::Conflict("conflict.plan_closed"));
        }
        tx.audit(Event {
            action: AuditAction::PlanClose,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reopens a closed plan (a new need appeared).
    pub async fn reopen_plan(&self, actor: &Actor, victim: i64) -> Result<()> {
        let (vc, allowed) = self.check_manage(actor, victim).await?;
        let mut tx = self.write(allowed).await?;
        self.lock_victim(&mut tx, victim).await?;
        let n = sqlx::query(
            "UPDATE service_plans SET status = 'open', updated_at = $1 WHERE victim_id = $2 AND status = 'closed'",
        )
        .bind(self.now_ms())
        .bind(victim)
        .execute(&mut *tx)
        .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.plan_not_closed"));
        }
        tx.audit(Event {
            action: AuditAction::PlanReopen,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    pub(super) async fn closure_inputs(
        conn: &mut AnyConnection,
        victim: i64,
    ) -> Result<(Vec<(String, bool)>, Vec<(String, ServiceStatus)>)> {
        let needs = sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT service_code, explanation_enc FROM victim_needs WHERE victim_id = $1 ORDER BY id",
        )
        .bind(victim)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(code, explanation)| (code, explanation.is_some()))
        .collect();
        let services = sqlx::query_as::<_, (String, String)>(
            "SELECT service_code, status FROM services WHERE victim_id = $1",
        )
        .bind(victim)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(code, s)| {
            (
                code,
                ServiceStatus::parse(&s).unwrap_or(ServiceStatus::Planned),
            )
        })
        .collect();
        Ok((needs, services))
    }

    pub(super) async fn open_referrals(conn: &mut AnyConnection, victim: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM referrals WHERE victim_id = $1 AND is_open = 1",
        )
        .bind(victim)
        .fetch_one(&mut *conn)
        .await?)
    }

    /// True when every victim of the case has a closed plan (the case may close *paripurna*).
    /// Inside a write: locks the case's victims (so no plan of theirs closes or reopens
    /// meanwhile) and tells whether every victim's plan is closed.
    pub(crate) async fn all_plans_closed_in(
        &self,
        conn: &mut AnyConnection,
        case: CaseId,
    ) -> Result<bool> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM victims WHERE case_id = $1 FOR UPDATE")
                .bind(case.0)
                .execute(&mut *conn)
                .await?;
        }
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM victims v WHERE v.case_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM service_plans p WHERE p.victim_id = v.id AND p.status = 'closed')",
        )
        .bind(case.0)
        .fetch_one(&mut *conn)
        .await?;
        Ok(open == 0)
    }

    /// The whole plan of one victim.
    pub async fn plan(&self, actor: &Actor, victim: i64, today: Day) -> Result<PlanView> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        let can_manage = decide(actor, Action::ManageServices, &vc.scope).is_ok();
        let notes_visible = self
            .identity_access(actor, vc.case_id, vc.owner, &vc.scope)
            .await?
            == IdentityAccess::Granted;
        let k = self.keyring()?;
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match v {
                Some(v) if notes_visible => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let plan: Option<PlanRecord> = sqlx::query_as(
            "SELECT p.lead_unit_id, n.name AS lead_name, p.status, p.assessed_on, p.followup_on, p.closure_note_enc, \
             p.closed_on, p.closed_by FROM service_plans p JOIN units n ON n.id = p.lead_unit_id WHERE p.victim_id = $1",
        )
        .bind(victim)
        .fetch_optional(self.pool())
        .await?;
        let services = self.services_of(victim, notes_visible, today).await?;
        let mut needs = Vec::new();
        for r in sqlx::query_as::<_, NeedRecord>(
            "SELECT id, service_code, assessed_on, explanation_enc FROM victim_needs WHERE victim_id = $1 ORDER BY id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?
        {
            needs.push(NeedView {
                id: r.id,
                met: domain::recovery::need_met(
                    &r.service_code,
                    services.iter().filter_map(|s| {
                        Some((s.service_code.as_str(), ServiceStatus::parse(&s.status)?))
                    }),
                ),
                service_code: r.service_code,
                assessed_on: r.assessed_on,
                explained: r.explanation_enc.is_some(),
                explanation: dec("victim_needs.explanation", r.explanation_enc)?,
            });
        }
        let ledger = self
            .ledger_of(victim, vc.case_id, notes_visible, today)
            .await?;
        let referrals = self.referral_rows_of_victim(victim, today).await?;
        let mut conn = self.pool().acquire().await?;
        let (ni, si) = Self::closure_inputs(&mut conn, victim).await?;
        let open_referrals = Self::open_referrals(&mut conn, victim).await?;
        drop(conn);
        let mut view = PlanView {
            victim_id: victim,
            case_id: vc.case_id,
            case_code: vc.case_code.clone(),
            initials: vc.initials.clone(),
            exists: plan.is_some(),
            lead_unit_id: None,
            lead_unit_name: None,
            status: "none".into(),
            assessed_on: None,
            followup_on: None,
            closure_note: None,
            closed_on: None,
            closed_by: None,
            needs,
            services,
            referrals,
            ledger,
            blockers: Vec::new(),
            can_manage,
            notes_visible,
        };
        if let Some(p) = plan {
            view.lead_unit_id = Some(UnitId(p.lead_unit_id));
            view.lead_unit_name = Some(p.lead_name);
            view.status = p.status;
            view.assessed_on = p.assessed_on;
            view.followup_on = p.followup_on;
            view.closure_note = dec("service_plans.closure_note", p.closure_note_enc)?;
            view.closed_on = p.closed_on;
            view.closed_by = p.closed_by;
        }
        if view.status != "closed" {
            view.blockers = closure_blockers(&ni, &si, Some(today))
                .into_iter()
                .map(|(k, c)| (k.to_owned(), c))
                .collect();
            if open_referrals > 0 {
                view.blockers
                    .push(("plan.block_open_referral".into(), String::new()));
            }
        }
        self.audit(
            actor,
            Event {
                action: if notes_visible {
                    AuditAction::PlanIdentityView
                } else {
                    AuditAction::PlanView
                },
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim}"),
            },
        )
        .await?;
        Ok(view)
    }

    /// Per-victim summaries for the case page.
    pub async fn plan_summaries(
        &self,
        actor: &Actor,
        case: CaseId,
        today: Day,
    ) -> Result<Vec<PlanSummary>> {
        let scope = self.case_scope(case).await?;
        self.plan_summaries_in(actor, case, today, &scope).await
    }

    /// [`Store::plan_summaries`] with the case's scope already read.
    pub(crate) async fn plan_summaries_in(
        &self,
        actor: &Actor,
        case: CaseId,
        today: Day,
        scope: &Scope,
    ) -> Result<Vec<PlanSummary>> {
        decide(actor, Action::ViewCase, scope)?;
        let rows: Vec<PlanSummaryRecord> = sqlx::query_as(
            "SELECT v.id, v.initials, \
               (SELECT status FROM service_plans p WHERE p.victim_id = v.id) AS status, \
               (SELECT COUNT(*) FROM services s WHERE s.victim_id = v.id AND s.is_open = 1) AS open_services, \
               (SELECT COUNT(*) FROM services s WHERE s.victim_id = v.id AND s.is_open = 1 AND s.due_on < $2) AS overdue_services, \
               (SELECT COUNT(*) FROM referrals r WHERE r.victim_id = v.id AND r.is_open = 1) AS open_referrals \
             FROM victims v WHERE v.case_id = $1 ORDER BY v.position",
        )
        .bind(case.0)
        .bind(today)
        .fetch_all(self.pool())
        .await?;
        let ledger: Vec<LedgerRow> = sqlx::query_as(
            "SELECT victim_id, track, kind, amount, on_day FROM ledger_entries WHERE case_id = $1 ORDER BY on_day, id",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let sums = LedgerParts::of(ledger.iter().filter(|l| l.victim == r.id).map(as_line))
                    .restitution;
                PlanSummary {
                    victim_id: r.id,
                    initials: r.initials,
                    status: r.status.unwrap_or_else(|| "none".into()),
                    open_services: r.open_services,
                    overdue_services: r.overdue_services,
                    open_referrals: r.open_referrals,
                    awarded: sums.awarded,
                    paid: sums.paid,
                }
            })
            .collect())
    }
}
