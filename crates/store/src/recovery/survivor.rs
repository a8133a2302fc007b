//! A survivor's own status (issue 14, item 6). A case worker who may manage the victim's
//! services issues her a code and a PIN on a printed slip; with both, on the public site,
//! she sees the state of her services and referrals and of her restitution — in plain
//! words, with no case code, initials, names of units or places, nothing that would tell
//! someone who found the slip who she is or where she is sheltered.
//!
//! Only hashes are kept, and wrong PINs lock the code for a while
//! ([`crate::core::passcode`]). Issuing a new code revokes the one before; the case
//! worker can revoke it. Every look and every wrong PIN is audited on the case, as the
//! looks of staff are (so it is in the case's access log).

use super::{LedgerView, ServiceView};
use crate::core::audit::Event;
use crate::core::passcode::{self, Purpose, new_code_and_pin, normalise_code, public_actor};
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::case::Day;
use domain::recovery::{Clock, LedgerSums, LedgerTrack};
use domain::{Action, Actor, decide};
use serde::Serialize;

/// A code and PIN just issued: shown once, on the slip, never again.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// Grouped for reading: `ABCD-EFGH-JKLM`.
    pub code: String,
    pub pin: String,
    pub issued_at: i64,
}

/// What the plan page says of the victim's current code (never the code itself).
#[derive(Debug, Clone, Serialize)]
pub struct CodeState {
    pub issued_at: i64,
    pub issued_by: String,
    pub looks: i64,
    pub last_look_at: Option<i64>,
    /// Too many wrong PINs: locked for now.
    pub locked: bool,
}

/// One service as the survivor sees it: its kind and where it stands, no unit.
#[derive(Debug, Clone, Serialize)]
pub struct SurvivorService {
    pub service_code: String,
    pub status: String,
    pub requested_on: Day,
    pub due_on: Day,
    pub done_on: Option<Day>,
}

/// One referral as the survivor sees it: what it is for and where it stands, no unit.
#[derive(Debug, Clone, Serialize)]
pub struct SurvivorReferral {
    pub kind: String,
    pub service_code: Option<String>,
    pub state: String,
    pub sent_on: Day,
}

/// Money owed to her on one track, and its clock (restitution only).
#[derive(Debug, Clone, Serialize)]
pub struct SurvivorMoney {
    pub awarded: i64,
    pub paid: i64,
    pub outstanding: i64,
}

/// Everything the status page shows.
#[derive(Debug, Clone, Serialize)]
pub struct SurvivorStatus {
    /// `none`, `open` or `closed`.
    pub plan: String,
    pub services: Vec<SurvivorService>,
    pub referrals: Vec<SurvivorReferral>,
    pub restitution: SurvivorMoney,
    pub compensation: SurvivorMoney,
    /// The restitution's clock: when payment is due, when assets may be seized.
    pub clock: Clock,
    /// The day the figures were read (her region's day).
    pub today: Day,
}

/// What a look with a code and a PIN gives.
#[derive(Debug, Clone)]
pub enum StatusOutcome {
    Shown(Box<SurvivorStatus>),
    /// No such code, or the PIN is wrong (the page says the same for both).
    Wrong,
    /// Too many wrong PINs: try again after this instant (ms).
    Locked {
        until_ms: i64,
    },
}

fn money(sums: &LedgerSums, track: LedgerTrack) -> SurvivorMoney {
    SurvivorMoney {
        // What is owed: the court's award; for compensation without one, what LPSK decided.
        awarded: sums.owed(track),
        paid: sums.paid,
        outstanding: sums.outstanding_on(track),
    }
}

