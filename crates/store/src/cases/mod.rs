//! Cases and their victims. Identifying fields are encrypted before they reach SQL; NIK
//! and name search go through keyed blind indexes. Every read of a case is audited, and a
//! read that reveals identities is audited as such. Roles without identity rights get
//! codes and initials only.

mod access_log;
mod identity;
mod read;
pub(crate) mod records;
mod write;

pub(crate) mod parts;

pub use access_log::{AccessEntry, AccessLog, AccessLogFilter};
pub(crate) use identity::GRANT_REASON;

use crate::core::access::IdentityAccess;
use crate::core::audit::Event;
use crate::core::blind::{name_tokens, write_name_tokens};
use crate::core::crypto::Keyring;
use crate::core::ids::CaseId;
use crate::core::sql::{Arg, Sql};
use crate::regions::picklists::Picklists;
use crate::{Result, Store, StoreError};
use domain::case::{Day, NewCase, NewVictim};
use domain::nik::Sex;
use domain::{Action, Actor, Invalid, RegionCode, Scope, UnitId, decide};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Serialize)]
pub struct VictimView {
    pub id: i64,
    pub initials: String,
    /// `None` unless the viewer may see identities.
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    pub phone: Option<String>,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub is_child: bool,
    pub home_village: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub migrant_status: Option<String>,
    pub citizenship: String,
    /// Message keys of NIK checks that warned when the victim was saved.
    pub nik_warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub id: CaseId,
    pub code: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub region_code: Option<String>,
    pub channel: String,
    pub reported_on: Day,
    pub exploitation_from: Option<Day>,
    pub rescued_on: Option<Day>,
    pub chronology: Option<String>,
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
    pub status: String,
    pub close_reason: Option<String>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub identities_visible: bool,
    /// The viewer may reveal identities by breaking the glass (with a reason).
    pub can_break_glass: bool,
    /// Break-the-glass accesses with their reasons, shown to the owning unit's staff who
    /// see identities.
    pub grants: Vec<Grant>,
    /// The viewer may read the case's access log (who opened its records).
    pub can_read_access_log: bool,
    pub route: Vec<crate::cases::parts::RouteEventView>,
    pub legal: crate::cases::parts::LegalView,
    pub consents: Vec<crate::cases::parts::ConsentView>,
    pub perpetrators: Vec<crate::perpetrators::PerpetratorLink>,
    pub victims: Vec<VictimView>,
}

/// What the case page shows (besides the review panel): the case, its history, its
/// possible duplicates elsewhere, its victims' recovery and the recovery timeline.
#[derive(Debug, Clone)]
pub struct CasePageData {
    pub view: CaseView,
    pub history: Vec<CaseEvent>,
    pub duplicates: Vec<crate::linkage::CaseDuplicate>,
    pub plans: Vec<crate::recovery::PlanSummary>,
    pub events: Vec<crate::recovery::RecoveryEvent>,
}

impl CaseView {
    pub fn scope(&self) -> Scope {
        Scope::from_code(
            self.region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub id: CaseId,
    pub code: String,
    pub reported_on: Day,
    pub region_code: Option<String>,
    pub trafficking_status: String,
    pub status: String,
    /// Where the record stands in review (`draft`, `submitted`, `returned`, `verified`,
    /// `cleared`).
    pub review_state: String,
    pub victims: i64,
    pub initials: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseSort {
    #[default]
    ReportedDesc,
    ReportedAsc,
    CodeAsc,
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub region: Option<RegionCode>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub exploitation: Option<String>,
    pub status: Option<String>,
    pub trafficking_status: Option<String>,
    pub channel: Option<String>,
    pub sex: Option<String>,
    /// Review stage (`draft`, `submitted`, `returned`, `verified`, `cleared`).
    pub review: Option<domain::review::ReviewState>,
    /// Some(true): cases with a child victim; Some(false): with an adult victim.
    pub child: Option<bool>,
    /// Cases with a victim record whose statistics dimension has this value (`None`: not
    /// recorded): the drill-down from a figure of the statistics.
    pub stat: Option<(crate::stats::StatDim, Option<String>)>,
    /// `from`/`to` are on the exploitation date instead of the report date.
    pub by_exploitation: bool,
    /// Case code, NIK or name (the last two only for roles that see identities).
    pub q: String,
    pub sort: CaseSort,
    pub page: i64,
    pub per_page: i64,
}

/// One page of cases; `more` tells whether another page follows.
#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    pub rows: Vec<CaseRow>,
    pub more: bool,
    /// How many cases match, counted up to [`CASE_COUNT_CAP`] (more: `CASE_COUNT_CAP + 1`).
    pub total: i64,
}

/// The case list counts its matches up to this many (a national list says "more than").
pub const CASE_COUNT_CAP: i64 = 10_000;

fn sex_str(s: Sex) -> &'static str {
    match s {
        Sex::Female => "female",
        Sex::Male => "male",
    }
}

/// The regency (`PP.KK`) a region lies in, if it is at regency level or below.
fn regency_of(r: &RegionCode) -> Option<String> {
    (r.level() >= domain::RegionLevel::Regency).then(|| r.as_str()[..5].to_owned())
}

impl Store {
    pub fn keyring(&self) -> Result<&Keyring> {
        self.keyring
            .as_deref()
            .ok_or_else(|| StoreError::Config("no encryption key loaded".into()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn name_tokens_normalise() {
        assert_eq!(
            super::name_tokens("Siti  AMINAH-binti Umar"),
            ["aminah", "binti", "siti", "umar"]
        );
    }
}

/// One entry of a case's history, from the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct CaseEvent {
    pub at_ms: i64,
    pub actor_username: String,
    pub action: String,
    pub detail: String,
}

#[derive(Clone, Serialize)]
pub struct Grant {
    pub id: i64,
    pub username: String,
    pub unit_name: String,
    pub reason: String,
    pub granted_at_ms: i64,
    pub expires_at_ms: i64,
}

/// The reason may name a person: it stays out of `{:?}` and logs.
impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("reason", &"…")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish()
    }
}

/// How long a break-the-glass access lasts.
pub const GRANT_HOURS: i64 = 8;

/// A victim already on record who may be the person being entered.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarVictim {
    pub case_id: CaseId,
    pub code: String,
    pub initials: String,
    /// "nik" (same NIK) or "name_birth" (same name words and birth date) or "name".
    pub reason: &'static str,
}
