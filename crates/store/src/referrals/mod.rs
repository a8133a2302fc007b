//! Referrals (*rujukan*): one unit asks another (any region, any agency) to deliver a
//! service to a victim or to take over her follow-up. The victim's consent, or a recorded
//! legal exception, is required. The receiving unit sees that one victim, and only the field
//! groups the sender chose, while the referral is open (`domain::recovery::referral_side`).
//! Overdue referrals escalate to both units and to the task force of the region above.

use crate::core::access::{VictimCase, scope_of};
use crate::core::audit::{Event, append};
use crate::core::ids::CaseId;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::recovery::{
    ReferralFacts, ReferralOp, ReferralSide, ReferralState, ShareGroup, referral_may,
    referral_next, referral_side,
};
use domain::{Action, Actor, Invalid, Scope, UnitId, decide};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Default)]
pub struct NewReferral {
    pub to_unit: Option<i64>,
    /// `service` (deliver one service) or `takeover` (the follow-up moves to the receiver).
    pub kind: String,
    pub service_code: String,
    pub shared: Vec<String>,
    /// `consent` or a legal exception from the `referral_basis` picklist.
    pub basis: String,
    pub basis_note: String,
    pub message: String,
    pub due_on: Option<Day>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferralRow {
    pub id: i64,
    pub case_id: CaseId,
    pub case_code: String,
    pub victim_id: i64,
    pub initials: String,
    pub from_unit_id: UnitId,
    pub from_unit: String,
    pub to_unit_id: UnitId,
    pub to_unit: String,
    pub kind: String,
    pub service_code: Option<String>,
    pub state: String,
    pub sent_on: Day,
    pub due_on: Day,
    pub overdue: bool,
    pub escalated: bool,
}

/// What the receiving unit may see of the victim: always initials, sex, age and child
/// status; the rest only in the groups the sender shared.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SharedVictim {
    pub initials: String,
    pub sex: String,
    pub age: Option<i64>,
    pub is_child: bool,
    pub name: Option<String>,
    pub nik: Option<String>,
    pub birth_date: Option<Day>,
    pub phone: Option<String>,
    pub home_village: Option<String>,
    pub home_village_name: Option<String>,
    pub exploitation: Vec<String>,
    pub sector: Option<String>,
    pub trafficking_status: Option<String>,
    pub reported_on: Option<Day>,
    pub rescued_on: Option<Day>,
    pub needs: Vec<String>,
    /// (service code, status, unit name, due day)
    pub services: Vec<(String, String, String, Day)>,
    /// (stage, day)
    pub legal: Vec<(String, Day)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub unit_name: String,
    pub username: String,
    pub body: Option<String>,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReferralView {
    pub row: ReferralRow,
    pub side: ReferralSide,
    pub shared: Vec<String>,
    pub basis: String,
    pub basis_note: Option<String>,
    pub message: Option<String>,
    pub decline_reason: Option<String>,
    pub responded_on: Option<Day>,
    pub delivered_on: Option<Day>,
    pub ended_on: Option<Day>,
    pub service_id: Option<i64>,
    pub victim: SharedVictim,
    pub messages: Vec<MessageView>,
    /// Operations the actor may do now.
    pub ops: Vec<String>,
    pub can_message: bool,
}

const ROW_SELECT: &str = "SELECT r.id, r.case_id, c.code AS case_code, r.victim_id, v.initials, r.from_unit_id, fu.name AS from_name, \
     r.to_unit_id, tu.name AS to_name, r.kind, r.service_code, r.state, r.sent_on, r.due_on, r.escalated_at \
     FROM referrals r JOIN cases c ON c.id = r.case_id JOIN victims v ON v.id = r.victim_id \
     JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id";

fn row_from(r: &sqlx::any::AnyRow, today: Day) -> Result<ReferralRow> {
    let state: String = r.try_get("state")?;
    let due: Day = r.try_get("due_on")?;
    let pending = ReferralState::parse(&state).is_some_and(ReferralState::is_pending);
    Ok(ReferralRow {
        id: r.try_get("id")?,
        case_id: CaseId(r.try_get("case_id")?),
        case_code: r.try_get("case_code")?,
        victim_id: r.try_get("victim_id")?,
        initials: r.try_get("initials")?,
        from_unit_id: UnitId(r.try_get("from_unit_id")?),
        from_unit: r.try_get("from_name")?,
        to_unit_id: UnitId(r.try_get("to_unit_id")?),
        to_unit: r.try_get("to_name")?,
        kind: r.try_get("kind")?,
        service_code: r.try_get("service_code")?,
        state,
        sent_on: r.try_get("sent_on")?,
        due_on: due,
        overdue: pending && due < today,
        escalated: r.try_get::<Option<i64>, _>("escalated_at")?.is_some(),
    })
}

/// Open referrals past their due day that involve a unit in the actor's region (`fu`/`tu`:
/// the sending and receiving units).
fn escalated_filter(q: &mut Sql, actor: &Actor, today: Day) {
    q.push(" WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND r.due_on < ")
        .bind_int(today);
    if let Scope::Region(code) = &actor.scope {
        let (lo, hi) = code.subtree_bounds();
        q.push(" AND ((fu.region_code >= ").bind_text(lo.clone());
        q.push(" AND fu.region_code < ").bind_text(hi.clone());
        q.push(") OR (tu.region_code >= ").bind_text(lo);
        q.push(" AND tu.region_code < ").bind_text(hi);
        q.push("))");
    }
}

impl Store {
    /// How many referrals are overdue in the actor's region (the home page's figure).
    pub(crate) async fn escalated_count(&self, actor: &Actor, today: Day) -> Result<i64> {
        let mut q = Sql::new(
            "SELECT COUNT(*) AS n FROM referrals r JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id",
        );
        escalated_filter(&mut q, actor, today);
        Ok(q.build().fetch_one(self.pool()).await?.try_get("n")?)
    }

