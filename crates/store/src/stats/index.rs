//! The vulnerability index per regency (issue 13, item 3): components computed from the
//! statistics rows of the actor's scope, indicators an admin imports by region code, and
//! a versioned method (who changed what, when; every old version reproducible). The index
//! itself is `domain::vulnerability`; this module gathers its matrix and keeps its inputs.

use super::cube::m;
use super::facts;
use super::query::narrow_area;
use super::sums::Group;
use super::{StatDim, StatFilter};
use crate::core::audit::Event;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::vulnerability::{
    self, Aggregation, Dimension, Direction, Imputation, IndicatorSpec, Matrix, Method,
    Normalisation, RankRange, RegionRow,
};
use domain::{Action, Actor, RegionLevel, Scope, decide};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;

/// The components Gugus computes itself: key, dimension.
pub const GUGUS_COMPONENTS: [(&str, Dimension); 8] = [
    ("gugus_origin_rate", Dimension::Origin),
    ("gugus_child_share", Dimension::Origin),
    ("gugus_repeat_share", Dimension::Origin),
    ("gugus_abroad_share", Dimension::Origin),
    ("gugus_open_share", Dimension::Origin),
    ("gugus_service_gap", Dimension::Origin),
    ("gugus_transit_rate", Dimension::Transit),
    ("gugus_dest_rate", Dimension::Destination),
];

/// Monte Carlo draws and weight spread of the uncertainty analysis.
pub const DRAWS: usize = 1000;
pub const SPREAD: f64 = 0.25;

/// The method used before any admin saved one: the Gugus components, equal weights.
pub fn default_method() -> Method {
    let w = 1.0 / GUGUS_COMPONENTS.len() as f64;
    Method {
        indicators: GUGUS_COMPONENTS
            .iter()
            .map(|(k, d)| IndicatorSpec {
                key: (*k).to_owned(),
                dimension: *d,
                direction: Direction::Positive,
                weight: w,
            })
            .collect(),
        normalisation: Normalisation::MinMax,
        imputation: Imputation::ProvinceMean,
        aggregation: Aggregation::Arithmetic,
    }
}

/// One version of the method.
#[derive(Debug, Clone, Serialize)]
pub struct MethodVersion {
    /// 0 = the built-in default.
    pub version: i64,
    pub method: Method,
    pub note: String,
    pub changed_by: String,
    pub changed_at: i64,
}

/// An imported indicator: its key, how many regions have a value, its years and sources.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorInfo {
    pub key: String,
    pub regions: i64,
    pub first_year: i64,
    pub last_year: i64,
    pub sources: Vec<String>,
    pub synthetic: bool,
}

/// One regency in the index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexRow {
    pub code: String,
    pub name: String,
    pub province: String,
    /// 0–100, higher is more vulnerable.
    pub score: f64,
    /// 1 = most vulnerable.
    pub rank: usize,
    pub range: RankRange,
    /// Origin, transit, destination.
    pub dimensions: [Option<f64>; 3],
    /// The raw value per indicator (`None` = missing, imputed).
    pub values: Vec<Option<f64>>,
    pub imputed: usize,
}

/// The index as a page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct IndexView {
    pub method: MethodVersion,
    pub keys: Vec<String>,
    /// Ranked, most vulnerable first.
    pub rows: Vec<IndexRow>,
    /// Per indicator: how many regencies had it imputed.
    pub imputed: Vec<usize>,
    /// Whether any indicator used comes from a file marked synthetic.
    pub synthetic: bool,
    pub draws: usize,
    pub seed: u64,
    /// When it was computed (unix ms).
    pub computed_at: i64,
}

/// A problem with one cell of an import: line (1 = header), column, the value, a message key.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportProblem {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub key: &'static str,
}

/// One row of an indicator file, as read (cells untouched).
#[derive(Debug, Clone, Default)]
pub struct IndicatorCells {
    pub line: usize,
    pub code: String,
    pub indicator: String,
    pub year: String,
    pub value: String,
    pub source: String,
}

/// What an import did: nothing (with every problem) or the number of rows written.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub imported: usize,
    pub problems: Vec<ImportProblem>,
}

/// Largest indicator file, in rows.
pub const IMPORT_MAX_ROWS: usize = 20_000;

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 40
        && k.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !k.starts_with("gugus_")
}

