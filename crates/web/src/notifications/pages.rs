//! The notifications page, and marking notifications read (opening one goes to what it
//! points at).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::page::{Page, render};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/notifications", &["GET"], get(notifications_page))
        .add("/notifications/read", &["POST"], post(read_notifications))
}

#[derive(Template)]
#[template(path = "notifications/notifications.html")]
struct NotificationsPage {
    page: Page,
    items: Vec<store::Notification>,
}

async fn notifications_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Html<String>, WebError> {
    let items = state.store.notifications(user.actor(), 100).await?;
    render(&NotificationsPage {
        page: Page::from_ctx(&user.ctx, "notifications.title"),
        items,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReadForm {
    /// One notification to open; none marks them all read.
    id: String,
}

async fn read_notifications(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<ReadForm>,
) -> Result<Response, WebError> {
    let id = domain::value::opt_id("id", &f.id).map_err(|e| WebError::Invalid(vec![e]))?;
    let link = state
        .store
        .mark_notifications_read(user.actor(), id)
        .await?;
    // Opening one notification goes to what it points at: the stored link, a path of ours.
    if let Some(link) = link.filter(|l| l.starts_with('/') && !l.starts_with("//")) {
        return Ok(Redirect::to(&link).into_response());
    }
    Ok(Redirect::to("/notifications").into_response())
}
