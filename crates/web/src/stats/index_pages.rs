//! `/kerawanan`: the vulnerability index per regency — a map, a ranked table with each
//! rank's range under the uncertainty analysis, the method and its history, the indicator
//! import (admins) and the method editor (national admins).

use super::export::{Cell, Sheet, XLSX, csv_field, download, download_bytes, workbook};
use super::geo::{self, Fill};
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::page::{Page, render};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::classify::Classing;
use domain::vulnerability::{
    Aggregation, Dimension, Direction, Imputation, IndicatorSpec, Method, Normalisation,
};
use domain::{Action, Scope, decide};
use serde::Deserialize;
use std::sync::Arc;
use store::StoreError;
use store::stats::index::{
    GUGUS_COMPONENTS, ImportProblem, ImportReport, IndexView, IndicatorCells, IndicatorInfo,
    MethodVersion,
};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct IndexQuery {
    version: String,
    ok: String,
}

fn version_of(s: &str) -> Result<Option<i64>, WebError> {
    match s.trim() {
        "" => Ok(None),
        v => match domain::value::count::parse(v, 1_000_000) {
            Some(n) => Ok(Some(n)),
            None if v == "0" => Ok(Some(0)),
            None => Err(domain::Invalid::one("version", "err.choice").into()),
        },
    }
}

/// An indicator's name in words (Gugus components) or its key (imported).
pub(crate) fn indicator_label(page: &Page, key: &str) -> String {
    if key.starts_with("gugus_") {
        page.t(&format!("index.ind.{key}")).to_owned()
    } else {
        key.to_owned()
    }
}

#[derive(Template)]
#[template(path = "stats/index.html")]
struct IndexPage {
    page: Page,
    view: Arc<IndexView>,
    labels: Vec<String>,
    svg: String,
    legend: String,
    can_import: bool,
    report: Option<ImportReport>,
    indicators: Vec<IndicatorInfo>,
    version_q: String,
}

impl IndexPage {
    fn fmt(&self, v: &f64) -> String {
        format!("{v:.1}")
    }
    fn dim(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())
    }
    fn problem(&self, p: &ImportProblem) -> String {
        self.page.t(p.key).to_owned()
    }
}

async fn index_page(
    state: &AppState,
    user: &User,
    q: &IndexQuery,
    report: Option<ImportReport>,
) -> Result<Response, WebError> {
    let version = version_of(&q.version)?;
    let view = state
        .store
        .vulnerability_index(user.actor(), version)
        .await?;
    let page = Page::from_ctx(&user.ctx, "index.title");
    let labels = view
        .keys
        .iter()
        .map(|k| indicator_label(&page, k))
        .collect();
    let shapes = geo::regencies().map_err(|e| {
        tracing::error!(error = e, "map geometry");
        WebError::Internal
    })?;
    let scores: Vec<f64> = view.rows.iter().map(|r| r.score).collect();
    let legend_breaks = geo::legend_breaks(&scores, Classing::Quantiles);
    let mut counts = vec![0usize; legend_breaks.len().saturating_sub(1)];
    let fills: Vec<Fill> = view
        .rows
        .iter()
        .map(|r| {
            let class = geo::class_of(&legend_breaks, r.score);
            if let Some(n) = class.and_then(|c| counts.get_mut(c)) {
                *n += 1;
            }
            Fill {
                code: &r.code,
                class,
                title: format!("{}: {:.1} (#{})", r.name, r.score, r.rank),
                href: None,
            }
        })
        .collect();
    let codes: std::collections::HashSet<&str> =
        view.rows.iter().map(|r| r.code.as_str()).collect();
    let svg = geo::choropleth(
        shapes,
        &fills,
        Some(&|s: &geo::Shape| codes.contains(s.code.as_str())),
        page.t("index.map"),
    );
    let legend = geo::legend_with(
        &legend_breaks,
        &counts,
        0,
        page.t("map.legend"),
        page.t("map.nodata"),
        &|v| format!("{v:.0}"),
    );
    let can_import = decide(user.actor(), Action::ImportIndicators, &user.actor().scope).is_ok();
    let indicators = state.store.index_indicators(user.actor()).await?;
    let status = if report.as_ref().is_some_and(|r| !r.problems.is_empty()) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html = render(&IndexPage {
        page,
        labels,
        svg,
        legend,
        can_import,
        report,
        indicators,
        version_q: q.version.clone(),
        view,
    })?;
    Ok((status, html).into_response())
}

