//! Bodies and query parameters of the verification and clearing API.

use crate::http::json::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct FieldNoteIn {
    pub field: String,
    pub note: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// submit, verify, clear or return
    pub action: String,
    /// Required to return (or field notes).
    pub note: String,
    pub field_notes: Vec<FieldNoteIn>,
    /// Justification of each warning, by rule code (and `.N` for victim N, 0-based), e.g. `{"R07.0": "..."}`.
    pub justifications: HashMap<String, String>,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct PeriodIn {
    /// YYYY-MM
    pub month: String,
    /// true closes (locks cleared records), false reopens (needs a reason).
    pub close: bool,
    pub reason: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct QualityQuery {
    /// label, cases, completeness, days_to_submit, days_to_clear, return_rate, pending_duplicates, cleared
    pub sort: String,
    /// asc or desc
    pub dir: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct PairsQuery {
    /// pending (default), same or different
    pub status: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    /// same, different or undo
    pub decision: String,
}

/// A note on one field of a returned case.
#[derive(Serialize, ToSchema)]
pub struct FieldNoteOut {
    pub field: String,
    pub note: String,
}

impl From<store::FieldNote> for FieldNoteOut {
    fn from(n: store::FieldNote) -> Self {
        FieldNoteOut {
            field: n.field,
            note: n.note,
        }
    }
}

/// One step of the workflow, for the case's history.
#[derive(Serialize, ToSchema)]
pub struct ReviewStepOut {
    /// submit, verify, clear or return
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_name: String,
    /// The level of the unit that took the step: national, province, regency, district or
    /// village.
    pub actor_level: Option<String>,
    pub at_ms: i64,
    /// Empty when there is none, or when it is withheld (`note_hidden`).
    pub note: String,
    /// The fields noted on; each note's text withheld like `note`.
    pub field_notes: Vec<FieldNoteOut>,
    /// The step has note text the caller may not read: notes are shown to those who may
    /// see the case's identities (and to the reviewer who wrote them).
    pub note_hidden: bool,
    /// Fields changed by the step.
    pub changed: Vec<String>,
}

/// A validation rule the case breaks.
#[derive(Serialize, ToSchema)]
pub struct RuleHitOut {
    pub code: String,
    /// error or warning
    pub severity: String,
    /// The victim's position (0-based) for a victim rule.
    pub victim: Option<u32>,
    pub field: String,
    pub message_id: String,
    pub message_en: String,
    /// The justification recorded for a warning.
    pub justification: Option<String>,
    /// A justification is recorded but withheld: justifications are shown to those who may
    /// see the case's identities.
    pub justification_hidden: bool,
}

impl From<store::RuleHit> for RuleHitOut {
    fn from(h: store::RuleHit) -> Self {
        RuleHitOut {
            code: h.code,
            severity: h.severity.as_str().to_owned(),
            victim: h.victim.and_then(|v| u32::try_from(v).ok()),
            field: h.field,
            message_id: h.message_id,
            message_en: h.message_en,
            justification: h.justification,
            justification_hidden: h.justification_hidden,
        }
    }
}

/// Where a case stands in the workflow.
#[derive(Serialize, ToSchema)]
pub struct ReviewInfoOut {
    /// draft, submitted, returned, verified or cleared
    pub state: String,
    /// While submitted: province or national, the level that reviews it first.
    pub level: Option<String>,
    /// The level of the unit that took the last step (national, province, regency, district
    /// or village): who verified, cleared or returned it.
    pub acted_level: Option<String>,
    pub since_ms: i64,
    pub returns: i64,
    /// Cleared in a closed reporting period.
    pub locked: bool,
    pub steps: Vec<ReviewStepOut>,
    /// The notes of the last return while the case is back with its unit or resubmitted.
    pub return_notes: Vec<FieldNoteOut>,
    pub return_note: String,
    /// The last return's notes exist but are withheld from the caller.
    pub return_note_hidden: bool,
    /// Fields changed since the last return.
    pub changed_since_return: Vec<String>,
    pub hits: Vec<RuleHitOut>,
    /// The steps the caller may take now (submit, verify, clear, return).
    pub can: Vec<String>,
}

impl From<store::ReviewInfo> for ReviewInfoOut {
    fn from(r: store::ReviewInfo) -> Self {
        ReviewInfoOut {
            state: r.state.as_str().to_owned(),
            level: r.level.map(|l| l.as_str().to_owned()),
            acted_level: r.acted_level.map(|l| l.as_str().to_owned()),
            since_ms: r.since_ms,
            returns: r.returns,
            locked: r.locked,
            steps: r
                .steps
                .into_iter()
                .map(|s| ReviewStepOut {
                    action: s.action,
                    from_state: s.from_state,
                    to_state: s.to_state,
                    actor_name: s.actor_name,
                    actor_level: s.actor_level.map(|l| l.as_str().to_owned()),
                    at_ms: s.at_ms,
                    note: s.note,
                    field_notes: s.field_notes.into_iter().map(Into::into).collect(),
                    note_hidden: s.note_hidden,
                    changed: s.changed,
                })
                .collect(),
            return_notes: r.return_notes.into_iter().map(Into::into).collect(),
            return_note: r.return_note,
            return_note_hidden: r.return_note_hidden,
            changed_since_return: r.changed_since_return,
            hits: r.hits.into_iter().map(Into::into).collect(),
            can: r.can.iter().map(|a| a.as_str().to_owned()).collect(),
        }
    }
}

/// The case's state after a review step.
#[derive(Serialize, ToSchema)]
pub struct ReviewStateOut {
    /// draft, submitted, returned, verified or cleared
    pub state: String,
}

/// A submission refused by the validation rules (422).
#[derive(Serialize, ToSchema)]
pub struct RulesRefusedOut {
    pub error: RulesErrorOut,
}

#[derive(Serialize, ToSchema)]
pub struct RulesErrorOut {
    /// Always `rules`.
    pub code: String,
    pub message: String,
    /// Every rule hit: fix each error, justify each warning.
    pub rules: Vec<RuleHitOut>,
}

/// A case waiting for the caller.
#[derive(Serialize, ToSchema)]
pub struct QueueItemOut {
    /// The case id.
    pub id: i64,
    pub code: String,
    pub state: String,
    pub region_code: Option<String>,
    pub unit_name: String,
    pub since_ms: i64,
    pub age_days: i64,
    /// Waiting longer than 14 days.
    pub overdue: bool,
    pub returns: i64,
}

impl From<store::QueueItem> for QueueItemOut {
    fn from(q: store::QueueItem) -> Self {
        QueueItemOut {
            id: q.id.0,
            code: q.code,
            state: q.state,
            region_code: q.region_code,
            unit_name: q.unit_name,
            since_ms: q.since_ms,
            overdue: q.overdue,
            age_days: q.age_days,
            returns: q.returns,
        }
    }
}

/// A validation rule with how often it fired.
#[derive(Serialize, ToSchema)]
pub struct RuleOut {
    pub code: String,
    /// error or warning
    pub severity: String,
    /// case or victim
    pub scope: String,
    pub field: String,
    pub condition: String,
    pub message_id: String,
    pub message_en: String,
    pub active: bool,
    /// How many times the rule fired on a save or a submission, across the country
    /// (national users only; null for others).
    pub fired: Option<i64>,
    /// Cases that break it now.
    pub open_cases: i64,
}

impl From<store::RuleInfo> for RuleOut {
    fn from(r: store::RuleInfo) -> Self {
        RuleOut {
            code: r.code,
            severity: r.severity,
            scope: r.scope,
            field: r.field,
            condition: r.condition,
            message_id: r.message_id,
            message_en: r.message_en,
            active: r.active,
            fired: r.fired,
            open_cases: r.open_cases,
        }
    }
}

/// A monthly reporting period of the caller's region.
#[derive(Serialize, ToSchema)]
pub struct PeriodOut {
    /// YYYY-MM
    pub month: String,
    pub closed: bool,
    /// Closed by a level above (e.g. national): locked here too, reopened only there.
    pub closed_above: bool,
    pub changed_by: Option<String>,
    pub changed_at_ms: Option<i64>,
    pub reason: String,
    pub cleared: i64,
    pub pending: i64,
}

impl From<store::PeriodView> for PeriodOut {
    fn from(p: store::PeriodView) -> Self {
        PeriodOut {
            month: p.month,
            closed: p.closed,
            closed_above: p.closed_above,
            changed_by: p.changed_by,
            changed_at_ms: p.changed_at_ms,
            reason: p.reason,
            cleared: p.cleared,
            pending: p.pending,
        }
    }
}

/// Data quality per region (or unit) below the caller.
#[derive(Serialize, ToSchema)]
pub struct QualityOut {
    /// When the figures were computed (they are reused for a few minutes).
    pub computed_at_ms: i64,
    pub rows: Vec<QualityRowOut>,
}

#[derive(Serialize, ToSchema)]
pub struct QualityRowOut {
    /// Region code, or unit id for a regency-level view.
    pub key: String,
    pub label: String,
    /// Where the drill-down goes (the case list, filtered).
    pub href: String,
    pub cases: i64,
    pub draft: i64,
    pub submitted: i64,
    pub verified: i64,
    pub cleared: i64,
    /// Share of key fields filled in, 0–100.
    pub completeness: f64,
    pub days_to_submit: Option<f64>,
    pub days_to_clear: Option<f64>,
    /// Share of submitted cases returned at least once, 0–100.
    pub return_rate: f64,
    pub pending_duplicates: i64,
}

impl From<store::QualityRow> for QualityRowOut {
    fn from(q: store::QualityRow) -> Self {
        QualityRowOut {
            key: q.key,
            label: q.label,
            href: q.href,
            cases: q.cases,
            draft: q.draft,
            submitted: q.submitted,
            verified: q.verified,
            cleared: q.cleared,
            completeness: q.completeness,
            days_to_submit: q.days_to_submit,
            days_to_clear: q.days_to_clear,
            return_rate: q.return_rate,
            pending_duplicates: q.pending_duplicates,
        }
    }
}

/// Official figures: only cleared cases count, and each person once.
#[derive(Serialize, ToSchema)]
pub struct OfficialOut {
    pub cleared_cases: i64,
    pub victim_records: i64,
    pub unique_persons: i64,
}

impl From<store::OfficialCount> for OfficialOut {
    fn from(o: store::OfficialCount) -> Self {
        OfficialOut {
            cleared_cases: o.cleared_cases,
            victim_records: o.victim_records,
            unique_persons: o.unique_persons,
        }
    }
}

/// A proposed or decided pair of victim records that may be the same person.
#[derive(Serialize, ToSchema)]
pub struct PairRowOut {
    pub id: i64,
    /// Match probability, 0–1.
    pub probability: f64,
    /// pending, same or different
    pub status: String,
    pub found_at_ms: i64,
    pub a_code: String,
    pub a_region: String,
    pub a_initials: String,
    pub b_code: String,
    pub b_region: String,
    pub b_initials: String,
}

impl From<store::PairRow> for PairRowOut {
    fn from(p: store::PairRow) -> Self {
        PairRowOut {
            id: p.id,
            probability: p.probability,
            status: p.status,
            found_at_ms: p.found_at_ms,
            a_code: p.a_code,
            a_region: p.a_region,
            a_initials: p.a_initials,
            b_code: p.b_code,
            b_region: p.b_region,
            b_initials: p.b_initials,
        }
    }
}

/// How one field compared, and its weight in the score.
#[derive(Serialize, ToSchema)]
pub struct ExplainLineOut {
    pub field: String,
    pub level: String,
    pub weight: f64,
}

/// One side of a pair: the victim record (identity fields null without identity access).
#[derive(Serialize, ToSchema)]
pub struct PairSideOut {
    pub victim_id: i64,
    pub case_id: i64,
    pub case_code: String,
    pub unit_name: String,
    pub region_code: String,
    pub review_state: String,
    pub initials: String,
    pub name: Option<String>,
    pub nik: Option<String>,
    pub sex: String,
    pub birth_date: Option<Date>,
    pub age_estimate: Option<i64>,
    pub home_village: Option<String>,
    /// The person identity the record is linked to.
    pub person_id: Option<i64>,
}

impl From<store::PairSide> for PairSideOut {
    fn from(s: store::PairSide) -> Self {
        PairSideOut {
            victim_id: s.victim_id,
            case_id: s.case_id,
            case_code: s.case_code,
            unit_name: s.unit_name,
            region_code: s.region_code,
            review_state: s.review_state,
            initials: s.initials,
            name: s.name,
            nik: s.nik,
            sex: s.sex,
            birth_date: Date::opt(s.birth_date),
            age_estimate: s.age_estimate,
            home_village: s.home_village,
            person_id: s.person_id,
        }
    }
}

/// Both records of a pair and the explanation of its score.
#[derive(Serialize, ToSchema)]
pub struct PairOut {
    pub id: i64,
    pub probability: f64,
    pub weight: f64,
    pub status: String,
    pub source: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub explanation: Vec<ExplainLineOut>,
    pub a: PairSideOut,
    pub b: PairSideOut,
}

impl From<store::PairView> for PairOut {
    fn from(p: store::PairView) -> Self {
        PairOut {
            id: p.id,
            probability: p.probability,
            weight: p.weight,
            status: p.status,
            source: p.source,
            decided_by: p.decided_by,
            decided_at_ms: p.decided_at_ms,
            explanation: p
                .explanation
                .into_iter()
                .map(|e| ExplainLineOut {
                    field: e.field,
                    level: e.level,
                    weight: e.weight,
                })
                .collect(),
            a: p.a.into(),
            b: p.b.into(),
        }
    }
}

/// A full linkage run.
#[derive(Serialize, ToSchema)]
pub struct RunOut {
    pub id: i64,
    pub started_by: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub state: String,
    /// Records processed so far, of `total`.
    pub done: i64,
    pub total: i64,
    /// Pairs proposed.
    pub pairs: i64,
    pub message: String,
}

impl From<store::RunView> for RunOut {
    fn from(r: store::RunView) -> Self {
        RunOut {
            id: r.id,
            started_by: r.started_by,
            started_at_ms: r.started_at_ms,
            finished_at_ms: r.finished_at_ms,
            state: r.state,
            done: r.done,
            total: r.total,
            pairs: r.pairs,
            message: r.message,
        }
    }
}

/// A run started in the background.
#[derive(Serialize, ToSchema)]
pub struct RunStartedOut {
    /// The run's id (see GET /api/v1/linkage/runs).
    pub run: i64,
}
