//! Referrals (*rujukan*): one unit asks another (any region, any agency) to deliver a
//! service to a victim or to take over her follow-up. The victim's consent, or a recorded
//! legal exception, is required. The receiving unit sees that one victim, and only the field
//! groups the sender chose, while the referral is open (`domain::recovery::referral_side`).
//! Overdue referrals escalate to both units and to the task force of the region above.

mod actions;
mod read;
mod records;

use crate::core::access::{VictimCase, scope_of};
use crate::core::audit::Event;
use crate::core::ids::CaseId;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::case::Day;
use domain::notification::NotificationKind;
use domain::recovery::ReferralKind;
use domain::recovery::{
    ReferralFacts, ReferralOp, ReferralSide, ReferralState, ShareGroup, referral_may,
    referral_next, referral_side,
};
use domain::value::text;
use domain::{Action, Actor, Invalid, Scope, UnitId, decide};
use records::{ReferralFactsRecord, ReferralRowRecord};
use serde::Serialize;
use sqlx::AnyConnection;

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

/// A referral as listed. What it carries of the case and the victim depends on who reads
/// it (chosen in the SELECT, see [`row_select`]): the sending side gets the case's id and
/// code, the victim's id and initials; the receiving unit the initials only; overseers none.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralRow {
    pub id: i64,
    pub case_id: Option<CaseId>,
    pub case_code: Option<String>,
    pub victim_id: Option<i64>,
    pub initials: Option<String>,
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
    /// Days past the due day while work is still owed (0 otherwise).
    pub days_overdue: i64,
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

/// One referral as its reader may see it. Overseers get the row (units, kind, days, state)
/// and nothing else: no victim, basis, texts or conversation.
#[derive(Debug, Clone, Serialize)]
pub struct ReferralView {
    pub row: ReferralRow,
    pub side: ReferralSide,
    pub shared: Vec<String>,
    pub basis: Option<String>,
    pub basis_note: Option<String>,
    pub message: Option<String>,
    pub decline_reason: Option<String>,
    pub responded_on: Option<Day>,
    pub delivered_on: Option<Day>,
    pub ended_on: Option<Day>,
    pub service_id: Option<i64>,
    pub victim: Option<SharedVictim>,
    pub messages: Vec<MessageView>,
    /// Operations the actor may do now.
    pub ops: Vec<String>,
    pub can_message: bool,
}

/// The list row's SELECT for one side: the case and victim columns a side may not read are
/// never fetched (NULL in their place), so no page or API can show them by mistake.
fn row_select(side: ReferralSide) -> Sql {
    let who = match side {
        ReferralSide::Sender => "r.case_id, c.code AS case_code, r.victim_id, v.initials",
        ReferralSide::Receiver => {
            "CAST(NULL AS BIGINT) AS case_id, CAST(NULL AS TEXT) AS case_code, \
             CAST(NULL AS BIGINT) AS victim_id, v.initials"
        }
        ReferralSide::Overseer => {
            "CAST(NULL AS BIGINT) AS case_id, CAST(NULL AS TEXT) AS case_code, \
             CAST(NULL AS BIGINT) AS victim_id, CAST(NULL AS TEXT) AS initials"
        }
    };
    let mut q = Sql::new("SELECT r.id, ");
    q.push(who).push(
        ", r.from_unit_id, fu.name AS from_name, r.to_unit_id, tu.name AS to_name, r.kind, \
         r.service_code, r.state, r.sent_on, r.due_on, r.escalated_at \
         FROM referrals r JOIN cases c ON c.id = r.case_id JOIN victims v ON v.id = r.victim_id \
         JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id",
    );
    q
}

/// Overdue referrals the actor oversees, as [`referral_side`] decides it: the case in the
/// actor's region (every role sees the cases of its subtree), or either unit in a region
/// strictly below the actor's. Needs `cases c`, `units fu` and `units tu` joined.
fn escalated_filter(q: &mut Sql, actor: &Actor, today: Day) {
    q.push(" WHERE r.is_open = 1 AND r.state IN ('sent', 'accepted') AND r.due_on < ")
        .bind_int(today);
    if let Scope::Region(code) = &actor.scope {
        let (lo, hi) = code.subtree_bounds();
        let own = code.as_str().to_owned();
        q.push(" AND ((c.region_code >= ").bind_text(lo.clone());
        q.push(" AND c.region_code < ").bind_text(hi.clone());
        for unit in ["fu", "tu"] {
            q.push(") OR (").push(unit).push(".region_code >= ");
            q.bind_text(lo.clone());
            q.push(" AND ").push(unit).push(".region_code < ");
            q.bind_text(hi.clone());
            q.push(" AND ").push(unit).push(".region_code <> ");
            q.bind_text(own.clone());
        }
        q.push("))");
    }
}

