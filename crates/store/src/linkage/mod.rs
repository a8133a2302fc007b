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

use crate::core::audit::{Event, append};
use crate::core::ids::CaseId;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::{Action, Actor, RegionCode, Scope, decide};
use serde::Serialize;
use sqlx::Row;
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

impl Store {
    fn victim_record(&self, r: &sqlx::any::AnyRow) -> Result<linkage::Record> {
        let k = self.keyring()?;
        let name: Option<String> = r.try_get("name_enc")?;
        let nik: Option<String> = r.try_get("nik_enc")?;
        let sex: String = r.try_get("sex")?;
        let home: Option<String> = r.try_get("home_village")?;
        let region: Option<String> = r.try_get("region_code")?;
        Ok(linkage::Record {
            id: r.try_get::<i64, _>("id")? as u64,
            name: name.map(|n| k.decrypt("victims.name", &n)).transpose()?,
            nik: nik.map(|n| k.decrypt("victims.nik", &n)).transpose()?,
            sex: sex_of(&sex),
            birth: date_of(r.try_get("birth_date")?),
            region: record_region(home.as_deref(), region.as_deref()),
            ..Default::default()
        })
    }

    /// The model in use: the last trained one, or the shipped one. The shipped model's prior
    /// (the chance that two random records are one person) was estimated on its training set,
    /// so it is rescaled to this database's size (by powers of two, to reuse the cache).
    pub(crate) async fn linkage_model(&self) -> Result<Arc<linkage::Model>> {
        let row = sqlx::query("SELECT trained_at FROM linkage_model WHERE id = 1")
            .fetch_optional(self.pool())
            .await?;
        let mut stamp: i64 = match &row {
            Some(r) => r.try_get("trained_at")?,
            None => 0,
        };
        let mut size = 0u32;
        if stamp == 0 {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM victims")
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

    fn keys_of(&self, r: &linkage::Record) -> Result<Vec<String>> {
        let k = self.keyring()?;
        if linkage::is_blank(r) {
            return Ok(Vec::new());
        }
        let mut keys: Vec<String> = linkage::blocking_keys(r)
            .iter()
            .map(|key| k.blind_index("linkage", key))
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Replaces one victim's blocking keys (inside the transaction that writes the victim).
    pub(crate) async fn write_linkage_keys(
        &self,
        conn: &mut sqlx::AnyConnection,
        rec: &linkage::Record,
    ) -> Result<()> {
        sqlx::query("DELETE FROM linkage_keys WHERE victim_id = $1")
            .bind(rec.id as i64)
            .execute(&mut *conn)
            .await?;
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
                .bind_text(key.as_str())
                .push(", ")
                .bind_int(rec.id as i64)
                .push(")");
        }
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await?;
        Ok(())
    }

    /// The incremental duplicate check after a case is saved: look up the victims' blocking
    /// keys (written with the victims), decrypt only the candidates, score them, and propose
    /// the pairs above the threshold. Decided pairs are never asked again. Returns how many
    /// pairs were proposed or refreshed.
    pub async fn check_duplicates(&self, case: CaseId) -> Result<usize> {
        let rows = sqlx::query(victim_select!("WHERE v.case_id = $1"))
            .bind(case.0)
            .fetch_all(self.pool())
            .await?;
        let mut own: HashSet<i64> = HashSet::new();
        let mut records = Vec::new();
        for r in &rows {
            let rec = self.victim_record(r)?;
            own.insert(rec.id as i64);
            let keys = self.keys_of(&rec)?;
            if !keys.is_empty() {
                records.push((rec, keys));
            }
        }
        if records.is_empty() {
            return Ok(0);
        }
        // One lookup for every key of every victim of the case.
        let mut q =
            crate::core::sql::Sql::new("SELECT key, victim_id FROM linkage_keys WHERE key IN (");
        let mut first = true;
        for (_, keys) in &records {
            for key in keys {
                if !first {
                    q.push(", ");
                }
                first = false;
                q.bind_text(key.as_str());
            }
        }
        q.push(")");
        let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
        for r in q.build().fetch_all(self.pool()).await? {
            by_key
                .entry(r.try_get("key")?)
                .or_default()
                .push(r.try_get("victim_id")?);
        }
        let model = self.linkage_model().await?;
        let mut found = Vec::new();
        for (rec, keys) in &records {
            let mut candidates: BTreeSet<i64> = BTreeSet::new();
            for key in keys {
                if let Some(ids) = by_key.get(key)
                    && ids.len() as i64 <= KEY_CAP
                {
                    candidates.extend(ids.iter().filter(|i| !own.contains(i)));
                }
            }
            if candidates.is_empty() {
                continue;
            }
            let mut a = linkage::Prepared::new(rec);
            model.annotate(&mut a);
            for chunk in candidates.into_iter().collect::<Vec<_>>().chunks(200) {
                let list = chunk
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                let others = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{} WHERE v.id IN ({list})",
                    victim_select!("")
                )))
                .fetch_all(self.pool())
                .await?;
                for o in &others {
                    let other = self.victim_record(o)?;
                    let s = model.score_prepared(&a, &linkage::Prepared::new(&other));
                    if s.probability >= PROPOSE_AT {
                        found.push((rec.id as i64, other.id as i64, s));
                    }
                }
            }
        }
        let n = found.len();
        self.propose_pairs(&found, "incremental").await?;
        Ok(n)
    }

    async fn propose_pairs(
        &self,
        found: &[(i64, i64, linkage::Scored)],
        source: &str,
    ) -> Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        let now = crate::now_ms();
        let mut tx = self.begin_write().await?;
        for (x, y, s) in found {
            let (a, b) = if x < y { (*x, *y) } else { (*y, *x) };
            sqlx::query(
                "INSERT INTO linkage_pairs (victim_a, victim_b, probability, weight, explanation, status, source, found_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) ON CONFLICT (victim_a, victim_b) DO UPDATE SET \
                 probability = excluded.probability, weight = excluded.weight, explanation = excluded.explanation \
                 WHERE linkage_pairs.status = 'pending'",
            )
            .bind(a)
            .bind(b)
            .bind(s.probability)
            .bind(if s.weight.is_finite() { s.weight } else { -99.0 })
            .bind(explain_json(s))
            .bind(source.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pairs touching the case's victims, for its page.
    pub async fn case_duplicates(&self, actor: &Actor, case: CaseId) -> Result<Vec<CaseDuplicate>> {
        self.case_access(actor, case, Action::ViewCase).await?;
        // Only for those who work with identities (the data officer, verifiers): that a
        // victim is also on record elsewhere is itself sensitive.
        if self
            .case_access(actor, case, Action::ViewIdentity)
            .await
            .is_err()
        {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT p.id, p.probability, p.status, v.position, v.id AS vid, \
             o.initials AS o_initials, oc.id AS o_case, oc.code AS o_code, oc.region_code AS o_region \
             FROM linkage_pairs p \
             JOIN victims v ON (v.id = p.victim_a OR v.id = p.victim_b) AND v.case_id = $1 \
             JOIN victims o ON o.id = CASE WHEN p.victim_a = v.id THEN p.victim_b ELSE p.victim_a END \
             JOIN cases oc ON oc.id = o.case_id \
             WHERE p.status <> 'different' ORDER BY v.position, p.probability DESC LIMIT 50",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let region: Option<String> = r.try_get("o_region")?;
            let other_scope =
                Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
            if decide(actor, Action::ViewCase, &other_scope).is_err() {
                // Outside the actor's scope: only that the person may be on record elsewhere.
                out.push(CaseDuplicate {
                    pair_id: r.try_get("id")?,
                    victim_position: r.try_get("position")?,
                    other_case: 0,
                    other_code: String::new(),
                    other_initials: String::new(),
                    other_region: String::new(),
                    probability: r.try_get("probability")?,
                    status: r.try_get("status")?,
                });
                continue;
            }
            out.push(CaseDuplicate {
                pair_id: r.try_get("id")?,
                victim_position: r.try_get("position")?,
                other_case: r.try_get("o_case")?,
                other_code: r.try_get("o_code")?,
                other_initials: r.try_get("o_initials")?,
                other_region: region.unwrap_or_else(|| "NAS".into()),
                probability: r.try_get("probability")?,
                status: r.try_get("status")?,
            });
        }
        Ok(out)
    }

    /// Pairs for the clearing officers' queue: both records inside the actor's scope,
    /// most likely first.
    pub async fn linkage_pairs(&self, actor: &Actor, status: &str) -> Result<Vec<PairRow>> {
        decide(actor, Action::LinkPersons, &actor.scope)?;
        let status = match status {
            "same" | "different" | "pending" => status,
            _ => "pending",
        };
        let mut q = crate::core::sql::Sql::new(
            "SELECT p.id, p.probability, p.status, p.found_at, \
             ca.code AS a_code, ca.region_code AS a_region, va.initials AS a_initials, \
             cb.code AS b_code, cb.region_code AS b_region, vb.initials AS b_initials \
             FROM linkage_pairs p JOIN victims va ON va.id = p.victim_a JOIN cases ca ON ca.id = va.case_id \
             JOIN victims vb ON vb.id = p.victim_b JOIN cases cb ON cb.id = vb.case_id WHERE p.status = ",
        );
        q.bind_text(status);
        if actor.scope != Scope::National {
            q.scope("ca.region_code", &actor.scope);
            q.scope("cb.region_code", &actor.scope);
        }
        q.push(" ORDER BY p.probability DESC, p.id LIMIT 300");
        let mut out = Vec::new();
        for r in q.build().fetch_all(self.pool()).await? {
            let ar: Option<String> = r.try_get("a_region")?;
            let br: Option<String> = r.try_get("b_region")?;
            out.push(PairRow {
                id: r.try_get("id")?,
                probability: r.try_get("probability")?,
                status: r.try_get("status")?,
                found_at_ms: r.try_get("found_at")?,
                a_code: r.try_get("a_code")?,
                a_region: ar.unwrap_or_else(|| "NAS".into()),
                a_initials: r.try_get("a_initials")?,
                b_code: r.try_get("b_code")?,
                b_region: br.unwrap_or_else(|| "NAS".into()),
                b_initials: r.try_get("b_initials")?,
            });
        }
        Ok(out)
    }

    /// Both victims of a pair, checked against the actor's scope (404 when either is outside).
    async fn pair_victims(&self, actor: &Actor, id: i64) -> Result<(i64, i64, String)> {
        decide(actor, Action::LinkPersons, &actor.scope)?;
        let r = sqlx::query(
            "SELECT p.victim_a, p.victim_b, p.status, ca.region_code AS ra, cb.region_code AS rb \
             FROM linkage_pairs p JOIN victims va ON va.id = p.victim_a JOIN cases ca ON ca.id = va.case_id \
             JOIN victims vb ON vb.id = p.victim_b JOIN cases cb ON cb.id = vb.case_id WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        for col in ["ra", "rb"] {
            let region: Option<String> = r.try_get(col)?;
            let scope = Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
            decide(actor, Action::LinkPersons, &scope)?;
        }
        Ok((
            r.try_get("victim_a")?,
            r.try_get("victim_b")?,
            r.try_get("status")?,
        ))
    }

    /// Checks that the actor may decide this pair (403 for roles that never do, 404 when
    /// either record is out of scope), before a request body is looked at.
    pub async fn pair_access(&self, actor: &Actor, id: i64) -> Result<()> {
        self.pair_victims(actor, id).await.map(|_| ())
    }

    /// One side of a pair. Identities are shown when the actor may see them on that case
    /// (own unit, or a break-the-glass grant), and to national clearing officers, whose
    /// task is to compare them (every view is audited as `linkage.view_pair`); provincial
    /// verifiers of another unit's case see initials.
    async fn pair_side(&self, actor: &Actor, victim: i64) -> Result<PairSide> {
        let r = sqlx::query(
            "SELECT v.*, c.code, c.region_code, c.review_state, c.unit_id, n.name AS unit_name FROM victims v \
             JOIN cases c ON c.id = v.case_id JOIN units n ON n.id = c.unit_id WHERE v.id = $1",
        )
        .bind(victim)
        .fetch_one(self.pool())
        .await?;
        let k = self.keyring()?;
        let region: Option<String> = r.try_get("region_code")?;
        let case_id: i64 = r.try_get("case_id")?;
        let scope = Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
        let owner = domain::UnitId(r.try_get("unit_id")?);
        let identities = decide(actor, Action::ClearCase, &scope).is_ok()
            || self
                .identity_access(actor, CaseId(case_id), owner, &scope)
                .await?
                == crate::core::access::IdentityAccess::Granted;
        let (name, nik): (Option<String>, Option<String>) = if identities {
            (r.try_get("name_enc")?, r.try_get("nik_enc")?)
        } else {
            (None, None)
        };
        Ok(PairSide {
            victim_id: victim,
            case_id,
            case_code: r.try_get("code")?,
            unit_name: r.try_get("unit_name")?,
            region_code: region.unwrap_or_else(|| "NAS".into()),
            review_state: r.try_get("review_state")?,
            initials: r.try_get("initials")?,
            name: name.map(|n| k.decrypt("victims.name", &n)).transpose()?,
            nik: nik.map(|n| k.decrypt("victims.nik", &n)).transpose()?,
            sex: r.try_get("sex")?,
            birth_date: r.try_get("birth_date")?,
            age_estimate: r.try_get("age_estimate")?,
            home_village: r.try_get("home_village")?,
            person_id: r.try_get("person_id")?,
        })
    }

    /// One pair side by side with the explanation. Comparing identities is the clearing
    /// officer's job, so names and NIK are shown, and the view is audited.
    pub async fn linkage_pair(&self, actor: &Actor, id: i64) -> Result<PairView> {
        let (a, b, _) = self.pair_victims(actor, id).await?;
        let r = sqlx::query("SELECT * FROM linkage_pairs WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let explanation: String = r.try_get("explanation")?;
        let lines: Vec<serde_json::Value> = serde_json::from_str(&explanation).unwrap_or_default();
        let view = PairView {
            id,
            probability: r.try_get("probability")?,
            weight: r.try_get("weight")?,
            status: r.try_get("status")?,
            source: r.try_get("source")?,
            decided_by: r.try_get("decided_by")?,
            decided_at_ms: r.try_get("decided_at")?,
            explanation: lines
                .iter()
                .map(|l| ExplainLine {
                    field: l["field"].as_str().unwrap_or("").to_owned(),
                    level: l["level"].as_str().unwrap_or("").to_owned(),
                    weight: l["weight"].as_f64().unwrap_or(0.0),
                })
                .collect(),
            a: self.pair_side(actor, a).await?,
            b: self.pair_side(actor, b).await?,
        };
        self.audit(
            actor,
            Event {
                action: "linkage.view_pair",
                record_type: "linkage_pair",
                record_id: id.to_string(),
                detail: format!("victims={a},{b}"),
            },
        )
        .await?;
        Ok(view)
    }

    /// Decides a pair: `Some(true)` same person, `Some(false)` different people, `None`
    /// undoes the decision. Person identities are recomputed from the "same" decisions.
    pub async fn decide_pair(&self, actor: &Actor, id: i64, same: Option<bool>) -> Result<()> {
        let (a, b, status) = self.pair_victims(actor, id).await?;
        let new_status = match same {
            Some(true) => "same",
            Some(false) => "different",
            None => "pending",
        };
        if same.is_some() && status != "pending" {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        if same.is_none() && status == "pending" {
            return Err(StoreError::Conflict("conflict.pair_not_decided"));
        }
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE linkage_pairs SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(new_status)
        .bind(same.map(|_| actor.username.clone()))
        .bind(same.map(|_| crate::now_ms()))
        .bind(id)
        .bind(status.clone())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        relink(&mut tx, vec![a, b]).await?;
        append(
            &mut tx,
            actor,
            Event {
                action: match same {
                    Some(true) => "linkage.same",
                    Some(false) => "linkage.different",
                    None => "linkage.undo",
                },
                record_type: "linkage_pair",
                record_id: id.to_string(),
                detail: format!("victims={a},{b}"),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cleared cases, their victim records, and the unique persons among them, in scope.
    pub async fn official_count(&self, actor: &Actor) -> Result<OfficialCount> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = crate::core::sql::Sql::new(
            "SELECT COUNT(DISTINCT c.id) AS cases, COUNT(v.id) AS victims, \
             COUNT(DISTINCT COALESCE(v.person_id, v.id)) AS persons \
             FROM cases c LEFT JOIN victims v ON v.case_id = c.id WHERE c.review_state = 'cleared'",
        );
        if actor.scope != Scope::National {
            q.scope("c.region_code", &actor.scope);
        }
        let r = q.build().fetch_one(self.pool()).await?;
        Ok(OfficialCount {
            cleared_cases: r.try_get("cases")?,
            victim_records: r.try_get("victims")?,
            unique_persons: r.try_get("persons")?,
        })
    }

    /// Starts a full run record; the caller then runs [`Store::run_linkage`].
    pub async fn start_linkage_run(&self, actor: &Actor) -> Result<i64> {
        decide(actor, Action::RunLinkage, &Scope::National)?;
        let running: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM linkage_runs WHERE state = 'running' AND started_at > $1",
        )
        .bind(crate::now_ms() - 6 * 3_600_000)
        .fetch_one(self.pool())
        .await?;
        if running > 0 {
            return Err(StoreError::Conflict("conflict.linkage_running"));
        }
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO linkage_runs (started_by, started_at, state) VALUES ($1, $2, 'running') RETURNING id",
        )
        .bind(actor.username.clone())
        .bind(crate::now_ms())
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            actor,
            Event {
                action: "linkage.run",
                record_type: "linkage_run",
                record_id: id.to_string(),
                detail: String::new(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn run_progress(
        &self,
        run: i64,
        done: i64,
        total: i64,
        state: &str,
        pairs: i64,
        msg: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE linkage_runs SET done = $1, total = $2, state = $3, pairs = $4, message = $5, \
             finished_at = CASE WHEN $3 = 'running' THEN NULL ELSE $6 END WHERE id = $7",
        )
        .bind(done)
        .bind(total)
        .bind(state.to_owned())
        .bind(pairs)
        .bind(msg.to_owned())
        .bind(crate::now_ms())
        .bind(run)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The full run: decrypt every victim, train (when there are enough records), rebuild
    /// the blocking keys, score all candidate pairs and propose those above the threshold.
    /// Progress is written to the run record (steps: load, keys, scoring).
    pub async fn run_linkage(&self, run: i64) -> Result<i64> {
        let result = self.run_linkage_inner(run).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "linkage run failed");
            let _ = self.run_progress(run, 0, 0, "failed", 0, "error").await;
        }
        result
    }

    async fn run_linkage_inner(&self, run: i64) -> Result<i64> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM victims")
            .fetch_one(self.pool())
            .await?;
        // Progress: loading counts as the first third, keys the second, scoring the last.
        let all = total.max(1) * 3;
        let records = self.load_victim_records(Some((run, all))).await?;
        let n = records.len() as i64;
        if records.len() >= MIN_TRAIN {
            let recs = records.clone();
            let model = tokio::task::spawn_blocking(move || linkage::train(&recs))
                .await
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let json =
                serde_json::to_string(&model).map_err(|e| StoreError::Other(e.to_string()))?;
            let json = self.keyring()?.encrypt("linkage_model.model", &json)?;
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM linkage_model")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO linkage_model (id, model, records, trained_at) VALUES (1, $1, $2, $3)",
            )
            .bind(json)
            .bind(n)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        let model = self.linkage_model().await?;
        self.rebuild_keys_of(&records, Some((run, n, all))).await?;
        // Victims of the same case are different people by construction.
        let case_of: HashMap<u64, i64> = sqlx::query("SELECT id, case_id FROM victims")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| -> Result<(u64, i64)> {
                Ok((r.try_get::<i64, _>("id")? as u64, r.try_get("case_id")?))
            })
            .collect::<Result<_>>()?;
        let m = model.clone();
        let pairs = tokio::task::spawn_blocking(move || {
            linkage::link_all(&records, &m, PROPOSE_AT, &|_, _| {})
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
        let found: Vec<(i64, i64, linkage::Scored)> = pairs
            .into_iter()
            .filter(|p| case_of.get(&p.a) != case_of.get(&p.b))
            .map(|p| (p.a as i64, p.b as i64, p.scored))
            .collect();
        for chunk in found.chunks(2000) {
            self.propose_pairs(chunk, "full").await?;
        }
        let count = found.len() as i64;
        self.run_progress(run, all, all, "done", count, "").await?;
        Ok(count)
    }

    /// Every victim as the engine sees it (identities decrypted in memory), in id order, in
    /// batches of 5,000; `progress` is (run, total) for a full run's progress bar.
    async fn load_victim_records(
        &self,
        progress: Option<(i64, i64)>,
    ) -> Result<Vec<linkage::Record>> {
        let mut records = Vec::new();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query(victim_select!("WHERE v.id > $1 ORDER BY v.id LIMIT 5000"))
                .bind(last)
                .fetch_all(self.pool())
                .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let rec = self.victim_record(r)?;
                last = rec.id as i64;
                records.push(rec);
            }
            if let Some((run, all)) = progress {
                self.run_progress(run, records.len() as i64, all, "running", 0, "load")
                    .await?;
            }
        }
        Ok(records)
    }

    /// Recomputes every victim's blocking keys (after a key rotation).
    pub async fn rebuild_linkage_keys(&self, progress: Option<(i64, i64, i64)>) -> Result<usize> {
        let records = self.load_victim_records(None).await?;
        self.rebuild_keys_of(&records, progress).await?;
        Ok(records.len())
    }

    /// Replaces every victim's blocking keys with those of `records` (a full rebuild): the
    /// table is emptied, then filled with multi-row inserts, one transaction per 2,000
    /// victims. `progress` is (run, done before, total) for a full run's progress bar.
    async fn rebuild_keys_of(
        &self,
        records: &[linkage::Record],
        progress: Option<(i64, i64, i64)>,
    ) -> Result<()> {
        // Victims registered after the snapshot was loaded keep the keys written with them.
        let max_id = records.iter().map(|r| r.id as i64).max().unwrap_or(0);
        {
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM linkage_keys WHERE victim_id <= $1")
                .bind(max_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        for (i, chunk) in records.chunks(2000).enumerate() {
            let mut rows: Vec<(String, i64)> = Vec::new();
            for rec in chunk {
                for key in self.keys_of(rec)? {
                    rows.push((key, rec.id as i64));
                }
            }
            let mut tx = self.begin_write().await?;
            // Victims deleted since the snapshot are skipped (their keys would break the
            // foreign key and fail the whole run).
            if let (Some(lo), Some(hi)) = (chunk.first(), chunk.last()) {
                let alive: HashSet<i64> =
                    sqlx::query_scalar("SELECT id FROM victims WHERE id >= $1 AND id <= $2")
                        .bind(lo.id as i64)
                        .bind(hi.id as i64)
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .collect();
                rows.retain(|(_, id)| alive.contains(id));
            }
            for part in rows.chunks(400) {
                let mut q =
                    crate::core::sql::Sql::new("INSERT INTO linkage_keys (key, victim_id) VALUES ");
                for (j, (key, id)) in part.iter().enumerate() {
                    if j > 0 {
                        q.push(", ");
                    }
                    q.push("(")
                        .bind_text(key.as_str())
                        .push(", ")
                        .bind_int(*id)
                        .push(")");
                }
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            if let Some((run, before, all)) = progress {
                let done = before + ((i + 1) * 2000).min(records.len()) as i64;
                self.run_progress(run, done, all, "running", 0, "keys")
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn linkage_runs(&self, actor: &Actor) -> Result<Vec<RunView>> {
        decide(actor, Action::LinkPersons, &actor.scope)?;
        let rows = sqlx::query("SELECT * FROM linkage_runs ORDER BY id DESC LIMIT 10")
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(RunView {
                id: r.try_get("id")?,
                started_by: r.try_get("started_by")?,
                started_at_ms: r.try_get("started_at")?,
                finished_at_ms: r.try_get("finished_at")?,
                state: r.try_get("state")?,
                done: r.try_get("done")?,
                total: r.try_get("total")?,
                pairs: r.try_get("pairs")?,
                message: r.try_get("message")?,
            });
        }
        Ok(out)
    }
}

/// Recomputes person identities around `seeds`: every victim connected to them through
/// "same person" decisions, or sharing their current person id, gets the smallest victim id
/// of its connected component (NULL when alone). Used after a decision, an undo, and when a
/// victim is deleted.
pub(crate) async fn relink(conn: &mut sqlx::AnyConnection, seeds: Vec<i64>) -> Result<()> {
    // Everything connected to a or b through "same" decisions (before and after).
    let mut seen: HashSet<i64> = HashSet::new();
    let mut todo = seeds.clone();
    let mut old_persons: Vec<Option<i64>> = Vec::new();
    for v in &seeds {
        old_persons.push(
            sqlx::query_scalar::<_, Option<i64>>("SELECT person_id FROM victims WHERE id = $1")
                .bind(*v)
                .fetch_optional(&mut *conn)
                .await?
                .flatten(),
        );
    }
    for p in old_persons.into_iter().flatten() {
        let members: Vec<i64> = sqlx::query_scalar("SELECT id FROM victims WHERE person_id = $1")
            .bind(p)
            .fetch_all(&mut *conn)
            .await?;
        todo.extend(members);
    }
    let mut edges: HashMap<i64, Vec<i64>> = HashMap::new();
    while let Some(v) = todo.pop() {
        if !seen.insert(v) {
            continue;
        }
        let rows = sqlx::query(
                "SELECT victim_a, victim_b FROM linkage_pairs WHERE status = 'same' AND (victim_a = $1 OR victim_b = $1)",
            )
            .bind(v)
            .fetch_all(&mut *conn)
            .await?;
        for r in rows {
            let (x, y): (i64, i64) = (r.try_get("victim_a")?, r.try_get("victim_b")?);
            edges.entry(x).or_default().push(y);
            edges.entry(y).or_default().push(x);
            todo.push(if x == v { y } else { x });
        }
    }
    // Connected components of the "same" graph among the touched victims.
    let mut assigned: HashSet<i64> = HashSet::new();
    for &start in &seen {
        if assigned.contains(&start) {
            continue;
        }
        let mut comp = vec![start];
        let mut stack = vec![start];
        assigned.insert(start);
        while let Some(v) = stack.pop() {
            for &w in edges.get(&v).map(Vec::as_slice).unwrap_or(&[]) {
                if assigned.insert(w) {
                    comp.push(w);
                    stack.push(w);
                }
            }
        }
        let person = if comp.len() > 1 {
            comp.iter().min().copied()
        } else {
            None
        };
        for v in comp {
            sqlx::query("UPDATE victims SET person_id = $1 WHERE id = $2")
                .bind(person)
                .bind(v)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
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
