//! `/peta`: choropleths of provinces or of one province's regencies for a measure (victims
//! by home region or by place of exploitation, counted or per 100,000), classed by
//! quantiles or natural breaks; flows from origin to destination as arcs; villages of
//! origin inside a regency as a table. Everything within the viewer's scope.

use super::filter::StatQuery;
use super::geo::{self, Fill};
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use domain::classify::Classing;
use domain::{Invalid, RegionCode, RegionLevel};
use serde::Deserialize;
use store::stats::{Population, StatDim};

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct MapQuery {
    /// `home` (default) or `dest`.
    measure: String,
    /// `count` (default) or `rate` (per 100,000 inhabitants).
    value: String,
    /// `official` (default) or `working`.
    kind: String,
    /// `quantiles` (default) or `natural_breaks`.
    classing: String,
    /// A province (`53`) shows its regencies, a regency (`53.01`) its villages of origin.
    focus: String,
    #[serde(flatten)]
    q: StatQuery,
}

struct MapSpec {
    dest: bool,
    rate: bool,
    official: bool,
    classing: Classing,
    focus: Option<RegionCode>,
}

impl MapQuery {
    fn spec(&self) -> Result<MapSpec, Invalid> {
        let mut errs = Invalid::default();
        let pick = |errs: &mut Invalid, field: &'static str, v: &str, a: &str, b: &str| -> bool {
            match v {
                "" => false,
                x if x == a => false,
                x if x == b => true,
                _ => {
                    errs.push(field, "err.choice");
                    false
                }
            }
        };
        let dest = pick(&mut errs, "measure", &self.measure, "home", "dest");
        let rate = pick(&mut errs, "value", &self.value, "count", "rate");
        let working = pick(&mut errs, "kind", &self.kind, "official", "working");
        let classing = match self.classing.as_str() {
            "" => Classing::Quantiles,
            c => Classing::parse(c).unwrap_or_else(|| {
                errs.push("classing", "err.choice");
                Classing::Quantiles
            }),
        };
        let focus = match self.focus.trim() {
            "" => None,
            f => match RegionCode::parse(f) {
                Ok(r) if matches!(r.level(), RegionLevel::Province | RegionLevel::Regency) => {
                    Some(r)
                }
                _ => {
                    errs.push("focus", "err.region_code");
                    None
                }
            },
        };
        errs.into_result(MapSpec {
            dest,
            rate,
            official: !working,
            classing,
            focus,
        })
    }

    fn href(&self, focus: &str) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "/peta?measure={}&value={}&kind={}&classing={}&focus={}&{}",
            enc(&self.measure),
            enc(&self.value),
            enc(&self.kind),
            enc(&self.classing),
            enc(focus),
            self.q.query_string()
        )
    }
}

/// One region's figure on the map and in the table beside it.
struct MapRow {
    code: String,
    name: String,
    count: i64,
    value: Option<f64>,
    class: Option<usize>,
    href: String,
}

#[derive(Template)]
#[template(path = "stats/map.html")]
struct MapPage {
    page: Page,
    mq: MapQuery,
    svg: String,
    legend: String,
    rows: Vec<MapRow>,
    villages: Vec<(String, String, i64)>,
    flows_svg: String,
    flows: Vec<(String, String, i64)>,
    /// Routes through a transit province: origin, transit, destination, victims.
    via: Vec<(String, String, String, i64)>,
    skipped: usize,
    focus_name: String,
    qs: String,
    up: String,
    rate: bool,
    /// Where the boundaries come from (shown under every map).
    source: &'static str,
}

struct Drawn {
    svg: String,
    legend: String,
    rows: Vec<MapRow>,
}

