//! The JSON API of the region reference: search and browse, one region with its children.

use super::dto::{RegionDetailOut, RegionOut, RegionQuery};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use domain::RegionCode;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/regions", &["GET"], get(list_regions)).add(
        "/api/v1/regions/{code}",
        &["GET"],
        get(get_region),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(list_regions, get_region),
    components(schemas(RegionOut, RegionDetailOut))
)]
pub(crate) struct RegionsDoc;

#[utoipa::path(get, path = "/api/v1/regions", tag = "regions", params(RegionQuery),
    responses((status = 200, body = Vec<RegionOut>), (status = 401, description = "Not logged in")),
    security(("bearer" = [])))]
async fn list_regions(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<RegionQuery>,
) -> Result<Json<Vec<RegionOut>>, WebError> {
    let query = q.q.unwrap_or_default();
    if query.trim().is_empty() {
        let rows = state.store.provinces(&u.actor).await?;
        return Ok(Json(rows.into_iter().map(Into::into).collect()));
    }
    let rows = state
        .store
        .search_regions(&u.actor, &query, q.limit.unwrap_or(20))
        .await?;
    let places = state.store.region_places(&rows).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| {
                let place = places.get(&r.code).filter(|p| !p.is_empty()).cloned();
                RegionOut { place, ..r.into() }
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "regions",
    params(("code" = String, Path, description = "Kemendagri code")),
    responses((status = 200, body = RegionDetailOut), (status = 404, description = "No such region")),
    security(("bearer" = [])))]
async fn get_region(
    State(state): State<AppState>,
    u: ApiUser,
    Path(code): Path<String>,
) -> Result<Json<RegionDetailOut>, WebError> {
    let code = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    let d = state.store.region(&u.actor, &code).await?;
    Ok(Json(RegionDetailOut {
        region: d.region.into(),
        ancestors: d.ancestors.into_iter().map(Into::into).collect(),
        children: d.children.into_iter().map(Into::into).collect(),
        attribution: store::ATTRIBUTION,
    }))
}
