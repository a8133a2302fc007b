//! Bodies and query parameters of the referrals API.

use crate::http::json::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ReferralIn {
    /// The receiving unit (any region, any agency; not the caller's own).
    pub to_unit: Option<i64>,
    /// service (default: deliver one service) or takeover (the follow-up moves to the receiver)
    pub kind: String,
    /// Required for kind service.
    pub service_code: String,
    /// What the receiver may see besides initials, sex and age: identity, contact, case_facts, services, legal
    pub shared: Vec<String>,
    /// consent (an active referral consent must be recorded) or a legal exception from the `referral_basis` picklist
    pub basis: String,
    /// Required (10+ characters) with a legal exception.
    pub basis_note: String,
    pub message: String,
    /// YYYY-MM-DD, default: today + the service's default days.
    pub due_on: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ReferralsQuery {
    /// incoming (default), outgoing, or escalated (overdue referrals touching the caller's region)
    pub which: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ReferralActionIn {
    /// accept, decline (reason required), deliver (receiver); withdraw (sender, while sent or accepted); close (either side, once delivered)
    pub op: String,
    pub reason: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    pub body: String,
}

/// A referral as the lists show it. The case's id and code and the victim's id are there
/// for the sending side only; the initials for the sending and receiving sides; overseers
/// (the task forces above, which see only overdue referrals) get none of them.
#[derive(Serialize, ToSchema)]
pub struct ReferralRowOut {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victim_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initials: Option<String>,
    pub from_unit_id: i64,
    pub from_unit: String,
    pub to_unit_id: i64,
    pub to_unit: String,
    /// service or takeover
    pub kind: String,
    pub service_code: Option<String>,
    /// sent, accepted, declined, delivered, closed or withdrawn
    pub state: String,
    pub sent_on: Date,
    pub due_on: Date,
    /// Still waiting on the receiver after its due day.
    pub overdue: bool,
    /// Days past the due day while still waiting (0 otherwise).
    pub days_overdue: i64,
    /// Escalated to the task force above.
    pub escalated: bool,
}

impl From<store::ReferralRow> for ReferralRowOut {
    fn from(r: store::ReferralRow) -> Self {
        ReferralRowOut {
            id: r.id,
            case_id: r.case_id.map(|c| c.0),
            case_code: r.case_code,
            victim_id: r.victim_id,
            initials: r.initials,
            from_unit_id: r.from_unit_id.0,
            from_unit: r.from_unit,
            to_unit_id: r.to_unit_id.0,
            to_unit: r.to_unit,
            kind: r.kind,
            service_code: r.service_code,
            state: r.state,
            sent_on: Date(r.sent_on),
            due_on: Date(r.due_on),
            overdue: r.overdue,
            days_overdue: r.days_overdue,
            escalated: r.escalated,
        }
    }
}

/// A service of the victim, as the receiver may see it (group `services`).
#[derive(Serialize, ToSchema)]
pub struct SharedServiceOut {
    pub service_code: String,
    pub status: String,
    pub unit_name: String,
    pub due_on: Date,
}

/// A stage of the legal track (group `legal`).
#[derive(Serialize, ToSchema)]
pub struct SharedStageOut {
    pub stage: String,
    pub day: Date,
}

/// What the receiving unit may see of the victim: always initials, sex, age and child
/// status; the rest only in the groups the sender shared (null or empty otherwise).
#[derive(Serialize, ToSchema)]
pub struct SharedVictimOut {
    pub initials: String,
    pub sex: String,
    pub age: Option<i64>,
    pub is_child: bool,
    pub name: Option<String>,
    pub nik: Option<String>,
    pub birth_date: Option<Date>,
    pub phone: Option<String>,
    pub home_village: Option<String>,
    pub home_village_name: Option<String>,
    pub exploitation: Vec<String>,
    pub sector: Option<String>,
    pub trafficking_status: Option<String>,
    pub reported_on: Option<Date>,
    pub rescued_on: Option<Date>,
    pub needs: Vec<String>,
    pub services: Vec<SharedServiceOut>,
    pub legal: Vec<SharedStageOut>,
}

impl From<store::SharedVictim> for SharedVictimOut {
    fn from(v: store::SharedVictim) -> Self {
        SharedVictimOut {
            initials: v.initials,
            sex: v.sex,
            age: v.age,
            is_child: v.is_child,
            name: v.name,
            nik: v.nik,
            birth_date: Date::opt(v.birth_date),
            phone: v.phone,
            home_village: v.home_village,
            home_village_name: v.home_village_name,
            exploitation: v.exploitation,
            sector: v.sector,
            trafficking_status: v.trafficking_status,
            reported_on: Date::opt(v.reported_on),
            rescued_on: Date::opt(v.rescued_on),
            needs: v.needs,
            services: v
                .services
                .into_iter()
                .map(|(service_code, status, unit_name, due)| SharedServiceOut {
                    service_code,
                    status,
                    unit_name,
                    due_on: Date(due),
                })
                .collect(),
            legal: v
                .legal
                .into_iter()
                .map(|(stage, day)| SharedStageOut {
                    stage,
                    day: Date(day),
                })
                .collect(),
        }
    }
}

/// A message of the referral's conversation (the body null without identity access).
#[derive(Serialize, ToSchema)]
pub struct MessageOut {
    pub unit_name: String,
    pub username: String,
    pub body: Option<String>,
    pub at_ms: i64,
}

/// One referral as the caller may see it: the fields of its list row at the top level, then
/// the caller's side, what was shared, the victim, the conversation and the operations.
/// Overseers get the row only (no ids, initials or case code): `shared` and `messages`
/// empty, `basis` and `victim` null.
#[derive(Serialize, ToSchema)]
pub struct ReferralOut {
    #[serde(flatten)]
    pub row: ReferralRowOut,
    /// sender, receiver or overseer
    pub side: String,
    /// The groups shared: identity, contact, case_facts, services, legal
    pub shared: Vec<String>,
    pub basis: Option<String>,
    pub basis_note: Option<String>,
    pub message: Option<String>,
    pub decline_reason: Option<String>,
    pub responded_on: Option<Date>,
    pub delivered_on: Option<Date>,
    pub ended_on: Option<Date>,
    /// The service the referral is about.
    pub service_id: Option<i64>,
    pub victim: Option<SharedVictimOut>,
    pub messages: Vec<MessageOut>,
    /// Operations the caller may do now.
    pub ops: Vec<String>,
    pub can_message: bool,
}

impl From<store::ReferralView> for ReferralOut {
    fn from(r: store::ReferralView) -> Self {
        use domain::recovery::ReferralSide;
        ReferralOut {
            row: r.row.into(),
            side: match r.side {
                ReferralSide::Sender => "sender",
                ReferralSide::Receiver => "receiver",
                ReferralSide::Overseer => "overseer",
            }
            .to_owned(),
            shared: r.shared,
            basis: r.basis,
            basis_note: r.basis_note,
            message: r.message,
            decline_reason: r.decline_reason,
            responded_on: Date::opt(r.responded_on),
            delivered_on: Date::opt(r.delivered_on),
            ended_on: Date::opt(r.ended_on),
            service_id: r.service_id,
            victim: r.victim.map(Into::into),
            messages: r
                .messages
                .into_iter()
                .map(|m| MessageOut {
                    unit_name: m.unit_name,
                    username: m.username,
                    body: m.body,
                    at_ms: m.at_ms,
                })
                .collect(),
            ops: r.ops,
            can_message: r.can_message,
        }
    }
}

/// The referral's state after an operation.
#[derive(Serialize, ToSchema)]
pub struct ReferralStateOut {
    /// sent, accepted, declined, delivered, closed or withdrawn
    pub state: String,
}