impl Store {
    /// The current method (newest version, or the default).
    pub async fn index_method(&self, version: Option<i64>) -> Result<MethodVersion> {
        const COLS: &str =
            "SELECT version, method, note, changed_by, changed_at FROM index_methods";
        let row: Option<(i64, String, String, String, i64)> = match version {
            Some(0) => None,
            Some(v) => {
                let r = Sql::new(&format!("{COLS} WHERE version = "))
                    .bind_int(v)
                    .build_as()
                    .fetch_optional(self.pool())
                    .await?;
                if r.is_none() {
                    return Err(StoreError::NotFound);
                }
                r
            }
            None => {
                Sql::new(&format!("{COLS} ORDER BY version DESC LIMIT 1"))
                    .build_as()
                    .fetch_optional(self.pool())
                    .await?
            }
        };
        Ok(match row {
            Some((version, method, note, changed_by, changed_at)) => MethodVersion {
                version,
                method: serde_json::from_str(&method)
                    .map_err(|e| StoreError::Other(format!("stored index method: {e}")))?,
                note,
                changed_by,
                changed_at,
            },
            None => MethodVersion {
                version: 0,
                method: default_method(),
                note: String::new(),
                changed_by: String::new(),
                changed_at: 0,
            },
        })
    }

    /// Every saved version, newest first.
    pub async fn index_methods(&self) -> Result<Vec<MethodVersion>> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "SELECT version, method, note, changed_by, changed_at FROM index_methods ORDER BY version DESC LIMIT 200",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (version, method, note, changed_by, changed_at) in rows {
            out.push(MethodVersion {
                version,
                method: serde_json::from_str(&method)
                    .map_err(|e| StoreError::Other(format!("stored index method: {e}")))?,
                note,
                changed_by,
                changed_at,
            });
        }
        Ok(out)
    }

    /// The imported indicators (reference data, visible to every role).
    pub async fn index_indicators(&self, actor: &Actor) -> Result<Vec<IndicatorInfo>> {
        decide(actor, Action::ViewStatistics, &actor.scope)?;
        let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT indicator, COUNT(DISTINCT region_code), MIN(year), MAX(year), MAX(synthetic) \
             FROM index_indicators GROUP BY indicator ORDER BY indicator",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for (key, regions, first_year, last_year, synthetic) in rows {
            let sources: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT source FROM index_indicators WHERE indicator = $1 ORDER BY source LIMIT 10",
            )
            .bind(key.clone())
            .fetch_all(self.pool())
            .await?;
            out.push(IndicatorInfo {
                key,
                regions,
                first_year,
                last_year,
                sources,
                synthetic: synthetic != 0,
            });
        }
        Ok(out)
    }

    /// Saves a new version of the method (national admins). Weights must sum to one;
    /// every indicator must be a Gugus component or an imported indicator.
    pub async fn save_index_method(
        &self,
        actor: &Actor,
        method: &Method,
        note: &str,
    ) -> Result<i64> {
        let allowed = self.allow(actor, Action::ManageIndexMethod, &Scope::National)?;
        let mut errs = domain::Invalid::default();
        match method.validate() {
            Ok(()) => {}
            Err(vulnerability::MethodError::WeightsSum(_)) => {
                errs.push("weights", "err.weights_sum")
            }
            Err(vulnerability::MethodError::NoIndicators) => {
                errs.push("weights", "err.no_indicators")
            }
            Err(_) => errs.push("weights", "err.weights"),
        }
        let imported: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT indicator FROM index_indicators")
                .fetch_all(self.pool())
                .await?;
        for i in &method.indicators {
            if !GUGUS_COMPONENTS.iter().any(|(k, _)| *k == i.key) && !imported.contains(&i.key) {
                errs.push("weights", "err.unknown_indicator");
            }
        }
        let note = note.trim();
        if note.chars().count() > 500 || note.chars().any(char::is_control) {
            errs.push("note", "err.too_long");
        }
        errs.into_result(())?;
        let json = serde_json::to_string(method)
            .map_err(|e| StoreError::Other(format!("index method: {e}")))?;
        let mut w = self.write(allowed).await?;
        let next: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM index_methods")
                .fetch_one(&mut *w)
                .await?;
        let now = w.now_ms();
        sqlx::query(
            "INSERT INTO index_methods (version, method, note, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(next)
        .bind(json)
        .bind(note.to_owned())
        .bind(actor.username.clone())
        .bind(now)
        .execute(&mut *w)
        .await?;
        w.audit(Event {
            action: AuditAction::IndexChangeMethod,
            record_type: "index",
            record_id: next.to_string(),
            detail: format!("indicators={}", method.indicators.len()),
        })
        .await?;
        w.commit().await?;
        Ok(next)
    }

    /// Imports indicator values: every row checked (region code known and in the admin's
    /// subtree, indicator key, year, a number, a source, no row twice); any problem and
    /// nothing is written.
    pub async fn import_indicators(
        &self,
        actor: &Actor,
        rows: &[IndicatorCells],
        synthetic: bool,
    ) -> Result<ImportReport> {
        let allowed = self.allow(actor, Action::ImportIndicators, &actor.scope)?;
        let mut problems = Vec::new();
        let mut p = |line: usize, column: &str, value: &str, key: &'static str| {
            problems.push(ImportProblem {
                line,
                column: column.to_owned(),
                value: value.chars().take(60).collect(),
                key,
            })
        };
        if rows.is_empty() {
            p(1, "", "", "err.import_empty");
        }
        if rows.len() > IMPORT_MAX_ROWS {
            p(1, "", &rows.len().to_string(), "err.import_too_many");
        }
        let mut codes: Vec<String> = rows.iter().map(|r| r.code.trim().to_owned()).collect();
        codes.sort();
        codes.dedup();
        let known = self.region_names(&codes).await?;
        let mut seen: HashMap<(String, String, i64), usize> = HashMap::new();
        let mut clean = Vec::with_capacity(rows.len());
        for r in rows.iter().take(IMPORT_MAX_ROWS) {
            let code = r.code.trim();
            let region = domain::RegionCode::parse(code).ok();
            match &region {
                None => p(r.line, "code", code, "err.region_code"),
                Some(_) if !known.contains_key(code) => {
                    p(r.line, "code", code, "err.region_unknown")
                }
                Some(rc) => {
                    if decide(actor, Action::ImportIndicators, &Scope::Region(rc.clone())).is_err()
                    {
                        p(r.line, "code", code, "err.region_outside");
                    }
                }
            }
            let key = r.indicator.trim();
            if !valid_key(key) {
                p(r.line, "indicator", key, "err.indicator_key");
            }
            let year = domain::value::count::parse(r.year.trim(), 2100).filter(|y| *y >= 1990);
            if year.is_none() {
                p(r.line, "year", &r.year, "err.year");
            }
            let value = domain::value::decimal::parse(&r.value);
            if value.is_none() {
                p(r.line, "value", &r.value, "err.decimal");
            }
            let source = r.source.trim();
            if source.is_empty()
                || source.chars().count() > 200
                || source.chars().any(char::is_control)
            {
                p(r.line, "source", source, "err.source");
            }
            if let (Some(y), true) = (year, region.is_some())
                && seen
                    .insert((code.to_owned(), key.to_owned(), y), r.line)
                    .is_some()
            {
                p(r.line, "indicator", key, "err.import_duplicate");
            }
            if let (Some(y), Some(v)) = (year, value) {
                clean.push((code.to_owned(), key.to_owned(), y, v, source.to_owned()));
            }
        }
        if !problems.is_empty() {
            return Ok(ImportReport {
                imported: 0,
                problems,
            });
        }
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        for (code, key, year, value, source) in &clean {
            sqlx::query("DELETE FROM index_indicators WHERE indicator = $1 AND region_code = $2 AND year = $3")
                .bind(key.clone())
                .bind(code.clone())
                .bind(*year)
                .execute(&mut *w)
                .await?;
            sqlx::query(
                "INSERT INTO index_indicators (region_code, indicator, year, value, source, synthetic, imported_by, imported_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(code.clone())
            .bind(key.clone())
            .bind(*year)
            .bind(*value)
            .bind(source.clone())
            .bind(i64::from(synthetic))
            .bind(actor.username.clone())
            .bind(now)
            .execute(&mut *w)
            .await?;
        }
        facts::bump(&mut w).await?;
        w.audit(Event {
            action: AuditAction::IndexImportIndicators,
            record_type: "index",
            record_id: String::new(),
            detail: format!("rows={} synthetic={synthetic}", clean.len()),
        })
        .await?;
        w.commit().await?;
        Ok(ImportReport {
            imported: clean.len(),
            problems: Vec::new(),
        })
    }

    /// The index of the regencies in the actor's scope, from the records in that scope,
    /// under the current method (or `version`), with rank ranges from the Monte Carlo.
    pub async fn vulnerability_index(
        &self,
        actor: &Actor,
        version: Option<i64>,
    ) -> Result<Arc<IndexView>> {
        decide(actor, Action::ViewStatistics, &actor.scope)?;
        let method = self.index_method(version).await?;
        let generation = self.statistics_generation().await?;
        let key = format!("{:?}|{}", actor.scope, method.version);
        let (me, scope) = (self.clone(), actor.scope.clone());
        self.index_memo
            .get(key, generation, move || {
                let (me, scope, method) = (me.clone(), scope.clone(), method.clone());
                async move { me.compute_index(scope, method).await }
            })
            .await
    }

    async fn compute_index(&self, scope: Scope, method: MethodVersion) -> Result<Arc<IndexView>> {
        let (matrix, names, synthetic) = self.index_matrix(&scope, &method.method).await?;
        let result = vulnerability::compute(&method.method, &matrix)
            .map_err(|e| StoreError::Other(format!("index: {e}")))?;
        let seed = 0x9E37_79B9_u64 ^ method.version as u64;
        let ranges = vulnerability::uncertainty(&method.method, &matrix, DRAWS, SPREAD, seed)
            .map_err(|e| StoreError::Other(format!("index: {e}")))?;
        let mut rows: Vec<IndexRow> = matrix
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| IndexRow {
                code: r.code.clone(),
                name: names.get(&r.code).cloned().unwrap_or_default(),
                province: r.province.clone(),
                score: result.scores[i],
                rank: result.ranks[i],
                range: ranges[i],
                dimensions: result.dimension_scores[i],
                values: r.values.clone(),
                imputed: result.imputed_cells[i].iter().filter(|x| **x).count(),
            })
            .collect();
        rows.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.code.cmp(&b.code)));
        Ok(Arc::new(IndexView {
            keys: matrix.keys.clone(),
            imputed: result.imputed,
            method,
            rows,
            synthetic,
            draws: DRAWS,
            seed,
            computed_at: self.now_ms(),
        }))
    }

    /// The region × indicator matrix for `area`: every regency in it, the Gugus
    /// components from its records, the newest imported value of each other indicator.
    async fn index_matrix(
        &self,
        area: &Scope,
        method: &Method,
    ) -> Result<(Matrix, HashMap<String, String>, bool)> {
        let mut q = Sql::new("SELECT code, name FROM regions WHERE length(code) = 5");
        if let Scope::Region(r) = area {
            let top = match r.level() {
                RegionLevel::Province | RegionLevel::Regency => r.clone(),
                // A district's or village's officer: the regency it lies in.
                _ => domain::RegionCode::parse(&r.as_str()[..5]).unwrap_or_else(|_| r.clone()),
            };
            q.scope("code", &Scope::Region(top));
        }
        q.push(" ORDER BY code");
        let regencies: Vec<(String, String)> = q.build_as().fetch_all(self.pool()).await?;
        let names: HashMap<String, String> = regencies.iter().cloned().collect();
        let pop = super::Population::get();
        // Repeat victimisation: persons with more than one record (only linked records can
        // be), among persons (counted with the origin figures above).
        // The linked rows first, materialised (else the planner walks the home-regency index
        // over every row: 2.0 s on the generated million).
        let mut q_repeat = Sql::new(
            "WITH s AS MATERIALIZED (SELECT s.home_regency, s.person_key FROM stat_victims s \
              WHERE s.person_key > 0",
        );
        narrow_area(&mut q_repeat, "s", area);
        q_repeat.push(
            ") SELECT x.home_regency, COUNT(*) FROM (SELECT s.home_regency, s.person_key FROM s \
             WHERE s.home_regency IS NOT NULL GROUP BY s.home_regency, s.person_key HAVING COUNT(*) > 1) x \
             GROUP BY 1",
        );
        let mut q_transit = Sql::new(
            "SELECT substr(r.region_code, 1, 5), COUNT(*) FROM route_events r JOIN cases c ON c.id = r.case_id \
             WHERE r.kind = 'transit' AND length(r.region_code) >= 5",
        );
        narrow_area(&mut q_transit, "c", area);
        q_transit.push(" GROUP BY 1");
        // Origin (victims by home regency, with the shares the components need) and
        // destination from the rollup; repeat victims (linked records only) and transit
        // from the rows: independent reads, on several connections at once.
        let all = StatFilter::default();
        let by = |dim| Group {
            dim: Some(dim),
            ..Group::default()
        };
        let (home, to) = (by(StatDim::HomeRegency), by(StatDim::DestRegency));
        let (by_home, linked_home, by_dest, repeat_rows, transit) = tokio::try_join!(
            self.sums(area, &all, &home, true),
            self.linked(area, &all, &home),
            self.sums(area, &all, &to, true),
            async { Ok::<_, StoreError>(q_repeat.build().fetch_all(self.pool()).await?) },
            async {
                Ok::<_, StoreError>(
                    q_transit
                        .build_as::<(String, i64)>()
                        .fetch_all(self.pool())
                        .await?,
                )
            },
        )?;
        let dest: HashMap<String, i64> = by_dest
            .into_iter()
            .filter_map(|((code, _), s)| Some((code?, s.all[m::RECORDS])))
            .collect();
        let transit: HashMap<String, i64> = transit.into_iter().collect();
        // records, children, abroad, open, no service, persons.
        let mut origin: HashMap<String, [i64; 6]> = HashMap::new();
        for (key, s) in by_home {
            let persons = s.all[m::UNLINKED] + linked_home.get(&key).map_or(0, |l| l.all);
            let Some(code) = key.0 else { continue };
            origin.insert(
                code,
                [
                    s.all[m::RECORDS],
                    s.all[m::CHILDREN],
                    s.all[m::ABROAD],
                    s.all[m::OPEN],
                    s.all[m::NO_SERVICE],
                    persons,
                ],
            );
        }
        let mut repeat: HashMap<String, i64> = HashMap::new();
        for r in repeat_rows {
            repeat.insert(r.try_get(0)?, r.try_get::<Option<i64>, _>(1)?.unwrap_or(0));
        }
        // Origin rates, shrunk toward the province's rate (small counts are unstable).
        let mut provinces: Vec<String> = regencies.iter().map(|(c, _)| c[..2].to_owned()).collect();
        provinces.dedup();
        let group = |c: &str| {
            provinces
                .iter()
                .position(|p| c.starts_with(p.as_str()))
                .unwrap_or(0)
        };
        let areas: Vec<(u64, f64, usize)> = regencies
            .iter()
            .map(|(c, _)| {
                let n = origin.get(c).map(|v| v[0]).unwrap_or(0).max(0) as u64;
                (n, pop.total(Some(c)).unwrap_or(0) as f64, group(c))
            })
            .collect();
        let shrunk = vulnerability::shrink_rates(&areas);
        // Imported indicators: the newest year per region.
        let imported_keys: Vec<String> = method
            .indicators
            .iter()
            .filter(|i| !i.key.starts_with("gugus_"))
            .map(|i| i.key.clone())
            .collect();
        let mut imported: HashMap<(String, String), (i64, f64)> = HashMap::new();
        let mut synthetic = false;
        if !imported_keys.is_empty() {
            let mut q = Sql::new(
                "SELECT indicator, region_code, year, value, synthetic FROM index_indicators WHERE indicator",
            );
            q.in_list(&imported_keys);
            for r in q.build().fetch_all(self.pool()).await? {
                let key: String = r.try_get(0)?;
                let code: String = r.try_get(1)?;
                let year: i64 = r.try_get(2)?;
                let value: f64 = r.try_get(3)?;
                synthetic |= r.try_get::<i64, _>(4)? != 0;
                let e = imported.entry((key, code)).or_insert((year, value));
                if year >= e.0 {
                    *e = (year, value);
                }
            }
        }
        let share = |num: i64, den: i64| (den > 0).then(|| num as f64 / den as f64);
        let rate = |n: i64, c: &str| pop.rate(n, Some(c));
        let keys: Vec<String> = method.indicators.iter().map(|i| i.key.clone()).collect();
        let regions = regencies
            .iter()
            .enumerate()
            .map(|(i, (c, _))| {
                let o = origin.get(c).copied().unwrap_or_default();
                let (persons, repeated) = (o[5], repeat.get(c).copied().unwrap_or(0));
                let values = keys
                    .iter()
                    .map(|k| match k.as_str() {
                        "gugus_origin_rate" => shrunk.get(i).copied(),
                        "gugus_child_share" => share(o[1], o[0]),
                        "gugus_repeat_share" => share(repeated, persons),
                        "gugus_abroad_share" => share(o[2], o[0]),
                        "gugus_open_share" => share(o[3], o[0]),
                        "gugus_service_gap" => share(o[4], o[0]),
                        "gugus_transit_rate" => rate(transit.get(c).copied().unwrap_or(0), c),
                        "gugus_dest_rate" => rate(dest.get(c).copied().unwrap_or(0), c),
                        other => imported.get(&(other.to_owned(), c.clone())).map(|v| v.1),
                    })
                    .collect();
                RegionRow {
                    code: c.clone(),
                    province: c[..2].to_owned(),
                    values,
                }
            })
            .collect();
        Ok((Matrix { regions, keys }, names, synthetic))
    }
}