/// The choropleth for the spec: provinces (no focus) or one province's regencies.
async fn draw(
    state: &AppState,
    user: &User,
    mq: &MapQuery,
    spec: &MapSpec,
    page: &Page,
) -> Result<Drawn, WebError> {
    let (filter, _) = mq.q.filter()?;
    let province = spec.focus.as_ref().map(|f| f.province().clone());
    let dim = match (spec.dest, province.is_some()) {
        (false, false) => StatDim::HomeProvince,
        (false, true) => StatDim::HomeRegency,
        (true, false) => StatDim::DestProvince,
        (true, true) => StatDim::DestRegency,
    };
    let b = match &province {
        Some(p) => {
            state
                .store
                .statistics_breakdown_in(user.actor(), &filter, dim, p)
                .await?
        }
        None => {
            state
                .store
                .statistics_breakdown(user.actor(), &filter, dim)
                .await?
        }
    };
    let shapes = match province {
        Some(_) => geo::regencies(),
        None => geo::provinces(),
    }
    .map_err(geometry_missing)?;
    let pop = Population::get();
    let mut rows: Vec<MapRow> = Vec::new();
    for r in &b.rows {
        let Some(code) = &r.value else { continue };
        let Some(shape) = shapes.get(code) else {
            continue;
        };
        let count = if spec.official { r.official } else { r.working };
        let value = if spec.rate {
            pop.rate(count, Some(code))
        } else {
            Some(count as f64)
        };
        rows.push(MapRow {
            code: code.clone(),
            name: shape.name.clone(),
            count,
            value,
            class: None,
            href: mq.href(code),
        });
    }
    let values: Vec<f64> = rows.iter().filter_map(|r| r.value).collect();
    let legend_breaks = geo::legend_breaks(&values, spec.classing);
    let mut counts = vec![0usize; legend_breaks.len().saturating_sub(1)];
    for r in &mut rows {
        r.class = r.value.and_then(|v| geo::class_of(&legend_breaks, v));
        if let Some(c) = r.class
            && let Some(n) = counts.get_mut(c)
        {
            *n += 1;
        }
    }
    rows.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(&b.code)));
    let fmt_value = |v: f64| {
        if spec.rate {
            format!("{v:.2}")
        } else {
            format!("{v:.0}")
        }
    };
    let fills: Vec<Fill> = rows
        .iter()
        .map(|r| Fill {
            code: &r.code,
            class: r.class,
            title: format!("{}: {}", r.name, r.value.map(fmt_value).unwrap_or_default()),
            href: Some(r.href.clone()),
        })
        .collect();
    let label = page.t(if spec.dest {
        "map.measure.dest"
    } else {
        "map.measure.home"
    });
    let drawn = match &province {
        Some(p) => geo::choropleth(
            shapes,
            &fills,
            Some(&|s: &geo::Shape| s.parent.as_deref() == Some(p.as_str())),
            label,
        ),
        None => geo::choropleth(shapes, &fills, None, label),
    };
    let nodata = match &province {
        Some(p) => shapes
            .features
            .iter()
            .filter(|s| s.parent.as_deref() == Some(p.as_str()))
            .count(),
        None => shapes.features.len(),
    }
    .saturating_sub(rows.iter().filter(|r| r.class.is_some()).count());
    let legend = geo::legend_with(
        &legend_breaks,
        &counts,
        nodata,
        page.t("map.legend"),
        page.t("map.nodata"),
        &fmt_value,
    );
    Ok(Drawn {
        svg: drawn,
        legend,
        rows,
    })
}

fn geometry_missing(e: &str) -> WebError {
    tracing::error!(error = e, "map geometry");
    WebError::Internal
}

/// The schematic anchor of a destination country on the flow map.
fn abroad_key(country: &str) -> &str {
    match country {
        "MYS" | "SGP" | "SAU" | "HKG" | "TWN" | "ARE" | "QAT" | "KWT" | "OMN" | "BRN" | "KHM"
        | "THA" | "CHN" | "JPN" | "KOR" | "PHL" | "TLS" | "AUS" => country,
        _ => "OTHER",
    }
}

