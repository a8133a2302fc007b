//! Browsing and searching the region reference (the search also works without JavaScript).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use domain::{RegionCode, RegionLevel};
use serde::Deserialize;
use store::Region;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/regions", &["GET"], get(index))
        .add("/regions/{code}", &["GET"], get(show))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

#[derive(Template)]
#[template(path = "regions/regions.html")]
struct RegionsPage {
    page: Page,
    q: String,
    results: Vec<Region>,
    searched: bool,
    attribution: &'static str,
}

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<SearchQuery>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let query = q.q.trim().to_owned();
    let (results, searched) = if query.is_empty() {
        (state.store.provinces(actor).await?, false)
    } else {
        (state.store.search_regions(actor, &query, 50).await?, true)
    };
    let page = Page::from_ctx(&user.ctx, "regions.title");
    render(&RegionsPage {
        page,
        q: query,
        results,
        searched,
        attribution: store::ATTRIBUTION,
    })
}

#[derive(Template)]
#[template(path = "regions/region.html")]
struct RegionPage {
    page: Page,
    detail: store::RegionDetail,
    villages: i64,
    attribution: &'static str,
}

async fn show(
    State(state): State<AppState>,
    user: User,
    Path(code): Path<String>,
) -> Result<Html<String>, WebError> {
    let code = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    let detail = state.store.region(user.actor(), &code).await?;
    let villages = if code.level() < RegionLevel::Village {
        state
            .store
            .count_in_subtree(&code, RegionLevel::Village)
            .await?
    } else {
        0
    };
    let mut page = Page::from_ctx(&user.ctx, "");
    page.title = detail.region.name.clone();
    render(&RegionPage {
        page,
        detail,
        villages,
        attribution: store::ATTRIBUTION,
    })
}