pub(super) async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<IndexQuery>,
) -> Result<Response, WebError> {
    index_page(&state, &user, &q, None).await
}

/// A CSV file's rows (RFC 4180 quoting; `,` or `;` as the header line uses).
pub(crate) fn read_csv(text: &str) -> Vec<(usize, Vec<String>)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let sep = match text.lines().next() {
        Some(h) if h.matches(';').count() > h.matches(',').count() => ';',
        _ => ',',
    };
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut line, mut start) = (false, 1usize, 1usize);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => row.push(std::mem::take(&mut cell)),
            '\n' if !quoted => {
                row.push(std::mem::take(&mut cell));
                rows.push((start, std::mem::take(&mut row)));
                line += 1;
                start = line;
            }
            '\r' if !quoted => {}
            c => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push((start, row));
    }
    rows.retain(|(_, r)| r.iter().any(|c| !c.trim().is_empty()));
    rows
}

/// The indicator file's rows by its header (English or Indonesian names).
fn indicator_rows(text: &str) -> Result<Vec<IndicatorCells>, ImportReport> {
    let rows = read_csv(text);
    let Some((_, header)) = rows.first() else {
        return Ok(Vec::new());
    };
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
    };
    let cols = [
        ("code", find(&["code", "kode", "kode_wilayah"])),
        ("indicator", find(&["indicator", "indikator"])),
        ("year", find(&["year", "tahun"])),
        ("value", find(&["value", "nilai"])),
        ("source", find(&["source", "sumber"])),
    ];
    let missing: Vec<ImportProblem> = cols
        .iter()
        .filter(|(_, i)| i.is_none())
        .map(|(name, _)| ImportProblem {
            line: 1,
            column: (*name).to_owned(),
            value: String::new(),
            key: "err.import_column",
        })
        .collect();
    if !missing.is_empty() {
        return Err(ImportReport {
            imported: 0,
            problems: missing,
        });
    }
    let at =
        |r: &Vec<String>, i: Option<usize>| i.and_then(|i| r.get(i)).cloned().unwrap_or_default();
    Ok(rows[1..]
        .iter()
        .map(|(line, r)| IndicatorCells {
            line: *line,
            code: at(r, cols[0].1),
            indicator: at(r, cols[1].1),
            year: at(r, cols[2].1),
            value: at(r, cols[3].1),
            source: at(r, cols[4].1),
        })
        .collect())
}

pub(super) async fn import(
    State(state): State<AppState>,
    user: User,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    // Access first: a refused request learns nothing from its file.
    decide(user.actor(), Action::ImportIndicators, &user.actor().scope)
        .map_err(StoreError::from)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let parts = crate::http::multipart::boundary(ctype)
        .and_then(|b| crate::http::multipart::parse(&b, &body))
        .unwrap_or_default();
    let synthetic = parts
        .iter()
        .any(|p| p.name == "synthetic" && p.data == b"yes");
    let file = parts
        .iter()
        .find(|p| p.name == "file" && p.filename.is_some());
    let q = IndexQuery::default();
    let report = match file.map(|f| std::str::from_utf8(f.data)) {
        None => ImportReport {
            imported: 0,
            problems: vec![ImportProblem {
                line: 0,
                column: String::new(),
                value: String::new(),
                key: "err.import_empty",
            }],
        },
        Some(Err(_)) => ImportReport {
            imported: 0,
            problems: vec![ImportProblem {
                line: 0,
                column: String::new(),
                value: String::new(),
                key: "err.utf8",
            }],
        },
        Some(Ok(text)) => match indicator_rows(text) {
            Err(r) => r,
            Ok(rows) => {
                state
                    .store
                    .import_indicators(user.actor(), &rows, synthetic)
                    .await?
            }
        },
    };
    if report.problems.is_empty() {
        return Ok(Redirect::to("/kerawanan?ok=imported#indicators").into_response());
    }
    index_page(&state, &user, &q, Some(report)).await
}

