//! The JSON API of recovery: the service catalogue, each victim's service plan (needs,
//! services, closure), the restitution and compensation ledger and "my tasks" (evidence
//! files in [`super::api_evidence`]). Same store calls as the pages; merged into the main
//! OpenAPI document.
//!
//! Dates go in and come out as `YYYY-MM-DD` strings: the store's views carry day numbers,
//! and [`to_json`] renders every field named `*_on`, `on_day`, `day` or `birth_date` as a
//! date (timestamps stay in `*_ms`). A date that cannot be read is a 422 naming the field.

use super::dto::{CloseIn, ExplanationIn, LedgerIn, NeedsIn, ServiceUpdateIn, TasksQuery};
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{JsonBody, id_of};
use crate::http::json::{check, created, name_tuples, opt_day, render_days, to_json, to_value};
use crate::shared::services::ServiceIn;
use crate::shared::today;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use store::{CaseId, NewLedgerEntry, NewService, ServiceUpdate};
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/service-types", &["GET"], get(service_types))
        .add("/api/v1/victims/{id}/plan", &["GET"], get(plan))
        .add("/api/v1/victims/{id}/needs", &["POST"], post(assess_needs))
        .add(
            "/api/v1/victims/{id}/needs/{need}/explanation",
            &["POST"],
            post(explain_need),
        )
        .add(
            "/api/v1/victims/{id}/services",
            &["POST"],
            post(add_service),
        )
        .add("/api/v1/services/{id}", &["POST"], post(update_service))
        .add(
            "/api/v1/victims/{id}/plan/close",
            &["POST"],
            post(close_plan),
        )
        .add(
            "/api/v1/victims/{id}/plan/reopen",
            &["POST"],
            post(reopen_plan),
        )
        .add("/api/v1/victims/{id}/ledger", &["POST"], post(add_ledger))
        .add("/api/v1/cases/{id}/recovery", &["GET"], get(case_recovery))
        .add("/api/v1/restitution", &["GET"], get(restitution))
        .add("/api/v1/tasks", &["GET"], get(tasks))
}

#[derive(OpenApi)]
#[openapi(
    paths(service_types, plan, assess_needs, explain_need, add_service, update_service, super::api_evidence::add_evidence, super::api_evidence::evidence, close_plan, reopen_plan, add_ledger, case_recovery, restitution, tasks),
    components(schemas(NeedsIn, ExplanationIn, ServiceIn, ServiceUpdateIn, CloseIn, LedgerIn)),
    tags((name = "recovery", description = "Service plans, referrals, restitution and compensation, tasks"))
)]
pub(crate) struct RecoveryDoc;

#[utoipa::path(get, path = "/api/v1/service-types", tag = "recovery",
    responses((status = 200, description = "The service catalogue in display order: code, labels, default days to deliver, statutory (owed within 7 days by UU 21/2007)", body = Object)), security(("bearer" = [])))]
async fn service_types(
    State(state): State<AppState>,
    _u: ApiUser,
) -> Result<Json<Value>, WebError> {
    to_json(&state.store.service_types().await?)
}

#[utoipa::path(get, path = "/api/v1/victims/{id}/plan", tag = "recovery", params(("id" = i64, Path, description = "Victim id")),
    responses((status = 200, description = "The victim's plan: needs, services with evidence, referrals, ledger with the restitution clock, and `blockers` (`code`, `service_code`) that keep it from closing. Notes and reasons are null without identity access (audited).", body = Object), (status = 404)), security(("bearer" = [])))]
