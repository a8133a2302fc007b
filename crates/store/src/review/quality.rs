//! Data quality per region (or unit) below the actor: completeness of key fields,
//! timeliness of submission and clearing, return rate and pending duplicates.

use super::records::{QualityCasesRecord, QualityPendingRecord};
use crate::core::sql::Sql;
use crate::{Result, Store};
use domain::{Action, Actor, RegionLevel, Scope, decide};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, Default)]
pub struct QualityRow {
    /// Region code, or unit id for a regency-level view.
    pub key: String,
    pub label: String,
    /// Where the drill-down goes (the case list, filtered).
    pub href: String,
    pub cases: i64,
    pub draft: i64,
    pub submitted: i64,
    pub verified: i64,
    pub cleared: i64,
    /// Share of key fields filled in, 0-100.
    pub completeness: f64,
    pub days_to_submit: Option<f64>,
    pub days_to_clear: Option<f64>,
    /// Share of submitted cases returned at least once, 0-100.
    pub return_rate: f64,
    pub pending_duplicates: i64,
}

/// Computed figures per scope, with when they were computed (unix ms). The dashboard scans
/// every case and victim in scope (seconds at 200,000 cases on SQLite), so figures are
/// reused for [`QUALITY_TTL_MS`].
pub(crate) type QualityCache =
    std::sync::Arc<std::sync::Mutex<HashMap<String, (i64, Vec<QualityRow>)>>>;
pub const QUALITY_TTL_MS: i64 = 5 * 60 * 1000;

const SORTS: [&str; 8] = [
    "label",
    "cases",
    "completeness",
    "days_to_submit",
    "days_to_clear",
    "return_rate",
    "pending_duplicates",
    "cleared",
];

fn pct(n: i64, d: i64) -> f64 {
    if d <= 0 {
        0.0
    } else {
        n as f64 * 100.0 / d as f64
    }
}

impl Store {
    /// The figures (possibly up to five minutes old) and when they were computed.
    pub async fn quality(
        &self,
        actor: &Actor,
        sort: &str,
        desc: bool,
    ) -> Result<(Vec<QualityRow>, i64)> {
        decide(actor, Action::ViewQuality, &actor.scope)?;
        let key = format!("{:?}", actor.scope);
        let now = self.now_ms();
        let cached = self.quality_cache.lock().ok().and_then(|c| {
            c.get(&key)
                .filter(|(at, _)| now - at < QUALITY_TTL_MS)
                .cloned()
        });
        let (at, mut out) = match cached {
            Some(c) => c,
            None => {
                let rows = self.compute_quality(actor).await?;
                if let Ok(mut c) = self.quality_cache.lock() {
                    c.insert(key, (now, rows.clone()));
                }
                (now, rows)
            }
        };
        sort_rows(&mut out, sort, desc);
        Ok((out, at))
    }

