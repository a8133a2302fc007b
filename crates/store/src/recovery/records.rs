//! Rows of the recovery tables (catalogue, plans, needs, services, evidence, ledger) as
//! this folder's queries select them, mapped by column name. Notes arrive as ciphertext
//! and are decrypted where the viewer may read them.

use super::ServiceType;
use domain::case::Day;

#[derive(sqlx::FromRow)]
pub(super) struct ServiceTypeRecord {
    pub code: String,
    pub label_id: String,
    pub label_en: String,
    pub default_days: i64,
    pub statutory: i64,
}

impl From<ServiceTypeRecord> for ServiceType {
    fn from(r: ServiceTypeRecord) -> Self {
        ServiceType {
            code: r.code,
            label_id: r.label_id,
            label_en: r.label_en,
            default_days: r.default_days,
            statutory: r.statutory != 0,
        }
    }
}

/// A service with its unit's name.
#[derive(sqlx::FromRow)]
pub(super) struct ServiceRecord {
    pub id: i64,
    pub service_code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub requested_on: Day,
    pub due_on: Day,
    pub status: String,
    pub reason_enc: Option<String>,
    pub outcome_enc: Option<String>,
    pub done_on: Option<Day>,
    pub referral_id: Option<i64>,
    pub is_open: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct EvidenceMetaRecord {
    pub id: i64,
    pub service_id: i64,
    pub filename_enc: Option<String>,
    pub content_type: String,
    pub size: i64,
    pub uploaded_by: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct EvidenceFileRecord {
    pub service_id: i64,
    pub filename_enc: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(sqlx::FromRow)]
pub(super) struct LedgerLineRecord {
    pub id: i64,
    pub track: String,
    pub kind: String,
    pub amount: i64,
    pub on_day: Day,
    pub note_enc: Option<String>,
    pub confirmed: i64,
    pub created_by: String,
}

/// A plan with its lead unit's name.
#[derive(sqlx::FromRow)]
pub(super) struct PlanRecord {
    pub lead_unit_id: i64,
    pub lead_name: String,
    pub status: String,
    pub assessed_on: Option<Day>,
    pub followup_on: Option<Day>,
    pub closure_note_enc: Option<String>,
    pub closed_on: Option<Day>,
    pub closed_by: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct NeedRecord {
    pub id: i64,
    pub service_code: String,
    pub assessed_on: Day,
    pub explanation_enc: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct PlanSummaryRecord {
    pub id: i64,
    pub initials: String,
    pub status: Option<String>,
    pub open_services: i64,
    pub overdue_services: i64,
    pub open_referrals: i64,
}

/// One line of a case's recovery timeline: a service, a referral, a ledger line or a closed
/// plan (`src`), with the columns that kind uses.
#[derive(sqlx::FromRow)]
pub(super) struct RecoveryEventRecord {
    pub src: String,
    pub id: Option<i64>,
    pub d1: Option<Day>,
    pub d2: Option<Day>,
    pub d3: Option<Day>,
    pub d4: Option<Day>,
    pub code: Option<String>,
    pub state: Option<String>,
    pub initials: String,
    pub unit_name: Option<String>,
    pub amount: Option<i64>,
}

/// An open service on a unit's task list.
#[derive(sqlx::FromRow)]
pub(super) struct ServiceTaskRecord {
    pub id: i64,
    /// NULL for a service reached through a referral (the case is not the unit's).
    pub case_id: Option<i64>,
    pub victim_id: Option<i64>,
    pub service_code: String,
    pub due_on: Day,
    pub status: String,
    pub referral_id: Option<i64>,
    pub code: Option<String>,
    pub initials: String,
}
