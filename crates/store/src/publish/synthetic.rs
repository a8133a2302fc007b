//! Differentially private synthetic victim records (issue 14, item 4): one record per
//! person of the cleared records (linked records counted once) — sex, age band, year
//! reported, forms of exploitation, means of control, recruitment, province of origin,
//! destination — released through the DP-marginals method (`synth`, noise from OpenDP's
//! exact discrete Gaussian). Each release states its ε (and δ, and the ρ it spends); the
//! instance keeps a ledger of every release and refuses one that would take the cumulative
//! privacy loss over its budget. The utility report beside each release is computed from
//! protected outputs only (the noisy marginals against the synthetic records).

use crate::core::audit::Event;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, Invalid, Scope};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;

/// δ of every release (well below one over the number of persons any instance will hold).
pub const DELTA: f64 = 1e-6;
/// The ε a release spends unless the form says otherwise (CTDC's library default).
pub const DEFAULT_EPSILON: f64 = 4.0;
/// The smallest and largest ε one release may spend.
pub const EPSILON_MIN: f64 = 0.1;
pub const EPSILON_MAX: f64 = 10.0;
/// The first year offered (the public domain of the year attribute runs from here to now).
const FIRST_YEAR: i64 = 2015;
use super::AGE_BANDS;

/// One release in the ledger (public).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReleaseInfo {
    pub id: i64,
    pub created_at: i64,
    /// The day the data were read (cleared records reported up to it).
    pub as_of: i64,
    pub epsilon: f64,
    pub delta: f64,
    pub rho: f64,
    /// Synthetic records released (the noisy person count).
    pub records: i64,
}

/// The instance's privacy budget and what the releases spent of it.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    /// The budget (cumulative ε at δ) the instance may spend in all.
    pub budget_epsilon: f64,
    pub delta: f64,
    pub releases: Vec<ReleaseInfo>,
    /// ρ spent in all (zCDP composes by adding ρ).
    pub spent_rho: f64,
    /// The cumulative ε at δ that ρ amounts to.
    pub spent_epsilon: f64,
    /// The plain sum of the releases' ε (basic composition: an upper bound).
    pub sum_epsilon: f64,
}

impl Ledger {
    /// ε left at δ: the largest single release still possible (0 when spent).
    pub fn remaining_epsilon(&self) -> f64 {
        let rho_budget = synth::rho_from_epsilon(self.budget_epsilon, self.delta);
        let left = (rho_budget - self.spent_rho).max(0.0);
        if left <= 0.0 {
            0.0
        } else {
            synth::epsilon_from_rho(left, self.delta)
        }
    }
}

/// A release, whole (public).
#[derive(Debug, Clone, Serialize)]
pub struct SyntheticRelease {
    pub info: ReleaseInfo,
    /// The method's parameters (JSON).
    pub params: serde_json::Value,
    pub utility: Vec<synth::LengthUtility>,
    /// The synthetic records as CSV.
    pub csv: String,
}

/// The attributes released, with their public domains (codes of the picklists, regions and
/// years; nothing read from the records).
async fn schema(store: &Store, this_year: i64) -> Result<synth::Schema> {
    let lists = store.picklists().await?;
    let codes =
        |list: &str| -> Vec<String> { lists.items(list).iter().map(|i| i.code.clone()).collect() };
    let provinces: Vec<String> =
        sqlx::query_scalar("SELECT code FROM regions WHERE length(code) = 2 ORDER BY code")
            .fetch_all(store.pool())
            .await?;
    let mut destinations = provinces.clone();
    destinations.extend(codes("country").into_iter().map(|c| format!("LN-{c}")));
    let attr = |name: &str, values: Vec<String>, multi: bool| synth::Attribute {
        name: name.into(),
        values,
        multi,
    };
    Ok(synth::Schema {
        attributes: vec![
            attr("sex", codes("sex"), false),
            attr(
                "age_band",
                AGE_BANDS.iter().map(|s| (*s).to_owned()).collect(),
                false,
            ),
            attr(
                "year",
                (FIRST_YEAR..=this_year.max(FIRST_YEAR))
                    .map(|y| y.to_string())
                    .collect(),
                false,
            ),
            attr("exploitation", codes("exploitation"), true),
            attr("means_of_control", codes("means_of_control"), true),
            attr("recruitment", codes("recruitment"), false),
            attr("origin_province", provinces, false),
            attr("destination", destinations, false),
        ],
    })
}

