//! Clearing with record linkage: the same person reported in several places.
//!
//! - Each victim's blocking keys are stored as keyed hashes (`linkage_keys`), so the
//!   incremental check after a save finds candidates with an index lookup, decrypts only
//!   those, and scores them with the trained model.
//! - A full run (`gugus linkage run`, or from the admin page) decrypts every victim in
//!   memory, trains the model (EM, no labels), rebuilds the keys and proposes pairs.
//! - Clearing officers decide each proposed pair once ("same person" / "different people");
//!   "same person" links the records to one person identity (`victims.person_id`), never
//!   deletes anything, and can be undone. Official figures count unique persons.

use crate::core::audit::Event;
use crate::core::ids::CaseId;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::{Action, Actor, RegionCode, Scope, decide};
use records::EngineVictimRecord;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Pairs at or above this match probability are proposed to the clearing officers.
pub const PROPOSE_AT: f64 = 0.5;
/// A blocking key shared by more victims than this is too common to look up one by one.
const KEY_CAP: i64 = 500;
/// The model shipped for small databases, trained on synthetic records (no real person).
const DEFAULT_MODEL: &str = include_str!("../../../../data/linkage-model.json");
/// Below this many victims the shipped model is used instead of one trained on the data.
const MIN_TRAIN: usize = 2_000;

pub(crate) type ModelCache = Arc<std::sync::Mutex<Option<(i64, Arc<linkage::Model>)>>>;

#[derive(Debug, Clone, Serialize)]
pub struct ExplainLine {
    pub field: String,
    pub level: String,
    pub weight: f64,
}

fn explain_json(s: &linkage::Scored) -> String {
    let lines: Vec<ExplainLine> = s
        .explanation
        .iter()
        .map(|c| ExplainLine {
            field: c.field.to_owned(),
            level: c.level.to_owned(),
            weight: (c.weight * 100.0).round() / 100.0,
        })
        .collect();
    serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into())
}

/// A proposed or decided pair touching one of the case's victims, for the case page.
#[derive(Debug, Clone, Serialize)]
pub struct CaseDuplicate {
    pub pair_id: i64,
    pub victim_position: i64,
    pub other_case: i64,
    pub other_code: String,
    pub other_initials: String,
    pub other_region: String,
    pub probability: f64,
    pub status: String,
}