/// The ranked table as header and rows (the CSV and the workbook both write it).
fn index_table(view: &IndexView) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header: Vec<String> = [
        "rank",
        "code",
        "regency",
        "score",
        "rank_p05",
        "rank_p95",
        "rank_min",
        "rank_max",
        "origin",
        "transit",
        "destination",
        "imputed",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(view.keys.iter().cloned());
    let opt = |v: Option<f64>| v.map(Cell::Num).unwrap_or(Cell::Text(String::new()));
    let rows = view
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::Num(r.rank as f64),
                Cell::Text(r.code.clone()),
                Cell::Text(r.name.clone()),
                Cell::Num(r.score),
                Cell::Num(r.range.p05 as f64),
                Cell::Num(r.range.p95 as f64),
                Cell::Num(r.range.min as f64),
                Cell::Num(r.range.max as f64),
                opt(r.dimensions[0]),
                opt(r.dimensions[1]),
                opt(r.dimensions[2]),
                Cell::Num(r.imputed as f64),
            ];
            row.extend(r.values.iter().map(|v| opt(*v)));
            row
        })
        .collect();
    (header, rows)
}

/// The index and its table, for a download.
async fn index_download(
    state: &AppState,
    user: &User,
    q: &IndexQuery,
) -> Result<(Arc<IndexView>, Page, Vec<String>, Vec<Vec<Cell>>), WebError> {
    let view = state
        .store
        .vulnerability_index(user.actor(), version_of(&q.version)?)
        .await?;
    let page = Page::from_ctx(&user.ctx, "index.title");
    let (header, rows) = index_table(&view);
    Ok((view, page, header, rows))
}

/// What the download says about itself: the method version, the draws, the seed, and
/// whether synthetic indicators are in it.
fn index_note(view: &IndexView, page: &Page) -> String {
    let mut note = format!(
        "method version {}, {} draws, seed {}",
        view.method.version, view.draws, view.seed
    );
    if view.synthetic {
        note = format!("{} {note}", page.t("index.synthetic"));
    }
    note
}

pub(super) async fn export_csv(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<IndexQuery>,
) -> Result<Response, WebError> {
    let (view, page, header, rows) = index_download(&state, &user, &q).await?;
    let mut out: String = header
        .iter()
        .map(|h| csv_field(h))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(t) => csv_field(t),
                Cell::Num(n) if n.fract() == 0.0 => format!("{n:.0}"),
                Cell::Num(n) => format!("{n:.4}"),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.push_str(&format!("# {}\n", index_note(&view, &page)));
    Ok(download(
        out,
        "text/csv; charset=utf-8",
        "indeks-kerawanan.csv",
    ))
}

pub(super) async fn export_xlsx(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<IndexQuery>,
) -> Result<Response, WebError> {
    let (view, page, header, rows) = index_download(&state, &user, &q).await?;
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let sheets = [Sheet {
        name: page.t("index.ranking"),
        header: &header,
        rows,
    }];
    let bytes = workbook(&sheets, &index_note(&view, &page))?;
    Ok(download_bytes(bytes, XLSX, "indeks-kerawanan.xlsx"))
}

#[derive(Template)]
#[template(path = "stats/method.html")]
struct MethodPage {
    page: Page,
    current: MethodVersion,
    history: Vec<MethodVersion>,
    /// Every indicator one may weigh: (key, label, weight text, dimension, direction).
    rows: Vec<(String, String, String, String, String)>,
    norm: String,
    imp: String,
    agg: String,
    note: String,
    can_edit: bool,
    errors: Vec<String>,
}

fn method_rows(
    page: &Page,
    m: &Method,
    imported: &[IndicatorInfo],
) -> Vec<(String, String, String, String, String)> {
    let mut keys: Vec<(String, Dimension)> = GUGUS_COMPONENTS
        .iter()
        .map(|(k, d)| ((*k).to_owned(), *d))
        .collect();
    keys.extend(imported.iter().map(|i| (i.key.clone(), Dimension::Origin)));
    keys.iter()
        .map(|(k, d)| {
            let spec = m.indicators.iter().find(|i| &i.key == k);
            (
                k.clone(),
                indicator_label(page, k),
                spec.map(|s| format!("{}", (s.weight * 10_000.0).round() / 10_000.0))
                    .unwrap_or_default(),
                spec.map(|s| s.dimension).unwrap_or(*d).as_str().to_owned(),
                spec.map(|s| s.direction)
                    .unwrap_or(Direction::Positive)
                    .as_str()
                    .to_owned(),
            )
        })
        .collect()
}

