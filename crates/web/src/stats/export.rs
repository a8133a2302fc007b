//! Downloads of the statistics: every table as CSV (one long table: section, value, label,
//! official, working) and every chart as a standalone SVG with its style inside.

use super::charts::{self, Pair};
use super::filter::StatQuery;
use super::pages;
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::Page;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use store::stats::StatDim;

/// A CSV field, quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with `'` so
/// a spreadsheet never runs it as a formula.
pub(crate) fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

pub(crate) fn download(body: String, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// One line of the statistics as a table: section, value, label, official, working.
type Line = (String, String, String, i64, i64);

/// Every table of the statistics page as lines (the CSV and the workbook both write them).
async fn lines(
    state: &AppState,
    user: &User,
    q: &StatQuery,
) -> Result<(Vec<Line>, Page), WebError> {
    let (filter, by) = q.filter()?;
    let stats = state.store.statistics(user.actor(), &filter, by).await?;
    let page = Page::from_ctx(&user.ctx, "stats.title");
    let names = pages::labels(state, &stats, &page).await?;
    let mut out: Vec<Line> = Vec::new();
    let (o, w) = (&stats.official, &stats.working);
    for (k, a, b) in [
        ("cases", o.cases, w.cases),
        ("victims", o.victims, w.victims),
        ("persons", o.persons, w.persons),
        ("children", o.children, w.children),
        ("perpetrators", o.perpetrators, w.perpetrators),
        (
            "restitution_awarded",
            o.restitution_awarded,
            w.restitution_awarded,
        ),
        ("restitution_paid", o.restitution_paid, w.restitution_paid),
    ] {
        out.push((
            "total".into(),
            k.into(),
            page.t(&format!("stats.{k}")).into(),
            a,
            b,
        ));
    }
    for r in pages::trend_rows(&stats, q, &page) {
        out.push((
            format!("trend_{}", by.key()),
            r.value.unwrap_or_default(),
            r.label,
            r.official,
            r.working,
        ));
    }
    for s in pages::sections(&stats, q, &page, &names) {
        for r in s.rows {
            out.push((
                s.key.into(),
                r.value.unwrap_or_default(),
                r.label,
                r.official,
                r.working,
            ));
        }
    }
    Ok((out, page))
}

pub(super) async fn csv(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<StatQuery>,
) -> Result<Response, WebError> {
    let (lines, _) = lines(&state, &user, &q).await?;
    let mut out = String::from("section,value,label,official,working\n");
    for (sec, v, l, o, w) in lines {
        out.push_str(&format!(
            "{},{},{},{o},{w}\n",
            csv_field(&sec),
            csv_field(&v),
            csv_field(&l)
        ));
    }
    Ok(download(
        out,
        "text/csv; charset=utf-8",
        "statistik-gugus.csv",
    ))
}

pub(super) async fn xlsx(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<StatQuery>,
) -> Result<Response, WebError> {
    let (lines, page) = lines(&state, &user, &q).await?;
    let header = [
        page.t("stats.section"),
        page.t("stats.value"),
        page.t("stats.label"),
        page.t("stats.official"),
        page.t("stats.working"),
    ];
    let mut totals = Vec::new();
    let mut trend = Vec::new();
    let mut rest = Vec::new();
    for (sec, v, l, o, w) in lines {
        let row = vec![
            Cell::Text(sec.clone()),
            Cell::Text(v),
            Cell::Text(l),
            Cell::Num(o as f64),
            Cell::Num(w as f64),
        ];
        if sec == "total" {
            totals.push(row);
        } else if sec.starts_with("trend_") {
            trend.push(row);
        } else {
            rest.push(row);
        }
    }
    let sheets = [
        Sheet {
            name: page.t("stats.totals"),
            header: &header,
            rows: totals,
        },
        Sheet {
            name: page.t("stats.trend"),
            header: &header,
            rows: trend,
        },
        Sheet {
            name: page.t("stats.breakdowns"),
            header: &header,
            rows: rest,
        },
    ];
    let bytes = workbook(&sheets, page.t("stats.official_hint"))?;
    Ok(download_bytes(bytes, XLSX, "statistik-gugus.xlsx"))
}

/// The content type of a workbook.
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A cell of a downloaded table.
pub(crate) enum Cell {
    Text(String),
    Num(f64),
}

/// One worksheet: its name, header and rows.
pub(crate) struct Sheet<'a> {
    pub name: &'a str,
    pub header: &'a [&'a str],
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook with the sheets (bold header, frozen first row) and a note sheet.
pub(crate) fn workbook(sheets: &[Sheet<'_>], note: &str) -> Result<Vec<u8>, WebError> {
    let fail = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "workbook");
        WebError::Internal
    };
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for s in sheets {
        let ws = wb.add_worksheet();
        // Sheet names: at most 31 characters, none of []:*?/\
        let name: String = s
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(&name).map_err(fail)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(t) => ws.write_string(r, c, t).map_err(fail)?,
                    Cell::Num(n) => ws.write_number(r, c, *n).map_err(fail)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0).map_err(fail)?;
        ws.autofit();
    }
    let ws = wb.add_worksheet();
    ws.set_name("Catatan").map_err(fail)?;
    ws.write_string(0, 0, note).map_err(fail)?;
    ws.write_string(1, 0, "Gugus — Sistem Informasi Gugus Tugas PP-TPPO")
        .map_err(fail)?;
    wb.save_to_buffer().map_err(fail)
}

pub(crate) fn download_bytes(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ChartQuery {
    dim: String,
    #[serde(flatten)]
    q: StatQuery,
}

/// The style a chart needs outside the page.
const SVG_STYLE: &str = "<style>.s-official{fill:#1f5f8b}.s-working{fill:#9ecae1}text{font:12px sans-serif;fill:#1d232b}.axis{stroke:#555}</style>";

pub(super) async fn chart_svg(
    State(state): State<AppState>,
    user: User,
    Query(cq): Query<ChartQuery>,
) -> Result<Response, WebError> {
    let (filter, by) = cq.q.filter()?;
    let stats = state.store.statistics(user.actor(), &filter, by).await?;
    let page = Page::from_ctx(&user.ctx, "stats.title");
    let names = pages::labels(&state, &stats, &page).await?;
    let series = (page.t("stats.official"), page.t("stats.working"));
    let svg = if cq.dim == "trend" {
        let rows = pages::trend_rows(&stats, &cq.q, &page);
        let pairs: Vec<Pair> = rows
            .iter()
            .map(|r| Pair {
                label: &r.label,
                official: r.official,
                working: r.working,
            })
            .collect();
        charts::columns(page.t("stats.trend"), &pairs, series)
    } else {
        let Some(dim) = StatDim::parse(&cq.dim) else {
            return Err(domain::Invalid::one("dim", "err.choice").into());
        };
        let sections = pages::sections(&stats, &cq.q, &page, &names);
        match sections.into_iter().find(|s| s.key == dim.key()) {
            Some(s) => s.svg,
            None => return Err(domain::Invalid::one("dim", "err.choice").into()),
        }
    };
    let standalone = svg.replacen("><title>", &format!(">{SVG_STYLE}<title>"), 1);
    Ok(download(
        standalone,
        "image/svg+xml",
        &format!("statistik-{}.svg", cq.dim),
    ))
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Kota Kupang"), "Kota Kupang");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
