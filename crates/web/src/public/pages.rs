//! The public pages: home, statistics from the newest (or a chosen) snapshot, open data.

use crate::AppState;
use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::stats::export::{csv_field, download};
use crate::stats::geo;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use store::publish::{PublicRow, PublicSnapshot, SnapshotInfo};
use store::stats::{POPULATION_SOURCE, Population};

/// Public pages may be kept by the browser for a while (snapshots change once a month);
/// not by shared caches, since a response may set the visitor's own cookies, and `/` is
/// another page once logged in.
pub(crate) fn cacheable(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=300"),
    );
    h.insert(header::VARY, header::HeaderValue::from_static("Cookie"));
    r
}

/// A published number, or the mark of a hidden one.
fn shown(v: &Option<i64>) -> String {
    match v {
        Some(n) => n.to_string(),
        None => "—".into(),
    }
}

/// One line of a public table.
pub(crate) struct Line {
    pub label: String,
    pub total: Option<i64>,
    /// Per 100,000 inhabitants, when the total is published and the population known.
    pub rate: String,
    pub cells: Vec<Option<i64>>,
    /// The page of this region's own table (provinces), if any.
    pub href: String,
}

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    page: Page,
    snapshot: Option<PublicSnapshot>,
    sexes: Vec<(String, Option<i64>)>,
    /// The newest articles.
    news: Vec<store::news::ArticleRow>,
}

impl HomePage {
    fn n(&self, v: &Option<i64>) -> String {
        shown(v)
    }
    fn total(&self) -> Option<i64> {
        self.snapshot
            .as_ref()
            .and_then(|s| s.row("")?.get("total").flatten())
    }
}

/// `/` for a visitor who is not logged in.
pub(crate) async fn public_home(state: &AppState, ctx: &Ctx) -> Result<Response, WebError> {
    let page = Page::from_ctx(ctx, "public.home_title");
    let snapshot = state.store.public_snapshot(None).await?;
    let lists = state.store.picklists().await?;
    let lang = page.locale.code();
    let sexes = snapshot
        .as_ref()
        .and_then(|s| {
            let nation = s.row("")?;
            Some(
                s.categories("sex")
                    .iter()
                    .map(|c| {
                        let code = c.trim_start_matches("sex.");
                        (
                            lists.label("sex", code, lang).to_owned(),
                            nation.get(c).flatten(),
                        )
                    })
                    .collect(),
            )
        })
        .unwrap_or_default();
    let mut news = state
        .store
        .public_news(&store::news::NewsFilter::default())
        .await?
        .rows;
    news.truncate(4);
    Ok(cacheable(
        render(&HomePage {
            page,
            snapshot,
            sexes,
            news,
        })?
        .into_response(),
    ))
}

