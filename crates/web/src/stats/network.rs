//! `/jaringan`: perpetrator networks as a server-rendered SVG graph (perpetrators on an
//! inner ring, their cases on an outer ring, a line per link) with the same data as a
//! table beside it. Perpetrators by initials and code only.

use super::charts::esc;
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write;
use store::stats::network::Network;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NetworkQuery {
    perpetrator: String,
}

/// A table row: a perpetrator, its cases, and where their victims come from and go.
struct NetRow {
    id: i64,
    label: String,
    cases: Vec<(i64, String)>,
    homes: String,
    places: String,
}

#[derive(Template)]
#[template(path = "stats/network.html")]
struct NetworkPage {
    page: Page,
    svg: String,
    rows: Vec<NetRow>,
    truncated: bool,
    around: bool,
}

/// The graph as SVG: perpetrators (circles) on the inner ring, cases (squares) outside.
pub(crate) fn graph_svg(net: &Network, title: &str) -> String {
    let (w, h) = (640.0_f64, 640.0_f64);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let ring = |n: usize, i: usize, r: f64| {
        let a = std::f64::consts::TAU * i as f64 / n.max(1) as f64 - std::f64::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    let np = net.perpetrators.len();
    let nc = net.cases.len();
    let inner = if np == 1 { 0.0 } else { 150.0 };
    let pp: HashMap<i64, (f64, f64)> = net
        .perpetrators
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, ring(np, i, inner)))
        .collect();
    let cp: HashMap<i64, (f64, f64)> = net
        .cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, ring(nc, i, 280.0)))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="network-svg" role="img" aria-label="{t}" viewBox="0 0 {w} {h}"><title>{t}</title>"#,
        t = esc(title)
    );
    for p in &net.perpetrators {
        let Some((x1, y1)) = pp.get(&p.id) else {
            continue;
        };
        for c in &p.cases {
            if let Some((x2, y2)) = cp.get(c) {
                let _ = write!(
                    s,
                    r#"<line class="edge" x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}"/>"#
                );
            }
        }
    }
    for c in &net.cases {
        if let Some((x, y)) = cp.get(&c.id) {
            let _ = write!(
                s,
                r#"<a href="/cases/{id}"><g class="case-node"><title>{code}</title><rect x="{rx:.1}" y="{ry:.1}" width="12" height="12"/></g></a>"#,
                id = c.id,
                code = esc(&c.code),
                rx = x - 6.0,
                ry = y - 6.0
            );
        }
    }
    for p in &net.perpetrators {
        if let Some((x, y)) = pp.get(&p.id) {
            let _ = write!(
                s,
                r#"<a href="/perpetrators/{id}"><g class="perp-node"><title>P-{id} {ini} ({n})</title><circle cx="{x:.1}" cy="{y:.1}" r="{r}"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle">{ini}</text></g></a>"#,
                id = p.id,
                ini = esc(&p.initials),
                n = p.cases.len(),
                r = 8 + 2 * p.cases.len().min(8),
                ty = y - 12.0 - 2.0 * p.cases.len().min(8) as f64,
            );
        }
    }
    s.push_str("</svg>");
    s
}

pub(super) async fn network_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<NetworkQuery>,
) -> Result<Html<String>, WebError> {
    let around = match q.perpetrator.trim() {
        "" => None,
        v => Some(
            domain::value::id::parse(v)
                .ok_or_else(|| domain::Invalid::one("perpetrator", "err.choice"))?,
        ),
    };
    let net = state
        .store
        .perpetrator_network(user.actor(), around)
        .await?;
    let page = Page::from_ctx(&user.ctx, "network.title");
    let mut codes: Vec<String> = net
        .cases
        .iter()
        .flat_map(|c| c.homes.iter().chain(c.places.iter()).cloned())
        .collect();
    codes.sort();
    codes.dedup();
    let names = state.store.region_names(&codes).await?;
    let lists = state.store.picklists().await?;
    let word = |c: &String| {
        names
            .get(c)
            .cloned()
            .unwrap_or_else(|| lists.label("country", c, page.locale.code()).to_owned())
    };
    let case_of: HashMap<i64, &store::stats::network::NetCase> =
        net.cases.iter().map(|c| (c.id, c)).collect();
    let rows = net
        .perpetrators
        .iter()
        .map(|p| {
            let cs: Vec<&store::stats::network::NetCase> = p
                .cases
                .iter()
                .filter_map(|c| case_of.get(c).copied())
                .collect();
            let mut homes: Vec<String> = cs.iter().flat_map(|c| c.homes.iter().map(word)).collect();
            homes.sort();
            homes.dedup();
            let mut places: Vec<String> =
                cs.iter().flat_map(|c| c.places.iter().map(word)).collect();
            places.sort();
            places.dedup();
            NetRow {
                id: p.id,
                label: format!("P-{} {}", p.id, p.initials),
                cases: cs.iter().map(|c| (c.id, c.code.clone())).collect(),
                homes: homes.join(", "),
                places: places.join(", "),
            }
        })
        .collect();
    render(&NetworkPage {
        svg: graph_svg(&net, page.t("network.title")),
        rows,
        truncated: net.truncated,
        around: around.is_some(),
        page,
    })
}
