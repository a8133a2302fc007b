//! The statistics as JSON: totals, trend and every breakdown for a filter; one breakdown;
//! a cross-tab. Same parser and scope as the pages (a region outside scope is 404).

use super::filter::StatQuery;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use domain::Invalid;
use serde::{Deserialize, Serialize};
use store::stats::StatDim;
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/statistics", &["GET"], get(statistics))
        .add("/api/v1/statistics/breakdown", &["GET"], get(breakdown))
        .add("/api/v1/statistics/crosstab", &["GET"], get(crosstab))
        .add("/api/v1/vulnerability", &["GET"], get(vulnerability))
}

#[derive(OpenApi)]
#[openapi(
    paths(statistics, breakdown, crosstab, vulnerability),
    components(schemas(IndexOut, IndexRowOut, StatisticsOut, TotalsOut, TrendOut, BreakdownOut, BreakdownRowOut, CrossTabOut, CellOut)),
    tags((name = "statistics", description = "Aggregate figures in the caller's scope: official (cleared records, persons once) beside working (every record)"))
)]
pub(crate) struct StatisticsDoc;

#[derive(Serialize, ToSchema)]
pub struct TotalsOut {
    pub cases: i64,
    pub victims: i64,
    pub persons: i64,
    pub children: i64,
    pub perpetrators: i64,
    pub restitution_awarded: i64,
    pub restitution_paid: i64,
}

