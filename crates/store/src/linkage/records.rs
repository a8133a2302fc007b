//! Rows of the linkage tables (pairs, runs) and of the victims as the engine reads them,
//! mapped by column name. Identities arrive as ciphertext and are decrypted in the
//! conversion.

use super::{
    CaseDuplicate, OfficialCount, PairRow, PairSide, RunView, date_of, record_region, sex_of,
};
use crate::Result;
use crate::core::crypto::Keyring;
use domain::case::Day;

/// A victim as the engine compares it (the columns of `victim_select!`).
#[derive(sqlx::FromRow)]
pub(super) struct EngineVictimRecord {
    pub id: i64,
    pub name_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub home_village: Option<String>,
    pub region_code: Option<String>,
}

impl EngineVictimRecord {
    pub(super) fn into_record(self, k: &Keyring) -> Result<linkage::Record> {
        Ok(linkage::Record {
            id: self.id as u64,
            name: self
                .name_enc
                .map(|n| k.decrypt("victims.name", &n))
                .transpose()?,
            nik: self
                .nik_enc
                .map(|n| k.decrypt("victims.nik", &n))
                .transpose()?,
            sex: sex_of(&self.sex),
            birth: date_of(self.birth_date),
            region: record_region(self.home_village.as_deref(), self.region_code.as_deref()),
            ..Default::default()
        })
    }
}

/// A victim as the engine compares it, with the alias: everything the victim's name tokens
/// and blocking keys were computed from.
#[derive(sqlx::FromRow)]
pub(super) struct IndexedVictimRecord {
    #[sqlx(flatten)]
    pub engine: EngineVictimRecord,
    pub alias_enc: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct KeyRecord {
    pub key: i64,
    pub victim_id: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct CaseDuplicateRecord {
    pub id: i64,
    pub probability: f64,
    pub status: String,
    pub position: i64,
    pub o_initials: String,
    pub o_case: i64,
    pub o_code: String,
    pub o_region: Option<String>,
}

impl CaseDuplicateRecord {
    /// The pair as the viewer may see it: without the other record when `hidden` (that
    /// case is outside the viewer's scope).
    pub(super) fn into_view(self, hidden: bool) -> CaseDuplicate {
        if hidden {
            return CaseDuplicate {
                pair_id: self.id,
                victim_position: self.position,
                other_case: 0,
                other_code: String::new(),
                other_initials: String::new(),
                other_region: String::new(),
                probability: self.probability,
                status: self.status,
            };
        }
        CaseDuplicate {
            pair_id: self.id,
            victim_position: self.position,
            other_case: self.o_case,
            other_code: self.o_code,
            other_initials: self.o_initials,
            other_region: self.o_region.unwrap_or_else(|| "NAS".into()),
            probability: self.probability,
            status: self.status,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PairRowRecord {
    pub id: i64,
    pub probability: f64,
    pub status: String,
    pub found_at: i64,
    pub a_code: String,
    pub a_region: Option<String>,
    pub a_initials: String,
    pub b_code: String,
    pub b_region: Option<String>,
    pub b_initials: String,
}

impl From<PairRowRecord> for PairRow {
    fn from(r: PairRowRecord) -> Self {
        PairRow {
            id: r.id,
            probability: r.probability,
            status: r.status,
            found_at_ms: r.found_at,
            a_code: r.a_code,
            a_region: r.a_region.unwrap_or_else(|| "NAS".into()),
            a_initials: r.a_initials,
            b_code: r.b_code,
            b_region: r.b_region.unwrap_or_else(|| "NAS".into()),
            b_initials: r.b_initials,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PairScopeRecord {
    pub victim_a: i64,
    pub victim_b: i64,
    pub status: String,
    pub ra: Option<String>,
    pub rb: Option<String>,
}

/// One side of a pair: the victim with its case and unit.
#[derive(sqlx::FromRow)]
pub(super) struct PairSideRecord {
    pub case_id: i64,
    pub initials: String,
    pub name_enc: Option<String>,
    pub nik_enc: Option<String>,
    pub sex: String,
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub home_village: Option<String>,
    pub person_id: Option<i64>,
    pub code: String,
    pub region_code: Option<String>,
    pub review_state: String,
    pub unit_id: i64,
    pub unit_name: String,
}

impl PairSideRecord {
    /// The side, identities decrypted by `k` (`None`: identities are not shown).
    pub(super) fn into_view(self, victim_id: i64, k: Option<&Keyring>) -> Result<PairSide> {
        let (name, nik) = match k {
            Some(k) => (
                self.name_enc
                    .map(|n| k.decrypt("victims.name", &n))
                    .transpose()?,
                self.nik_enc
                    .map(|n| k.decrypt("victims.nik", &n))
                    .transpose()?,
            ),
            None => (None, None),
        };
        Ok(PairSide {
            victim_id,
            case_id: self.case_id,
            case_code: self.code,
            unit_name: self.unit_name,
            region_code: self.region_code.unwrap_or_else(|| "NAS".into()),
            review_state: self.review_state,
            initials: self.initials,
            name,
            nik,
            sex: self.sex,
            birth_date: self.birth_date,
            age_estimate: self.age_estimate,
            home_village: self.home_village,
            person_id: self.person_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PairRecord {
    pub probability: f64,
    pub weight: f64,
    pub status: String,
    pub source: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// JSON list of explanation lines.
    pub explanation: String,
}

#[derive(sqlx::FromRow)]
pub(super) struct OfficialCountRecord {
    pub cases: i64,
    pub victims: i64,
    pub persons: i64,
}

impl From<OfficialCountRecord> for OfficialCount {
    fn from(r: OfficialCountRecord) -> Self {
        OfficialCount {
            cleared_cases: r.cases,
            victim_records: r.victims,
            unique_persons: r.persons,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RunRecord {
    pub id: i64,
    pub started_by: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub pairs: i64,
    pub message: String,
}

impl From<RunRecord> for RunView {
    fn from(r: RunRecord) -> Self {
        RunView {
            id: r.id,
            started_by: r.started_by,
            started_at_ms: r.started_at,
            finished_at_ms: r.finished_at,
            state: r.state,
            done: r.done,
            total: r.total,
            pairs: r.pairs,
            message: r.message,
        }
    }
}
