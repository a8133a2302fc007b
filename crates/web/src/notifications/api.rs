//! The JSON API of notifications: the caller's list with the unread count, and marking one
//! or all of them read.

use super::dto::{NotificationOut, NotificationsOut, NotificationsQuery, ReadIn};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::JsonBody;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/notifications", &["GET"], get(notifications))
        .add("/api/v1/notifications/read", &["POST"], post(mark_read))
}

/// Documented under the `recovery` tag, where notifications come from.
#[derive(OpenApi)]
#[openapi(
    paths(notifications, mark_read),
    components(schemas(ReadIn, NotificationsOut, NotificationOut))
)]
pub(crate) struct NotificationsDoc;

#[utoipa::path(get, path = "/api/v1/notifications", tag = "recovery", params(NotificationsQuery),
    responses((status = 200, description = "`unread` (count) and `notifications` (kind, link, time; never personal data)", body = NotificationsOut)),
    security(("bearer" = [])))]
async fn notifications(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<NotificationsQuery>,
) -> Result<Json<NotificationsOut>, WebError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let list = state.store.notifications(&u.actor, limit).await?;
    let unread = state.store.unread_notifications(&u.actor).await?;
    Ok(Json(NotificationsOut {
        unread,
        notifications: list.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "recovery", request_body = ReadIn,
    responses((status = 204)), security(("bearer" = [])))]
async fn mark_read(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<ReadIn>,
) -> Result<StatusCode, WebError> {
    state.store.mark_notifications_read(&u.actor, b.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
