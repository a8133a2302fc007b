//! The home page: who I am, where my authority reaches, and the modules of Gugus.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use domain::{RegionLevel, Scope};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/", &["GET"], get(home))
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    page: Page,
    scope_name: String,
    regencies: i64,
    villages: i64,
    units: usize,
    recovery: store::RecoveryDashboard,
}

async fn home(State(state): State<AppState>, user: User) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let page = Page::from_ctx(&user.ctx, "home.title");
    let (scope_name, regencies, villages) = match &actor.scope {
        Scope::National => {
            let c = state.store.region_counts().await?;
            (page.t("scope.national").to_owned(), c[1], c[3])
        }
        Scope::Region(code) => {
            let d = state.store.region(actor, code).await?;
            let regencies = state
                .store
                .count_in_subtree(code, RegionLevel::Regency)
                .await?;
            let villages = state
                .store
                .count_in_subtree(code, RegionLevel::Village)
                .await?;
            (format!("{} ({})", d.region.name, code), regencies, villages)
        }
    };
    let within = actor.scope.region().cloned();
    let units = state
        .store
        .list_units(actor, within.as_ref(), "")
        .await?
        .len();
    let recovery = state
        .store
        .recovery_dashboard(actor, crate::shared::today(&state.store, user.actor()))
        .await?;
    render(&HomePage {
        page,
        scope_name,
        regencies,
        villages,
        units,
        recovery,
    })
}
