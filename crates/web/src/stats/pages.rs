//! `/statistik`: totals, a trend and every breakdown, official beside working, each as an
//! SVG chart with its table; every figure opens the cases behind it.

use super::charts::{self, Pair};
use super::filter::StatQuery;
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use std::collections::HashMap;
use store::stats::{Granularity, Population, StatDim, Statistics};

/// One value of a breakdown, labelled, with its drill-down links.
pub(crate) struct Row {
    pub value: Option<String>,
    pub label: String,
    pub official: i64,
    pub working: i64,
    pub href_official: String,
    pub href_working: String,
    /// Per 100,000 inhabitants (home regions only): official, working.
    pub rate: Option<(String, String)>,
}

pub(crate) struct Section {
    pub key: &'static str,
    pub title: &'static str,
    pub svg: String,
    pub rows: Vec<Row>,
    pub rates: bool,
}

/// Two dimensions to cross (both empty: no cross-tab).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(super) struct CrossQuery {
    rows: String,
    cols: String,
}

/// A cross-tab ready to show: labels of rows and columns, (official, working) per cell.
pub(crate) struct CrossView {
    rows_title: &'static str,
    cols_title: &'static str,
    rows: Vec<String>,
    cols: Vec<String>,
    cells: Vec<Vec<(i64, i64)>>,
}

#[derive(Template)]
#[template(path = "stats/statistics.html")]
struct StatisticsPage {
    page: Page,
    q: StatQuery,
    stats: std::sync::Arc<Statistics>,
    trend_svg: String,
    trend: Vec<Row>,
    sections: Vec<Section>,
    region_name: String,
    population_source: &'static str,
    qs: String,
    cross: Option<CrossView>,
    cross_rows: String,
    cross_cols: String,
    dims: Vec<(&'static str, &'static str)>,
}

/// A period key as people write it: 2026-03, 2026 T1 (Q1), 2026.
pub(crate) fn period_label(p: i64, g: Granularity, lang: &str) -> String {
    match g {
        Granularity::Month => format!("{}-{:02}", p / 100, p % 100),
        Granularity::Quarter if lang == "en" => format!("{} Q{}", p / 10, p % 10),
        Granularity::Quarter => format!("{} T{}", p / 10, p % 10),
        Granularity::Year => p.to_string(),
    }
}

/// Words for every value of every breakdown: picklist labels, region names, bands.
pub(crate) async fn labels(
    state: &AppState,
    stats: &Statistics,
    page: &Page,
) -> Result<HashMap<(StatDim, String), String>, WebError> {
    let lang = page.locale.code();
    let lists = state.store.picklists().await?;
    let mut codes: Vec<String> = stats
        .breakdowns
        .iter()
        .filter(|b| b.dim.is_region())
        .flat_map(|b| b.rows.iter().filter_map(|r| r.value.clone()))
        .collect();
    codes.extend(stats.filter.region.iter().map(|r| r.as_str().to_owned()));
    codes.sort();
    codes.dedup();
    let names = state.store.region_names(&codes).await?;
    let mut out = HashMap::new();
    for b in &stats.breakdowns {
        for r in &b.rows {
            let Some(v) = &r.value else { continue };
            let label = if let Some(list) = b.dim.picklist() {
                lists.label(list, v, lang).to_owned()
            } else if b.dim.is_region() {
                names.get(v).cloned().unwrap_or_else(|| v.clone())
            } else {
                match b.dim {
                    StatDim::Child => page.t(&format!("stats.child.{v}")).to_owned(),
                    StatDim::Service => page.t(&format!("stats.service.{v}")).to_owned(),
                    StatDim::ReviewState => page.label("review.state", v).to_owned(),
                    _ => v.clone(),
                }
            };
            out.insert((b.dim, v.clone()), label);
        }
    }
    for (code, name) in names {
        out.entry((StatDim::Province, code)).or_insert(name);
    }
    Ok(out)
}

fn rate(count: i64, code: Option<&str>) -> String {
    match Population::get().rate(count, code) {
        Some(r) => format!("{r:.2}"),
        None => "—".into(),
    }
}

pub(crate) fn sections(
    stats: &Statistics,
    q: &StatQuery,
    page: &Page,
    names: &HashMap<(StatDim, String), String>,
) -> Vec<Section> {
    let series = (page.t("stats.official"), page.t("stats.working"));
    stats
        .breakdowns
        .iter()
        .map(|b| {
            let key = b.dim.key();
            let title = page.t(&format!("stats.dim.{key}"));
            let rates = matches!(b.dim, StatDim::HomeProvince | StatDim::HomeRegency);
            let rows: Vec<Row> = b
                .rows
                .iter()
                .map(|r| Row {
                    value: r.value.clone(),
                    label: match &r.value {
                        Some(v) => names
                            .get(&(b.dim, v.clone()))
                            .cloned()
                            .unwrap_or_else(|| v.clone()),
                        None => page.t("stats.not_recorded").to_owned(),
                    },
                    official: r.official,
                    working: r.working,
                    href_official: q.drill(key, r.value.as_deref(), true),
                    href_working: q.drill(key, r.value.as_deref(), false),
                    rate: (rates && r.value.is_some()).then(|| {
                        (
                            rate(r.official, r.value.as_deref()),
                            rate(r.working, r.value.as_deref()),
                        )
                    }),
                })
                .collect();
            let pairs: Vec<Pair> = rows
                .iter()
                .take(25)
                .map(|r| Pair {
                    label: &r.label,
                    official: r.official,
                    working: r.working,
                })
                .collect();
            Section {
                key,
                title,
                svg: charts::hbars(title, &pairs, series),
                rows,
                rates,
            }
        })
        .collect()
}

