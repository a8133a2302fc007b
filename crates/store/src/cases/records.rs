//! Rows of the case tables as the queries of this folder select them, mapped by column
//! name. Encrypted columns arrive as ciphertext; the conversions into the public views
//! decrypt them with the keyring (or leave them out when identities are not shown).

use super::{CaseEvent, CaseId, CaseRow, Grant, SimilarVictim, VictimView};
use crate::Result;
use crate::cases::parts::{ConsentView, RouteEventView, StageView};
use crate::core::crypto::Keyring;
use domain::case::Day;

/// The columns of [`CaseRecord`], for `SELECT c.…` (with `n.name AS unit_name`).
#[derive(sqlx::FromRow)]
pub(crate) struct CaseRecord {
    pub code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: Option<String>,
    pub channel: String,
    pub reported_on: Day,
    pub exploitation_from: Option<Day>,
    pub rescued_on: Option<Day>,
    pub chronology_enc: Option<String>,
    pub trafficking_status: String,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
    pub status: String,
    pub close_reason: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// `list:code,…`
    pub tags: Option<String>,
}

/// `SELECT` of one case with its unit's name, `$1` the case id.
macro_rules! case_select {
    ($agg:literal) => {
        concat!(
            "SELECT c.code, c.unit_id, n.name AS unit_name, c.region_code, c.channel, \
             c.reported_on, c.exploitation_from, c.rescued_on, c.chronology_enc, c.trafficking_status, c.sector, \
             c.recruitment, c.recruiter_relationship, c.status, c.close_reason, c.version, c.created_at, c.updated_at, \
             (SELECT ",
            $agg,
            "(t.list || ':' || t.code, ',') FROM case_tags t WHERE t.case_id = c.id) AS tags \
             FROM cases c JOIN units n ON n.id = c.unit_id WHERE c.id = $1"
        )
    };
}

/// One case's row, with its tags as `list:code,…` (codes hold neither separator).
pub(crate) fn case_select(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Sqlite => case_select!("group_concat"),
        crate::Backend::Postgres => case_select!("string_agg"),
    }
}

/// A victim as stored: every column a case page or a rule check reads.
#[derive(sqlx::FromRow)]
pub(crate) struct VictimRecord {
    pub id: i64,
    pub initials: String,
    pub name_enc: Option<String>,
    pub alias_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub phone_enc: Option<String>,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub is_child: i64,
    pub home_village: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub migrant_status: Option<String>,
    pub citizenship: String,
    pub nik_warnings: String,
}

/// `SELECT` of a case's victims in order, `$1` the case id.
pub(crate) const VICTIMS_OF_CASE: &str = "SELECT id, initials, name_enc, alias_enc, nik_enc, phone_enc, sex, \
     birth_date, age_estimate, is_child, home_village, education, occupation, disability, migrant_status, \
     citizenship, nik_warnings FROM victims WHERE case_id = $1 ORDER BY position";

impl VictimRecord {
    /// The NIK checks that warned when the victim was saved.
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.nik_warnings
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The view, with identities decrypted by `k` (`None`: identities are not shown).
    pub(crate) fn into_view(self, k: Option<&Keyring>) -> Result<VictimView> {
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match (k, v) {
                (Some(k), Some(v)) => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let nik_warnings = self.warnings();
        Ok(VictimView {
            id: self.id,
            initials: self.initials,
            name: dec("victims.name", self.name_enc)?,
            alias: dec("victims.alias", self.alias_enc)?,
            nik: dec("victims.nik", self.nik_enc)?,
            phone: dec("victims.phone", self.phone_enc)?,
            sex: self.sex,
            birth_date: self.birth_date,
            age_estimate: self.age_estimate,
            is_child: self.is_child != 0,
            home_village: self.home_village,
            education: self.education,
            occupation: self.occupation,
            disability: self.disability,
            migrant_status: self.migrant_status,
            citizenship: self.citizenship,
            nik_warnings,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseListRecord {
    pub id: i64,
    pub code: String,
    pub reported_on: Day,
    pub region_code: Option<String>,
    pub trafficking_status: String,
    pub status: String,
    pub review_state: String,
    pub victims: i64,
}

impl From<CaseListRecord> for CaseRow {
    fn from(r: CaseListRecord) -> Self {
        CaseRow {
            id: CaseId(r.id),
            code: r.code,
            reported_on: r.reported_on,
            region_code: r.region_code,
            trafficking_status: r.trafficking_status,
            status: r.status,
            review_state: r.review_state,
            victims: r.victims,
            initials: String::new(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct InitialsRecord {
    pub case_id: i64,
    pub initials: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseEventRecord {
    pub at: i64,
    pub actor_username: String,
    pub action: String,
    pub detail: String,
}

impl From<CaseEventRecord> for CaseEvent {
    fn from(r: CaseEventRecord) -> Self {
        CaseEvent {
            at_ms: r.at,
            actor_username: r.actor_username,
            action: r.action,
            detail: r.detail,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct GrantRecord {
    pub id: i64,
    pub username: String,
    pub unit_name: String,
    /// `None` only on a grant written before 0014 and not yet encrypted at start-up.
    pub reason_enc: Option<String>,
    pub granted_at: i64,
    pub expires_at: i64,
}

impl GrantRecord {
    pub(super) fn into_grant(self, k: &Keyring) -> Result<Grant> {
        Ok(Grant {
            id: self.id,
            username: self.username,
            unit_name: self.unit_name,
            reason: self
                .reason_enc
                .map(|c| k.decrypt(super::identity::GRANT_REASON, &c))
                .transpose()?
                .unwrap_or_default(),
            granted_at_ms: self.granted_at,
            expires_at_ms: self.expires_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SimilarRecord {
    pub case_id: i64,
    pub code: String,
    pub initials: String,
}

impl SimilarRecord {
    pub(super) fn into_view(self, reason: &'static str) -> SimilarVictim {
        SimilarVictim {
            case_id: CaseId(self.case_id),
            code: self.code,
            initials: self.initials,
            reason,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RouteEventRecord {
    pub id: i64,
    pub kind: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<Day>,
    pub date_to: Option<Day>,
}

impl From<RouteEventRecord> for RouteEventView {
    fn from(r: RouteEventRecord) -> Self {
        RouteEventView {
            id: r.id,
            kind: r.kind,
            region_code: r.region_code,
            region_name: r.region_name,
            country: r.country,
            city: r.city,
            date_from: r.date_from,
            date_to: r.date_to,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct LegalTrackRecord {
    pub police_report_no: Option<String>,
    pub police_unit: Option<String>,
    pub articles: String,
    pub sentence_months: Option<i64>,
    pub restitution_ordered: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct StageRecord {
    pub id: i64,
    pub stage: String,
    pub happened: Day,
}

impl From<StageRecord> for StageView {
    fn from(r: StageRecord) -> Self {
        StageView {
            id: r.id,
            stage: r.stage,
            happened: r.happened,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ConsentRecord {
    pub id: i64,
    pub victim_id: i64,
    pub scope: String,
    pub given_by: String,
    pub given_on: Day,
    pub withdrawn_on: Option<Day>,
    pub recorded_by: String,
}

impl From<ConsentRecord> for ConsentView {
    fn from(r: ConsentRecord) -> Self {
        ConsentView {
            id: r.id,
            victim_id: r.victim_id,
            scope: r.scope,
            given_by: r.given_by,
            given_on: r.given_on,
            withdrawn_on: r.withdrawn_on,
            recorded_by: r.recorded_by,
        }
    }
}
