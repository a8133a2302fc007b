//! Rows of the review tables (rules, review steps, periods, queue) as this folder's
//! queries select them, mapped by column name.

use super::{QueueItem, RuleInfo};
use crate::core::ids::CaseId;
use domain::case::Day;

#[derive(sqlx::FromRow)]
pub(super) struct RuleRecord {
    pub code: String,
    pub severity: String,
    pub scope: String,
    pub field: String,
    pub condition: String,
    pub message_id: String,
    pub message_en: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct RuleInfoRecord {
    #[sqlx(flatten)]
    pub rule: RuleRecord,
    pub active: i64,
    pub fired: i64,
    pub open_cases: i64,
}

impl From<RuleInfoRecord> for RuleInfo {
    fn from(r: RuleInfoRecord) -> Self {
        RuleInfo {
            code: r.rule.code,
            severity: r.rule.severity,
            scope: r.rule.scope,
            field: r.rule.field,
            condition: r.rule.condition,
            message_id: r.rule.message_id,
            message_en: r.rule.message_en,
            active: r.active != 0,
            fired: Some(r.fired),
            open_cases: r.open_cases,
        }
    }
}

/// The case columns the rules read, with counts of its parts. Identities are read as
/// ciphertext, only to know whether they are filled.
#[derive(sqlx::FromRow)]
pub(super) struct CaseFactsRecord {
    pub channel: Option<String>,
    pub trafficking_status: Option<String>,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
    pub status: Option<String>,
    pub close_reason: Option<String>,
    pub police_report: Option<String>,
    pub chronology_enc: Option<String>,
    pub reported_on: Option<Day>,
    pub exploitation_from: Option<Day>,
    pub rescued_on: Option<Day>,
    pub route_events: i64,
    pub perpetrators: i64,
    /// `list:code,…` of the case's tags.
    pub tags: Option<String>,
    /// `victim_id:given_by,…` of the consents standing today.
    pub consents: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseStateRecord {
    pub review_state: String,
    pub review_level: Option<String>,
    pub unit_id: i64,
    pub region_code: Option<String>,
    pub province_code: Option<String>,
    pub reported_on: Day,
    pub version: i64,
    pub since: i64,
    pub returns: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct ReviewStepRecord {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub actor_level: Option<String>,
    pub at: i64,
    /// Encrypted general note.
    pub note_enc: Option<String>,
    /// Encrypted JSON list of field notes.
    pub field_notes_enc: Option<String>,
    /// JSON list of changed fields.
    pub changed: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct QueueRecord {
    pub id: i64,
    pub code: String,
    pub review_state: String,
    pub region_code: Option<String>,
    pub unit_name: String,
    pub since: i64,
    pub returns: i64,
}

impl QueueRecord {
    pub(super) fn into_item(self, now_ms: i64) -> QueueItem {
        QueueItem {
            id: CaseId(self.id),
            code: self.code,
            state: self.review_state,
            region_code: self.region_code,
            unit_name: self.unit_name,
            since_ms: self.since,
            age_days: (now_ms - self.since).max(0) / 86_400_000,
            overdue: (now_ms - self.since) / 86_400_000 > domain::review::REVIEW_DUE_DAYS,
            returns: self.returns,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PeriodRecord {
    pub closed: i64,
    pub changed_by: String,
    pub changed_at: i64,
    pub reason: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct PeriodCountsRecord {
    pub cleared: i64,
    pub pending: i64,
}

/// Review counts and field fill of the cases of one group (province, regency or unit).
#[derive(sqlx::FromRow)]
pub(super) struct QualityCasesRecord {
    pub grp: Option<String>,
    pub cases: i64,
    pub draft: i64,
    pub submitted: i64,
    pub verified: i64,
    pub cleared: i64,
    pub submitted_ever: i64,
    pub returned: i64,
    pub ms_submit: Option<f64>,
    pub ms_clear: Option<f64>,
    pub victims: i64,
    pub filled: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct QualityPendingRecord {
    pub grp: Option<String>,
    pub pending: i64,
}
