//! The JSON API of verification and clearing: the review workflow, rules, periods, data
//! quality, official counts and record linkage. Merged into the main OpenAPI document.

use super::dto::*;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::Invalid;
use domain::review::ReviewAction;
use domain::value::text;
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
    components(schemas(ReviewIn, FieldNoteIn, PeriodIn, DecisionIn, ReviewInfoOut, ReviewStateOut, RulesRefusedOut, QueueItemOut, RuleOut, PeriodOut, QualityOut, OfficialOut, PairRowOut, PairOut, RunOut, RunStartedOut)),
    tags((name = "clearing", description = "Verification, clearing, data quality and record linkage"))
)]
pub(crate) struct ClearingDoc;

#[utoipa::path(get, path = "/api/v1/cases/{id}/review", tag = "clearing", params(("id" = i64, Path)),
    responses((status = 200, description = "State, history, rule hits and the steps the caller may take", body = ReviewInfoOut), (status = 404)), security(("bearer" = [])))]
async fn review_info(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
) -> Result<Json<ReviewInfoOut>, WebError> {
    Ok(Json(state.store.review_info(&u.actor, id).await?.into()))
}

/// The review request as the store takes it: texts trimmed, without control characters
/// and within their caps, each failing field named.
fn review_request(b: ReviewIn) -> Result<(ReviewAction, ReviewRequest), WebError> {
    let mut errs = Invalid::default();
    let action = ReviewAction::parse(&b.action);
    if action.is_none() {
        errs.push("action", "err.choice");
    }
    let note = errs.take(text::opt_multiline("note", &b.note, text::MESSAGE));
    let field_notes = b
        .field_notes
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let field = errs.take(text::opt_line(
                &format!("field_notes[{i}].field"),
                &n.field,
                text::SHORT,
            ))?;
            let note = errs.take(text::opt_multiline(
                &format!("field_notes[{i}].note"),
                &n.note,
                text::MESSAGE,
            ))?;
            Some(FieldNote {
                field: field.unwrap_or_default(),
                note: note.unwrap_or_default(),
            })
        })
        .collect();
    let justifications = b
        .justifications
        .into_iter()
        .filter_map(|(k, v)| {
            let v = errs.take(text::opt_multiline(
                &format!("justifications.{k}"),
                &v,
                text::NOTE,
            ))?;
            Some((k, v.unwrap_or_default()))
        })
        .collect();
    let req = ReviewRequest {
        note: note.flatten().unwrap_or_default(),
        field_notes,
        justifications,
    };
    match action {
        Some(a) if errs.is_empty() => Ok((a, req)),
        _ => Err(errs.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/review", tag = "clearing", params(("id" = i64, Path)), request_body = ReviewIn,
    responses((status = 200, body = ReviewStateOut), (status = 403, description = "The role may not take this step, or the review chain refuses it (`error.message` says why: a reviewer's own unit, or not the level above)"), (status = 404), (status = 409), (status = 422, description = "Refused by validation rules: `error.code` is `rules`, `error.rules` lists every hit at submission, and the blocking rules the record breaks now at verification and clearing (other invalid fields: the usual error body)", body = RulesRefusedOut)), security(("bearer" = [])))]