/// One record per person of the cleared records reported up to `as_of` (a person linked
/// across records once, with their first record's attributes). Values outside the public
/// domain (an old code) are left out of the record rather than refused.
async fn person_records(
    store: &Store,
    schema: &synth::Schema,
    as_of: i64,
) -> Result<Vec<synth::Record>> {
    const ONCE: &str = "s.review_state = 'cleared' AND s.reported_on <= $1 \
         AND (s.person_key < 0 OR s.victim_id = (SELECT MIN(o.victim_id) FROM stat_victims o \
         WHERE o.person_key = s.person_key AND o.review_state = 'cleared' AND o.reported_on <= $1))";
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT s.case_id, s.sex, s.age_band, s.reported_month / 100, s.recruitment, s.home_province, \
         s.dest_province, s.dest_country FROM stat_victims s WHERE {ONCE} ORDER BY s.victim_id"
    )))
    .bind(as_of)
    .fetch_all(store.pool())
    .await?;
    let tags = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT t.case_id, t.list, t.code FROM stat_tags t JOIN stat_victims s ON s.case_id = t.case_id \
         WHERE {ONCE} AND t.list IN ('exploitation', 'means_of_control')"
    )))
    .bind(as_of)
    .fetch_all(store.pool())
    .await?;
    let mut by_case: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
    for t in &tags {
        let case: i64 = t.try_get(0)?;
        let list: String = t.try_get(1)?;
        let code: String = t.try_get(2)?;
        let e = by_case.entry(case).or_default();
        if list == "exploitation" {
            e.0.push(code);
        } else {
            e.1.push(code);
        }
    }
    let known = |i: usize, v: Option<String>| -> Vec<String> {
        v.filter(|v| schema.attributes[i].values.contains(v))
            .into_iter()
            .collect()
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let case: i64 = r.try_get(0)?;
        let year: Option<i64> = r.try_get(3)?;
        let dest = match (
            r.try_get::<Option<String>, _>(6)?,
            r.try_get::<Option<String>, _>(7)?,
        ) {
            (Some(p), _) => Some(p),
            (None, Some(c)) => Some(format!("LN-{c}")),
            (None, None) => None,
        };
        let (forms, means) = by_case.get(&case).cloned().unwrap_or_default();
        let keep = |i: usize, vs: Vec<String>| -> Vec<String> {
            let mut vs: Vec<String> = vs
                .into_iter()
                .filter(|v| schema.attributes[i].values.contains(v))
                .collect();
            vs.sort();
            vs.dedup();
            vs
        };
        out.push(synth::Record {
            values: vec![
                known(0, r.try_get(1)?),
                known(1, r.try_get(2)?),
                known(2, year.map(|y| y.to_string())),
                keep(3, forms),
                keep(4, means),
                known(5, r.try_get(4)?),
                known(6, r.try_get(5)?),
                known(7, dest),
            ],
        });
    }
    Ok(out)
}

const INFO_SELECT: &str =
    "SELECT id, created_at, as_of, epsilon, delta, rho, records FROM synthetic_releases";

