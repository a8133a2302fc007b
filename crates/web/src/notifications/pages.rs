//! The notifications page: what happened and to which record, a page at a time with the
//! total; mark the chosen ones (or all) read; opening one goes to what it points at.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, field, fields_all};
use crate::shared::pager::{self, PageLink};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
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
    list: store::NotificationPage,
    pages: Vec<PageLink>,
    /// The page shown (from 0), for the forms to come back to.
    at: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    page: i64,
    ok: Option<String>,
}

const PER_PAGE: i64 = 50;

async fn notifications_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let list = state
        .store
        .notification_page(user.actor(), q.page.max(0), PER_PAGE)
        .await?;
    let pages = pager::links(q.page, PER_PAGE, list.total, |n| {
        format!("/notifications?page={n}")
    });
    render(&NotificationsPage {
        page: Page::from_ctx(&user.ctx, "notifications.title").with_flash(q.ok.as_deref()),
        list,
        pages,
        at: q.page.max(0),
    })
}

/// `id`: open that one (it is marked read and the browser goes where it points);
/// `ids` (ticked) with `read=chosen`: mark those read; `read=all`: every one.
async fn read_notifications(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    let back = domain::value::opt_id("page", field(&f, "page"))
        .map_err(|e| WebError::Invalid(vec![e]))?
        .unwrap_or(0);
    if field(&f, "read") == "chosen" {
        let chosen = fields_all(&f, "ids");
        // A page shows fifty; more than a few pages' worth is not a person ticking boxes.
        if chosen.len() > 200 {
            return Err(WebError::Invalid(vec![domain::FieldError::new(
                "ids",
                "err.too_many",
            )]));
        }
        let mut ids = Vec::new();
        for v in chosen {
            ids.push(domain::value::id("ids", &v).map_err(|e| WebError::Invalid(vec![e]))?);
        }
        state
            .store
            .mark_notifications_read_many(user.actor(), &ids)
            .await?;
        let to = if ids.is_empty() {
            format!("/notifications?page={back}&ok=notifications_none_chosen")
        } else {
            format!("/notifications?page={back}&ok=notifications_read")
        };
        return Ok(Redirect::to(&to).into_response());
    }
    let id =
        domain::value::opt_id("id", field(&f, "id")).map_err(|e| WebError::Invalid(vec![e]))?;
    let link = state
        .store
        .mark_notifications_read(user.actor(), id)
        .await?;
    // Opening one notification goes to what it points at: the stored link, a path of ours.
    if let Some(link) = link.filter(|l| l.starts_with('/') && !l.starts_with("//")) {
        return Ok(Redirect::to(&link).into_response());
    }
    Ok(Redirect::to("/notifications?ok=notifications_all_read").into_response())
}