async fn plan(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let view = state
        .store
        .plan(&u.actor, id_of(&id)?, today(&state.store, &u.actor))
        .await?;
    let mut j = to_value(&view)?;
    name_tuples(j.get_mut("blockers"), &["code", "service_code"]);
    if let Some(Value::Array(bs)) = j.get_mut("blockers") {
        for b in bs {
            if b["service_code"] == "" {
                b["service_code"] = Value::Null;
            }
        }
    }
    render_days(&mut j);
    Ok(Json(j))
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/needs", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = NeedsIn,
    responses((status = 204, description = "Recorded (the plan is opened on the first assessment)"), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn assess_needs(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<NeedsIn>,
) -> Result<StatusCode, WebError> {
    let needs: Vec<String> = b.needs.iter().map(|n| n.trim().to_owned()).collect();
    state
        .store
        .assess_needs(&u.actor, id_of(&id)?, &needs, today(&state.store, &u.actor))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/needs/{need}/explanation", tag = "recovery",
    params(("id" = i64, Path, description = "Victim id"), ("need" = i64, Path, description = "Need id (from the plan)")), request_body = ExplanationIn,
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn explain_need(
    State(state): State<AppState>,
    u: ApiUser,
    Path((id, need)): Path<(String, String)>,
    JsonBody(b): JsonBody<ExplanationIn>,
) -> Result<StatusCode, WebError> {
    state
        .store
        .explain_need(&u.actor, id_of(&id)?, id_of(&need)?, &b.explanation)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/services", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = ServiceIn,
    responses((status = 201, description = "`{\"id\": …}` of the new service", body = Object), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn add_service(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ServiceIn>,
) -> Result<Response, WebError> {
    let victim = id_of(&id)?;
    let mut errs = Vec::new();
    let s = NewService {
        service_code: b.service_code.trim().to_owned(),
        unit_id: b.unit_id,
        requested_on: opt_day("requested_on", &b.requested_on, &mut errs),
        due_on: opt_day("due_on", &b.due_on, &mut errs),
    };
    check(errs)?;
    let sid = state
        .store
        .add_service(&u.actor, victim, &s, today(&state.store, &u.actor))
        .await?;
    Ok(created(sid))
}

#[utoipa::path(post, path = "/api/v1/services/{id}", tag = "recovery", params(("id" = i64, Path, description = "Service id")), request_body = ServiceUpdateIn,
    responses((status = 204), (status = 404, description = "No such service, or not the caller's to change (the receiving unit of an open referral may change its service)"), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn update_service(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ServiceUpdateIn>,
) -> Result<StatusCode, WebError> {
    let service = id_of(&id)?;
    let mut errs = Vec::new();
    let upd = ServiceUpdate {
        status: b.status.trim().to_owned(),
        reason: b.reason,
        outcome: b.outcome,
        done_on: opt_day("done_on", &b.done_on, &mut errs),
    };
    check(errs)?;
    state
        .store
        .update_service(&u.actor, service, &upd, today(&state.store, &u.actor))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/plan/close", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = CloseIn,
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "Already closed"),
        (status = 422, description = "What keeps the plan open, as field errors: field `plan` with `plan.block_need`, `plan.block_open_service` or `plan.block_no_assessment`, field `followup_on` with `plan.block_followup` (the plan's `blockers` name the services)")),
    security(("bearer" = [])))]
async fn close_plan(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<CloseIn>,
) -> Result<StatusCode, WebError> {
    let victim = id_of(&id)?;
    let mut errs = Vec::new();
    let followup_on = opt_day("followup_on", &b.followup_on, &mut errs);
    check(errs)?;
    state
        .store
        .close_plan(
            &u.actor,
            victim,
            followup_on,
            &b.note,
            today(&state.store, &u.actor),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/plan/reopen", tag = "recovery", params(("id" = i64, Path, description = "Victim id")),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "The plan is not closed")), security(("bearer" = [])))]
async fn reopen_plan(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, WebError> {
    state.store.reopen_plan(&u.actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/ledger", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = LedgerIn,
    responses((status = 201, description = "`{\"id\": …}` of the new line", body = Object), (status = 403), (status = 404),
        (status = 422, description = "Invalid fields; a payment above the outstanding award without `confirm: true` is refused with field `confirm`, code `warn.overpayment`: send it again with `confirm: true` to record it anyway")),
    security(("bearer" = [])))]
async fn add_ledger(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<LedgerIn>,
) -> Result<Response, WebError> {
    let victim = id_of(&id)?;
    let mut errs = Vec::new();
    let e = NewLedgerEntry {
        track: b.track.trim().to_owned(),
        kind: b.kind.trim().to_owned(),
        amount: b.amount,
        on_day: opt_day("on_day", &b.on_day, &mut errs),
        note: b.note,
        confirm: b.confirm,
    };
    check(errs)?;
    let lid = state
        .store
        .add_ledger_entry(&u.actor, victim, &e, today(&state.store, &u.actor))
        .await?;
    Ok(created(lid))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/recovery", tag = "recovery", params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "`summaries`: one per victim (plan status, open and overdue services, open referrals, restitution awarded and paid); `events`: dated services, referrals, ledger lines and plan closures for the timeline", body = Object), (status = 404)),
    security(("bearer" = [])))]
async fn case_recovery(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let case = CaseId(id_of(&id)?);
    let summaries = state
        .store
        .plan_summaries(&u.actor, case, today(&state.store, &u.actor))
        .await?;
    let events = state.store.recovery_events(&u.actor, case).await?;
    to_json(&json!({"summaries": summaries, "events": events}))
}

#[utoipa::path(get, path = "/api/v1/restitution", tag = "recovery",
    responses((status = 200, description = "Restitution and compensation per region below the caller (assessed, demanded, awarded, deposited, paid; victims; restitution clocks running late)", body = Object), (status = 403)),
    security(("bearer" = [])))]
async fn restitution(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(
        &state
            .store
            .ledger_totals(&u.actor, today(&state.store, &u.actor))
            .await?,
    )
}

#[utoipa::path(get, path = "/api/v1/tasks", tag = "recovery", params(TasksQuery),
    responses((status = 200, description = "Open services assigned to the caller's unit, most overdue first (one page), and the referrals waiting on the unit or overdue at the other one", body = Object)),
    security(("bearer" = [])))]
async fn tasks(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<TasksQuery>,
) -> Result<Json<Value>, WebError> {
    to_json(
        &state
            .store
            .my_tasks(&u.actor, today(&state.store, &u.actor), q.page.unwrap_or(1))
            .await?,
    )
}