pub(super) async fn method_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Html<String>, WebError> {
    let current = state.store.index_method(None).await?;
    let imported = state.store.index_indicators(user.actor()).await?;
    let page = Page::from_ctx(&user.ctx, "index.method_title");
    let rows = method_rows(&page, &current.method, &imported);
    render(&MethodPage {
        norm: current.method.normalisation.as_str().to_owned(),
        imp: current.method.imputation.as_str().to_owned(),
        agg: current.method.aggregation.as_str().to_owned(),
        note: String::new(),
        can_edit: decide(user.actor(), Action::ManageIndexMethod, &Scope::National).is_ok(),
        history: state.store.index_methods().await?,
        errors: Vec::new(),
        rows,
        current,
        page,
    })
}

pub(super) async fn save_method(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<crate::shared::forms::Fields>,
) -> Result<Response, WebError> {
    decide(user.actor(), Action::ManageIndexMethod, &Scope::National).map_err(StoreError::from)?;
    let get = |k: &str| {
        f.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let page = Page::from_ctx(&user.ctx, "index.method_title");
    let imported = state.store.index_indicators(user.actor()).await?;
    let mut errs = domain::Invalid::default();
    let mut indicators = Vec::new();
    let mut keys: Vec<String> = GUGUS_COMPONENTS
        .iter()
        .map(|(k, _)| (*k).to_owned())
        .collect();
    keys.extend(imported.iter().map(|i| i.key.clone()));
    for k in &keys {
        let w = get(&format!("w_{k}"));
        if w.trim().is_empty() {
            continue;
        }
        let Some(weight) = errs.take(domain::value::decimal(&format!("w_{k}"), w)) else {
            continue;
        };
        if weight == 0.0 {
            continue;
        }
        let dimension = Dimension::parse(get(&format!("dim_{k}")));
        let direction = Direction::parse(get(&format!("dir_{k}")));
        if dimension.is_none() || direction.is_none() {
            errs.push(&format!("w_{k}"), "err.choice");
            continue;
        }
        if let (Some(dimension), Some(direction)) = (dimension, direction) {
            indicators.push(IndicatorSpec {
                key: k.clone(),
                dimension,
                direction,
                weight,
            });
        }
    }
    let norm = Normalisation::parse(get("normalisation"));
    let imp = Imputation::parse(get("imputation"));
    let agg = Aggregation::parse(get("aggregation"));
    if norm.is_none() {
        errs.push("normalisation", "err.choice");
    }
    if imp.is_none() {
        errs.push("imputation", "err.choice");
    }
    if agg.is_none() {
        errs.push("aggregation", "err.choice");
    }
    let sum: f64 = indicators.iter().map(|i| i.weight).sum();
    let result = match (errs.is_empty(), norm, imp, agg) {
        (true, Some(normalisation), Some(imputation), Some(aggregation)) => {
            let method = Method {
                indicators,
                normalisation,
                imputation,
                aggregation,
            };
            state
                .store
                .save_index_method(user.actor(), &method, get("note"))
                .await
        }
        _ => Err(StoreError::Invalid(errs)),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!("/kerawanan/metode?saved={v}#method")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let errors: Vec<String> =
                e.0.iter()
                    .map(|fe| {
                        let msg = page.t(fe.key);
                        if fe.key == "err.weights_sum" {
                            format!(
                                "{msg} ({})",
                                page.tf("index.weights_now", format!("{sum:.4}"))
                            )
                        } else {
                            msg.to_owned()
                        }
                    })
                    .collect();
            let current = state.store.index_method(None).await?;
            // The form again, with what was typed.
            let rows = method_rows(&page, &current.method, &imported)
                .into_iter()
                .map(|(k, l, _, _, _)| {
                    let w = get(&format!("w_{k}")).to_owned();
                    let d = get(&format!("dim_{k}")).to_owned();
                    let r = get(&format!("dir_{k}")).to_owned();
                    (k, l, w, d, r)
                })
                .collect();
            let html = render(&MethodPage {
                norm: get("normalisation").to_owned(),
                imp: get("imputation").to_owned(),
                agg: get("aggregation").to_owned(),
                note: get("note").to_owned(),
                can_edit: true,
                history: state.store.index_methods().await?,
                errors,
                rows,
                current,
                page,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::read_csv;

    #[test]
    fn csv_rows_keep_their_line_numbers_quotes_and_separator() {
        let rows = read_csv("kode;nilai\r\n53.01;\"12,5\"\n\n\"62.71\";\"a \"\"b\"\"\nc\"\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], (2, vec!["53.01".to_owned(), "12,5".to_owned()]));
        assert_eq!(
            rows[2],
            (4, vec!["62.71".to_owned(), "a \"b\"\nc".to_owned()])
        );
    }
}