impl Store {
    /// The ledger of releases against the instance's budget (public).
    pub async fn synthetic_ledger(&self, budget_epsilon: f64) -> Result<Ledger> {
        let releases: Vec<ReleaseInfo> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{INFO_SELECT} ORDER BY id DESC"
        )))
        .fetch_all(self.pool())
        .await?;
        let spent_rho: f64 = releases.iter().map(|r| r.rho).sum();
        let sum_epsilon = releases.iter().map(|r| r.epsilon).sum();
        Ok(Ledger {
            budget_epsilon,
            delta: DELTA,
            spent_epsilon: if spent_rho > 0.0 {
                synth::epsilon_from_rho(spent_rho, DELTA)
            } else {
                0.0
            },
            releases,
            spent_rho,
            sum_epsilon,
        })
    }

    /// One release (public).
    pub async fn synthetic_release(&self, id: i64) -> Result<SyntheticRelease> {
        let info: ReleaseInfo =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{INFO_SELECT} WHERE id = $1")))
                .bind(id)
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound)?;
        let (params, utility, csv): (String, String, String) = sqlx::query_as(
            "SELECT params, utility, records_csv FROM synthetic_releases WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        Ok(SyntheticRelease {
            info,
            params: serde_json::from_str(&params).map_err(|e| StoreError::Other(e.to_string()))?,
            utility: serde_json::from_str(&utility)
                .map_err(|e| StoreError::Other(e.to_string()))?,
            csv,
        })
    }

    /// Makes a release spending `epsilon` (national administrators), unless it would take
    /// the cumulative loss over `budget_epsilon`: the refusal says what is left. Returns
    /// the release's id. (National administrators, who also take the monthly snapshots.)
    pub async fn release_synthetic(
        &self,
        actor: &Actor,
        epsilon: f64,
        budget_epsilon: f64,
    ) -> Result<i64> {
        let allowed = self.allow(actor, Action::ManageSettings, &Scope::National)?;
        if !(EPSILON_MIN..=EPSILON_MAX).contains(&epsilon) {
            let mut errs = Invalid::default();
            errs.push("epsilon", "err.epsilon_range");
            return Err(StoreError::Invalid(errs));
        }
        let ledger = self.synthetic_ledger(budget_epsilon).await?;
        let rho = synth::rho_from_epsilon(epsilon, DELTA);
        let rho_budget = synth::rho_from_epsilon(budget_epsilon, DELTA);
        if ledger.spent_rho + rho > rho_budget * (1.0 + 1e-12) {
            let mut errs = Invalid::default();
            errs.push("epsilon", "err.budget_spent");
            return Err(StoreError::Invalid(errs));
        }
        let zone = domain::time::Zone::Wib;
        let as_of = domain::time::day_at(self.now_ms(), zone);
        let this_year = domain::time::civil_from_days(as_of).0;
        let schema = schema(self, this_year).await?;
        let records = person_records(self, &schema, as_of).await?;
        let mut seed = [0u8; 8];
        getrandom::fill(&mut seed).map_err(|e| StoreError::Other(e.to_string()))?;
        let params = synth::Params {
            epsilon,
            delta: DELTA,
            synthesis_seed: u64::from_le_bytes(seed),
            ..synth::Params::default()
        };
        // The noise and the synthesis are CPU work of a second or so: off the async threads.
        let run = params.clone();
        let (release, schema) = tokio::task::spawn_blocking(move || {
            synth::release(&schema, &records, &run).map(|r| (r, schema))
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
        .map_err(|e| StoreError::Other(format!("synthetic release: {e}")))?;
        let csv = synth::to_csv(&schema, &release.records);
        let params_json = serde_json::json!({
            "method": "DP marginals (Gopi, Mahabadi, Yekhanin; synthetic-data-showcase), aggregate-seeded synthesis",
            "noise": "discrete Gaussian, OpenDP 0.15.1 make_gaussian (zero-concentrated DP)",
            "privacy_unit": "one person (records linked across cases counted once)",
            "epsilon": release.epsilon,
            "delta": release.delta,
            "rho": release.rho,
            "reporting_length": params.reporting_length,
            "max_items_per_record": params.max_items,
            "count_share": params.count_share,
            "threshold_sigmas": params.threshold_sigmas,
            "sigmas": release.sigmas,
            "attributes": schema.attributes.iter().map(|a| &a.name).collect::<Vec<_>>(),
            "source": "cleared records reported up to as_of",
        });
        let mut w = self.write(allowed).await?;
        // Two releases at once spend the budget one after the other: the ledger is read
        // again under the write's lock (SQLite: the write lock; PostgreSQL: an advisory one).
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(4815162344)")
                .execute(&mut *w)
                .await?;
        }
        let spent: Option<f64> = sqlx::query_scalar("SELECT SUM(rho) FROM synthetic_releases")
            .fetch_one(&mut *w)
            .await?;
        if spent.unwrap_or(0.0) + release.rho > rho_budget * (1.0 + 1e-12) {
            let mut errs = Invalid::default();
            errs.push("epsilon", "err.budget_spent");
            return Err(StoreError::Invalid(errs));
        }
        let now = w.now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO synthetic_releases (created_at, created_by, as_of, epsilon, delta, rho, records, params, utility, records_csv) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(now)
        .bind(&actor.username)
        .bind(as_of)
        .bind(release.epsilon)
        .bind(release.delta)
        .bind(release.rho)
        .bind(i64::try_from(release.noisy_count).unwrap_or(i64::MAX))
        .bind(params_json.to_string())
        .bind(serde_json::to_string(&release.utility).map_err(|e| StoreError::Other(e.to_string()))?)
        .bind(csv)
        .fetch_one(&mut *w)
        .await?;
        w.audit(Event {
            action: AuditAction::PublicSyntheticRelease,
            record_type: "synthetic_release",
            record_id: id.to_string(),
            detail: format!("epsilon={:.4} rho={:.6}", release.epsilon, release.rho),
        })
        .await?;
        w.commit().await?;
        Ok(id)
    }
}