/// `/` on the public listener: the visitors' home whoever asks.
pub(crate) async fn public_root(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    public_home(&state, &ctx).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PublicQuery {
    /// A province code (its regencies), or empty for the nation (its provinces).
    wilayah: String,
    /// A snapshot id; empty = the newest.
    potret: String,
}

impl PublicQuery {
    /// The snapshot asked for (`None`: the newest); anything but an id is 404.
    fn snapshot_id(&self) -> Result<Option<i64>, WebError> {
        match self.potret.trim() {
            "" => Ok(None),
            s => s.parse::<i64>().map(Some).map_err(|_| WebError::NotFound),
        }
    }
}

/// A breakdown of the chosen region: (label, count).
pub(crate) struct Breakdown {
    pub title: &'static str,
    pub rows: Vec<(String, Option<i64>)>,
}

#[derive(Template)]
#[template(path = "public/statistics.html")]
struct StatisticsPage {
    page: Page,
    snapshot: Option<PublicSnapshot>,
    snapshots: Vec<SnapshotInfo>,
    /// The region shown ("" = Indonesia) and its name.
    region: String,
    region_name: String,
    total: Option<i64>,
    columns: Vec<String>,
    lines: Vec<Line>,
    breakdowns: Vec<Breakdown>,
    population_source: &'static str,
    /// The map's legend (the map itself is an image of its own, `/statistik-publik/peta.svg`,
    /// so the page stays small on a slow line).
    legend: String,
    /// The map's address.
    map_href: String,
}

impl StatisticsPage {
    fn n(&self, v: &Option<i64>) -> String {
        shown(v)
    }
    fn snapshot_href(&self, id: &i64) -> String {
        if self.region.is_empty() {
            format!("/statistik-publik?potret={id}")
        } else {
            format!("/statistik-publik?wilayah={}&potret={id}", self.region)
        }
    }
}

fn rate(total: Option<i64>, code: &str) -> String {
    let code = (!code.is_empty()).then_some(code);
    match total.and_then(|n| Population::get().rate(n, code)) {
        Some(r) => format!("{r:.2}"),
        None => "—".into(),
    }
}

pub(crate) async fn statistics(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PublicQuery>,
) -> Result<Response, WebError> {
    let page = Page::from_ctx(&ctx, "public.stats_title");
    let id = q.snapshot_id()?;
    let snapshots = state.store.public_snapshots().await?;
    let snapshot = state.store.public_snapshot(id).await?;
    if id.is_some() && snapshot.is_none() {
        return Err(WebError::NotFound);
    }
    let region = q.wilayah.trim().to_owned();
    let lists = state.store.picklists().await?;
    let lang = page.locale.code();
    let mut lines = Vec::new();
    let mut breakdowns = Vec::new();
    let mut columns = Vec::new();
    let mut total = None;
    let mut region_name = page.t("public.indonesia").to_owned();
    let mut legend = String::new();
    let mut map_href = String::new();
    if let Some(s) = &snapshot {
        let Some(row) = s.row(&region) else {
            return Err(WebError::NotFound);
        };
        // A province's or the nation's own table only: regencies have no children.
        if row.parent.is_some() && region.len() != 2 {
            return Err(WebError::NotFound);
        }
        total = row.get("total").flatten();
        legend = public_map(s, &region, &page)?.1;
        map_href = format!(
            "/statistik-publik/peta.svg?wilayah={region}{}",
            snapshot_suffix(s, id)
        );
        let children = s.children(&region);
        let mut codes: Vec<String> = children.iter().map(|r| r.code.clone()).collect();
        codes.push(region.clone());
        let names = state.store.region_names(&codes).await?;
        if let Some(n) = names.get(&region) {
            region_name = n.clone();
        }
        let sexes = s.categories("sex");
        columns = sexes
            .iter()
            .map(|c| {
                lists
                    .label("sex", c.trim_start_matches("sex."), lang)
                    .to_owned()
            })
            .collect();
        for child in children {
            lines.push(line(child, &sexes, &names, &page, &snapshot_suffix(s, id)));
        }
        let label_of = |prefix: &str, c: &str| -> String {
            let v = c.trim_start_matches(&format!("{prefix}."));
            match prefix {
                "form" => lists.label("exploitation", v, lang).to_owned(),
                "age" if v == "?" => page.t("public.unknown").to_owned(),
                "year" if v == "0" => page.t("public.unknown").to_owned(),
                _ => v.to_owned(),
            }
        };
        for (prefix, title) in [
            ("age", "public.by_age"),
            ("form", "public.by_form"),
            ("year", "public.by_year"),
        ] {
            let rows = s
                .categories(prefix)
                .iter()
                .map(|c| (label_of(prefix, c), row.get(c).flatten()))
                .collect();
            breakdowns.push(Breakdown {
                title: page.t(title),
                rows,
            });
        }
    }
    Ok(cacheable(
        render(&StatisticsPage {
            page,
            snapshot,
            snapshots,
            region,
            region_name,
            total,
            columns,
            lines,
            breakdowns,
            population_source: POPULATION_SOURCE,
            legend,
            map_href,
        })?
        .into_response(),
    ))
}

/// The published regions below `region` (`""`: the provinces) on a map by rate per
/// 100,000 inhabitants, classed by quantiles of the published rates: (map, legend). A
/// hidden count has no rate and is drawn as "no figure".
fn public_map(s: &PublicSnapshot, region: &str, page: &Page) -> Result<(String, String), WebError> {
    let shapes = if region.is_empty() {
        geo::provinces()
    } else {
        geo::regencies()
    }
    .map_err(|e| {
        tracing::error!(error = e, "map geometry");
        WebError::Internal
    })?;
    let pop = Population::get();
    let rates: Vec<(String, Option<f64>)> = s
        .children(region)
        .iter()
        .filter(|r| shapes.get(&r.code).is_some())
        .map(|r| {
            let total = r.get("total").flatten();
            (
                r.code.clone(),
                total.and_then(|n| pop.rate(n, Some(&r.code))),
            )
        })
        .collect();
    let values: Vec<f64> = rates.iter().filter_map(|(_, v)| *v).collect();
    let breaks = geo::legend_breaks(&values, domain::classify::Classing::Quantiles);
    let mut counts = vec![0usize; breaks.len().saturating_sub(1)];
    let fills: Vec<geo::Fill> = rates
        .iter()
        .map(|(code, v)| {
            let class = v.and_then(|v| geo::class_of(&breaks, v));
            if let Some(n) = class.and_then(|c| counts.get_mut(c)) {
                *n += 1;
            }
            let name = shapes.get(code).map(|s| s.name.as_str()).unwrap_or(code);
            geo::Fill {
                code,
                class,
                title: match v {
                    Some(v) => format!("{name}: {v:.2}"),
                    None => format!("{name}: —"),
                },
                href: None,
            }
        })
        .collect();
    let only = |sh: &geo::Shape| region.is_empty() || sh.parent.as_deref() == Some(region);
    let svg = geo::choropleth(shapes, &fills, Some(&only), page.t("public.map_title"));
    let drawn = shapes.features.iter().filter(|sh| only(sh)).count();
    let nodata = drawn.saturating_sub(counts.iter().sum());
    let legend = geo::legend_with(
        &breaks,
        &counts,
        nodata,
        page.t("public.per_100k"),
        page.t("public.map_nodata"),
        &|v| format!("{v:.2}"),
    );
    Ok((svg, legend))
}

/// `/statistik-publik/peta.svg`: the statistics page's map as an image.
pub(crate) async fn statistics_map(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<PublicQuery>,
) -> Result<Response, WebError> {
    let page = Page::from_ctx(&ctx, "public.stats_title");
    let id = q.snapshot_id()?;
    let s = state
        .store
        .public_snapshot(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let region = q.wilayah.trim();
    if s.row(region).is_none() || !(region.is_empty() || region.len() == 2) {
        return Err(WebError::NotFound);
    }
    let (svg, _) = public_map(&s, region, &page)?;
    Ok(cacheable(
        (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            geo::standalone(svg),
        )
            .into_response(),
    ))
}

/// `&potret=ID` when the page shows a chosen snapshot, so links stay on it.
fn snapshot_suffix(s: &PublicSnapshot, chosen: Option<i64>) -> String {
    match chosen {
        Some(_) => format!("&potret={}", s.id),
        None => String::new(),
    }
}

fn line(
    row: &PublicRow,
    sexes: &[String],
    names: &HashMap<String, String>,
    page: &Page,
    suffix: &str,
) -> Line {
    let total = row.get("total").flatten();
    let unknown = row.code.ends_with('?');
    Line {
        label: if unknown {
            page.t("public.unknown_region").to_owned()
        } else {
            names
                .get(&row.code)
                .cloned()
                .unwrap_or_else(|| row.code.clone())
        },
        rate: if unknown {
            "—".into()
        } else {
            rate(total, &row.code)
        },
        cells: sexes.iter().map(|c| row.get(c).flatten()).collect(),
        href: if row.code.len() == 2 && !unknown {
            format!("/statistik-publik?wilayah={}{suffix}", row.code)
        } else {
            String::new()
        },
        total,
    }
}

#[derive(Template)]
#[template(path = "public/data.html")]
struct DataPage {
    page: Page,
    snapshots: Vec<SnapshotInfo>,
    ledger: store::publish::synthetic::Ledger,
}

pub(crate) async fn open_data(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let page = Page::from_ctx(&ctx, "public.data_title");
    let snapshots = state.store.public_snapshots().await?;
    let ledger = state
        .store
        .synthetic_ledger(state.config.dp_budget_epsilon)
        .await?;
    Ok(cacheable(
        render(&DataPage {
            page,
            snapshots,
            ledger,
        })?
        .into_response(),
    ))
}

/// A snapshot as one long CSV table: region code, region name, level, category, count
/// (empty when hidden).
pub(crate) async fn snapshot_csv(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let Some(s) = state.store.public_snapshot(Some(id)).await? else {
        return Err(WebError::NotFound);
    };
    let codes: Vec<String> = s.rows.iter().map(|r| r.code.clone()).collect();
    let names = state.store.region_names(&codes).await?;
    let mut out =
        String::from("kode_wilayah,nama_wilayah,tingkat,kategori,jumlah_orang,per_100000\n");
    for r in &s.rows {
        let level = match (r.code.as_str(), r.code.len()) {
            ("", _) => "nasional",
            (_, 1 | 2) => "provinsi",
            _ => "kabupaten_kota",
        };
        let name = names
            .get(&r.code)
            .map(String::as_str)
            .unwrap_or(match r.code.as_str() {
                "" => "Indonesia",
                _ => "tidak tercatat",
            });
        for (cat, v) in &r.cells {
            let per = if cat == "total" && !r.code.ends_with('?') {
                match rate(*v, &r.code).as_str() {
                    "—" => String::new(),
                    x => x.to_owned(),
                }
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{},{},{level},{},{},{per}\n",
                csv_field(&r.code),
                csv_field(name),
                csv_field(cat),
                v.map(|n| n.to_string()).unwrap_or_default()
            ));
        }
    }
    let day = domain::case::format_day(s.as_of);
    Ok(cacheable(download(
        out,
        "text/csv; charset=utf-8",
        &format!("gugus-statistik-{day}.csv"),
    )))
}