impl Store {
    /// How many referrals are overdue in the actor's region (the home page's figure).
    pub(crate) async fn escalated_count(&self, actor: &Actor, today: Day) -> Result<i64> {
        let mut q = Sql::new(
            "SELECT COUNT(*) AS n FROM referrals r JOIN cases c ON c.id = r.case_id \
             JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id",
        );
        escalated_filter(&mut q, actor, today);
        Ok(q.build_scalar().fetch_one(self.pool()).await?)
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
        let allowed = self.allow(actor, Action::ManageServices, &vc.scope)?;
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
        let kind = ReferralKind::parse(&n.kind);
        if kind.is_none() {
            errs.push("kind", "err.choice");
        }
        let ty = types.iter().find(|t| t.code == n.service_code.trim());
        if kind.is_some_and(ReferralKind::needs_service) && ty.is_none() {
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
            if n.basis_note.trim().chars().count() < text::REASON_MIN {
                errs.push("basis_note", "err.basis_note");
            }
        } else {
            errs.push("basis", "err.choice");
        }
        text::MESSAGE.check(&mut errs, "message", &n.message);
        text::NOTE.check(&mut errs, "basis_note", &n.basis_note);
        if n.due_on.is_some_and(|d| d < today) {
            errs.push("due_on", "err.due_past");
        }
        errs.into_result(())?;
        let (Some(to_unit), Some(kind)) = (n.to_unit, kind) else {
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
        let now = self.now_ms();
        let service_code = kind
            .needs_service()
            .then(|| n.service_code.trim().to_owned());
        let mut tx = self.write(allowed).await?;
        self.lock_victim(&mut tx, victim).await?;
        Self::plan_open_in(&mut tx, victim).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO referrals (case_id, victim_id, from_unit_id, to_unit_id, kind, service_code, shared, basis, consent_id, basis_note_enc, message_enc, \
             state, is_open, sent_on, due_on, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $14, $15, $16, $16) RETURNING id",
        )
        .bind(vc.case_id.0)
        .bind(victim)
        .bind(actor.unit_id.0)
        .bind(to_unit)
        .bind(kind.as_str())
        .bind(service_code.clone())
        .bind(ShareGroup::join(&groups))
        .bind(basis.to_owned())
        .bind(consent_id)
        .bind(enc("referrals.basis_note", &n.basis_note)?)
        .bind(enc("referrals.message", &n.message)?)
        .bind(ReferralState::Sent.as_str())
        .bind(today)
        .bind(due)
        .bind(actor.username.clone())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.audit(Event {
                action: AuditAction::ReferralSend,
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
        self.notify_unit(
            &mut tx,
            to_unit,
            NotificationKind::ReferralReceived,
            &format!("/referrals/{id}"),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Who sent and receives a referral, its state, the scopes of case and units, and
    /// whether it is overdue on `today` (the actor's day).
    pub(crate) async fn referral_facts(&self, id: i64, today: Day) -> Result<ReferralFacts> {
        let r: ReferralFactsRecord = sqlx::query_as(
            "SELECT r.from_unit_id, r.to_unit_id, r.state, r.due_on, c.region_code, fu.region_code AS from_region, tu.region_code AS to_region \
             FROM referrals r JOIN cases c ON c.id = r.case_id JOIN units fu ON fu.id = r.from_unit_id JOIN units tu ON tu.id = r.to_unit_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let state = ReferralState::parse(&r.state).ok_or(StoreError::NotFound)?;
        Ok(ReferralFacts {
            from_unit: UnitId(r.from_unit_id),
            to_unit: UnitId(r.to_unit_id),
            state,
            overdue: state.days_overdue(r.due_on, today) > 0,
            case_scope: scope_of(r.region_code),
            from_scope: scope_of(r.from_region),
            to_scope: scope_of(r.to_region),
        })
    }
}
