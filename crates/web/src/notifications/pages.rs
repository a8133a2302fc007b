//! The notifications page, and marking notifications read (opening one goes to what it
//! points at).

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, field};
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

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

async fn read_notifications(
    State(state): State<AppState>,
    user: User,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let id = field(&f, "id").parse::<i64>().ok();
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
