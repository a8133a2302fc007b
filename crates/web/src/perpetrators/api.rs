//! The JSON API of perpetrator pairs, merged into the main OpenAPI document.

use super::dto::*;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use domain::Invalid;
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/perpetrators/pairs", &["GET"], get(pairs))
        .add("/api/v1/perpetrators/pairs/{id}", &["GET"], get(pair))
        .add(
            "/api/v1/perpetrators/pairs/{id}/decision",
            &["POST"],
            post(decide),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(pairs, pair, decide),
    components(schemas(PerpetratorPairDecisionIn, PerpetratorPairRowOut, PerpetratorPairOut, PerpetratorPairSideOut, PerpetratorPairCaseOut, PerpetratorExplainLineOut)),
    tags((name = "perpetrator pairs", description = "The same perpetrator recorded in several regions, decided by verifiers who may see both records"))
)]
pub(crate) struct PerpetratorPairsDoc;

#[utoipa::path(get, path = "/api/v1/perpetrators/pairs", tag = "perpetrator pairs", params(PerpetratorPairsQuery),
    responses((status = 200, description = "Pairs whose both records are on a case in the caller's scope", body = Vec<PerpetratorPairRowOut>), (status = 403)), security(("bearer" = [])))]
async fn pairs(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<PerpetratorPairsQuery>,
) -> Result<Json<Vec<PerpetratorPairRowOut>>, WebError> {
    let p = state.store.perpetrator_pairs(&u.actor, &q.status).await?;
    Ok(Json(p.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/perpetrators/pairs/{id}", tag = "perpetrator pairs", params(("id" = i64, Path)),
    responses((status = 200, description = "Both records and the explanation (audited)", body = PerpetratorPairOut), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn pair(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Json<PerpetratorPairOut>, WebError> {
    Ok(Json(
        state.store.perpetrator_pair(&u.actor, id).await?.into(),
    ))
}

#[utoipa::path(post, path = "/api/v1/perpetrators/pairs/{id}/decision", tag = "perpetrator pairs", params(("id" = i64, Path)), request_body = PerpetratorPairDecisionIn,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn decide(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<PerpetratorPairDecisionIn>,
) -> Result<StatusCode, WebError> {
    state.store.perpetrator_pair_access(&u.actor, id).await?;
    let same = super::decision(&b.decision)
        .map_err(|()| WebError::from(Invalid::one("decision", "err.choice")))?;
    state
        .store
        .decide_perpetrator_pair(&u.actor, id, same)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
