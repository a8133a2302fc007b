//! The JSON API of units (organisations): list, create, read, update.

use super::dto::{UnitIn, UnitOut, UnitQuery};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::{FieldError, RegionCode, UnitId};
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/units",
        &["GET", "POST"],
        get(list_units).post(create_unit),
    )
    .add(
        "/api/v1/units/{id}",
        &["GET", "PUT"],
        get(get_unit).put(update_unit),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(list_units, create_unit, get_unit, update_unit),
    components(schemas(UnitOut, UnitIn))
)]
pub(crate) struct UnitsDoc;

#[utoipa::path(get, path = "/api/v1/units", tag = "units", params(UnitQuery),
    responses((status = 200, body = Vec<UnitOut>)), security(("bearer" = [])))]
async fn list_units(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<UnitQuery>,
) -> Result<Json<Vec<UnitOut>>, WebError> {
    let region =
        match q.region.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(r) => Some(RegionCode::parse(r).map_err(|_| {
                WebError::Invalid(vec![FieldError::new("region", "err.region_code")])
            })?),
            None => None,
        };
    let units = state
        .store
        .list_units(&u.actor, region.as_ref(), q.q.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(units.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = UnitIn,
    responses((status = 201, body = UnitOut), (status = 422, description = "Invalid fields"), (status = 403, description = "Role may not manage units")),
    security(("bearer" = [])))]
async fn create_unit(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::ManageUnit) {
        return Err(WebError::Forbidden);
    }
    let new = b.parse()?;
    let id = state.store.create_unit(&u.actor, &new).await?;
    let unit = state.store.unit(&u.actor, id).await?;
    Ok((StatusCode::CREATED, Json(UnitOut::from(unit))).into_response())
}

#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)),
    responses((status = 200, body = UnitOut), (status = 404)), security(("bearer" = [])))]
async fn get_unit(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<UnitId>,
) -> Result<Json<UnitOut>, WebError> {
    Ok(Json(state.store.unit(&u.actor, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "units", params(("id" = i64, Path)), request_body = UnitIn,
    responses((status = 200, body = UnitOut), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_unit(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<UnitId>,
    JsonBody(b): JsonBody<UnitIn>,
) -> Result<Json<UnitOut>, WebError> {
    let current = state.store.unit(&u.actor, id).await?;
    domain::decide(&u.actor, domain::Action::ManageUnit, &current.scope())
        .map_err(store::StoreError::from)?;
    let new = b.parse()?;
    state.store.update_unit(&u.actor, id, &new).await?;
    Ok(Json(state.store.unit(&u.actor, id).await?.into()))
}