impl From<&store::stats::Totals> for TotalsOut {
    fn from(t: &store::stats::Totals) -> Self {
        TotalsOut {
            cases: t.cases,
            victims: t.victims,
            persons: t.persons,
            children: t.children,
            perpetrators: t.perpetrators,
            restitution_awarded: t.restitution_awarded,
            restitution_paid: t.restitution_paid,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TrendOut {
    /// YYYYMM, YYYYQ or YYYY.
    pub period: i64,
    pub official: i64,
    pub working: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BreakdownRowOut {
    /// Picklist code, region code or band; null = not recorded.
    pub value: Option<String>,
    /// Persons among cleared records.
    pub official: i64,
    /// Records in scope.
    pub working: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BreakdownOut {
    pub dimension: String,
    pub rows: Vec<BreakdownRowOut>,
}

impl From<&store::stats::Breakdown> for BreakdownOut {
    fn from(b: &store::stats::Breakdown) -> Self {
        BreakdownOut {
            dimension: b.dim.key().to_owned(),
            rows: b
                .rows
                .iter()
                .map(|r| BreakdownRowOut {
                    value: r.value.clone(),
                    official: r.official,
                    working: r.working,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct StatisticsOut {
    pub official: TotalsOut,
    pub working: TotalsOut,
    /// month, quarter or year
    pub granularity: String,
    pub trend: Vec<TrendOut>,
    pub breakdowns: Vec<BreakdownOut>,
}

#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", params(StatQuery),
    responses((status = 200, body = StatisticsOut), (status = 404, description = "Region outside your scope"), (status = 422)), security(("bearer" = [])))]
async fn statistics(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<StatQuery>,
) -> Result<Json<StatisticsOut>, WebError> {
    let (f, by) = q.filter()?;
    let s = state.store.statistics(&u.actor, &f, by).await?;
    Ok(Json(StatisticsOut {
        official: (&s.official).into(),
        working: (&s.working).into(),
        granularity: by.key().to_owned(),
        trend: s
            .trend
            .iter()
            .map(|t| TrendOut {
                period: t.period,
                official: t.official,
                working: t.working,
            })
            .collect(),
        breakdowns: s.breakdowns.iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct DimQuery {
    /// The dimension (sex, age_band, child, citizenship, exploitation, means_of_control, sector, recruitment, relationship, trafficking_status, dest_country, dest_province, dest_regency, home_province, home_regency, province, regency, legal_stage, service, review_state).
    dim: String,
    /// The second dimension of a cross-tab.
    cols: String,
}

fn dim(field: &'static str, s: &str) -> Result<StatDim, Invalid> {
    StatDim::parse(s.trim())
        .filter(|d| *d != StatDim::HomeVillage)
        .ok_or_else(|| Invalid::one(field, "err.choice"))
}

#[utoipa::path(get, path = "/api/v1/statistics/breakdown", tag = "statistics", params(DimQuery, StatQuery),
    responses((status = 200, body = BreakdownOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn breakdown(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<DimQuery>,
    Query(sq): Query<StatQuery>,
) -> Result<Json<BreakdownOut>, WebError> {
    let d = dim("dim", &q.dim)?;
    let (f, _) = sq.filter()?;
    let b = state.store.statistics_breakdown(&u.actor, &f, d).await?;
    Ok(Json((&b).into()))
}

#[derive(Serialize, ToSchema)]
pub struct CellOut {
    pub row: Option<String>,
    pub col: Option<String>,
    pub official: i64,
    pub working: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CrossTabOut {
    pub rows: String,
    pub cols: String,
    pub cells: Vec<CellOut>,
}

#[utoipa::path(get, path = "/api/v1/statistics/crosstab", tag = "statistics", params(DimQuery, StatQuery),
    responses((status = 200, body = CrossTabOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn crosstab(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<DimQuery>,
    Query(sq): Query<StatQuery>,
) -> Result<Json<CrossTabOut>, WebError> {
    let a = dim("dim", &q.dim)?;
    let b = dim("cols", &q.cols)?;
    let (f, _) = sq.filter()?;
    let t = state.store.statistics_crosstab(&u.actor, &f, a, b).await?;
    Ok(Json(CrossTabOut {
        rows: a.key().to_owned(),
        cols: b.key().to_owned(),
        cells: t
            .cells
            .into_iter()
            .map(|(row, col, official, working)| CellOut {
                row,
                col,
                official,
                working,
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct IndexRowOut {
    pub rank: usize,
    pub code: String,
    pub name: String,
    /// 0–100, higher is more vulnerable.
    pub score: f64,
    /// The rank's 5th and 95th percentile, minimum and maximum under the Monte Carlo.
    pub rank_p05: usize,
    pub rank_p95: usize,
    pub rank_min: usize,
    pub rank_max: usize,
    pub origin: Option<f64>,
    pub transit: Option<f64>,
    pub destination: Option<f64>,
    /// The indicators' raw values in the order of `keys` (null = missing, imputed).
    pub values: Vec<Option<f64>>,
    pub imputed: usize,
}

#[derive(Serialize, ToSchema)]
pub struct IndexOut {
    /// 0 = the built-in default method.
    pub method_version: i64,
    pub draws: usize,
    pub seed: u64,
    /// True when an indicator comes from a file marked synthetic (not official data).
    pub synthetic: bool,
    pub keys: Vec<String>,
    pub weights: Vec<f64>,
    pub rows: Vec<IndexRowOut>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct VersionQuery {
    /// A method version (default: the current one; 0 = the built-in default).
    version: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/vulnerability", tag = "statistics", params(VersionQuery),
    responses((status = 200, body = IndexOut), (status = 404, description = "No such method version")), security(("bearer" = [])))]
async fn vulnerability(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<VersionQuery>,
) -> Result<Json<IndexOut>, WebError> {
    if q.version.is_some_and(|v| v < 0) {
        return Err(Invalid::one("version", "err.choice").into());
    }
    let v = state.store.vulnerability_index(&u.actor, q.version).await?;
    Ok(Json(IndexOut {
        method_version: v.method.version,
        draws: v.draws,
        seed: v.seed,
        synthetic: v.synthetic,
        keys: v.keys.clone(),
        weights: v
            .method
            .method
            .indicators
            .iter()
            .map(|i| i.weight)
            .collect(),
        rows: v
            .rows
            .iter()
            .map(|r| IndexRowOut {
                rank: r.rank,
                code: r.code.clone(),
                name: r.name.clone(),
                score: r.score,
                rank_p05: r.range.p05,
                rank_p95: r.range.p95,
                rank_min: r.range.min,
                rank_max: r.range.max,
                origin: r.dimensions[0],
                transit: r.dimensions[1],
                destination: r.dimensions[2],
                values: r.values.clone(),
                imputed: r.imputed,
            })
            .collect(),
    }))
}
