//! The home page: who I am, where my authority reaches, and the modules of Gugus.

use crate::http::context::{Ctx, User, demand_user};
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use domain::{RegionLevel, Scope};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/", &["GET"], get(root))
}

/// `/`: the public site's home for a visitor, the user's home once logged in.
async fn root(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if ctx.session.is_none() {
        return crate::public::public_home(&state, &ctx).await;
    }
    let user = demand_user(ctx, false)?;
    Ok(home(State(state), user).await?.into_response())
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
    work: store::HomeWork,
    /// Registers and submits cases (the unit's drafts and returns come first).
    submits: bool,
    /// Reads figures rather than working cases: the region's cases by state come first.
    overview: bool,
    /// Admins: accounts locked now, and those without the required two-step verification.
    accounts: Option<(i64, Option<i64>)>,
}

impl HomePage {
    fn unit(&self, state: &str) -> i64 {
        store::HomeWork::count(&self.work.unit_states, state)
    }
    fn in_scope(&self, state: &str) -> i64 {
        store::HomeWork::count(&self.work.scope_states, state)
    }
    fn in_scope_total(&self) -> i64 {
        self.work.scope_states.iter().map(|(_, n)| n).sum()
    }
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
    // A role that sees no case (the news editors) has no recovery figures either.
    let recovery = if domain::authz::role_may(actor.role, domain::Action::ViewCase) {
        state
            .store
            .recovery_dashboard(actor, crate::shared::today(&state.store, user.actor()))
            .await?
    } else {
        store::RecoveryDashboard::default()
    };
    let overview = matches!(
        actor.role,
        domain::Role::Analyst | domain::Role::Viewer | domain::Role::Admin
    );
    let work = state.store.home_work(actor, overview).await?;
    let accounts = state.store.account_health(actor).await?;
    let submits = domain::authz::role_may(actor.role, domain::Action::SubmitCase);
    render(&HomePage {
        page,
        scope_name,
        regencies,
        villages,
        units,
        recovery,
        work,
        submits,
        overview,
        accounts,
    })
}
