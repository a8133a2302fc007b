//! The JSON API of accounts: list, create and read users (admins), and `me`.

use super::dto::{UserIn, UserOut};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::UserId;
use domain::user::NewUser;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/users",
        &["GET", "POST"],
        get(list_users).post(create_user),
    )
    .add("/api/v1/users/{id}", &["GET"], get(get_user))
    .add("/api/v1/me", &["GET"], get(me))
}

#[derive(OpenApi)]
#[openapi(
    paths(list_users, create_user, get_user, me),
    components(schemas(UserOut, UserIn))
)]
pub(crate) struct AccountsDoc;

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = Vec<UserOut>), (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<UserOut>>, WebError> {
    Ok(Json(
        state
            .store
            .list_users(&u.actor)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = UserIn,
    responses((status = 201, body = UserOut), (status = 422, description = "Invalid fields")), security(("bearer" = [])))]
async fn create_user(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<UserIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::ManageUser) {
        return Err(WebError::Forbidden);
    }
    let unit = b.unit_id.map(|v| v.to_string()).unwrap_or_default();
    let new = NewUser::parse(
        &b.username,
        &b.full_name,
        &b.email,
        &unit,
        &b.role,
        &b.password,
    )?;
    let id = state.store.create_user(&u.actor, &new).await?;
    let row = state.store.user(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(row))).into_response())
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 404)), security(("bearer" = [])))]
async fn get_user(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<UserId>,
) -> Result<Json<UserOut>, WebError> {
    Ok(Json(state.store.user(&u.actor, id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", responses((status = 200, body = UserOut)), security(("bearer" = [])))]
async fn me(State(state): State<AppState>, u: ApiUser) -> Result<Json<UserOut>, WebError> {
    Ok(Json(state.store.me(&u.actor).await?.into()))
}