pub(super) async fn map_page(
    State(state): State<AppState>,
    user: User,
    Query(mq): Query<MapQuery>,
) -> Result<Html<String>, WebError> {
    let spec = mq.spec()?;
    let (filter, _) = mq.q.filter()?;
    let page = Page::from_ctx(&user.ctx, "map.title");
    let drawn = draw(&state, &user, &mq, &spec, &page).await?;
    // Flows: home province to the province or country of exploitation.
    let mut flows: Vec<(String, String, i64)> = Vec::new();
    // Two scans of every row in the area: side by side (1.4 s each on the generated million).
    let (provinces, countries) = tokio::try_join!(
        state.store.statistics_crosstab(
            user.actor(),
            &filter,
            StatDim::HomeProvince,
            StatDim::DestProvince
        ),
        state.store.statistics_crosstab(
            user.actor(),
            &filter,
            StatDim::HomeProvince,
            StatDim::DestCountry
        ),
    )?;
    for t in [provinces, countries] {
        for (from, to, official, working) in t.cells {
            let n = if spec.official { official } else { working };
            if let (Some(a), Some(b)) = (from, to)
                && n > 0
                && a != b
            {
                flows.push((a, b, n));
            }
        }
    }
    flows.sort_by_key(|f| std::cmp::Reverse(f.2));
    // Through transit: each route's two legs (origin → transit, transit → destination).
    let transit = state
        .store
        .statistics_transit(user.actor(), &filter)
        .await?;
    let mut legs: std::collections::BTreeMap<(String, String), i64> = Default::default();
    let mut via: Vec<(String, String, String, i64)> = Vec::new();
    for (o, t, d, official, working) in transit.iter() {
        let n = if spec.official { *official } else { *working };
        if n == 0 {
            continue;
        }
        if let Some(o) = o.as_ref().filter(|o| *o != t) {
            *legs.entry((o.clone(), t.clone())).or_default() += n;
        }
        if let Some(d) = d.as_ref().filter(|d| *d != t) {
            *legs.entry((t.clone(), d.clone())).or_default() += n;
        }
        via.push((
            o.clone().unwrap_or_default(),
            t.clone(),
            d.clone().unwrap_or_default(),
            n,
        ));
    }
    let provinces = geo::provinces().map_err(geometry_missing)?;
    let lists = state.store.picklists().await?;
    let lang = page.locale.code();
    let name = |c: &str| match provinces.get(c) {
        Some(s) => s.name.clone(),
        None if c.is_empty() => page.t("stats.not_recorded").to_owned(),
        None => lists.label("country", c, lang).to_owned(),
    };
    let transit_word = page.t("map.via");
    let leg_arcs: Vec<(String, String, i64, String)> = legs
        .into_iter()
        .map(|((a, b), n)| {
            let title = format!("{} → {} ({transit_word}): {n}", name(&a), name(&b));
            (a, b, n, title)
        })
        .collect();
    let mut arcs: Vec<geo::Arc> = flows
        .iter()
        .take(60)
        .map(|(a, b, n)| geo::Arc {
            from: a,
            to: if provinces.get(b).is_some() {
                b
            } else {
                abroad_key(b)
            },
            count: *n as u64,
            title: format!("{} → {}: {n}", name(a), name(b)),
        })
        .collect();
    arcs.extend(leg_arcs.iter().take(40).map(|(a, b, n, title)| geo::Arc {
        from: a,
        to: if provinces.get(b).is_some() {
            b
        } else {
            abroad_key(b)
        },
        count: *n as u64,
        title: title.clone(),
    }));
    let (flows_svg, skipped) = geo::flow_map(provinces, &arcs, page.t("map.flows"));
    let flows = flows
        .into_iter()
        .map(|(a, b, n)| (name(&a), name(&b), n))
        .collect();
    let via = via
        .into_iter()
        .map(|(o, t, d, n)| (name(&o), name(&t), name(&d), n))
        .collect();
    let mut villages = Vec::new();
    let mut focus_name = String::new();
    if let Some(f) = &spec.focus {
        let names = state.store.region_names(&[f.as_str().to_owned()]).await?;
        focus_name = names.get(f.as_str()).cloned().unwrap_or_default();
        if f.level() == RegionLevel::Regency {
            let b = state
                .store
                .statistics_breakdown_in(user.actor(), &filter, StatDim::HomeVillage, f)
                .await?;
            let codes: Vec<String> = b.rows.iter().filter_map(|r| r.value.clone()).collect();
            let names = state.store.region_names(&codes).await?;
            for r in b.rows.into_iter().take(500) {
                let Some(code) = r.value else { continue };
                let n = if spec.official { r.official } else { r.working };
                villages.push((names.get(&code).cloned().unwrap_or_default(), code, n));
            }
        }
    }
    let up = match &spec.focus {
        Some(f) if f.level() == RegionLevel::Regency => mq.href(f.province().as_str()),
        Some(_) => mq.href(""),
        None => String::new(),
    };
    render(&MapPage {
        qs: mq.q.query_string(),
        page,
        svg: drawn.svg,
        legend: drawn.legend,
        rows: drawn.rows,
        villages,
        flows_svg,
        flows,
        via,
        skipped,
        focus_name,
        up,
        rate: spec.rate,
        source: &provinces.source,
        mq,
    })
}

/// The choropleth alone, as a standalone SVG file.
pub(super) async fn map_svg(
    State(state): State<AppState>,
    user: User,
    Query(mq): Query<MapQuery>,
) -> Result<Response, WebError> {
    let spec = mq.spec()?;
    let page = Page::from_ctx(&user.ctx, "map.title");
    let drawn = draw(&state, &user, &mq, &spec, &page).await?;
    let svg = geo::standalone(drawn.svg);
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"peta-gugus.svg\"".to_owned(),
            ),
        ],
        svg,
    )
        .into_response())
}
