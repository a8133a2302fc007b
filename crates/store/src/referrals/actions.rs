//! What happens to a referral after it is sent: accept, decline, deliver, close,
//! withdraw, messages, consent withdrawal, and escalation when overdue.

use super::records::{ConsentReferralRecord, OverdueRecord, ReferralActRecord};
use super::*;
use crate::core::write::Write;
use domain::audit::AuditAction;
use domain::recovery::ServiceStatus;
use domain::value::text;

impl Store {
    /// Moves a referral on: accept (creates the service at the receiving unit, or hands over
    /// the follow-up), decline (reason required), deliver, close, withdraw.
    pub async fn act_on_referral(
        &self,
        actor: &Actor,
        id: i64,
        op: &str,
        reason: &str,
        today: Day,
    ) -> Result<ReferralState> {
        let facts = self.referral_facts(id, today).await?;
        let side = referral_side(actor, &facts)?;
        let Some(op) = ReferralOp::parse(op) else {
            return Err(Invalid::one("op", "err.choice").into());
        };
        let allowed = self.allow_by(actor, referral_may(side, op))?;
        let next = referral_next(facts.state, op)
            .ok_or(StoreError::Conflict("conflict.referral_state"))?;
        if op == ReferralOp::Accept {
            let victim: i64 = sqlx::query_scalar("SELECT victim_id FROM referrals WHERE id = $1")
                .bind(id)
                .fetch_one(self.pool())
                .await?;
            self.check_plan_open(victim).await?;
        }
        if op == ReferralOp::Decline && reason.trim().is_empty() {
            return Err(Invalid::one("reason", "err.reason_required").into());
        }
        let ReferralActRecord {
            victim_id: victim,
            kind,
            service_code,
            due_on: due,
            service_id,
        } = sqlx::query_as(
            "SELECT victim_id, kind, service_code, due_on, service_id FROM referrals WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let vc = self.victim_case(victim).await?;
        let kind = ReferralKind::parse(&kind);
        let reason_enc = Some(reason.trim())
            .filter(|s| !s.is_empty())
            .map(|s| self.keyring()?.encrypt("referrals.decline_reason", s))
            .transpose()?;
        let now = self.now_ms();
        let mut tx = self.write(allowed).await?;
        let mut returned = 0u64;
        if op == ReferralOp::Accept {
            self.lock_victim(&mut tx, victim).await?;
            Self::plan_open_in(&mut tx, victim).await?;
        }
        // Guarded by the state read above: a concurrent change makes this a conflict.
        let col = match op {
            ReferralOp::Accept | ReferralOp::Decline => "responded_on",
            ReferralOp::Deliver => "delivered_on",
            ReferralOp::Close | ReferralOp::Withdraw => "ended_on",
        };
        let sql = format!(
            "UPDATE referrals SET state = $1, is_open = $2, {col} = $3, updated_at = $4, \
             decline_reason_enc = COALESCE($5, decline_reason_enc) WHERE id = $6 AND state = $7"
        );
        let n = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(next.as_str())
            .bind(next.is_open() as i64)
            .bind(today)
            .bind(now)
            .bind(
                if matches!(op, ReferralOp::Decline | ReferralOp::Withdraw) {
                    reason_enc
                } else {
                    None
                },
            )
            .bind(id)
            .bind(facts.state.as_str())
            .execute(&mut *tx)
            .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        match op {
            ReferralOp::Accept => {
                if let (Some(code), Some(ReferralKind::Service)) = (&service_code, kind) {
                    let sid = self
                        .insert_service(
                            &mut tx,
                            victim,
                            &vc,
                            code,
                            facts.to_unit.0,
                            today,
                            due.max(today),
                            Some(id),
                        )
                        .await?;
                    sqlx::query("UPDATE referrals SET service_id = $1 WHERE id = $2")
                        .bind(sid)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    // Take-over: the receiving unit now leads the victim's plan.
                    sqlx::query(
                        "INSERT INTO service_plans (victim_id, case_id, lead_unit_id, status, assessed_on, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'open', $4, $5, $5) ON CONFLICT (victim_id) DO UPDATE SET lead_unit_id = $3, updated_at = $5",
                    )
                    .bind(victim)
                    .bind(vc.case_id.0)
                    .bind(facts.to_unit.0)
                    .bind(today)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            ReferralOp::Deliver => {
                if let Some(sid) = service_id {
                    sqlx::query(
                        "UPDATE services SET status = $1, is_open = 0, done_on = COALESCE(done_on, $2), updated_at = $3 WHERE id = $4 AND is_open = 1",
                    )
                    .bind(ServiceStatus::Delivered.as_str())
                    .bind(today)
                    .bind(now)
                    .bind(sid)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            ReferralOp::Withdraw => {
                self.stop_referral_services(
                    &mut tx,
                    id,
                    "rujukan dibatalkan / referral withdrawn",
                    today,
                )
                .await?;
                if kind == Some(ReferralKind::Takeover) && facts.state == ReferralState::Accepted {
                    // The receiver led the plan since it accepted: the lead comes back (its
                    // services were stopped just above, so none is handed back open).
                    self.end_takeover(&mut tx, id, victim, facts.from_unit.0, now)
                        .await?;
                }
            }
            ReferralOp::Close if kind == Some(ReferralKind::Takeover) => {
                returned = self
                    .end_takeover(&mut tx, id, victim, facts.from_unit.0, now)
                    .await?;
            }
            ReferralOp::Decline | ReferralOp::Close => {}
        }
        tx.audit(Event {
            action: match op {
                ReferralOp::Accept => AuditAction::ReferralAccept,
                ReferralOp::Decline => AuditAction::ReferralDecline,
                ReferralOp::Deliver => AuditAction::ReferralDeliver,
                ReferralOp::Close => AuditAction::ReferralClose,
                ReferralOp::Withdraw => AuditAction::ReferralWithdraw,
            },
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: if returned > 0 {
                format!(
                    "referral={id} victim={victim} state={} services_returned={returned}",
                    next.as_str()
                )
            } else {
                format!("referral={id} victim={victim} state={}", next.as_str())
            },
        })
        .await?;
        let other = if side == ReferralSide::Receiver {
            facts.from_unit
        } else {
            facts.to_unit
        };
        if let Some(kind) = NotificationKind::referral_moved(next) {
            self.notify_unit(&mut tx, other.0, kind, &format!("/referrals/{id}"), actor)
                .await?;
        }
        tx.commit().await?;
        Ok(next)
    }

    /// A take-over ends: the sending unit leads the plan again, and the services the
    /// receiving unit left open come back to it (on its tasks, no longer tied to the ended
    /// referral), so none is orphaned on nobody's list. Returns how many came back.
    async fn end_takeover(
        &self,
        conn: &mut AnyConnection,
        referral: i64,
        victim: i64,
        from_unit: i64,
        now: i64,
    ) -> Result<u64> {
        sqlx::query(
            "UPDATE service_plans SET lead_unit_id = $1, updated_at = $2 WHERE victim_id = $3",
        )
        .bind(from_unit)
        .bind(now)
        .bind(victim)
        .execute(&mut *conn)
        .await?;
        let n = sqlx::query(
            "UPDATE services SET unit_id = $1, referral_id = NULL, updated_at = $2 \
             WHERE referral_id = $3 AND is_open = 1",
        )
        .bind(from_unit)
        .bind(now)
        .bind(referral)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected())
    }

    /// Every open service that came with a referral stops (not possible, with the reason).
    pub(super) async fn stop_referral_services(
        &self,
        conn: &mut AnyConnection,
        referral: i64,
        reason: &str,
        today: Day,
    ) -> Result<()> {
        let why = self.keyring()?.encrypt("services.reason", reason)?;
        sqlx::query(
            "UPDATE services SET status = $1, is_open = 0, reason_enc = $2, done_on = $3, updated_at = $4 \
             WHERE referral_id = $5 AND is_open = 1",
        )
        .bind(ServiceStatus::NotPossible.as_str())
        .bind(why)
        .bind(today)
        .bind(self.now_ms())
        .bind(referral)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// A withdrawn consent ends the referrals made on it: withdrawn, their open services
    /// stopped, the receiving units told. Runs in the caller's transaction.
    pub(crate) async fn end_referrals_of_consent(
        &self,
        w: &mut Write<'_>,
        consent: i64,
        today: Day,
    ) -> Result<usize> {
        let rows: Vec<ConsentReferralRecord> = sqlx::query_as(
            "SELECT id, case_id, to_unit_id FROM referrals WHERE consent_id = $1 AND is_open = 1",
        )
        .bind(consent)
        .fetch_all(&mut **w)
        .await?;
        let now = w.now_ms();
        let actor = w.actor();
        for r in &rows {
            let (id, case) = (r.id, r.case_id);
            sqlx::query(
                "UPDATE referrals SET state = $1, is_open = 0, ended_on = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(ReferralState::Withdrawn.as_str())
            .bind(today)
            .bind(now)
            .bind(id)
            .execute(&mut **w)
            .await?;
            self.stop_referral_services(
                w,
                id,
                "persetujuan korban dicabut / consent withdrawn",
                today,
            )
            .await?;
            w.audit(Event {
                action: AuditAction::ReferralWithdraw,
                record_type: "case",
                record_id: case.to_string(),
                detail: format!("referral={id} state=withdrawn reason=consent_withdrawn"),
            })
            .await?;
            self.notify_unit(
                w,
                r.to_unit_id,
                NotificationKind::ReferralWithdrawn,
                &format!("/referrals/{id}"),
                actor,
            )
            .await?;
        }
        Ok(rows.len())
    }

    /// Adds a message to the referral's conversation (both sides, while it is open).
    pub async fn post_referral_message(&self, actor: &Actor, id: i64, body: &str) -> Result<()> {
        let facts = self.referral_facts(id, self.today(actor)).await?;
        let side = referral_side(actor, &facts)?;
        let allowed = self.allow_by(
            actor,
            if side == ReferralSide::Overseer {
                Err(domain::Denied::Forbidden)
            } else {
                Ok(())
            },
        )?;
        if !facts.state.is_open() {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(Invalid::one("body", "err.required").into());
        }
        if text::MESSAGE.exceeded_by(body) {
            return Err(Invalid::one("body", text::MESSAGE.too_long_key()).into());
        }
        let enc = self.keyring()?.encrypt("referral_messages.body", body)?;
        let case: i64 = sqlx::query_scalar("SELECT case_id FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let mut tx = self.write(allowed).await?;
        // Still open, checked again inside the write (a close or withdrawal may have
        // committed since the check above).
        let sql = if self.backend() == crate::Backend::Postgres {
            "SELECT state FROM referrals WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT state FROM referrals WHERE id = $1"
        };
        let state: String = sqlx::query_scalar(sql).bind(id).fetch_one(&mut *tx).await?;
        if !ReferralState::parse(&state).is_some_and(|s| s.is_open()) {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        sqlx::query(
            "INSERT INTO referral_messages (referral_id, unit_id, username, body_enc, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(actor.unit_id.0)
        .bind(actor.username.clone())
        .bind(enc)
        .bind(self.now_ms())
        .execute(&mut *tx)
        .await?;
        tx.audit(Event {
            action: AuditAction::ReferralMessage,
            record_type: "case",
            record_id: case.to_string(),
            detail: format!("referral={id}"),
        })
        .await?;
        let other = if side == ReferralSide::Receiver {
            facts.from_unit
        } else {
            facts.to_unit
        };
        self.notify_unit(
            &mut tx,
            other.0,
            NotificationKind::ReferralMessage,
            &format!("/referrals/{id}"),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks overdue referrals as escalated and notifies both units and the task force(s)
    /// of the region above each. Idempotent: each referral escalates once.
    pub async fn escalate_overdue(&self, actor: &Actor, today: Day) -> Result<usize> {
        let _ = self.allow_system(actor)?;
        let rows: Vec<OverdueRecord> = sqlx::query_as(
            "SELECT r.id, r.case_id, r.from_unit_id, r.to_unit_id, fu.region_code AS from_region, tu.region_code AS to_region \
             FROM referrals r JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id \
             WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND r.due_on < $1 AND r.escalated_at IS NULL ORDER BY r.id LIMIT 1000",
        )
        .bind(today)
        .fetch_all(self.pool())
        .await?;
        let mut done = 0;
        for r in rows {
            let (id, case) = (r.id, r.case_id);
            let mut units: Vec<i64> = vec![r.from_unit_id, r.to_unit_id];
            for region in [r.from_region, r.to_region] {
                let Some(region) = region else { continue };
                let parent: Option<Option<String>> =
                    sqlx::query_scalar("SELECT parent_code FROM regions WHERE code = $1")
                        .bind(region)
                        .fetch_optional(self.pool())
                        .await?;
                let above: Vec<i64> = match parent.flatten() {
                    Some(p) => {
                        sqlx::query_scalar(
                            "SELECT id FROM units WHERE region_code = $1 AND kind = 'task_force'",
                        )
                        .bind(p)
                        .fetch_all(self.pool())
                        .await?
                    }
                    None => sqlx::query_scalar(
                        "SELECT id FROM units WHERE region_code IS NULL AND kind = 'task_force'",
                    )
                    .fetch_all(self.pool())
                    .await?,
                };
                units.extend(above);
            }
            units.sort_unstable();
            units.dedup();
            let mut tx = self.write(self.allow_system(actor)?).await?;
            let n = sqlx::query(
                "UPDATE referrals SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL",
            )
            .bind(self.now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if n.rows_affected() == 0 {
                continue;
            }
            for u in &units {
                self.notify_unit(
                    &mut tx,
                    *u,
                    NotificationKind::ReferralOverdue,
                    &format!("/referrals/{id}"),
                    actor,
                )
                .await?;
            }
            tx.audit(Event {
                action: AuditAction::ReferralEscalate,
                record_type: "case",
                record_id: case.to_string(),
                detail: format!(
                    "referral={id} units={}",
                    units
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            })
            .await?;
            tx.commit().await?;
            done += 1;
        }
        Ok(done)
    }
}