/// Revokes the victim's code in force, if any; returns how many were revoked (0 or 1).
async fn revoke_codes(conn: &mut sqlx::AnyConnection, victim: i64, now: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE survivor_codes SET revoked_at = $1 WHERE victim_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(victim)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

impl Store {
    /// Issues the victim a new code and PIN (revoking any earlier one). `expected`: when
    /// the issuing page was shown, the code in force was the one issued at this instant
    /// (0: none) — if another has been issued since (the page's form sent twice, a reload
    /// of the slip), nothing is issued, so the slip just printed stays valid.
    pub async fn issue_survivor_code(
        &self,
        actor: &Actor,
        victim: i64,
        expected: Option<i64>,
    ) -> Result<IssuedCode> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        let allowed = self.allow(actor, Action::ManageServices, &vc.scope)?;
        let (code, pin) = new_code_and_pin()?;
        let mut w = self.write(allowed).await?;
        self.lock_case(&mut w, vc.case_id).await?;
        let now = w.now_ms();
        if let Some(expected) = expected {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT issued_at FROM survivor_codes WHERE victim_id = $1 AND revoked_at IS NULL",
            )
            .bind(victim)
            .fetch_optional(&mut *w)
            .await?;
            if current.unwrap_or(0) != expected {
                return Err(StoreError::Conflict("conflict.status_code_changed"));
            }
        }
        let revoked = revoke_codes(&mut w, victim, now).await?;
        sqlx::query(
            "INSERT INTO survivor_codes (victim_id, code_hash, pin_hash, issued_by, issued_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(victim)
        .bind(passcode::code_hash(Purpose::Survivor, &code))
        .bind(passcode::pin_hash(Purpose::Survivor, &code, &pin))
        .bind(actor.username.clone())
        .bind(now)
        .execute(&mut *w)
        .await?;
        w.audit(Event {
            action: AuditAction::SurvivorCodeIssue,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim} replaced={revoked}"),
        })
        .await?;
        w.commit().await?;
        Ok(IssuedCode {
            code: passcode::grouped(&code),
            pin,
            issued_at: now,
        })
    }

    /// Revokes the victim's code; false when she had none.
    pub async fn revoke_survivor_code(&self, actor: &Actor, victim: i64) -> Result<bool> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        let allowed = self.allow(actor, Action::ManageServices, &vc.scope)?;
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        if revoke_codes(&mut w, victim, now).await? == 0 {
            return Ok(false);
        }
        w.audit(Event {
            action: AuditAction::SurvivorCodeRevoke,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail: format!("victim={victim}"),
        })
        .await?;
        w.commit().await?;
        Ok(true)
    }

    /// The victim's current code, for those who may issue one (`None`: no code, or the
    /// actor may not manage her services).
    pub async fn survivor_code_state(
        &self,
        actor: &Actor,
        victim: i64,
    ) -> Result<Option<CodeState>> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        if decide(actor, Action::ManageServices, &vc.scope).is_err() {
            return Ok(None);
        }
        let row: Option<(i64, String, i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT issued_at, issued_by, looks, last_look_at, locked_until FROM survivor_codes \
             WHERE victim_id = $1 AND revoked_at IS NULL",
        )
        .bind(victim)
        .fetch_optional(self.pool())
        .await?;
        let now = self.now_ms();
        Ok(row.map(
            |(issued_at, issued_by, looks, last_look_at, locked_until)| CodeState {
                issued_at,
                issued_by,
                looks,
                last_look_at,
                locked: locked_until > now,
            },
        ))
    }

    /// A look with a code and a PIN from the public site.
    pub async fn survivor_status(&self, code: &str, pin: &str) -> Result<StatusOutcome> {
        let Some(code) = normalise_code(code) else {
            return Ok(StatusOutcome::Wrong);
        };
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, victim_id FROM survivor_codes WHERE code_hash = $1 AND revoked_at IS NULL",
        )
        .bind(passcode::code_hash(Purpose::Survivor, &code))
        .fetch_optional(self.pool())
        .await?;
        let Some((id, victim)) = row else {
            return Ok(StatusOutcome::Wrong);
        };
        let vc = self.victim_case(victim).await?;
        // She acts on her own record with the credential checked here: the audit entry
        // names no person and keeps no address, only the case's region.
        let survivor = public_actor("survivor:status-code", vc.owner, vc.scope.clone());
        let mut w = self.write(self.allow_credential(&survivor)).await?;
        let now = w.now_ms();
        let (action, detail, outcome) =
            match passcode::attempt(&mut w, Purpose::Survivor, id, &code, pin, now).await? {
                passcode::Attempt::Locked { until } => {
                    return Ok(StatusOutcome::Locked { until_ms: until });
                }
                passcode::Attempt::Wrong {
                    failures,
                    locked_until,
                } => (
                    AuditAction::SurvivorStatusFailed,
                    format!(
                        "victim={victim} failures={failures}{}",
                        if locked_until.is_some() {
                            " locked"
                        } else {
                            ""
                        }
                    ),
                    Some(match locked_until {
                        Some(until_ms) => StatusOutcome::Locked { until_ms },
                        None => StatusOutcome::Wrong,
                    }),
                ),
                passcode::Attempt::Right => {
                    sqlx::query(
                    "UPDATE survivor_codes SET looks = looks + 1, last_look_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *w)
                .await?;
                    (
                        AuditAction::SurvivorStatusView,
                        format!("victim={victim}"),
                        None,
                    )
                }
            };
        w.audit(Event {
            action,
            record_type: "case",
            record_id: vc.case_id.to_string(),
            detail,
        })
        .await?;
        w.commit().await?;
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
        let today = self.today(&survivor);
        let status = self.survivor_view(victim, vc.case_id, today).await?;
        Ok(StatusOutcome::Shown(Box::new(status)))
    }

    /// Reads what the status page shows, and only that.
    async fn survivor_view(
        &self,
        victim: i64,
        case: crate::CaseId,
        today: Day,
    ) -> Result<SurvivorStatus> {
        let plan: Option<String> =
            sqlx::query_scalar("SELECT status FROM service_plans WHERE victim_id = $1")
                .bind(victim)
                .fetch_optional(self.pool())
                .await?;
        let services: Vec<ServiceView> = self.services_of(victim, false, today).await?;
        let ledger: LedgerView = self.ledger_of(victim, case, false, today).await?;
        let referrals = self.referral_rows_of_victim(victim, today).await?;
        Ok(SurvivorStatus {
            plan: plan.unwrap_or_else(|| "none".into()),
            services: services
                .into_iter()
                .map(|s| SurvivorService {
                    service_code: s.service_code,
                    status: s.status,
                    requested_on: s.requested_on,
                    due_on: s.due_on,
                    done_on: s.done_on,
                })
                .collect(),
            referrals: referrals
                .into_iter()
                .map(|r| SurvivorReferral {
                    kind: r.kind,
                    service_code: r.service_code,
                    state: r.state,
                    sent_on: r.sent_on,
                })
                .collect(),
            restitution: money(&ledger.restitution, LedgerTrack::Restitution),
            compensation: money(&ledger.compensation, LedgerTrack::Compensation),
            clock: ledger.clock,
            today,
        })
    }
}