impl CaseDuplicate {
    pub fn percent(&self) -> String {
        format!("{:.0}%", self.probability * 100.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PairRow {
    pub id: i64,
    pub probability: f64,
    pub status: String,
    pub found_at_ms: i64,
    pub a_code: String,
    pub a_region: String,
    pub a_initials: String,
    pub b_code: String,
    pub b_region: String,
    pub b_initials: String,
}

impl PairRow {
    pub fn percent(&self) -> String {
        format!("{:.0}%", self.probability * 100.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PairSide {
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
    pub birth_date: Option<Day>,
    pub age_estimate: Option<i64>,
    pub home_village: Option<String>,
    pub person_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub id: i64,
    pub probability: f64,
    pub weight: f64,
    pub status: String,
    pub source: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub explanation: Vec<ExplainLine>,
    pub a: PairSide,
    pub b: PairSide,
}

impl PairView {
    pub fn percent(&self) -> String {
        format!("{:.1}%", self.probability * 100.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub id: i64,
    pub started_by: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    pub state: String,
    pub done: i64,
    pub total: i64,
    pub pairs: i64,
    pub message: String,
}

impl RunView {
    pub fn percent(&self) -> i64 {
        if self.total <= 0 {
            0
        } else {
            (self.done * 100 / self.total).clamp(0, 100)
        }
    }
}

/// Official figures: only cleared cases count, and each person once.
#[derive(Debug, Clone, Serialize)]
pub struct OfficialCount {
    pub cleared_cases: i64,
    pub victim_records: i64,
    pub unique_persons: i64,
}

pub(crate) fn sex_of(code: &str) -> Option<linkage::Sex> {
    match code {
        "female" => Some(linkage::Sex::Female),
        "male" => Some(linkage::Sex::Male),
        _ => None,
    }
}

pub(crate) fn date_of(day: Option<Day>) -> Option<linkage::Date> {
    day.map(|d| {
        let (y, m, dd) = domain::time::civil_from_days(d);
        linkage::Date {
            year: y as i32,
            month: m as u8,
            day: dd as u8,
        }
    })
}

/// Where the person comes from when known, else where the case was registered (regency).
pub(crate) fn record_region(
    home_village: Option<&str>,
    case_region: Option<&str>,
) -> Option<String> {
    regency4(home_village).or_else(|| regency4(case_region))
}

/// "62.71" → "6271": the regency part of a region code, as the engine compares it.
fn regency4(code: Option<&str>) -> Option<String> {
    let code = code?;
    let mut parts = code.split('.');
    let (p, r) = (parts.next()?, parts.next()?);
    Some(format!("{p}{r}"))
}

macro_rules! victim_select {
    ($tail:literal) => {
        concat!(
            "SELECT v.id, v.name_enc, v.nik_enc, v.sex, v.birth_date, v.home_village, c.region_code ",
            "FROM victims v JOIN cases c ON c.id = v.case_id ",
            $tail
        )
    };
}

mod pairs;
mod records;
mod run;

pub use pairs::pair_status;
pub(crate) use run::relink;

impl Store {
    /// Victims as the engine compares them (identities decrypted in memory).
    fn engine_records(&self, rows: Vec<EngineVictimRecord>) -> Result<Vec<linkage::Record>> {
        let k = self.keyring()?;
        rows.into_iter().map(|r| r.into_record(k)).collect()
    }

    /// The model in use: the last trained one, or the shipped one. The shipped model's prior
    /// (the chance that two random records are one person) was estimated on its training set,
    /// so it is rescaled to this database's size (by powers of two, to reuse the cache).
    pub(crate) async fn linkage_model(&self) -> Result<Arc<linkage::Model>> {
        let row: Option<i64> =
            sqlx::query_scalar("SELECT trained_at FROM linkage_model WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        let mut stamp: i64 = row.unwrap_or(0);
        let mut size = 0u32;
        if stamp == 0 {
            // The highest id stands for the count (ids only grow; a few deleted victims
            // do not move the power of two): COUNT(*) scanned every victim on each save.
            let n: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM victims")
                .fetch_one(self.pool())
                .await?;
            size = (n.max(2) as u64).next_power_of_two().trailing_zeros();
            stamp = -i64::from(size);
        }
        if let Ok(cache) = self.model_cache.lock()
            && let Some((s, m)) = cache.as_ref()
            && *s == stamp
        {
            return Ok(m.clone());
        }
        let model: linkage::Model = if stamp <= 0 {
            let mut m: linkage::Model = serde_json::from_str(DEFAULT_MODEL)
                .map_err(|e| StoreError::Other(format!("shipped linkage model: {e}")))?;
            let n = (1u64 << size) as f64;
            m.lambda = (m.lambda * m.n_records as f64 / n).clamp(m.lambda.min(0.01), 0.01);
            m
        } else {
            // The trained model's frequency tables hold hashes of victims' names: it is
            // stored encrypted. If it cannot be read (a key rotated away), the shipped model
            // serves until the next full run.
            let stored: String = sqlx::query_scalar("SELECT model FROM linkage_model WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
            let parsed = self
                .keyring()
                .and_then(|k| k.decrypt("linkage_model.model", &stored))
                .and_then(|json| {
                    serde_json::from_str::<linkage::Model>(&json)
                        .map_err(|e| StoreError::Other(format!("stored linkage model: {e}")))
                });
            match parsed {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!(error = %e, "stored linkage model unreadable; using the shipped one");
                    serde_json::from_str(DEFAULT_MODEL)
                        .map_err(|e| StoreError::Other(format!("shipped linkage model: {e}")))?
                }
            }
        };
        let model = Arc::new(model);
        if let Ok(mut cache) = self.model_cache.lock() {
            *cache = Some((stamp, model.clone()));
        }
        Ok(model)
    }

    pub(crate) fn keys_of(&self, r: &linkage::Record) -> Result<Vec<i64>> {
        let k = self.keyring()?;
        if linkage::is_blank(r) {
            return Ok(Vec::new());
        }
        let mut keys: Vec<i64> = linkage::blocking_keys(r)
            .iter()
            .map(|key| k.blind_key("linkage", key))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Removes the name tokens and blocking keys of the victims of a case, as computed from
    /// what is stored now (call before the case or its victims change). The two lookup
    /// tables have no index by victim (at 1,000,000 cases those indexes cost 480 MiB and a
    /// tree write per key on every save), so each row is removed by the table's own key,
    /// computed again from the identity it was made of, under the current and the previous
    /// key. A victim whose identity cannot be decrypted falls back to a full scan.
    pub(crate) async fn forget_victim_indexes(
        &self,
        conn: &mut sqlx::AnyConnection,
        case: i64,
    ) -> Result<()> {
        let rows: Vec<records::IndexedVictimRecord> = sqlx::query_as(
            "SELECT v.id, v.name_enc, v.alias_enc, v.nik_enc, v.sex, v.birth_date, v.home_village, c.region_code \
             FROM victims v JOIN cases c ON c.id = v.case_id WHERE v.case_id = $1",
        )
        .bind(case)
        .fetch_all(&mut *conn)
        .await?;
        let k = self.keyring()?;
        for row in rows {
            let id = row.engine.id;
            let alias = row
                .alias_enc
                .map(|a| k.decrypt("victims.alias", &a))
                .transpose();
            let (rec, alias) = match (row.engine.into_record(k), alias) {
                (Ok(rec), Ok(alias)) => (rec, alias),
                _ => {
                    tracing::warn!(
                        victim = id,
                        "identity unreadable; removing its tokens and keys by a full scan"
                    );
                    for sql in [
                        "DELETE FROM victim_name_tokens WHERE victim_id = $1",
                        "DELETE FROM linkage_keys WHERE victim_id = $1",
                    ] {
                        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
                    }
                    continue;
                }
            };
            let name = rec.name.clone().unwrap_or_default();
            crate::core::blind::forget_name_tokens(conn, k, id, &name, alias.as_deref()).await?;
            if linkage::is_blank(&rec) {
                continue;
            }
            let keys: Vec<i64> = linkage::blocking_keys(&rec)
                .iter()
                .flat_map(|key| k.blind_keys("linkage", key))
                .collect();
            for part in keys.chunks(400) {
                let mut q =
                    crate::core::sql::Sql::new("DELETE FROM linkage_keys WHERE victim_id = ");
                q.bind_int(id).push(" AND key").in_list(part);
                q.build().execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    /// Writes one victim's blocking keys (inside the transaction that writes the victim); a
    /// victim whose identity changes first has the old ones removed with
    /// [`Store::forget_victim_indexes`].
    pub(crate) async fn write_linkage_keys(
        &self,
        conn: &mut sqlx::AnyConnection,
        rec: &linkage::Record,
    ) -> Result<()> {
        let keys = self.keys_of(rec)?;
        if keys.is_empty() {
            return Ok(());
        }
        let mut q = crate::core::sql::Sql::new("INSERT INTO linkage_keys (key, victim_id) VALUES ");
        for (i, key) in keys.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind_int(*key)
                .push(", ")
                .bind_int(rec.id as i64)
                .push(")");
        }
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regency_codes_for_the_engine() {
        assert_eq!(regency4(Some("62.71.01.1001")).as_deref(), Some("6271"));
        assert_eq!(regency4(Some("53")), None);
        assert_eq!(regency4(None), None);
    }

    #[test]
    fn the_shipped_model_loads() {
        let m: linkage::Model = serde_json::from_str(DEFAULT_MODEL).unwrap();
        assert!(m.lambda > 0.0 && m.lambda < 1.0);
    }
}
