//! Request bodies and query parameters of the recovery API (plans, services, evidence,
//! closure, ledger, tasks) and the bodies it answers with.

use crate::http::json::Date;
use crate::referrals::dto::ReferralRowOut;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NeedsIn {
    /// Service codes (see GET /api/v1/service-types); codes already assessed are kept.
    pub needs: Vec<String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ExplanationIn {
    /// Why the need will not be met; empty clears the explanation.
    pub explanation: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ServiceUpdateIn {
    /// planned, in_progress, delivered, refused or not_possible
    pub status: String,
    /// Required for refused and not_possible.
    pub reason: String,
    pub outcome: String,
    /// YYYY-MM-DD, default today when the service ends.
    pub done_on: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct EvidenceQuery {
    /// The file's name, kept for the download (path and control characters are dropped).
    /// Prefer the `X-File-Name` header (percent-encoded UTF-8): proxies log query strings,
    /// and a file name can name a person.
    pub filename: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// YYYY-MM-DD: the reintegration follow-up (required, not in the future).
    pub followup_on: String,
    pub note: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct LedgerIn {
    /// restitution or compensation
    pub track: String,
    /// assessment, demand, award, deposit, payment, warning or seizure
    pub kind: String,
    /// Whole rupiah (ignored for a warning).
    pub amount: Option<i64>,
    /// YYYY-MM-DD, not in the future.
    pub on_day: String,
    pub note: String,
    /// Confirms a payment above what is outstanding.
    pub confirm: bool,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct TasksQuery {
    /// 1-based page of the services (50 a page).
    pub page: Option<i64>,
}

/// A victim's new status code and PIN, for her slip.
#[derive(Serialize, ToSchema)]
pub struct StatusCodeOut {
    /// `ABCD-EFGH-JKLM`
    pub code: String,
    /// Six digits.
    pub pin: String,
    pub issued_at_ms: i64,
}

/// A type of service in the catalogue.
#[derive(Serialize, ToSchema)]
pub struct ServiceTypeOut {
    pub code: String,
    pub label_id: String,
    pub label_en: String,
    /// Days to deliver, by default.
    pub default_days: i64,
    /// Owed by law within 7 days of a request (UU 21/2007 Ps. 51–52).
    pub statutory: bool,
}

impl From<store::ServiceType> for ServiceTypeOut {
    fn from(t: store::ServiceType) -> Self {
        ServiceTypeOut {
            code: t.code,
            label_id: t.label_id,
            label_en: t.label_en,
            default_days: t.default_days,
            statutory: t.statutory,
        }
    }
}

/// An assessed need.
#[derive(Serialize, ToSchema)]
pub struct NeedOut {
    pub id: i64,
    pub service_code: String,
    pub assessed_on: Date,
    /// Why the need will not be met (null without identity access).
    pub explanation: Option<String>,
    pub explained: bool,
    pub met: bool,
}

/// An evidence file of a service (download it from GET /api/v1/evidence/{id}).
#[derive(Serialize, ToSchema)]
pub struct EvidenceOut {
    pub id: i64,
    pub filename: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub at_ms: i64,
}

/// A service of the plan.
#[derive(Serialize, ToSchema)]
pub struct ServiceOut {
    pub id: i64,
    pub victim_id: i64,
    pub service_code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub requested_on: Date,
    pub due_on: Date,
    /// planned, in_progress, delivered, refused or not_possible
    pub status: String,
    /// Null without identity access.
    pub reason: Option<String>,
    /// Null without identity access.
    pub outcome: Option<String>,
    pub done_on: Option<Date>,
    /// The referral the service belongs to.
    pub referral_id: Option<i64>,
    pub overdue: bool,
    pub evidence: Vec<EvidenceOut>,
}

/// A line of the restitution and compensation ledger.
#[derive(Serialize, ToSchema)]
pub struct LedgerLineOut {
    pub id: i64,
    /// restitution or compensation
    pub track: String,
    /// assessment, demand, award, deposit, payment, warning or seizure
    pub kind: String,
    /// Whole rupiah.
    pub amount: i64,
    pub on_day: Date,
    /// Null without identity access.
    pub note: Option<String>,
    pub confirmed: bool,
    pub created_by: String,
}

/// The sums of one track, in whole rupiah (the latest assessment, demand and award; the
/// deposits and payments added up).
#[derive(Serialize, ToSchema)]
pub struct LedgerSumsOut {
    pub assessed: i64,
    pub demanded: i64,
    pub awarded: i64,
    pub deposited: i64,
    pub paid: i64,
}

impl From<domain::recovery::LedgerSums> for LedgerSumsOut {
    fn from(s: domain::recovery::LedgerSums) -> Self {
        LedgerSumsOut {
            assessed: s.assessed,
            demanded: s.demanded,
            awarded: s.awarded,
            deposited: s.deposited,
            paid: s.paid,
        }
    }
}

/// The restitution clock after the final verdict.
#[derive(Serialize, ToSchema)]
pub struct ClockOut {
    /// not_started, running, warning_due, warned, seizure_due or paid
    pub state: String,
    /// Final verdict + 14 days.
    pub due_on: Option<Date>,
    /// The warning (or the due day) + 14 days.
    pub seizure_on: Option<Date>,
}

/// The victim's ledger with its sums and the restitution clock.
#[derive(Serialize, ToSchema)]
pub struct LedgerOut {
    pub lines: Vec<LedgerLineOut>,
    pub restitution: LedgerSumsOut,
    pub compensation: LedgerSumsOut,
    /// Final verdict (inkracht) from the legal track.
    pub final_on: Option<Date>,
    /// The restitution the court ordered for the case (rupiah).
    pub ordered_for_case: Option<i64>,
    pub clock: ClockOut,
}

/// What keeps a plan from closing.
#[derive(Serialize, ToSchema)]
pub struct BlockerOut {
    /// The message key, e.g. `plan.block_open_service`.
    pub code: String,
    /// The service it is about, if any.
    pub service_code: Option<String>,
}

/// One victim's service plan.
#[derive(Serialize, ToSchema)]
pub struct PlanOut {
    pub victim_id: i64,
    pub case_id: i64,
    pub case_code: String,
    pub initials: String,
    /// A plan has been started (needs assessed or a service planned).
    pub exists: bool,
    pub lead_unit_id: Option<i64>,
    pub lead_unit_name: Option<String>,
    pub status: String,
    pub assessed_on: Option<Date>,
    pub followup_on: Option<Date>,
    /// Null without identity access.
    pub closure_note: Option<String>,
    pub closed_on: Option<Date>,
    pub closed_by: Option<String>,
    pub needs: Vec<NeedOut>,
    pub services: Vec<ServiceOut>,
    pub referrals: Vec<ReferralRowOut>,
    pub ledger: LedgerOut,
    pub blockers: Vec<BlockerOut>,
    pub can_manage: bool,
    pub notes_visible: bool,
}

impl From<store::PlanView> for PlanOut {
    fn from(p: store::PlanView) -> Self {
        let l = p.ledger;
        PlanOut {
            victim_id: p.victim_id,
            case_id: p.case_id.0,
            case_code: p.case_code,
            initials: p.initials,
            exists: p.exists,
            lead_unit_id: p.lead_unit_id.map(|u| u.0),
            lead_unit_name: p.lead_unit_name,
            status: p.status,
            assessed_on: Date::opt(p.assessed_on),
            followup_on: Date::opt(p.followup_on),
            closure_note: p.closure_note,
            closed_on: Date::opt(p.closed_on),
            closed_by: p.closed_by,
            needs: p
                .needs
                .into_iter()
                .map(|n| NeedOut {
                    id: n.id,
                    service_code: n.service_code,
                    assessed_on: Date(n.assessed_on),
                    explanation: n.explanation,
                    explained: n.explained,
                    met: n.met,
                })
                .collect(),
            services: p
                .services
                .into_iter()
                .map(|s| ServiceOut {
                    id: s.id,
                    victim_id: s.victim_id,
                    service_code: s.service_code,
                    unit_id: s.unit_id.0,
                    unit_name: s.unit_name,
                    requested_on: Date(s.requested_on),
                    due_on: Date(s.due_on),
                    status: s.status,
                    reason: s.reason,
                    outcome: s.outcome,
                    done_on: Date::opt(s.done_on),
                    referral_id: s.referral_id,
                    overdue: s.overdue,
                    evidence: s
                        .evidence
                        .into_iter()
                        .map(|e| EvidenceOut {
                            id: e.id,
                            filename: e.filename,
                            content_type: e.content_type,
                            size: e.size,
                            uploaded_by: e.uploaded_by,
                            at_ms: e.at_ms,
                        })
                        .collect(),
                })
                .collect(),
            referrals: p.referrals.into_iter().map(Into::into).collect(),
            ledger: LedgerOut {
                lines: l
                    .lines
                    .into_iter()
                    .map(|x| LedgerLineOut {
                        id: x.id,
                        track: x.track,
                        kind: x.kind,
                        amount: x.amount,
                        on_day: Date(x.on_day),
                        note: x.note,
                        confirmed: x.confirmed,
                        created_by: x.created_by,
                    })
                    .collect(),
                restitution: l.restitution.into(),
                compensation: l.compensation.into(),
                final_on: Date::opt(l.final_on),
                ordered_for_case: l.ordered_for_case,
                clock: ClockOut {
                    state: l.clock.state.as_str().to_owned(),
                    due_on: Date::opt(l.clock.due_on),
                    seizure_on: Date::opt(l.clock.seizure_on),
                },
            },
            blockers: p
                .blockers
                .into_iter()
                .map(|(code, service)| BlockerOut {
                    code,
                    service_code: Some(service).filter(|s| !s.is_empty()),
                })
                .collect(),
            can_manage: p.can_manage,
            notes_visible: p.notes_visible,
        }
    }
}

/// The recovery of a case: a summary per victim and the dated events of the timeline.
#[derive(Serialize, ToSchema)]
pub struct CaseRecoveryOut {
    pub summaries: Vec<PlanSummaryOut>,
    pub events: Vec<RecoveryEventOut>,
}

/// A victim's plan in figures.
#[derive(Serialize, ToSchema)]
pub struct PlanSummaryOut {
    pub victim_id: i64,
    pub initials: String,
    pub status: String,
    pub open_services: i64,
    pub overdue_services: i64,
    pub open_referrals: i64,
    /// Restitution awarded (rupiah).
    pub awarded: i64,
    /// Restitution paid (rupiah).
    pub paid: i64,
}

impl From<store::PlanSummary> for PlanSummaryOut {
    fn from(s: store::PlanSummary) -> Self {
        PlanSummaryOut {
            victim_id: s.victim_id,
            initials: s.initials,
            status: s.status,
            open_services: s.open_services,
            overdue_services: s.overdue_services,
            open_referrals: s.open_referrals,
            awarded: s.awarded,
            paid: s.paid,
        }
    }
}

/// A dated line of the case timeline.
#[derive(Serialize, ToSchema)]
pub struct RecoveryEventOut {
    pub day: Date,
    /// service, referral, ledger or plan
    pub kind: String,
    /// A service code, referral state or ledger kind.
    pub code: String,
    pub detail: String,
}

impl From<store::RecoveryEvent> for RecoveryEventOut {
    fn from(e: store::RecoveryEvent) -> Self {
        RecoveryEventOut {
            day: Date(e.day),
            kind: e.kind,
            code: e.code,
            detail: e.detail,
        }
    }
}

/// Restitution and compensation of one region below the caller.
#[derive(Serialize, ToSchema)]
pub struct LedgerTotalOut {
    pub region_code: String,
    pub region_name: String,
    pub victims: i64,
    pub restitution: LedgerSumsOut,
    pub compensation: LedgerSumsOut,
    /// Owed and not paid, summed victim by victim.
    pub restitution_gap: i64,
    pub compensation_gap: i64,
    /// Restitution clocks where someone must act now.
    pub late_clocks: i64,
}

impl From<store::LedgerTotalRow> for LedgerTotalOut {
    fn from(t: store::LedgerTotalRow) -> Self {
        LedgerTotalOut {
            region_code: t.region_code,
            region_name: t.region_name,
            victims: t.victims,
            restitution: t.restitution.into(),
            compensation: t.compensation.into(),
            restitution_gap: t.restitution_gap,
            compensation_gap: t.compensation_gap,
            late_clocks: t.late_clocks,
        }
    }
}

/// One line of "my tasks".
#[derive(Serialize, ToSchema)]
pub struct TaskOut {
    /// service, referral_in (to answer or deliver) or referral_out (overdue at the other unit)
    pub kind: String,
    pub id: i64,
    /// The case, only when the unit sees it: absent for an incoming referral and for a
    /// service that came with one (the unit knows the victim through the referral only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_code: Option<String>,
    pub initials: String,
    pub service_code: String,
    pub due_on: Date,
    pub status: String,
    pub overdue: bool,
    pub other_unit: Option<String>,
    /// The page to act on it.
    pub link: String,
}

impl From<store::TaskRow> for TaskOut {
    fn from(t: store::TaskRow) -> Self {
        TaskOut {
            kind: t.kind,
            id: t.id,
            case_id: t.case_id.map(|c| c.0),
            case_code: t.case_code,
            initials: t.initials,
            service_code: t.service_code,
            due_on: Date(t.due_on),
            status: t.status,
            overdue: t.overdue,
            other_unit: t.other_unit,
            link: t.link,
        }
    }
}

/// The caller's unit's tasks.
#[derive(Serialize, ToSchema)]
pub struct TasksOut {
    /// Open services, most overdue first (one page).
    pub services: Vec<TaskOut>,
    pub services_total: i64,
    pub services_overdue: i64,
    /// Referrals waiting on the unit, or overdue at the other one (the first 50).
    pub referrals: Vec<TaskOut>,
    pub referrals_total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl From<store::TasksView> for TasksOut {
    fn from(t: store::TasksView) -> Self {
        TasksOut {
            services: t.services.into_iter().map(Into::into).collect(),
            services_total: t.services_total,
            services_overdue: t.services_overdue,
            referrals: t.referrals.into_iter().map(Into::into).collect(),
            referrals_total: t.referrals_total,
            page: t.page,
            per_page: t.per_page,
        }
    }
}
