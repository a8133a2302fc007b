//! Rows of the referral tables as this folder's queries select them, mapped by column
//! name. Texts arrive as ciphertext and are decrypted in the read that shows them.

use super::ReferralRow;
use crate::core::ids::CaseId;
use domain::UnitId;
use domain::case::Day;
use domain::recovery::ReferralState;

/// A referral with its case, victim and units, as listed (the columns of `row_select`).
#[derive(sqlx::FromRow)]
pub(super) struct ReferralRowRecord {
    pub id: i64,
    /// NULL for the sides that may not read them (`row_select`).
    pub case_id: Option<i64>,
    pub case_code: Option<String>,
    pub victim_id: Option<i64>,
    pub initials: Option<String>,
    pub from_unit_id: i64,
    pub from_name: String,
    pub to_unit_id: i64,
    pub to_name: String,
    pub kind: String,
    pub service_code: Option<String>,
    pub state: String,
    pub sent_on: Day,
    pub due_on: Day,
    pub escalated_at: Option<i64>,
}

impl ReferralRowRecord {
    /// The row as listed on `today` (overdue while pending past its due day).
    pub(super) fn into_row(self, today: Day) -> ReferralRow {
        let days_overdue =
            ReferralState::parse(&self.state).map_or(0, |s| s.days_overdue(self.due_on, today));
        ReferralRow {
            id: self.id,
            case_id: self.case_id.map(CaseId),
            case_code: self.case_code,
            victim_id: self.victim_id,
            initials: self.initials,
            from_unit_id: UnitId(self.from_unit_id),
            from_unit: self.from_name,
            to_unit_id: UnitId(self.to_unit_id),
            to_unit: self.to_name,
            kind: self.kind,
            service_code: self.service_code,
            state: self.state,
            sent_on: self.sent_on,
            due_on: self.due_on,
            overdue: days_overdue > 0,
            days_overdue,
            escalated: self.escalated_at.is_some(),
        }
    }
}

/// What a referral's page shows beyond its row.
#[derive(sqlx::FromRow)]
pub(super) struct ReferralDetailRecord {
    pub shared: String,
    pub basis: String,
    pub basis_note_enc: Option<String>,
    pub message_enc: Option<String>,
    pub decline_reason_enc: Option<String>,
    pub responded_on: Option<Day>,
    pub delivered_on: Option<Day>,
    pub ended_on: Option<Day>,
    pub service_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct MessageRecord {
    pub username: String,
    pub body_enc: Option<String>,
    pub created_at: i64,
    pub unit_name: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct ReferralFactsRecord {
    pub from_unit_id: i64,
    pub to_unit_id: i64,
    pub state: String,
    pub due_on: Day,
    pub region_code: Option<String>,
    pub from_region: Option<String>,
    pub to_region: Option<String>,
}

/// What a move of a referral needs to know of it.
#[derive(sqlx::FromRow)]
pub(super) struct ReferralActRecord {
    pub victim_id: i64,
    pub kind: String,
    pub service_code: Option<String>,
    pub due_on: Day,
    pub service_id: Option<i64>,
}

/// The victim's fields a referral may share (identity and contact as ciphertext).
#[derive(sqlx::FromRow)]
pub(super) struct SharedVictimRecord {
    pub initials: String,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub is_child: i64,
    pub name_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub home_village: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct SharedCaseRecord {
    pub sector: Option<String>,
    pub trafficking_status: Option<String>,
    pub reported_on: Option<Day>,
    pub rescued_on: Option<Day>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ConsentReferralRecord {
    pub id: i64,
    pub case_id: i64,
    pub to_unit_id: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct OverdueRecord {
    pub id: i64,
    pub case_id: i64,
    pub from_unit_id: i64,
    pub to_unit_id: i64,
    pub from_region: Option<String>,
    pub to_region: Option<String>,
}
