//! The JSON API of verification and clearing: the review workflow, rules, periods, data
//! quality, official counts and record linkage. Merged into the main OpenAPI document.

use super::dto::{DecisionIn, FieldNoteIn, PairsQuery, PeriodIn, QualityQuery, ReviewIn};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{JsonBody, id_of};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::review::ReviewAction;
use serde::Serialize;
use serde_json::{Value, json};
use store::{CaseId, FieldNote, ReviewRequest, StoreError};
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/cases/{id}/review",
        &["GET", "POST"],
        get(review_info).post(review_step),
    )
    .add("/api/v1/review-queue", &["GET"], get(queue))
    .add("/api/v1/rules", &["GET"], get(rules))
    .add(
        "/api/v1/periods",
        &["GET", "POST"],
        get(periods).post(set_period),
    )
    .add("/api/v1/quality", &["GET"], get(quality))
    .add("/api/v1/statistics/official", &["GET"], get(official))
    .add("/api/v1/linkage/pairs", &["GET"], get(pairs))
    .add("/api/v1/linkage/pairs/{id}", &["GET"], get(pair))
    .add(
        "/api/v1/linkage/pairs/{id}/decision",
        &["POST"],
        post(decide),
    )
    .add(
        "/api/v1/linkage/runs",
        &["GET", "POST"],
        get(runs).post(start_run),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(review_info, review_step, queue, rules, periods, set_period, quality, official, pairs, pair, decide, runs, start_run),
    components(schemas(ReviewIn, FieldNoteIn, PeriodIn, DecisionIn)),
    tags((name = "clearing", description = "Verification, clearing, data quality and record linkage"))
)]
pub(crate) struct ClearingDoc;

fn to_json<T: Serialize>(v: &T) -> Result<Json<Value>, WebError> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|_| WebError::Internal)
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/review", tag = "clearing", params(("id" = i64, Path)),
    responses((status = 200, description = "State, history, rule hits and the steps the caller may take", body = Object), (status = 404)), security(("bearer" = [])))]
async fn review_info(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let id = CaseId(id_of(&id)?);
    to_json(&state.store.review_info(&u.actor, id).await?)
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/review", tag = "clearing", params(("id" = i64, Path)), request_body = ReviewIn,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409), (status = 422, description = "Refused by validation rules: `error.code` is `rules`, `error.rules` lists every hit")), security(("bearer" = [])))]
async fn review_step(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReviewIn>,
) -> Result<Response, WebError> {
    let id = CaseId(id_of(&id)?);
    state
        .store
        .case_access(&u.actor, id, domain::Action::ViewCase)
        .await?;
    let action = ReviewAction::parse(b.action.trim())
        .ok_or_else(|| WebError::Invalid(vec![domain::FieldError::new("action", "err.choice")]))?;
    let req = ReviewRequest {
        note: b.note,
        field_notes: b
            .field_notes
            .into_iter()
            .map(|n| FieldNote {
                field: n.field,
                note: n.note,
            })
            .collect(),
        justifications: b.justifications,
    };
    match state.store.review(&u.actor, id, action, &req).await {
        Ok(s) => Ok(Json(json!({"state": s.as_str()})).into_response()),
        Err(StoreError::Rules(hits)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {
                "code": "rules",
                "message": "Validation rules refused the submission: fix every error and justify every warning.",
                "rules": hits,
            }})),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/api/v1/review-queue", tag = "clearing",
    responses((status = 200, description = "What waits for the caller, oldest first", body = Object)), security(("bearer" = [])))]
async fn queue(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.review_queue(&u.actor).await?)
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "clearing",
    responses((status = 200, description = "Validation rules with how often each fired", body = Object), (status = 403)), security(("bearer" = [])))]
async fn rules(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.rules(&u.actor).await?)
}

#[utoipa::path(get, path = "/api/v1/periods", tag = "clearing",
    responses((status = 200, description = "The caller's region's last 12 months", body = Object), (status = 403)), security(("bearer" = [])))]
async fn periods(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.periods(&u.actor, 12).await?)
}

#[utoipa::path(post, path = "/api/v1/periods", tag = "clearing", request_body = PeriodIn,
    responses((status = 204), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn set_period(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<PeriodIn>,
) -> Result<StatusCode, WebError> {
    state
        .store
        .set_period(&u.actor, &b.month, b.close, &b.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/quality", tag = "clearing", params(QualityQuery),
    responses((status = 200, body = Object), (status = 403)), security(("bearer" = [])))]
async fn quality(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<QualityQuery>,
) -> Result<Json<Value>, WebError> {
    let (rows, at) = state
        .store
        .quality(&u.actor, &q.sort, q.dir == "desc")
        .await?;
    Ok(Json(json!({"computed_at_ms": at, "rows": rows})))
}

#[utoipa::path(get, path = "/api/v1/statistics/official", tag = "clearing",
    responses((status = 200, description = "Cleared cases, their victim records and unique persons in the caller's scope", body = Object)), security(("bearer" = [])))]
async fn official(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.official_count(&u.actor).await?)
}

#[utoipa::path(get, path = "/api/v1/linkage/pairs", tag = "clearing", params(PairsQuery),
    responses((status = 200, body = Object), (status = 403)), security(("bearer" = [])))]
async fn pairs(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<PairsQuery>,
) -> Result<Json<Value>, WebError> {
    to_json(&state.store.linkage_pairs(&u.actor, &q.status).await?)
}

#[utoipa::path(get, path = "/api/v1/linkage/pairs/{id}", tag = "clearing", params(("id" = i64, Path)),
    responses((status = 200, description = "Both records and the explanation (audited)", body = Object), (status = 404)), security(("bearer" = [])))]
async fn pair(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    to_json(&state.store.linkage_pair(&u.actor, id_of(&id)?).await?)
}

#[utoipa::path(post, path = "/api/v1/linkage/pairs/{id}/decision", tag = "clearing", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 204), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn decide(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<DecisionIn>,
) -> Result<StatusCode, WebError> {
    let id = id_of(&id)?;
    state.store.pair_access(&u.actor, id).await?;
    let same = match b.decision.trim() {
        "same" => Some(true),
        "different" => Some(false),
        "undo" => None,
        _ => {
            return Err(WebError::Invalid(vec![domain::FieldError::new(
                "decision",
                "err.choice",
            )]));
        }
    };
    state.store.decide_pair(&u.actor, id, same).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/linkage/runs", tag = "clearing",
    responses((status = 200, body = Object), (status = 403)), security(("bearer" = [])))]
async fn runs(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.linkage_runs(&u.actor).await?)
}

#[utoipa::path(post, path = "/api/v1/linkage/runs", tag = "clearing",
    responses((status = 202, description = "Started in the background; poll GET /api/v1/linkage/runs", body = Object), (status = 403), (status = 409)), security(("bearer" = [])))]
async fn start_run(State(state): State<AppState>, u: ApiUser) -> Result<Response, WebError> {
    let run = state.store.start_linkage_run(&u.actor).await?;
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.run_linkage(run).await {
            tracing::error!(error = %e, run, "linkage run failed");
        }
    });
    Ok((StatusCode::ACCEPTED, Json(json!({"run": run}))).into_response())
}
