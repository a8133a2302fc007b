//! Instance settings (national admins): whether roles that see identities must use 2FA.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::{Action, Scope};
use serde::Deserialize;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/admin/settings", &["GET", "POST"], get(show).post(save))
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    page: Page,
    require_totp: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

fn check(user: &User) -> Result<(), WebError> {
    domain::decide(user.actor(), Action::ManageSettings, &Scope::National)
        .map_err(|d| store::StoreError::from(d).into())
}

async fn show(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    check(&user)?;
    let page = Page::from_ctx(&user.ctx, "settings.title").with_flash(q.ok.as_deref());
    render(&SettingsPage {
        page,
        require_totp: state.store.require_totp().await?,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    require_totp: Option<String>,
}

async fn save(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<SettingsForm>,
) -> Result<Response, WebError> {
    state
        .store
        .set_require_totp(user.actor(), f.require_totp.is_some())
        .await?;
    Ok(Redirect::to("/admin/settings?ok=settings_saved").into_response())
}
