//! Perpetrator-pair pages: the verifiers' list (by decision), a pair side by side with the
//! explanation of its score, and the decision form.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::i18n::Locale;
use crate::http::page::{Page, render};
use crate::shared::confirm;
use crate::shared::forms::fields_of;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use store::Picklists;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/perpetrators/pairs", &["GET"], get(list_page))
        .add("/perpetrators/pairs/{id}", &["GET"], get(pair_page))
        .add("/perpetrators/pairs/{id}/decide", &["POST"], post(decide))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PairsQuery {
    status: String,
    ok: Option<String>,
}

/// Labels of the perpetrator picklists (kind, role) in the page's language.
struct Labels {
    lists: std::sync::Arc<Picklists>,
    lang: &'static str,
}

impl Labels {
    async fn load(state: &AppState, locale: Locale) -> Result<Labels, WebError> {
        Ok(Labels {
            lists: state.store.picklists().await?,
            lang: locale.code(),
        })
    }
    fn kind<'a>(&'a self, code: &'a str) -> &'a str {
        self.lists.label("perpetrator_kind", code, self.lang)
    }
    fn role<'a>(&'a self, code: &'a str) -> &'a str {
        self.lists.label("perpetrator_role", code, self.lang)
    }
}

#[derive(Template)]
#[template(path = "perpetrators/pairs.html")]
struct ListPage {
    page: Page,
    pairs: Vec<store::PerpetratorPairRow>,
    status: String,
    labels: Labels,
}

async fn list_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<PairsQuery>,
) -> Result<Html<String>, WebError> {
    let status = store::pair_status(&q.status)?.to_owned();
    let pairs = state.store.perpetrator_pairs(user.actor(), &status).await?;
    render(&ListPage {
        page: Page::from_ctx(&user.ctx, "perp_pairs.title").with_flash(q.ok.as_deref()),
        pairs,
        status,
        labels: Labels::load(&state, user.ctx.locale).await?,
    })
}

#[derive(Template)]
#[template(path = "perpetrators/pair.html")]
struct PairPage {
    page: Page,
    p: store::PerpetratorPairView,
    labels: Labels,
}

/// The engine's agreement levels that a perpetrator comparison can reach, in Indonesian
/// (the engine names them in English; the victims' pair page keeps its own list).
fn level_id(level: &str) -> Option<&'static str> {
    Some(match level {
        "two records taken at random" => "dua catatan yang diambil acak",
        "counted in the NIK" => "sudah dihitung di NIK",
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
        "typo (one digit or transposition)" => "salah ketik (satu angka atau tertukar)",
        "typo (one digit, day/month swapped)" => "salah ketik (satu angka, hari/bulan tertukar)",
        "near (a few days, or year ±1)" => "dekat (selisih beberapa hari, atau tahun ±1)",
        "same district+birth date, other serial, names agree" => {
            "kecamatan dan tanggal lahir sama, nomor urut lain, nama cocok"
        }
        "same district+birth date, other serial (a different person)" => {
            "kecamatan dan tanggal lahir sama, nomor urut lain (orang lain)"
        }
        "same district" => "kecamatan sama",
        "agree" => "sama",
        "differ" => "berbeda",
        _ => return None,
    })
}

impl PairPage {
    fn lvl<'a>(&self, level: &'a str) -> &'a str {
        match self.page.locale {
            Locale::Id => level_id(level).unwrap_or(level),
            Locale::En => level,
        }
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
    Query(q): Query<PairsQuery>,
) -> Result<Html<String>, WebError> {
    let p = state.store.perpetrator_pair(user.actor(), id).await?;
    render(&PairPage {
        page: Page::from_ctx(&user.ctx, "perp_pairs.pair_title").with_flash(q.ok.as_deref()),
        p,
        labels: Labels::load(&state, user.ctx.locale).await?,
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
    state
        .store
        .perpetrator_pair_access(user.actor(), id)
        .await?;
    if f.decision.trim() == "same" && f.confirmed != "yes" {
        let back = format!("/perpetrators/pairs/{id}");
        return confirm::ask(&user, fields_of(&f), confirm::SAME_PERPETRATOR, back);
    }
    let same = super::decision(&f.decision)
        .map_err(|()| WebError::BadRequest("unknown decision".into()))?;
    state
        .store
        .decide_perpetrator_pair(user.actor(), id, same)
        .await?;
    let flash = format!("perp_pair_{}", f.decision.trim());
    Ok(Redirect::to(&format!("/perpetrators/pairs/{id}?ok={flash}")).into_response())
}