async fn review_step(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<CaseId>,
    JsonBody(b): JsonBody<ReviewIn>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(&u.actor, id, domain::Action::ViewCase)
        .await?;
    let (action, req) = review_request(b)?;
    match state.store.review(&u.actor, id, action, &req).await {
        Ok(s) => Ok(Json(ReviewStateOut {
            state: s.as_str().to_owned(),
        })
        .into_response()),
        Err(StoreError::Rules(hits)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(RulesRefusedOut {
                error: RulesErrorOut {
                    code: "rules".to_owned(),
                    message: rules_message(action, &hits),
                    rules: hits.into_iter().map(Into::into).collect(),
                },
            }),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Why the rules refused a step: at submission, every hit to fix or justify; at
/// verification and clearing, the blocking rules the record breaks now, by code.
fn rules_message(action: ReviewAction, hits: &[store::RuleHit]) -> String {
    if action == ReviewAction::Submit {
        return "Validation rules refused the submission: fix every error and justify every warning."
            .to_owned();
    }
    let rules: Vec<String> = hits
        .iter()
        .map(|h| format!("{} ({})", h.code, h.message_en))
        .collect();
    format!(
        "Refused: the record breaks blocking validation rule {}. Return it to its unit to correct.",
        rules.join(", ")
    )
}

#[utoipa::path(get, path = "/api/v1/review-queue", tag = "clearing",
    responses((status = 200, description = "What waits for the caller, oldest first", body = Vec<QueueItemOut>)), security(("bearer" = [])))]
async fn queue(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<QueueItemOut>>, WebError> {
    let q = state.store.review_queue(&u.actor).await?;
    Ok(Json(q.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/rules", tag = "clearing",
    responses((status = 200, description = "Validation rules with how often each fired", body = Vec<RuleOut>), (status = 403)), security(("bearer" = [])))]
async fn rules(State(state): State<AppState>, u: ApiUser) -> Result<Json<Vec<RuleOut>>, WebError> {
    let r = state.store.rules(&u.actor).await?;
    Ok(Json(r.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/periods", tag = "clearing",
    responses((status = 200, description = "The caller's region's last 12 months", body = Vec<PeriodOut>), (status = 403)), security(("bearer" = [])))]
async fn periods(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<PeriodOut>>, WebError> {
    let p = state.store.periods(&u.actor, 12).await?;
    Ok(Json(p.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/periods", tag = "clearing", request_body = PeriodIn,
    responses((status = 204), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn set_period(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<PeriodIn>,
) -> Result<StatusCode, WebError> {
    let reason = text::opt_multiline("reason", &b.reason, text::REASON)
        .map_err(|e| WebError::Invalid(vec![e]))?
        .unwrap_or_default();
    state
        .store
        .set_period(&u.actor, b.month.trim(), b.close, &reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/quality", tag = "clearing", params(QualityQuery),
    responses((status = 200, body = QualityOut), (status = 403)), security(("bearer" = [])))]
async fn quality(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<QualityQuery>,
) -> Result<Json<QualityOut>, WebError> {
    let (rows, at) = state
        .store
        .quality(&u.actor, &q.sort, q.dir == "desc")
        .await?;
    Ok(Json(QualityOut {
        computed_at_ms: at,
        rows: rows.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/statistics/official", tag = "clearing",
    responses((status = 200, description = "Cleared cases, their victim records and unique persons in the caller's scope", body = OfficialOut)), security(("bearer" = [])))]
async fn official(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<OfficialOut>, WebError> {
    Ok(Json(state.store.official_count(&u.actor).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/linkage/pairs", tag = "clearing", params(PairsQuery),
    responses((status = 200, body = Vec<PairRowOut>), (status = 403)), security(("bearer" = [])))]
async fn pairs(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<PairsQuery>,
) -> Result<Json<Vec<PairRowOut>>, WebError> {
    let p = state.store.linkage_pairs(&u.actor, &q.status).await?;
    Ok(Json(p.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/linkage/pairs/{id}", tag = "clearing", params(("id" = i64, Path)),
    responses((status = 200, description = "Both records and the explanation (audited)", body = PairOut), (status = 404)), security(("bearer" = [])))]
async fn pair(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Json<PairOut>, WebError> {
    Ok(Json(state.store.linkage_pair(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/linkage/pairs/{id}/decision", tag = "clearing", params(("id" = i64, Path)), request_body = DecisionIn,
    responses((status = 204), (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn decide(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<DecisionIn>,
) -> Result<StatusCode, WebError> {
    state.store.pair_access(&u.actor, id).await?;
    let same = match b.decision.trim() {
        "same" => Some(true),
        "different" => Some(false),
        "undo" => None,
        _ => return Err(Invalid::one("decision", "err.choice").into()),
    };
    state.store.decide_pair(&u.actor, id, same).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/linkage/runs", tag = "clearing",
    responses((status = 200, body = Vec<RunOut>), (status = 403)), security(("bearer" = [])))]
async fn runs(State(state): State<AppState>, u: ApiUser) -> Result<Json<Vec<RunOut>>, WebError> {
    let r = state.store.linkage_runs(&u.actor).await?;
    Ok(Json(r.into_iter().map(Into::into).collect()))
}

#[utoipa::path(post, path = "/api/v1/linkage/runs", tag = "clearing",
    responses((status = 202, description = "Started in the background; poll GET /api/v1/linkage/runs", body = RunStartedOut), (status = 403), (status = 409)), security(("bearer" = [])))]
async fn start_run(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<(StatusCode, Json<RunStartedOut>), WebError> {
    let run = state.store.start_linkage_run(&u.actor).await?;
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.run_linkage(run).await {
            tracing::error!(error = %e, run, "linkage run failed");
        }
    });
    Ok((StatusCode::ACCEPTED, Json(RunStartedOut { run })))
}
