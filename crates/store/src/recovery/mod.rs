//! Recovery until complete: the service catalogue, each victim's service plan (assessed
//! needs, services with their responsible unit and evidence, closure), the restitution and
//! compensation ledger, and the "my tasks" list. Referrals live in `referrals.rs`.
//!
//! Access: people who may manage services in the case's region (`Action::ManageServices`)
//! plan and record; everyone who sees the case reads the plan (notes only with identity
//! access); a receiving unit updates the one service its open referral is about.

use crate::core::access::{IdentityAccess, VictimCase};
use crate::core::audit::{Event, append};
use crate::core::ids::CaseId;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::recovery::{
    Clock, LedgerKind, LedgerParts, LedgerSums, LedgerTrack, ReferralState, ServiceStatus,
    closure_blockers, referral_side, restitution_clock,
};
use domain::{Action, Actor, Invalid, Scope, UnitId, decide};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

const SEED: &str = include_str!("../../../../data/services.csv");

/// Largest evidence file accepted (bytes).
pub const EVIDENCE_MAX: usize = 5 * 1024 * 1024;

/// Evidence types accepted, recognised by their first bytes (never by the name alone).
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceType {
    pub code: String,
    pub label_id: String,
    pub label_en: String,
    pub default_days: i64,
    /// Owed by law within 7 days of a request (UU 21/2007 Ps. 51–52).
    pub statutory: bool,
}