    /// Sends a referral. Refused (with field messages) when the unit does not exist, when
    /// there is no active referral consent and no legal exception is given, or when the
    /// service is unknown.
    pub async fn send_referral(
        &self,
        actor: &Actor,
        victim: i64,
        n: &NewReferral,
        today: Day,
    ) -> Result<i64> {
        let vc = self.victim_case(victim).await?;
        decide(actor, Action::ViewCase, &vc.scope)?;
        decide(actor, Action::ManageServices, &vc.scope)?;
        self.check_plan_open(victim).await?;
        let p = self.picklists().await?;
        let types = self.service_types().await?;
        let mut errs = Invalid::default();
        match n.to_unit {
            None => errs.push("to_unit", "err.required"),
            Some(u) if self.unit_scope(u).await?.is_none() => {
                errs.push("to_unit", "err.unit_unknown")
            }
            Some(u) if u == actor.unit_id.0 => errs.push("to_unit", "err.refer_self"),
            _ => {}
        }
        let kind = n.kind.trim();
        if !matches!(kind, "service" | "takeover") {
            errs.push("kind", "err.choice");
        }
        let ty = types.iter().find(|t| t.code == n.service_code.trim());
        if kind == "service" && ty.is_none() {
            errs.push("service_code", "err.choice");
        }
        let mut groups = Vec::new();
        for g in &n.shared {
            match ShareGroup::parse(g) {
                Some(g) => groups.push(g),
                None => errs.push("shared", "err.choice"),
            }
        }
        // Sharing identity or contact needs identity access to the case.
        if groups
            .iter()
            .any(|g| matches!(g, ShareGroup::Identity | ShareGroup::Contact))
            && self
                .identity_access(actor, vc.case_id, vc.owner, &vc.scope)
                .await?
                != crate::core::access::IdentityAccess::Granted
        {
            errs.push("shared", "err.share_identity");
        }
        let basis = n.basis.trim();
        let mut consent_id = None;
        if basis == "consent" {
            consent_id = sqlx::query_scalar::<_, i64>(
                "SELECT id FROM consents WHERE victim_id = $1 AND scope = 'referral' AND withdrawn_on IS NULL ORDER BY given_on DESC, id DESC",
            )
            .bind(victim)
            .fetch_optional(self.pool())
            .await?;
            if consent_id.is_none() {
                errs.push("basis", "err.referral_consent");
            }
        } else if p.has("referral_basis", basis) {
            if n.basis_note.trim().chars().count() < 10 {
                errs.push("basis_note", "err.basis_note");
            }
        } else {
            errs.push("basis", "err.choice");
        }
        if n.message.chars().count() > 4000 || n.basis_note.chars().count() > 2000 {
            errs.push("message", "err.too_long");
        }
        if n.due_on.is_some_and(|d| d < today) {
            errs.push("due_on", "err.due_past");
        }
        errs.into_result(())?;
        let Some(to_unit) = n.to_unit else {
            return Err(StoreError::NotFound);
        };
        let due = n
            .due_on
            .unwrap_or(today + ty.map(|t| t.default_days).unwrap_or(7));
        let k = self.keyring()?;
        let enc = |col: &str, s: &str| -> Result<Option<String>> {
            let s = s.trim();
            if s.is_empty() {
                Ok(None)
            } else {
                Ok(Some(k.encrypt(col, s)?))
            }
        };
        let now = crate::now_ms();
        let service_code = (kind == "service").then(|| n.service_code.trim().to_owned());
        let mut tx = self.begin_write().await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO referrals (case_id, victim_id, from_unit_id, to_unit_id, kind, service_code, shared, basis, consent_id, basis_note_enc, message_enc, \
             state, is_open, sent_on, due_on, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'sent', 1, $12, $13, $14, $15, $15) RETURNING id",
        )
        .bind(vc.case_id.0)
        .bind(victim)
        .bind(actor.unit_id.0)
        .bind(to_unit)
        .bind(kind.to_owned())
        .bind(service_code.clone())
        .bind(ShareGroup::join(&groups))
        .bind(basis.to_owned())
        .bind(consent_id)
        .bind(enc("referrals.basis_note", &n.basis_note)?)
        .bind(enc("referrals.message", &n.message)?)
        .bind(today)
        .bind(due)
        .bind(actor.username.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "referral.send",
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!(
                    "referral={id} victim={victim} to_unit={to_unit} kind={kind} service={} shared={} basis={basis} due={due}",
                    service_code.as_deref().unwrap_or("-"),
                    ShareGroup::join(&groups)
                ),
            },
        )
        .await?;
        Self::notify_unit(
            &mut tx,
            to_unit,
            "referral_received",
            &format!("/referrals/{id}"),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// One referral, as the actor may see it. The receiving unit's view is audited as a
    /// view of the victim's data; after the referral ends it is "not found".
    pub async fn referral(&self, actor: &Actor, id: i64, today: Day) -> Result<ReferralView> {
        let facts = self.referral_facts(id).await?;
        let side = referral_side(actor, &facts)?;
        let mut q = Sql::new(ROW_SELECT);
        q.push(" WHERE r.id = ").bind_int(id);
        let r = q
            .build()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let row = row_from(&r, today)?;
        let extra = sqlx::query("SELECT * FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let victim_id = row.victim_id;
        let vc = self.victim_case(victim_id).await?;
        let shared_s: String = extra.try_get("shared")?;
        let groups = ShareGroup::parse_list(&shared_s);
        // The receiving unit reads what was shared with it; the sending side only with
        // identity access to the case (else it sees what an overseer sees); overseers read
        // the referral's existence and state, never its texts or the victim's data.
        let texts = match side {
            ReferralSide::Receiver => true,
            ReferralSide::Sender => {
                self.identity_access(actor, vc.case_id, vc.owner, &vc.scope)
                    .await?
                    == crate::core::access::IdentityAccess::Granted
            }
            ReferralSide::Overseer => false,
        };
        let k = self.keyring()?;
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match v {
                Some(v) if texts => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let victim = if texts {
            self.shared_victim(row.victim_id, &vc, &groups).await?
        } else {
            SharedVictim {
                initials: row.initials.clone(),
                ..Default::default()
            }
        };
        let mut messages = Vec::new();
        for m in sqlx::query(
            "SELECT m.username, m.body_enc, m.created_at, n.name FROM referral_messages m JOIN units n ON n.id = m.unit_id \
             WHERE m.referral_id = $1 ORDER BY m.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        {
            messages.push(MessageView {
                unit_name: m.try_get("name")?,
                username: m.try_get("username")?,
                body: dec("referral_messages.body", m.try_get("body_enc")?)?,
                at_ms: m.try_get("created_at")?,
            });
        }
        let ops = ReferralOp::ALL
            .into_iter()
            .filter(|op| {
                referral_may(side, *op).is_ok() && referral_next(facts.state, *op).is_some()
            })
            .map(|op| op.as_str().to_owned())
            .collect();
        let mut view = ReferralView {
            shared: groups.iter().map(|g| g.as_str().to_owned()).collect(),
            basis: extra.try_get("basis")?,
            basis_note: dec("referrals.basis_note", extra.try_get("basis_note_enc")?)?,
            message: dec("referrals.message", extra.try_get("message_enc")?)?,
            decline_reason: dec(
                "referrals.decline_reason",
                extra.try_get("decline_reason_enc")?,
            )?,
            responded_on: extra.try_get("responded_on")?,
            delivered_on: extra.try_get("delivered_on")?,
            ended_on: extra.try_get("ended_on")?,
            service_id: extra.try_get("service_id")?,
            victim,
            messages,
            ops,
            can_message: side != ReferralSide::Overseer && facts.state.is_open(),
            side,
            row,
        };
        let action = if texts && groups.contains(&ShareGroup::Identity) {
            "referral.identity_view"
        } else {
            "referral.view"
        };
        if side == ReferralSide::Receiver {
            // The receiving unit knows the victim through this referral only: not the case's
            // code or ids.
            view.row.case_id = CaseId(0);
            view.row.case_code = String::new();
            view.row.victim_id = 0;
        }
        self.audit(
            actor,
            Event {
                action,
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("referral={id} victim={victim_id} shared={shared_s}"),
            },
        )
        .await?;
        Ok(view)
    }

    async fn shared_victim(
        &self,
        victim: i64,
        vc: &VictimCase,
        groups: &[ShareGroup],
    ) -> Result<SharedVictim> {
        let v = sqlx::query("SELECT * FROM victims WHERE id = $1")
            .bind(victim)
            .fetch_one(self.pool())
            .await?;
        let k = self.keyring()?;
        let dec = |col: &str, s: Option<String>| -> Result<Option<String>> {
            s.map(|s| k.decrypt(col, &s)).transpose()
        };
        let birth: Option<Day> = v.try_get("birth_date")?;
        let age = v.try_get::<Option<i64>, _>("age_estimate")?.or_else(|| {
            birth.map(|b| (crate::now_ms().div_euclid(86_400_000) - b).div_euclid(365))
        });
        let mut out = SharedVictim {
            initials: v.try_get("initials")?,
            sex: v.try_get("sex")?,
            age,
            is_child: v.try_get::<i64, _>("is_child")? != 0,
            ..Default::default()
        };
        if groups.contains(&ShareGroup::Identity) {
            out.name = dec("victims.name", v.try_get("name_enc")?)?;
            out.nik = dec("victims.nik", v.try_get("nik_enc")?)?;
            out.birth_date = birth;
        }
        if groups.contains(&ShareGroup::Contact) {
            out.phone = dec("victims.phone", v.try_get("phone_enc")?)?;
            let village: Option<String> = v.try_get("home_village")?;
            if let Some(code) = &village {
                out.home_village_name =
                    sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
                        .bind(code.clone())
                        .fetch_optional(self.pool())
                        .await?;
            }
            out.home_village = village;
        }
        if groups.contains(&ShareGroup::CaseFacts) {
            let c = sqlx::query(
                "SELECT sector, trafficking_status, reported_on, rescued_on FROM cases WHERE id = $1",
            )
            .bind(vc.case_id.0)
            .fetch_one(self.pool())
            .await?;
            out.sector = c.try_get("sector")?;
            out.trafficking_status = c.try_get("trafficking_status")?;
            out.reported_on = c.try_get("reported_on")?;
            out.rescued_on = c.try_get("rescued_on")?;
            out.exploitation = sqlx::query_scalar(
                "SELECT code FROM case_tags WHERE case_id = $1 AND list = 'exploitation' ORDER BY code",
            )
            .bind(vc.case_id.0)
            .fetch_all(self.pool())
            .await?;
        }
        if groups.contains(&ShareGroup::Services) {
            out.needs = sqlx::query_scalar(
                "SELECT service_code FROM victim_needs WHERE victim_id = $1 ORDER BY id",
            )
            .bind(victim)
            .fetch_all(self.pool())
            .await?;
            for r in sqlx::query(
                "SELECT s.service_code, s.status, s.due_on, n.name FROM services s JOIN units n ON n.id = s.unit_id \
                 WHERE s.victim_id = $1 ORDER BY s.requested_on, s.id",
            )
            .bind(victim)
            .fetch_all(self.pool())
            .await?
            {
                out.services.push((
                    r.try_get("service_code")?,
                    r.try_get("status")?,
                    r.try_get("name")?,
                    r.try_get("due_on")?,
                ));
            }
        }
        if groups.contains(&ShareGroup::Legal) {
            for r in sqlx::query(
                "SELECT stage, happened FROM legal_stages WHERE case_id = $1 ORDER BY happened, id",
            )
            .bind(vc.case_id.0)
            .fetch_all(self.pool())
            .await?
            {
                out.legal
                    .push((r.try_get("stage")?, r.try_get("happened")?));
            }
        }
        Ok(out)
    }

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
        let facts = self.referral_facts(id).await?;
        let side = referral_side(actor, &facts)?;
        let Some(op) = ReferralOp::parse(op) else {
            return Err(Invalid::one("op", "err.choice").into());
        };
        referral_may(side, op)?;
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
        let r = sqlx::query("SELECT * FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let victim: i64 = r.try_get("victim_id")?;
        let vc = self.victim_case(victim).await?;
        let kind: String = r.try_get("kind")?;
        let service_code: Option<String> = r.try_get("service_code")?;
        let due: Day = r.try_get("due_on")?;
        let service_id: Option<i64> = r.try_get("service_id")?;
        let reason_enc = Some(reason.trim())
            .filter(|s| !s.is_empty())
            .map(|s| self.keyring()?.encrypt("referrals.decline_reason", s))
            .transpose()?;
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
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
                if let (Some(code), "service") = (&service_code, kind.as_str()) {
                    let sid = Self::insert_service(
                        &mut tx,
                        actor,
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
                        "UPDATE services SET status = 'delivered', is_open = 0, done_on = COALESCE(done_on, $1), updated_at = $2 WHERE id = $3 AND is_open = 1",
                    )
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
            }
            ReferralOp::Decline | ReferralOp::Close => {}
        }
        append(
            &mut tx,
            actor,
            Event {
                action: match op {
                    ReferralOp::Accept => "referral.accept",
                    ReferralOp::Decline => "referral.decline",
                    ReferralOp::Deliver => "referral.deliver",
                    ReferralOp::Close => "referral.close",
                    ReferralOp::Withdraw => "referral.withdraw",
                },
                record_type: "case",
                record_id: vc.case_id.to_string(),
                detail: format!("referral={id} victim={victim} state={}", next.as_str()),
            },
        )
        .await?;
        let other = if side == ReferralSide::Receiver {
            facts.from_unit
        } else {
            facts.to_unit
        };
        let kind = format!("referral_{}", next.as_str());
        Self::notify_unit(&mut tx, other.0, &kind, &format!("/referrals/{id}"), actor).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Every open service that came with a referral stops (not possible, with the reason).
    async fn stop_referral_services(
        &self,
        conn: &mut AnyConnection,
        referral: i64,
        reason: &str,
        today: Day,
    ) -> Result<()> {
        let why = self.keyring()?.encrypt("services.reason", reason)?;
        sqlx::query(
            "UPDATE services SET status = 'not_possible', is_open = 0, reason_enc = $1, done_on = $2, updated_at = $3 \
             WHERE referral_id = $4 AND is_open = 1",
        )
        .bind(why)
        .bind(today)
        .bind(crate::now_ms())
        .bind(referral)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// A withdrawn consent ends the referrals made on it: withdrawn, their open services
    /// stopped, the receiving units told. Runs in the caller's transaction.
    pub(crate) async fn end_referrals_of_consent(
        &self,
        conn: &mut AnyConnection,
        actor: &Actor,
        consent: i64,
        today: Day,
    ) -> Result<usize> {
        let rows = sqlx::query(
            "SELECT id, case_id, to_unit_id FROM referrals WHERE consent_id = $1 AND is_open = 1",
        )
        .bind(consent)
        .fetch_all(&mut *conn)
        .await?;
        let now = crate::now_ms();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            let case: i64 = r.try_get("case_id")?;
            sqlx::query(
                "UPDATE referrals SET state = 'withdrawn', is_open = 0, ended_on = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(today)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            self.stop_referral_services(
                conn,
                id,
                "persetujuan korban dicabut / consent withdrawn",
                today,
            )
            .await?;
            append(
                conn,
                actor,
                Event {
                    action: "referral.withdraw",
                    record_type: "case",
                    record_id: case.to_string(),
                    detail: format!("referral={id} state=withdrawn reason=consent_withdrawn"),
                },
            )
            .await?;
            Self::notify_unit(
                conn,
                r.try_get("to_unit_id")?,
                "referral_withdrawn",
                &format!("/referrals/{id}"),
                actor,
            )
            .await?;
        }
        Ok(rows.len())
    }

    /// Adds a message to the referral's conversation (both sides, while it is open).
    pub async fn post_referral_message(&self, actor: &Actor, id: i64, body: &str) -> Result<()> {
        let facts = self.referral_facts(id).await?;
        let side = referral_side(actor, &facts)?;
        if side == ReferralSide::Overseer {
            return Err(StoreError::Forbidden);
        }
        if !facts.state.is_open() {
            return Err(StoreError::Conflict("conflict.referral_state"));
        }
        let body = body.trim();
        if body.is_empty() {
            return Err(Invalid::one("body", "err.required").into());
        }
        if body.chars().count() > 4000 {
            return Err(Invalid::one("body", "err.too_long").into());
        }
        let enc = self.keyring()?.encrypt("referral_messages.body", body)?;
        let case: i64 = sqlx::query_scalar("SELECT case_id FROM referrals WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO referral_messages (referral_id, unit_id, username, body_enc, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(actor.unit_id.0)
        .bind(actor.username.clone())
        .bind(enc)
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "referral.message",
                record_type: "case",
                record_id: case.to_string(),
                detail: format!("referral={id}"),
            },
        )
        .await?;
        let other = if side == ReferralSide::Receiver {
            facts.from_unit
        } else {
            facts.to_unit
        };
        Self::notify_unit(
            &mut tx,
            other.0,
            "referral_message",
            &format!("/referrals/{id}"),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn referral_rows_of_victim(
        &self,
        victim: i64,
        today: Day,
    ) -> Result<Vec<ReferralRow>> {
        let mut q = Sql::new(ROW_SELECT);
        q.push(" WHERE r.victim_id = ").bind_int(victim);
        q.push(" ORDER BY r.id");
        q.build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| row_from(r, today))
            .collect()
    }

    /// Referrals of the actor's unit: `incoming`, `outgoing` (both: open ones first, then the
    /// last 100 ended), or `escalated` (overdue referrals touching a unit in the actor's
    /// region, for the task force above).
    pub async fn referral_list(
        &self,
        actor: &Actor,
        which: &str,
        today: Day,
    ) -> Result<Vec<ReferralRow>> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = Sql::new(ROW_SELECT);
        match which {
            "incoming" => {
                if !actor.role.sees_identities() {
                    return Ok(Vec::new());
                }
                // Ended referrals are gone for the receiving unit.
                q.push(" WHERE r.is_open = 1 AND r.to_unit_id = ")
                    .bind_int(actor.unit_id.0);
            }
            "outgoing" => {
                q.push(" WHERE r.from_unit_id = ").bind_int(actor.unit_id.0);
            }
            "escalated" => escalated_filter(&mut q, actor, today),
            _ => return Err(Invalid::one("which", "err.choice").into()),
        }
        q.push(" ORDER BY r.is_open DESC, r.due_on, r.id LIMIT 300");
        q.build()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| row_from(r, today))
            .collect()
    }

    /// Referrals for "my tasks": waiting on my unit (to answer or deliver), and mine that are
    /// overdue at the other unit.
    pub(crate) async fn referral_tasks(
        &self,
        actor: &Actor,
        today: Day,
    ) -> Result<(Vec<ReferralRow>, i64)> {
        // Incoming referrals only for roles that may open them.
        let filter = |q: &mut Sql| {
            q.push(" WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND (");
            if actor.role.sees_identities() {
                q.push("r.to_unit_id = ").bind_int(actor.unit_id.0);
                q.push(" OR ");
            }
            q.push("(r.from_unit_id = ").bind_int(actor.unit_id.0);
            q.push(" AND r.due_on < ").bind_int(today);
            q.push("))");
        };
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM referrals r");
        filter(&mut count);
        let total: i64 = count.build().fetch_one(self.pool()).await?.try_get("n")?;
        // The first 50, most overdue first; the rest are on the referrals page.
        let mut q = Sql::new(ROW_SELECT);
        filter(&mut q);
        q.push(" ORDER BY r.due_on, r.id LIMIT 50");
        let rows = q.build().fetch_all(self.pool()).await?;
        let out = rows
            .iter()
            .map(|r| row_from(r, today))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, total))
    }

    /// Who sent and receives a referral, its state, and the scopes of case and units.
    pub(crate) async fn referral_facts(&self, id: i64) -> Result<ReferralFacts> {
        let r = sqlx::query(
            "SELECT r.from_unit_id, r.to_unit_id, r.state, c.region_code, fu.region_code AS from_region, tu.region_code AS to_region \
             FROM referrals r JOIN cases c ON c.id = r.case_id JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let region: Option<String> = r.try_get("region_code")?;
        let state: String = r.try_get("state")?;
        Ok(ReferralFacts {
            from_unit: UnitId(r.try_get("from_unit_id")?),
            to_unit: UnitId(r.try_get("to_unit_id")?),
            state: ReferralState::parse(&state).ok_or(StoreError::NotFound)?,
            case_scope: scope_of(region),
            from_scope: scope_of(r.try_get("from_region")?),
            to_scope: scope_of(r.try_get("to_region")?),
        })
    }

    /// Marks overdue referrals as escalated and notifies both units and the task force(s)
    /// of the region above each. Idempotent: each referral escalates once.
    pub async fn escalate_overdue(&self, today: Day) -> Result<usize> {
        let rows = sqlx::query(
            "SELECT r.id, r.case_id, r.from_unit_id, r.to_unit_id, fu.region_code AS from_region, tu.region_code AS to_region \
             FROM referrals r JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id \
             WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND r.due_on < $1 AND r.escalated_at IS NULL ORDER BY r.id LIMIT 1000",
        )
        .bind(today)
        .fetch_all(self.pool())
        .await?;
        let system = Actor::system(UnitId(1));
        let mut done = 0;
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let case: i64 = r.try_get("case_id")?;
            let mut units: Vec<i64> = vec![r.try_get("from_unit_id")?, r.try_get("to_unit_id")?];
            for col in ["from_region", "to_region"] {
                let region: Option<String> = r.try_get(col)?;
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
            let mut tx = self.begin_write().await?;
            let n = sqlx::query(
                "UPDATE referrals SET escalated_at = $1 WHERE id = $2 AND escalated_at IS NULL",
            )
            .bind(crate::now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if n.rows_affected() == 0 {
                continue;
            }
            for u in &units {
                Self::notify_unit(
                    &mut tx,
                    *u,
                    "referral_overdue",
                    &format!("/referrals/{id}"),
                    &system,
                )
                .await?;
            }
            append(
                &mut tx,
                &system,
                Event {
                    action: "referral.escalate",
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
                },
            )
            .await?;
            tx.commit().await?;
            done += 1;
        }
        Ok(done)
    }
}
