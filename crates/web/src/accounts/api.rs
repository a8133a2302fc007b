//! The JSON API of accounts: list, create and read users (admins), `me`, and your own API
//! tokens.

use super::dto::{AccessIn, NewTokenOut, TokenIn, TokenOut, UserIn, UserOut, UserParams};
use crate::http::context::ApiUser;
use crate::http::error::{TokenProblem, WebError};
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::UserId;
use domain::ids::TokenId;
use domain::token::TokenRequest;
use domain::user::NewUser;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/users",
        &["GET", "POST"],
        get(list_users).post(create_user),
    )
    .add("/api/v1/users/{id}", &["GET"], get(get_user))
    .add("/api/v1/users/{id}/access", &["POST"], post(change_access))
    .add("/api/v1/me", &["GET"], get(me))
    .add(
        "/api/v1/tokens",
        &["GET", "POST"],
        get(list_tokens).post(create_token),
    )
    .add("/api/v1/tokens/{id}/revoke", &["POST"], post(revoke_token))
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_users,
        create_user,
        change_access,
        get_user,
        me,
        list_tokens,
        create_token,
        revoke_token
    ),
    components(schemas(UserOut, UserIn, AccessIn, TokenOut, TokenIn, NewTokenOut))
)]
pub(crate) struct AccountsDoc;

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserParams),
    responses((status = 200, body = Vec<UserOut>, headers(("X-Total-Count" = i64, description = "Accounts matching in all"))),
        (status = 403, description = "Admins only")), security(("bearer" = [])))]
async fn list_users(
    State(state): State<AppState>,
    u: ApiUser,
    Query(p): Query<UserParams>,
) -> Result<Response, WebError> {
    let q = crate::accounts::users::ListQuery {
        q: p.q,
        role: p.role,
        only: p.only,
        page: p.page,
        ok: None,
    };
    let found = state
        .store
        .find_users(&u.actor, &q.filter(p.per_page.unwrap_or(200))?)
        .await?;
    let rows: Vec<UserOut> = found.rows.into_iter().map(Into::into).collect();
    Ok(([("x-total-count", found.total.to_string())], Json(rows)).into_response())
}

#[utoipa::path(post, path = "/api/v1/users/{id}/access", tag = "users", request_body = AccessIn,
    params(("id" = i64, Path, description = "User id")),
    responses((status = 204, description = "Changed; the user's sessions ended and tokens were revoked"),
        (status = 409, description = "Your own account"), (status = 422, description = "Invalid fields")),
    security(("bearer" = [])))]
async fn change_access(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<UserId>,
    JsonBody(b): JsonBody<AccessIn>,
) -> Result<Response, WebError> {
    let unit = b.unit_id.map(|n| n.to_string()).unwrap_or_default();
    state
        .store
        .change_user_access(&u.actor, id, &unit, &b.role)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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

#[utoipa::path(get, path = "/api/v1/tokens", tag = "users",
    responses((status = 200, body = Vec<TokenOut>)), security(("bearer" = [])))]
async fn list_tokens(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<TokenOut>>, WebError> {
    let tokens = state.store.list_tokens(&u.actor).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = TokenIn,
    responses((status = 201, body = NewTokenOut), (status = 403, description = "Called with a token: tokens are made from a signed-in session"), (status = 422, description = "Invalid fields")))]
async fn create_token(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<TokenIn>,
) -> Result<Response, WebError> {
    if u.token.is_some() {
        return Err(WebError::Token(TokenProblem::MintWithToken));
    }
    let days = b.days.map(|d| d.to_string()).unwrap_or_default();
    let max = state.store.policy().token_days;
    let req = TokenRequest::parse(&b.name, &b.kind, &days, max)?;
    let t = state.store.create_token_with(&u.actor, &req).await?;
    let out = NewTokenOut {
        id: t.id.0,
        token: t.secret.expose().clone(),
        kind: t.kind.as_str().into(),
        days: t.days,
        expires_at_ms: t.expires_at_ms,
    };
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, description = "Not one of your active tokens")), security(("bearer" = [])))]
async fn revoke_token(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<StatusCode, WebError> {
    state.store.revoke_token(&u.actor, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