impl ServiceType {
    pub fn label(&self, lang: &str) -> &str {
        if lang == "en" {
            &self.label_en
        } else {
            &self.label_id
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NeedView {
    pub id: i64,
    pub service_code: String,
    pub assessed_on: Day,
    /// Why the need will not be met (shown only with identity access).
    pub explanation: Option<String>,
    pub explained: bool,
    pub met: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceMeta {
    pub id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    pub id: i64,
    pub victim_id: i64,
    pub service_code: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub requested_on: Day,
    pub due_on: Day,
    pub status: String,
    pub reason: Option<String>,
    pub outcome: Option<String>,
    pub done_on: Option<Day>,
    pub referral_id: Option<i64>,
    pub overdue: bool,
    pub evidence: Vec<EvidenceMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub id: i64,
    pub track: String,
    pub kind: String,
    pub amount: i64,
    pub on_day: Day,
    pub note: Option<String>,
    pub confirmed: bool,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerView {
    pub lines: Vec<LedgerLine>,
    pub restitution: LedgerSums,
    pub compensation: LedgerSums,
    /// Final verdict (inkracht) from the legal track.
    pub final_on: Option<Day>,
    /// The restitution ordered by the court for the case, from the legal track.
    pub ordered_for_case: Option<i64>,
    pub clock: Clock,
}

/// One victim's path to recovery.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub victim_id: i64,
    pub case_id: CaseId,
    pub case_code: String,
    pub initials: String,
    /// A plan has been started (needs assessed or a service planned).
    pub exists: bool,
    pub lead_unit_id: Option<UnitId>,
    pub lead_unit_name: Option<String>,
    pub status: String,
    pub assessed_on: Option<Day>,
    pub followup_on: Option<Day>,
    pub closure_note: Option<String>,
    pub closed_on: Option<Day>,
    pub closed_by: Option<String>,
    pub needs: Vec<NeedView>,
    pub services: Vec<ServiceView>,
    pub referrals: Vec<crate::referrals::ReferralRow>,
    pub ledger: LedgerView,
    /// Why it cannot be closed yet (message key, service code).
    pub blockers: Vec<(String, String)>,
    pub can_manage: bool,
    pub notes_visible: bool,
}

/// A summary per victim for the case page.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub victim_id: i64,
    pub initials: String,
    pub status: String,
    pub open_services: i64,
    pub overdue_services: i64,
    pub open_referrals: i64,
    pub awarded: i64,
    pub paid: i64,
}

/// A dated line for the case timeline.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryEvent {
    pub day: Day,
    /// `service`, `referral`, `ledger`, `plan`
    pub kind: String,
    /// A service code, referral state or ledger kind (translated by the page).
    pub code: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct NewService {
    pub service_code: String,
    pub unit_id: Option<i64>,
    pub requested_on: Option<Day>,
    pub due_on: Option<Day>,
}

#[derive(Debug, Clone, Default)]
pub struct ServiceUpdate {
    pub status: String,
    pub reason: String,
    pub outcome: String,
    pub done_on: Option<Day>,
}

#[derive(Debug, Clone, Default)]
pub struct NewLedgerEntry {
    pub track: String,
    pub kind: String,
    pub amount: Option<i64>,
    pub on_day: Option<Day>,
    pub note: String,
    /// The user confirmed a payment above what is outstanding.
    pub confirm: bool,
}

/// One line of "my tasks".
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    /// `service`, `referral_in` (to answer or deliver), `referral_out` (overdue at the other unit)
    pub kind: String,
    pub id: i64,
    pub case_id: CaseId,
    pub case_code: String,
    pub initials: String,
    pub service_code: String,
    pub due_on: Day,
    pub status: String,
    pub overdue: bool,
    pub other_unit: Option<String>,
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TasksView {
    pub services: Vec<TaskRow>,
    pub services_total: i64,
    pub services_overdue: i64,
    pub referrals: Vec<TaskRow>,
    /// All referrals waiting (the list holds the first 50).
    pub referrals_total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The recovery figures on the home page: what waits on the actor's unit, and what is
/// overdue in the actor's region.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryDashboard {
    pub open_services: i64,
    pub overdue_services: i64,
    pub referrals_waiting: i64,
    pub referrals_out_overdue: i64,
    pub escalated_in_region: i64,
}

/// Money per region: what was assessed, demanded, awarded, paid.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerTotalRow {
    pub region_code: String,
    pub region_name: String,
    pub victims: i64,
    pub restitution: LedgerSums,
    pub compensation: LedgerSums,
    /// Owed and not paid, summed victim by victim.
    pub restitution_gap: i64,
    pub compensation_gap: i64,
    pub late_clocks: i64,
}

/// A ledger row as read for sums (columns a query lacks are 0 / `None`).
struct LedgerRow {
    victim: i64,
    case: i64,
    region: Option<String>,
    track: String,
    kind: String,
    amount: i64,
    on_day: Day,
}

fn ledger_lines(rows: &[sqlx::any::AnyRow]) -> Result<Vec<LedgerRow>> {
    rows.iter()
        .map(|r| {
            Ok(LedgerRow {
                victim: r.try_get("victim_id").unwrap_or(0),
                case: r.try_get("case_id").unwrap_or(0),
                region: r.try_get("region").unwrap_or(None),
                track: r.try_get("track")?,
                kind: r.try_get("kind")?,
                amount: r.try_get("amount")?,
                on_day: r.try_get("on_day")?,
            })
        })
        .collect()
}

fn as_line(l: &LedgerRow) -> (&str, &str, i64, Day) {
    (l.track.as_str(), l.kind.as_str(), l.amount, l.on_day)
}

fn seed_rows() -> Vec<Vec<String>> {
    SEED.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(crate::regions::csv_fields)
        .filter(|f| f.len() == 5)
        .collect()
}

impl Store {
    pub(crate) async fn ensure_service_types(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (sort, r) in seed_rows().iter().enumerate() {
            sqlx::query(
                "INSERT INTO service_types (code, label_id, label_en, default_days, statutory, sort) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (code) DO NOTHING",
            )
            .bind(r[0].clone())
            .bind(r[3].clone())
            .bind(r[4].clone())
            .bind(r[1].parse::<i64>().unwrap_or(7))
            .bind(r[2].parse::<i64>().unwrap_or(0))
            .bind(sort as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The service catalogue, in display order.
    pub async fn service_types(&self) -> Result<Vec<ServiceType>> {
        let rows = sqlx::query(
            "SELECT code, label_id, label_en, default_days, statutory FROM service_types ORDER BY sort",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceType {
                    code: r.try_get("code")?,
                    label_id: r.try_get("label_id")?,
                    label_en: r.try_get("label_en")?,
                    default_days: r.try_get("default_days")?,
                    statutory: r.try_get::<i64, _>("statutory")? != 0,
                })
            })
            .collect()
    }

    async fn service_type(&self, code: &str) -> Result<Option<ServiceType>> {
        Ok(self
            .service_types()
            .await?
            .into_iter()
            .find(|t| t.code == code))
    }

    /// For planning and recording: the case in sight and the role may manage services.
    async fn check_manage(&self, actor: &Actor, victim: i64) -> Result<VictimCase> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        decide(actor, Action::ManageServices, &vc.scope)?;
        Ok(vc)
    }

    /// Creates the plan row if it does not exist yet (lead: the case's unit).
    async fn ensure_plan(
        conn: &mut AnyConnection,
        victim: i64,
        vc: &VictimCase,
        today: Day,
    ) -> Result<()> {
        let now = crate::now_ms();
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
        let vc = self.check_manage(actor, victim).await?;
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
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
        Self::ensure_plan(&mut tx, victim, &vc, today).await?;
        for c in codes {
            sqlx::query(
                "INSERT INTO victim_needs (victim_id, case_id, service_code, assessed_on, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (victim_id, service_code) DO NOTHING",
            )
            .bind(victim)
            .bind(vc.case_id.0)
            .bind(c.clone())
            .bind(today)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
        }
        append(
            &mut tx,
            actor,
            Event {
                action: "plan.assess",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim} needs={}", codes.join(",")),
            },
        )
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
        let vc = self.check_manage(actor, victim).await?;
        self.check_plan_open(victim).await?;
        let text = text.trim();
        if text.chars().count() > 2000 {
            return Err(Invalid::one("explanation", "err.too_long").into());
        }
        let enc = if text.is_empty() {
            None
        } else {
            Some(self.keyring()?.encrypt("victim_needs.explanation", text)?)
        };
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
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
        append(
            &mut tx,
            actor,
            Event {
                action: "plan.need_explain",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim} need={need}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Plans a service for a victim, given by any unit (a unit outside the case's region
    /// gets no access from this: ask it with a referral).
    pub async fn add_service(
        &self,
        actor: &Actor,
        victim: i64,
        s: &NewService,
        today: Day,
    ) -> Result<i64> {
        let vc = self.check_manage(actor, victim).await?;
        self.add_service_checked(actor, victim, &vc, s, today, None)
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
        let f = self.referral_facts(referral).await?;
        if referral_side(actor, &f)? != domain::recovery::ReferralSide::Receiver {
            return Err(StoreError::NotFound);
        }
        let r = sqlx::query("SELECT victim_id, kind FROM referrals WHERE id = $1")
            .bind(referral)
            .fetch_one(self.pool())
            .await?;
        let kind: String = r.try_get("kind")?;
        if kind != "takeover" || f.state != ReferralState::Accepted {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        let victim: i64 = r.try_get("victim_id")?;
        let vc = self.victim_case(victim).await?;
        self.add_service_checked(actor, victim, &vc, s, today, Some(referral))
            .await
    }

    async fn add_service_checked(
        &self,
        actor: &Actor,
        victim: i64,
        vc: &VictimCase,
        s: &NewService,
        today: Day,
        referral: Option<i64>,
    ) -> Result<i64> {
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
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
        Self::ensure_plan(&mut tx, victim, vc, today).await?;
        let id = Self::insert_service(
            &mut tx, actor, victim, vc, &ty.code, unit, requested, due, referral,
        )
        .await?;
        // Another unit learns that a service waits on it.
        if unit != actor.unit_id.0 {
            let link = match referral {
                Some(rid) => format!("/referrals/{rid}"),
                None => format!("/victims/{victim}/plan#service-{id}"),
            };
            Self::notify_unit(&mut tx, unit, "service_assigned", &link, actor).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_service(
        conn: &mut AnyConnection,
        actor: &Actor,
        victim: i64,
        vc: &VictimCase,
        code: &str,
        unit: i64,
        requested: Day,
        due: Day,
        referral: Option<i64>,
    ) -> Result<i64> {
        let now = crate::now_ms();
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
        .bind(actor.username.clone())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        append(
            conn,
            actor,
            Event {
                action: "service.plan",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("service={id} victim={victim} code={code} unit={unit} due={due}"),
            },
        )
        .await?;
        Ok(id)
    }

    /// Who may reach this service: those who manage the case's services, or the unit it is
    /// assigned to through an open referral (to change it: while the referral is accepted,
    /// not yet delivered). Returns the victim, the case and whether access is through the
    /// referral.
    async fn check_service_edit(&self, actor: &Actor, service: i64) -> Result<(i64, VictimCase)> {
        let (victim, vc, _) = self.service_access(actor, service, true).await?;
        Ok((victim, vc))
    }

    async fn service_access(
        &self,
        actor: &Actor,
        service: i64,
        edit: bool,
    ) -> Result<(i64, VictimCase, bool)> {
        let r = sqlx::query("SELECT victim_id, referral_id FROM services WHERE id = $1")
            .bind(service)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let victim: i64 = r.try_get("victim_id")?;
        let referral: Option<i64> = r.try_get("referral_id")?;
        let vc = self.victim_case(victim).await?;
        if decide(actor, Action::ViewCase, &vc.scope).is_ok()
            && decide(actor, Action::ManageServices, &vc.scope).is_ok()
        {
            return Ok((victim, vc, false));
        }
        // The receiving unit of the service's referral (a requested service, or the services
        // it planned itself after a take-over).
        if let Some(rid) = referral {
            let f = self.referral_facts(rid).await?;
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
    async fn notes_allowed(
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
        let f = self.referral_facts(referral).await?;
        let side = referral_side(actor, &f)?;
        let victim: i64 = sqlx::query_scalar("SELECT victim_id FROM referrals WHERE id = $1")
            .bind(referral)
            .fetch_one(self.pool())
            .await?;
        let vc = self.victim_case(victim).await?;
        let notes = match side {
            domain::recovery::ReferralSide::Receiver => true,
            domain::recovery::ReferralSide::Sender => self.notes_allowed(actor, &vc, false).await?,
            domain::recovery::ReferralSide::Overseer => false,
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
        let (victim, vc) = self.check_service_edit(actor, service).await?;
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
        if u.outcome.chars().count() > 4000 || u.reason.chars().count() > 2000 {
            errs.push("outcome", "err.too_long");
        }
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
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
        sqlx::query(
            "UPDATE services SET status = $1, is_open = $2, reason_enc = COALESCE($3, reason_enc), outcome_enc = COALESCE($4, outcome_enc), \
             done_on = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status.as_str())
        .bind(status.is_open() as i64)
        .bind(reason)
        .bind(outcome)
        .bind(done)
        .bind(crate::now_ms())
        .bind(service)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "service.update",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!(
                    "service={service} victim={victim} status={}",
                    status.as_str()
                ),
            },
        )
        .await?;
        // A requested service delivered: its referral is delivered too (one path, whichever
        // form the receiving unit used), and the sender is told.
        if status == ServiceStatus::Delivered {
            let referral: Option<(i64, i64)> = sqlx::query(
                "SELECT r.id, r.from_unit_id FROM referrals r WHERE r.service_id = $1 AND r.state = 'accepted'",
            )
            .bind(service)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("from_unit_id")?)))
            .transpose()?;
            if let Some((rid, from)) = referral {
                sqlx::query(
                    "UPDATE referrals SET state = 'delivered', delivered_on = $1, updated_at = $2 WHERE id = $3 AND state = 'accepted'",
                )
                .bind(done.unwrap_or(today))
                .bind(crate::now_ms())
                .bind(rid)
                .execute(&mut *tx)
                .await?;
                append(
                    &mut tx,
                    actor,
                    Event {
                        action: "referral.deliver",
                        record_type: "case",
                        record_id: vc.case_id.to_string(),
                        detail: format!("referral={rid} victim={victim} state=delivered"),
                    },
                )
                .await?;
                Self::notify_unit(
                    &mut tx,
                    from,
                    "referral_delivered",
                    &format!("/referrals/{rid}"),
                    actor,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores an evidence file, encrypted, after checking its size and type.
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        service: i64,
        filename: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        let (victim, vc) = self.check_service_edit(actor, service).await?;
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
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
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
        .bind(crate::now_ms())
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "service.evidence_add",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!(
                    "service={service} victim={victim} evidence={id} type={ctype} size={}",
                    bytes.len()
                ),
            },
        )
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
        let r = sqlx::query(
            "SELECT service_id, filename_enc, content_type, body FROM service_evidence WHERE id = $1",
        )
        .bind(evidence)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let service: i64 = r.try_get("service_id")?;
        let (_, vc, via) = self.service_access(actor, service, false).await?;
        if !self.notes_allowed(actor, &vc, via).await? {
            return Err(StoreError::NotFound);
        }
        let k = self.keyring()?;
        let name = k.decrypt(
            "service_evidence.filename",
            &r.try_get::<String, _>("filename_enc")?,
        )?;
        let body = k.decrypt_bytes("service_evidence.body", &r.try_get::<Vec<u8>, _>("body")?)?;
        self.audit(
            actor,
            Event {
                action: "service.evidence_view",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("service={service} evidence={evidence}"),
            },
        )
        .await?;
        Ok((name, r.try_get("content_type")?, body))
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
        let vc = self.check_manage(actor, victim).await?;
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
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        let (needs, services) = Self::closure_inputs(&mut tx, victim).await?;
        let mut blockers = closure_blockers(&needs, &services, followup_on);
        if Self::open_referrals(&mut tx, victim).await? > 0 {
            blockers.push(("plan.block_open_referral", String::new()));
        }
        if !blockers.is_empty() {
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
            return Err(errs.into());
        }
        let n = sqlx::query(
            "UPDATE service_plans SET status = 'closed', followup_on = $1, closure_note_enc = $2, closed_on = $3, closed_by = $4, updated_at = $5 \
             WHERE victim_id = $6 AND status = 'open'",
        )
        .bind(followup_on)
        .bind(enc)
        .bind(today)
        .bind(actor.username.clone())
        .bind(crate::now_ms())
        .bind(victim)
        .execute(&mut *tx)
        .await?;
        if n.rows_affected() == 0 {
            // Closed by someone else meanwhile, or no plan at all.
            return Err(StoreError::Conflict("conflict.plan_closed"));
        }
        append(
            &mut tx,
            actor,
            Event {
                action: "plan.close",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reopens a closed plan (a new need appeared).
    pub async fn reopen_plan(&self, actor: &Actor, victim: i64) -> Result<()> {
        let vc = self.check_manage(actor, victim).await?;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE service_plans SET status = 'open', updated_at = $1 WHERE victim_id = $2 AND status = 'closed'",
        )
        .bind(crate::now_ms())
        .bind(victim)
        .execute(&mut *tx)
        .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.plan_not_closed"));
        }
        append(
            &mut tx,
            actor,
            Event {
                action: "plan.reopen",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    async fn closure_inputs(
        conn: &mut AnyConnection,
        victim: i64,
    ) -> Result<(Vec<(String, bool)>, Vec<(String, ServiceStatus)>)> {
        let needs = sqlx::query(
            "SELECT service_code, explanation_enc FROM victim_needs WHERE victim_id = $1 ORDER BY id",
        )
        .bind(victim)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("service_code")?,
                r.try_get::<Option<String>, _>("explanation_enc")?.is_some(),
            ))
        })
        .collect::<Result<Vec<_>>>()?;
        let services =
            sqlx::query("SELECT service_code, status FROM services WHERE victim_id = $1")
                .bind(victim)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| {
                    let s: String = r.try_get("status")?;
                    Ok((
                        r.try_get::<String, _>("service_code")?,
                        ServiceStatus::parse(&s).unwrap_or(ServiceStatus::Planned),
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
        Ok((needs, services))
    }

    async fn open_referrals(conn: &mut AnyConnection, victim: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM referrals WHERE victim_id = $1 AND is_open = 1",
        )
        .bind(victim)
        .fetch_one(&mut *conn)
        .await?)
    }

    /// True when every victim of the case has a closed plan (the case may close *paripurna*).
    pub(crate) async fn all_plans_closed(&self, case: CaseId) -> Result<bool> {
        let open: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM victims v WHERE v.case_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM service_plans p WHERE p.victim_id = v.id AND p.status = 'closed')",
        )
        .bind(case.0)
        .fetch_one(self.pool())
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
        let plan = sqlx::query(
            "SELECT p.*, n.name AS lead_name FROM service_plans p JOIN units n ON n.id = p.lead_unit_id WHERE p.victim_id = $1",
        )
        .bind(victim)
        .fetch_optional(self.pool())
        .await?;
        let services = self.services_of(victim, notes_visible, today).await?;
        let mut needs = Vec::new();
        for r in sqlx::query("SELECT * FROM victim_needs WHERE victim_id = $1 ORDER BY id")
            .bind(victim)
            .fetch_all(self.pool())
            .await?
        {
            let code: String = r.try_get("service_code")?;
            let expl: Option<String> = r.try_get("explanation_enc")?;
            needs.push(NeedView {
                id: r.try_get("id")?,
                met: domain::recovery::need_met(
                    &code,
                    services.iter().filter_map(|s| {
                        Some((s.service_code.as_str(), ServiceStatus::parse(&s.status)?))
                    }),
                ),
                service_code: code,
                assessed_on: r.try_get("assessed_on")?,
                explained: expl.is_some(),
                explanation: dec("victim_needs.explanation", expl)?,
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
            view.lead_unit_id = Some(UnitId(p.try_get("lead_unit_id")?));
            view.lead_unit_name = Some(p.try_get("lead_name")?);
            view.status = p.try_get("status")?;
            view.assessed_on = p.try_get("assessed_on")?;
            view.followup_on = p.try_get("followup_on")?;
            view.closure_note = dec("service_plans.closure_note", p.try_get("closure_note_enc")?)?;
            view.closed_on = p.try_get("closed_on")?;
            view.closed_by = p.try_get("closed_by")?;
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
                    "plan.identity_view"
                } else {
                    "plan.view"
                },
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("victim={victim}"),
            },
        )
        .await?;
        Ok(view)
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
        let rows = sqlx::query(
            "SELECT s.*, n.name AS unit_name FROM services s JOIN units n ON n.id = s.unit_id WHERE s.victim_id = $1 ORDER BY s.requested_on, s.id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?;
        let ev_rows = sqlx::query(
            "SELECT e.id, e.service_id, e.filename_enc, e.content_type, e.size, e.uploaded_by, e.created_at FROM service_evidence e \
             JOIN services s ON s.id = e.service_id WHERE s.victim_id = $1 ORDER BY e.id",
        )
        .bind(victim)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let due: Day = r.try_get("due_on")?;
            let open = r.try_get::<i64, _>("is_open")? != 0;
            let mut evidence = Vec::new();
            for e in ev_rows
                .iter()
                .filter(|e| e.try_get::<i64, _>("service_id").ok() == Some(id))
            {
                evidence.push(EvidenceMeta {
                    id: e.try_get("id")?,
                    filename: dec("service_evidence.filename", e.try_get("filename_enc")?)?,
                    content_type: e.try_get("content_type")?,
                    size: e.try_get("size")?,
                    uploaded_by: e.try_get("uploaded_by")?,
                    at_ms: e.try_get("created_at")?,
                });
            }
            out.push(ServiceView {
                id,
                victim_id: victim,
                service_code: r.try_get("service_code")?,
                unit_id: UnitId(r.try_get("unit_id")?),
                unit_name: r.try_get("unit_name")?,
                requested_on: r.try_get("requested_on")?,
                due_on: due,
                status: r.try_get("status")?,
                reason: dec("services.reason", r.try_get("reason_enc")?)?,
                outcome: dec("services.outcome", r.try_get("outcome_enc")?)?,
                done_on: r.try_get("done_on")?,
                referral_id: r.try_get("referral_id")?,
                overdue: open && due < today,
                evidence,
            });
        }
        Ok(out)
    }

    /// The ledger of one victim, with the restitution clock.
    async fn ledger_of(
        &self,
        victim: i64,
        case: CaseId,
        notes: bool,
        today: Day,
    ) -> Result<LedgerView> {
        let k = self.keyring()?;
        let rows =
            sqlx::query("SELECT * FROM ledger_entries WHERE victim_id = $1 ORDER BY on_day, id")
                .bind(victim)
                .fetch_all(self.pool())
                .await?;
        let mut lines = Vec::new();
        for r in rows {
            let note: Option<String> = r.try_get("note_enc")?;
            lines.push(LedgerLine {
                id: r.try_get("id")?,
                track: r.try_get("track")?,
                kind: r.try_get("kind")?,
                amount: r.try_get("amount")?,
                on_day: r.try_get("on_day")?,
                note: match note {
                    Some(n) if notes => Some(k.decrypt("ledger_entries.note", &n)?),
                    _ => None,
                },
                confirmed: r.try_get::<i64, _>("confirmed")? != 0,
                created_by: r.try_get("created_by")?,
            });
        }
        let (final_on, ordered) = self.final_verdict(case).await?;
        Ok(Self::ledger_from(lines, final_on, ordered, today))
    }

    fn ledger_from(
        lines: Vec<LedgerLine>,
        final_on: Option<Day>,
        ordered_for_case: Option<i64>,
        today: Day,
    ) -> LedgerView {
        let parts = LedgerParts::of(
            lines
                .iter()
                .map(|l| (l.track.as_str(), l.kind.as_str(), l.amount, l.on_day)),
        );
        let clock = restitution_clock(final_on, parts.warned_on, &parts.restitution, today);
        LedgerView {
            lines,
            restitution: parts.restitution,
            compensation: parts.compensation,
            final_on,
            ordered_for_case,
            clock,
        }
    }

    /// The final verdict's day and the restitution ordered, from the legal track.
    async fn final_verdict(&self, case: CaseId) -> Result<(Option<Day>, Option<i64>)> {
        let final_on: Option<Option<Day>> = sqlx::query_scalar(
            "SELECT MIN(happened) FROM legal_stages WHERE case_id = $1 AND stage = 'final'",
        )
        .bind(case.0)
        .fetch_optional(self.pool())
        .await?;
        let ordered: Option<Option<i64>> =
            sqlx::query_scalar("SELECT restitution_ordered FROM legal_tracks WHERE case_id = $1")
                .bind(case.0)
                .fetch_optional(self.pool())
                .await?;
        Ok((final_on.flatten(), ordered.flatten()))
    }

    /// Adds a ledger line. A payment above what is outstanding is refused until the user
    /// confirms it (`confirm`), and then kept marked as confirmed.
    pub async fn add_ledger_entry(
        &self,
        actor: &Actor,
        victim: i64,
        e: &NewLedgerEntry,
        today: Day,
    ) -> Result<i64> {
        let vc = self.check_manage(actor, victim).await?;
        let mut errs = Invalid::default();
        let track = LedgerTrack::parse(&e.track);
        let kind = LedgerKind::parse(&e.kind);
        if track.is_none() {
            errs.push("track", "err.choice");
        }
        if kind.is_none() {
            errs.push("kind", "err.choice");
        }
        let amount = match (kind, e.amount) {
            (Some(k), _) if !k.has_amount() => 0,
            (_, Some(a)) if (0..=1_000_000_000_000_000).contains(&a) => a,
            (_, Some(_)) => {
                errs.push("amount", "err.amount");
                0
            }
            (_, None) => {
                errs.push("amount", "err.amount");
                0
            }
        };
        match e.on_day {
            None => errs.push("on_day", "err.date"),
            Some(d) if d > today => errs.push("on_day", "err.date_future"),
            _ => {}
        }
        if e.note.chars().count() > 2000 {
            errs.push("note", "err.too_long");
        }
        errs.into_result(())?;
        let (Some(track), Some(kind), Some(on_day)) = (track, kind, e.on_day) else {
            return Err(StoreError::NotFound);
        };
        let mut confirmed = false;
        let note = Some(e.note.trim())
            .filter(|s| !s.is_empty())
            .map(|s| self.keyring()?.encrypt("ledger_entries.note", s))
            .transpose()?;
        let mut tx = self.begin_write().await?;
        // What is outstanding is read under the victim's lock, so two payments entered at the
        // same moment cannot both pass the check.
        self.lock_victim(&mut tx, victim).await?;
        if kind.pays() {
            let rows = sqlx::query(
                "SELECT track, kind, amount, on_day FROM ledger_entries WHERE victim_id = $1 ORDER BY on_day, id",
            )
            .bind(victim)
            .fetch_all(&mut *tx)
            .await?;
            let parts = LedgerParts::of(ledger_lines(&rows)?.iter().map(as_line));
            if amount > parts.track(track).outstanding_on(track) {
                if !e.confirm {
                    return Err(Invalid::one("confirm", "warn.overpayment").into());
                }
                confirmed = true;
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ledger_entries (case_id, victim_id, track, kind, amount, on_day, note_enc, confirmed, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(vc.case_id.0)
        .bind(victim)
        .bind(track.as_str())
        .bind(kind.as_str())
        .bind(amount)
        .bind(on_day)
        .bind(note)
        .bind(confirmed as i64)
        .bind(actor.username.clone())
        .bind(crate::now_ms())
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "ledger.add",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!(
                    "entry={id} victim={victim} track={} kind={} amount={amount}{}",
                    track.as_str(),
                    kind.as_str(),
                    if confirmed {
                        " over_outstanding=confirmed"
                    } else {
                        ""
                    }
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Per-victim summaries for the case page.
    pub async fn plan_summaries(
        &self,
        actor: &Actor,
        case: CaseId,
        today: Day,
    ) -> Result<Vec<PlanSummary>> {
        let scope = self.case_scope(case).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let rows = sqlx::query(
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
        let ledger = sqlx::query(
            "SELECT victim_id, track, kind, amount, on_day FROM ledger_entries WHERE case_id = $1 ORDER BY on_day, id",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        let ledger = ledger_lines(&ledger)?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let sums =
                LedgerParts::of(ledger.iter().filter(|l| l.victim == id).map(as_line)).restitution;
            out.push(PlanSummary {
                victim_id: id,
                initials: r.try_get("initials")?,
                status: r
                    .try_get::<Option<String>, _>("status")?
                    .unwrap_or_else(|| "none".into()),
                open_services: r.try_get("open_services")?,
                overdue_services: r.try_get("overdue_services")?,
                open_referrals: r.try_get("open_referrals")?,
                awarded: sums.awarded,
                paid: sums.paid,
            });
        }
        Ok(out)
    }

    /// Services, referrals, ledger lines and plan closures of a case, dated, for the case
    /// timeline (codes only: the page translates them).
    pub async fn recovery_events(&self, actor: &Actor, case: CaseId) -> Result<Vec<RecoveryEvent>> {
        let scope = self.case_scope(case).await?;
        decide(actor, Action::ViewCase, &scope)?;
        let mut out = Vec::new();
        for r in sqlx::query(
            "SELECT s.service_code, s.requested_on, s.done_on, s.status, v.initials, n.name FROM services s \
             JOIN victims v ON v.id = s.victim_id JOIN units n ON n.id = s.unit_id WHERE s.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            let code: String = r.try_get("service_code")?;
            let who = format!(
                "{} · {}",
                r.try_get::<String, _>("initials")?,
                r.try_get::<String, _>("name")?
            );
            out.push(RecoveryEvent {
                day: r.try_get("requested_on")?,
                kind: "service".into(),
                code: code.clone(),
                detail: format!("planned|{who}"),
            });
            if let Some(d) = r.try_get::<Option<Day>, _>("done_on")? {
                out.push(RecoveryEvent {
                    day: d,
                    kind: "service".into(),
                    code,
                    detail: format!("{}|{who}", r.try_get::<String, _>("status")?),
                });
            }
        }
        for r in sqlx::query(
            "SELECT r.id, r.sent_on, r.responded_on, r.delivered_on, r.ended_on, r.state, v.initials, n.name FROM referrals r \
             JOIN victims v ON v.id = r.victim_id JOIN units n ON n.id = r.to_unit_id WHERE r.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            let who = format!(
                "{} → {}",
                r.try_get::<String, _>("initials")?,
                r.try_get::<String, _>("name")?
            );
            let state: String = r.try_get("state")?;
            let id: i64 = r.try_get("id")?;
            let mut push = |day: Option<Day>, code: &str| {
                if let Some(day) = day {
                    out.push(RecoveryEvent {
                        day,
                        kind: "referral".into(),
                        code: code.into(),
                        detail: format!("#{id}|{who}"),
                    });
                }
            };
            push(r.try_get("sent_on")?, "sent");
            let responded = if state == "declined" { "declined" } else { "accepted" };
            push(r.try_get("responded_on")?, responded);
            push(r.try_get("delivered_on")?, "delivered");
            push(r.try_get("ended_on")?, if state == "withdrawn" { "withdrawn" } else { "closed" });
        }
        for r in sqlx::query(
            "SELECT l.track, l.kind, l.amount, l.on_day, v.initials FROM ledger_entries l JOIN victims v ON v.id = l.victim_id WHERE l.case_id = $1",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            out.push(RecoveryEvent {
                day: r.try_get("on_day")?,
                kind: "ledger".into(),
                code: format!(
                    "{}.{}",
                    r.try_get::<String, _>("track")?,
                    r.try_get::<String, _>("kind")?
                ),
                detail: format!(
                    "{}|{}",
                    r.try_get::<i64, _>("amount")?,
                    r.try_get::<String, _>("initials")?
                ),
            });
        }
        for r in sqlx::query(
            "SELECT p.closed_on, v.initials FROM service_plans p JOIN victims v ON v.id = p.victim_id WHERE p.case_id = $1 AND p.closed_on IS NOT NULL",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?
        {
            out.push(RecoveryEvent {
                day: r.try_get("closed_on")?,
                kind: "plan".into(),
                code: "closed".into(),
                detail: r.try_get("initials")?,
            });
        }
        out.sort_by_key(|e| e.day);
        Ok(out)
    }

    /// "My tasks": the open services assigned to the actor's unit, most overdue first
    /// (one page), and the referrals waiting on the unit or overdue at the other side.
    pub async fn my_tasks(&self, actor: &Actor, today: Day, page: i64) -> Result<TasksView> {
        let unit = actor.unit_id.0;
        let per_page = 50;
        let page = page.max(1);
        // The page's ids come from the index alone (a deep page skips index entries, not
        // joined rows); the joins run for the 50 shown.
        let rows = sqlx::query(
            "SELECT s.id, s.case_id, s.victim_id, s.service_code, s.due_on, s.status, s.referral_id, c.code, v.initials FROM services s \
             JOIN cases c ON c.id = s.case_id JOIN victims v ON v.id = s.victim_id \
             WHERE s.id IN (SELECT id FROM services WHERE unit_id = $1 AND is_open = 1 ORDER BY due_on, id LIMIT $2 OFFSET $3) \
             ORDER BY s.due_on, s.id",
        )
        .bind(unit)
        .bind(per_page)
        .bind((page - 1) * per_page)
        .fetch_all(self.pool())
        .await?;
        let mut services = Vec::new();
        for r in rows {
            let due: Day = r.try_get("due_on")?;
            let case_id = CaseId(r.try_get("case_id")?);
            let referral: Option<i64> = r.try_get("referral_id")?;
            let id: i64 = r.try_get("id")?;
            services.push(TaskRow {
                kind: "service".into(),
                id,
                case_id,
                case_code: r.try_get("code")?,
                initials: r.try_get("initials")?,
                service_code: r.try_get("service_code")?,
                due_on: due,
                status: r.try_get("status")?,
                overdue: due < today,
                other_unit: None,
                link: match referral {
                    Some(rid) => format!("/referrals/{rid}"),
                    None => format!(
                        "/victims/{}/plan#service-{id}",
                        r.try_get::<i64, _>("victim_id")?
                    ),
                },
            });
        }
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1")
                .bind(unit)
                .fetch_one(self.pool())
                .await?;
        let overdue: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1 AND due_on < $2",
        )
        .bind(unit)
        .bind(today)
        .fetch_one(self.pool())
        .await?;
        let (rows, referrals_total) = self.referral_tasks(actor, today).await?;
        let referrals = rows
            .into_iter()
            .map(|row| {
                let incoming = row.to_unit_id == actor.unit_id;
                TaskRow {
                    kind: if incoming {
                        "referral_in"
                    } else {
                        "referral_out"
                    }
                    .into(),
                    id: row.id,
                    case_id: row.case_id,
                    case_code: row.case_code,
                    initials: row.initials,
                    service_code: row.service_code.unwrap_or_else(|| "takeover".into()),
                    due_on: row.due_on,
                    status: row.state,
                    overdue: row.overdue,
                    other_unit: Some(if incoming { row.from_unit } else { row.to_unit }),
                    link: format!("/referrals/{}", row.id),
                }
            })
            .collect();
        Ok(TasksView {
            services,
            services_total: total,
            services_overdue: overdue,
            referrals,
            referrals_total,
            page,
            per_page,
        })
    }

    /// Counts for the home page.
    pub async fn recovery_dashboard(&self, actor: &Actor, today: Day) -> Result<RecoveryDashboard> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let unit = actor.unit_id.0;
        let count = |sql: &'static str, day: bool| async move {
            let q = sqlx::query_scalar::<_, i64>(sql).bind(unit);
            let q = if day { q.bind(today) } else { q };
            q.fetch_one(self.pool()).await
        };
        let mut d = RecoveryDashboard {
            open_services: count(
                "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1",
                false,
            )
            .await?,
            overdue_services: count(
                "SELECT COUNT(*) FROM services WHERE unit_id = $1 AND is_open = 1 AND due_on < $2",
                true,
            )
            .await?,
            referrals_out_overdue: count(
                "SELECT COUNT(*) FROM referrals WHERE from_unit_id = $1 AND is_open = 1 AND state IN ('sent', 'accepted') AND due_on < $2",
                true,
            )
            .await?,
            ..Default::default()
        };
        if actor.role.sees_identities() {
            d.referrals_waiting = count(
                "SELECT COUNT(*) FROM referrals WHERE to_unit_id = $1 AND is_open = 1 AND state IN ('sent', 'accepted')",
                false,
            )
            .await?;
        }
        d.escalated_in_region = self.escalated_count(actor, today).await?;
        Ok(d)
    }

    /// Restitution and compensation per region below the actor (provinces for national
    /// users, regencies for a province, the unit's own region otherwise).
    pub async fn ledger_totals(&self, actor: &Actor, today: Day) -> Result<Vec<LedgerTotalRow>> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let (col, within) = match &actor.scope {
            Scope::National => ("c.province_code", None),
            Scope::Region(r) => ("c.regency_code", Some(r.clone())),
        };
        let mut q = crate::core::sql::Sql::new(&format!(
            "SELECT {col} AS region, l.victim_id, l.case_id, l.track, l.kind, l.amount, l.on_day FROM ledger_entries l \
             JOIN cases c ON c.id = l.case_id WHERE 1=1"
        ));
        if let Some(r) = &within {
            q.scope("c.region_code", &Scope::Region(r.clone()));
        }
        q.push(" ORDER BY l.victim_id, l.on_day, l.id");
        let rows = q.build().fetch_all(self.pool()).await?;
        let lines = ledger_lines(&rows)?;
        // Lines come ordered by victim: one group per victim.
        let mut by_region: std::collections::BTreeMap<String, LedgerTotalRow> = Default::default();
        for group in lines.chunk_by(|a, b| a.victim == b.victim) {
            let Some(first) = group.first() else { continue };
            let parts = LedgerParts::of(group.iter().map(as_line));
            let (final_on, _) = self.final_verdict(CaseId(first.case)).await?;
            let late = restitution_clock(final_on, parts.warned_on, &parts.restitution, today)
                .state
                .is_late();
            let region = first.region.clone().unwrap_or_default();
            let row = by_region
                .entry(region.clone())
                .or_insert_with(|| LedgerTotalRow {
                    region_code: region,
                    region_name: String::new(),
                    victims: 0,
                    restitution: LedgerSums::default(),
                    compensation: LedgerSums::default(),
                    restitution_gap: 0,
                    compensation_gap: 0,
                    late_clocks: 0,
                });
            row.victims += 1;
            row.restitution_gap += parts.restitution.outstanding_on(LedgerTrack::Restitution);
            row.compensation_gap += parts.compensation.outstanding_on(LedgerTrack::Compensation);
            row.restitution.add(&parts.restitution);
            row.compensation.add(&parts.compensation);
            row.late_clocks += late as i64;
        }
        let mut out: Vec<LedgerTotalRow> = by_region.into_values().collect();
        for row in &mut out {
            row.region_name =
                sqlx::query_scalar::<_, String>("SELECT name FROM regions WHERE code = $1")
                    .bind(row.region_code.clone())
                    .fetch_optional(self.pool())
                    .await?
                    .unwrap_or_default();
        }
        Ok(out)
    }
}
