//! Clearing pages: the data-quality dashboard, the queue of possible duplicate persons,
//! a pair side by side with the explanation, and the full linkage run with its progress.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Page, render};
use crate::shared::confirm;
use crate::shared::forms::fields_of;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/quality", &["GET"], get(quality_page))
        .add("/linkage", &["GET"], get(linkage_page))
        .add("/linkage/run", &["POST"], post(start_run))
        .add("/linkage/{id}", &["GET"], get(pair_page))
        .add("/linkage/{id}/decide", &["POST"], post(decide))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QualityQuery {
    sort: String,
    dir: String,
}

#[derive(Template)]
#[template(path = "review/quality.html")]
struct QualityPage {
    page: Page,
    rows: Vec<store::QualityRow>,
    official: store::OfficialCount,
    sort: String,
    desc: bool,
    computed_at: i64,
}

impl QualityPage {
    /// The link of a column header: sorts by it, flipping the direction when it is current.
    fn sort_href(&self, col: &str) -> String {
        let dir = if self.sort == col && !self.desc {
            "desc"
        } else {
            "asc"
        };
        format!("/quality?sort={col}&dir={dir}")
    }
    fn aria_sort(&self, col: &str) -> &'static str {
        match (self.sort == col, self.desc) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
    /// Bar width (of 300 px) for completeness.
    fn bar(&self, v: &f64) -> i64 {
        (v.clamp(0.0, 100.0) * 3.0).round() as i64
    }
    fn days(&self, v: &Option<f64>) -> String {
        v.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())
    }
    fn chart_height(&self) -> usize {
        self.rows.len() * 22 + 4
    }
}

async fn quality_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<QualityQuery>,
) -> Result<Html<String>, WebError> {
    let sort = if q.sort.is_empty() {
        "completeness".to_owned()
    } else {
        q.sort
    };
    let desc = q.dir == "desc";
    let (rows, computed_at) = state.store.quality(user.actor(), &sort, desc).await?;
    let official = state.store.official_count(user.actor()).await?;
    render(&QualityPage {
        page: Page::from_ctx(&user.ctx, "quality.title"),
        rows,
        official,
        sort,
        desc,
        computed_at,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkageQuery {
    status: String,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "review/linkage.html")]
struct LinkagePage {
    page: Page,
    pairs: Vec<store::PairRow>,
    runs: Vec<store::RunView>,
    status: String,
    can_run: bool,
    running: bool,
}

async fn linkage_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<LinkageQuery>,
) -> Result<Html<String>, WebError> {
    let status = store::pair_status(&q.status)?.to_owned();
    let pairs = state.store.linkage_pairs(user.actor(), &status).await?;
    let runs = state.store.linkage_runs(user.actor()).await?;
    let running = runs.first().is_some_and(|r| r.state == "running");
    let can_run = domain::decide(
        user.actor(),
        domain::Action::RunLinkage,
        &domain::Scope::National,
    )
    .is_ok();
    render(&LinkagePage {
        page: Page::from_ctx(&user.ctx, "linkage.title").with_flash(q.ok.as_deref()),
        pairs,
        runs,
        status,
        can_run,
        running,
    })
}

async fn start_run(State(state): State<AppState>, user: User) -> Result<Response, WebError> {
    let run = state.store.start_linkage_run(user.actor()).await?;
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.run_linkage(run).await {
            tracing::error!(error = %e, run, "linkage run failed");
        }
    });
    Ok(Redirect::to("/linkage?ok=linkage_started").into_response())
}

#[derive(Template)]
#[template(path = "review/linkage_pair.html")]
struct PairPage {
    page: Page,
    p: store::PairView,
}

/// The engine's agreement levels in Indonesian (the engine names them in English).
fn level_id(level: &str) -> Option<&'static str> {
    Some(match level {
        "two records taken at random" => "dua catatan yang diambil acak",
        "counted in the NIK" => "sudah dihitung di NIK",
        "blank: no identifying field, never matched" => {
            "kosong: tanpa isian identitas, tidak pernah dicocokkan"
        }
        "exact (same tokens in any order, or merged)" => {
            "sama (kata sama, urutan bebas, atau digabung)"
        }
        "fuzzy (every token close: typo, variant, initial)" => {
            "mirip (tiap kata dekat: salah ketik, ejaan lain, inisial)"
        }
        "subset (the shorter name's tokens all in the longer: token dropped, mononym)" => {
            "sebagian (nama pendek termuat di nama panjang: kata hilang, nama tunggal)"
        }
        "partial (some token shared or close)" => "sebagian kecil (ada kata yang sama atau mirip)",
        "different" => "berbeda",
        "exact" => "sama",
        "typo (one digit, day/month swapped)" => "salah ketik (satu angka, hari/bulan tertukar)",
        "near (a few days, or year ±1)" => "dekat (selisih beberapa hari, atau tahun ±1)",
        "placeholder date (1 Jan / 1 Jul / 31 Dec) in the same year" => {
            "tanggal pengganti (1 Jan / 1 Jul / 31 Des) di tahun yang sama"
        }
        "typo (one digit or transposition)" => "salah ketik (satu angka atau tertukar)",
        "same district+birth date, other serial, names agree" => {
            "kecamatan dan tanggal lahir sama, nomor urut lain, nama cocok"
        }
        "same district+birth date, other serial (a different person)" => {
            "kecamatan dan tanggal lahir sama, nomor urut lain (orang lain)"
        }
        "same district" => "kecamatan sama",
        "agree" => "sama",
        "differ" => "berbeda",
        "same regency" => "kabupaten/kota sama",
        "same province" => "provinsi sama",
        "one edit" => "beda satu karakter",
        "similar" => "mirip",
        _ => return None,
    })
}

impl PairPage {
    fn lvl<'a>(&self, level: &'a str) -> &'a str {
        match self.page.locale {
            crate::http::i18n::Locale::Id => level_id(level).unwrap_or(level),
            crate::http::i18n::Locale::En => level,
        }
    }
    fn day(&self, d: &Option<i64>) -> String {
        d.map(domain::case::format_day)
            .unwrap_or_else(|| "—".into())
    }
    fn opt<'a>(&self, s: &'a Option<String>) -> &'a str {
        s.as_deref().unwrap_or("—")
    }
    fn sign(&self, w: &f64) -> String {
        format!("{w:+.2}")
    }
}

async fn pair_page(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    Query(q): Query<LinkageQuery>,
) -> Result<Html<String>, WebError> {
    let p = state.store.linkage_pair(user.actor(), id).await?;
    render(&PairPage {
        page: Page::from_ctx(&user.ctx, "linkage.pair_title").with_flash(q.ok.as_deref()),
        p,
    })
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct DecideForm {
    decision: String,
    confirmed: String,
}

async fn decide(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    FormBody(f): FormBody<DecideForm>,
) -> Result<Response, WebError> {
    state.store.pair_access(user.actor(), id).await?;
    if f.decision == "same" && f.confirmed != "yes" {
        let back = format!("/linkage/{id}");
        return confirm::ask(&user, fields_of(&f), confirm::SAME_PERSON, back);
    }
    let same = match f.decision.as_str() {
        "same" => Some(true),
        "different" => Some(false),
        "undo" => None,
        _ => return Err(WebError::BadRequest("unknown decision".into())),
    };
    state.store.decide_pair(user.actor(), id, same).await?;
    Ok(Redirect::to(&format!("/linkage/{id}?ok=linkage_{}", f.decision)).into_response())
}