/// The first and last day of a trend period (`YYYYMM`, `YYYYQ`, `YYYY`) as YYYY-MM-DD.
pub(crate) fn period_days(p: i64, g: Granularity) -> (String, String) {
    use domain::time::days_from_civil;
    let (y, m0, months) = match g {
        Granularity::Month => (p / 100, p % 100, 1),
        Granularity::Quarter => (p / 10, (p % 10 - 1) * 3 + 1, 3),
        Granularity::Year => (p, 1, 12),
    };
    let first = days_from_civil(y, m0, 1);
    let (ny, nm) = if m0 + months > 12 {
        (y + 1, m0 + months - 12)
    } else {
        (y, m0 + months)
    };
    let last = days_from_civil(ny, nm, 1) - 1;
    (
        domain::value::format_day(first),
        domain::value::format_day(last),
    )
}

pub(crate) fn trend_rows(stats: &Statistics, q: &StatQuery, page: &Page) -> Vec<Row> {
    stats
        .trend
        .iter()
        .map(|t| {
            let (from, to) = period_days(t.period, stats.granularity);
            Row {
                value: Some(t.period.to_string()),
                label: period_label(t.period, stats.granularity, page.locale.code()),
                official: t.official,
                working: t.working,
                href_official: q.period_href(&from, &to, true),
                href_working: q.period_href(&from, &to, false),
                rate: None,
            }
        })
        .collect()
}

pub(super) async fn statistics(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<StatQuery>,
    Query(x): Query<CrossQuery>,
) -> Result<Html<String>, WebError> {
    let (filter, by) = q.filter()?;
    let pick = |field: &'static str, v: &str| match v.trim() {
        "" => Ok(None),
        d => StatDim::parse(d)
            .filter(|d| StatDim::ALL.contains(d))
            .map(Some)
            .ok_or_else(|| domain::Invalid::one(field, "err.choice")),
    };
    let (cr, cc) = (pick("rows", &x.rows)?, pick("cols", &x.cols)?);
    let stats = state.store.statistics(user.actor(), &filter, by).await?;
    let page = Page::from_ctx(&user.ctx, "stats.title");
    let names = labels(&state, &stats, &page).await?;
    let trend = trend_rows(&stats, &q, &page);
    let pairs: Vec<Pair> = trend
        .iter()
        .map(|r| Pair {
            label: &r.label,
            official: r.official,
            working: r.working,
        })
        .collect();
    let trend_svg = charts::columns(
        page.t("stats.trend"),
        &pairs,
        (page.t("stats.official"), page.t("stats.working")),
    );
    let sections = sections(&stats, &q, &page, &names);
    let region_name = match &filter.region {
        Some(r) => names
            .get(&(StatDim::Province, r.as_str().to_owned()))
            .cloned()
            .unwrap_or_else(|| r.as_str().to_owned()),
        None => String::new(),
    };
    let cross = match (cr, cc) {
        (Some(a), Some(b)) => {
            let t = state
                .store
                .statistics_crosstab(user.actor(), &filter, a, b)
                .await?;
            let label = |d: StatDim, v: &Option<String>| match v {
                Some(v) => names
                    .get(&(d, v.clone()))
                    .cloned()
                    .unwrap_or_else(|| v.clone()),
                None => page.t("stats.not_recorded").to_owned(),
            };
            let mut rows: Vec<Option<String>> = Vec::new();
            let mut cols: Vec<Option<String>> = Vec::new();
            for (r, c, _, _) in &t.cells {
                if !rows.contains(r) {
                    rows.push(r.clone());
                }
                if !cols.contains(c) {
                    cols.push(c.clone());
                }
            }
            let cells = rows
                .iter()
                .map(|r| {
                    cols.iter()
                        .map(|c| {
                            t.cells
                                .iter()
                                .find(|(a, b, _, _)| a == r && b == c)
                                .map(|x| (x.2, x.3))
                                .unwrap_or((0, 0))
                        })
                        .collect()
                })
                .collect();
            Some(CrossView {
                rows_title: page.t(&format!("stats.dim.{}", a.key())),
                cols_title: page.t(&format!("stats.dim.{}", b.key())),
                rows: rows.iter().map(|r| label(a, r)).collect(),
                cols: cols.iter().map(|c| label(b, c)).collect(),
                cells,
            })
        }
        _ => None,
    };
    let dims = StatDim::ALL
        .iter()
        .map(|d| (d.key(), page.t(&format!("stats.dim.{}", d.key()))))
        .collect();
    render(&StatisticsPage {
        cross,
        cross_rows: x.rows.clone(),
        cross_cols: x.cols.clone(),
        dims,
        page,
        qs: q.query_string(),
        q,
        stats,
        trend_svg,
        trend,
        sections,
        region_name,
        population_source: store::stats::POPULATION_SOURCE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_period_opens_its_days() {
        let d = |p, g| period_days(p, g);
        assert_eq!(
            d(202602, Granularity::Month),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        assert_eq!(
            d(202612, Granularity::Month),
            ("2026-12-01".into(), "2026-12-31".into())
        );
        assert_eq!(
            d(20254, Granularity::Quarter),
            ("2025-10-01".into(), "2025-12-31".into())
        );
        assert_eq!(
            d(2024, Granularity::Year),
            ("2024-01-01".into(), "2024-12-31".into())
        );
    }
}