    async fn compute_quality(&self, actor: &Actor) -> Result<Vec<QualityRow>> {
        let (group, by_unit) = match &actor.scope {
            Scope::National => ("c.province_code", false),
            Scope::Region(r) if r.level() == RegionLevel::Province => ("c.regency_code", false),
            Scope::Region(_) => ("CAST(c.unit_id AS TEXT)", true),
        };
        // A province or a regency by its own column: the first columns of `cases_quality`.
        let scoped = |q: &mut Sql| match &actor.scope {
            Scope::National => {}
            Scope::Region(r) if r.level() == RegionLevel::Province => {
                q.push(" AND c.province_code = ").bind_text(r.as_str());
            }
            Scope::Region(r) if r.level() == RegionLevel::Regency => {
                q.push(" AND c.province_code = ")
                    .bind_text(r.province().as_str())
                    .push(" AND c.regency_code = ")
                    .bind_text(r.as_str());
            }
            Scope::Region(_) => {
                q.scope("c.region_code", &actor.scope);
            }
        };
        let mut q = Sql::new(&format!(
            "SELECT {group} AS grp, COUNT(*) AS cases, \
             SUM(CASE WHEN c.review_state IN ('draft', 'returned') THEN 1 ELSE 0 END) AS draft, \
             SUM(CASE WHEN c.review_state = 'submitted' THEN 1 ELSE 0 END) AS submitted, \
             SUM(CASE WHEN c.review_state = 'verified' THEN 1 ELSE 0 END) AS verified, \
             SUM(CASE WHEN c.review_state = 'cleared' THEN 1 ELSE 0 END) AS cleared, \
             SUM(CASE WHEN c.submitted_at IS NOT NULL THEN 1 ELSE 0 END) AS submitted_ever, \
             SUM(CASE WHEN c.returns > 0 THEN 1 ELSE 0 END) AS returned, \
             CAST(AVG(CASE WHEN c.submitted_at IS NOT NULL THEN c.submitted_at - c.created_at END) AS DOUBLE PRECISION) AS ms_submit, \
             CAST(AVG(CASE WHEN c.cleared_at IS NOT NULL AND c.submitted_at IS NOT NULL THEN c.cleared_at - c.submitted_at END) AS DOUBLE PRECISION) AS ms_clear, \
             CAST(SUM(c.victim_count) AS BIGINT) AS victims, CAST(SUM(c.filled_fields) AS BIGINT) AS filled \
             FROM cases c WHERE 1=1"
        ));
        scoped(&mut q);
        q.push(" GROUP BY grp");
        // Each case carries its victims and filled-in fields (migration 0024): one pass over
        // the narrow index `cases_quality`.
        let mut rows: HashMap<String, (QualityRow, i64, i64)> = HashMap::new();
        for r in q
            .build_as::<QualityCasesRecord>()
            .fetch_all(self.pool())
            .await?
        {
            let key = r.grp.unwrap_or_default();
            let row = QualityRow {
                key: key.clone(),
                cases: r.cases,
                draft: r.draft,
                submitted: r.submitted,
                verified: r.verified,
                cleared: r.cleared,
                days_to_submit: r.ms_submit.map(|m| m / 86_400_000.0),
                days_to_clear: r.ms_clear.map(|m| m / 86_400_000.0),
                return_rate: pct(r.returned, r.submitted_ever),
                ..Default::default()
            };
            rows.insert(key, (row, r.victims, r.filled));
        }
        let mut q = Sql::new(&format!(
            "SELECT {group} AS grp, COUNT(DISTINCT p.id) AS pending FROM linkage_pairs p \
             JOIN victims v ON v.id = p.victim_a OR v.id = p.victim_b JOIN cases c ON c.id = v.case_id \
             WHERE p.status = 'pending'"
        ));
        scoped(&mut q);
        q.push(" GROUP BY grp");
        for r in q
            .build_as::<QualityPendingRecord>()
            .fetch_all(self.pool())
            .await?
        {
            if let Some(e) = rows.get_mut(&r.grp.unwrap_or_default()) {
                e.0.pending_duplicates = r.pending;
            }
        }
        let keys: Vec<String> = rows.keys().cloned().collect();
        let labels = self.group_labels(&keys, by_unit).await?;
        let out: Vec<QualityRow> = rows
            .into_values()
            .map(|(mut row, victims, filled)| {
                let total = row.cases * 3 + victims * 3;
                row.completeness = pct(filled, total);
                row.label = labels.get(&row.key).cloned().unwrap_or_else(|| {
                    if row.key.is_empty() {
                        "—".into()
                    } else {
                        row.key.clone()
                    }
                });
                row.href = if by_unit || row.key.is_empty() {
                    "/cases".into()
                } else {
                    format!("/cases?region={}", row.key)
                };
                row
            })
            .collect();
        Ok(out)
    }

    async fn group_labels(
        &self,
        keys: &[String],
        by_unit: bool,
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for k in keys.iter().filter(|k| !k.is_empty()) {
            let name: Option<String> = if by_unit {
                match k.parse::<i64>() {
                    Ok(id) => {
                        sqlx::query_scalar("SELECT name FROM units WHERE id = $1")
                            .bind(id)
                            .fetch_optional(self.pool())
                            .await?
                    }
                    Err(_) => None,
                }
            } else {
                sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
                    .bind(k.clone())
                    .fetch_optional(self.pool())
                    .await?
            };
            if let Some(n) = name {
                out.insert(k.clone(), if by_unit { n } else { format!("{k} {n}") });
            }
        }
        Ok(out)
    }
}

fn sort_rows(out: &mut [QualityRow], sort: &str, desc: bool) {
    let sort = if SORTS.contains(&sort) {
        sort
    } else {
        "completeness"
    };
    let num = |r: &QualityRow| -> f64 {
        match sort {
            "cases" => r.cases as f64,
            "completeness" => r.completeness,
            "days_to_submit" => r.days_to_submit.unwrap_or(f64::MAX),
            "days_to_clear" => r.days_to_clear.unwrap_or(f64::MAX),
            "return_rate" => r.return_rate,
            "pending_duplicates" => r.pending_duplicates as f64,
            _ => r.cleared as f64,
        }
    };
    out.sort_by(|a, b| {
        let o = if sort == "label" {
            a.label.cmp(&b.label)
        } else {
            num(a).total_cmp(&num(b))
        };
        if desc { o.reverse() } else { o }
    });
}
