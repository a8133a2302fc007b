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

pub(super) async fn csv(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<StatQuery>,
) -> Result<Response, WebError> {
    let (filter, by) = q.filter()?;
    let stats = state.store.statistics(user.actor(), &filter, by).await?;
    let page = Page::from_ctx(&user.ctx, "stats.title");
    let names = pages::labels(&state, &stats, &page).await?;
    let mut out = String::from("section,value,label,official,working\n");
    let line = |out: &mut String, sec: &str, v: &str, l: &str, o: i64, w: i64| {
        out.push_str(&format!(
            "{},{},{},{o},{w}\n",
            csv_field(sec),
            csv_field(v),
            csv_field(l)
        ));
    };
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
        line(&mut out, "total", k, page.t(&format!("stats.{k}")), a, b);
    }
    for r in pages::trend_rows(&stats, &page) {
        line(
            &mut out,
            &format!("trend_{}", by.key()),
            r.value.as_deref().unwrap_or_default(),
            &r.label,
            r.official,
            r.working,
        );
    }
    for s in pages::sections(&stats, &q, &page, &names) {
        for r in &s.rows {
            line(
                &mut out,
                s.key,
                r.value.as_deref().unwrap_or_default(),
                &r.label,
                r.official,
                r.working,
            );
        }
    }
    Ok(download(
        out,
        "text/csv; charset=utf-8",
        "statistik-gugus.csv",
    ))
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
        let rows = pages::trend_rows(&stats, &page);
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
