//! The JSON API of recovery: the service catalogue, each victim's service plan (needs,
//! services, closure), the restitution and compensation ledger and "my tasks" (evidence
//! files in [`super::api_evidence`]). Same store calls as the pages; merged into the main
//! OpenAPI document.
//!
//! Days go in and come out as `YYYY-MM-DD` strings (typed as [`Date`] in the answers;
//! timestamps stay `*_ms`). A field that cannot be read is a 422 naming it.

use super::dto::*;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::http::json::{CreatedOut, Date, created, note_text};
use crate::shared::services::ServiceIn;
use crate::shared::today;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use domain::Invalid;
use domain::value::{day, text};
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
        .add(
            "/api/v1/victims/{id}/status-code",
            &["POST", "DELETE"],
            post(issue_status_code).delete(revoke_status_code),
        )
        .add("/api/v1/cases/{id}/recovery", &["GET"], get(case_recovery))
        .add("/api/v1/restitution", &["GET"], get(restitution))
        .add("/api/v1/tasks", &["GET"], get(tasks))
}

#[derive(OpenApi)]
#[openapi(
    paths(service_types, plan, assess_needs, explain_need, add_service, update_service, super::api_evidence::add_evidence, super::api_evidence::evidence, close_plan, reopen_plan, add_ledger, issue_status_code, revoke_status_code, case_recovery, restitution, tasks),
    components(schemas(Date, CreatedOut, NeedsIn, ExplanationIn, ServiceIn, ServiceUpdateIn, CloseIn, LedgerIn, StatusCodeOut, ServiceTypeOut, PlanOut, CaseRecoveryOut, LedgerTotalOut, TasksOut)),
    tags((name = "recovery", description = "Service plans, referrals, restitution and compensation, tasks"))
)]
pub(crate) struct RecoveryDoc;

/// A new service as the store takes it (the plan's and a take-over referral's).
fn new_service(b: &ServiceIn) -> Result<NewService, WebError> {
    let mut errs = Invalid::default();
    let s = NewService {
        service_code: b.service_code.trim().to_owned(),
        unit_id: b.unit_id,
        requested_on: errs
            .take(day::opt_day("requested_on", &b.requested_on))
            .flatten(),
        due_on: errs.take(day::opt_day("due_on", &b.due_on)).flatten(),
    };
    Ok(errs.into_result(s)?)
}

#[utoipa::path(get, path = "/api/v1/service-types", tag = "recovery",
    responses((status = 200, description = "The service catalogue in display order: code, labels, default days to deliver, statutory (owed within 7 days by UU 21/2007)", body = Vec<ServiceTypeOut>)), security(("bearer" = [])))]
async fn service_types(
    State(state): State<AppState>,
    _u: ApiUser,
) -> Result<Json<Vec<ServiceTypeOut>>, WebError> {
    let t = state.store.service_types().await?;
    Ok(Json(t.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/victims/{id}/plan", tag = "recovery", params(("id" = i64, Path, description = "Victim id")),
    responses((status = 200, description = "The victim's plan: needs, services with evidence, referrals, ledger with the restitution clock, and `blockers` (`code`, `service_code`) that keep it from closing. Notes and reasons are null without identity access (audited).", body = PlanOut), (status = 404)), security(("bearer" = [])))]
async fn plan(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
) -> Result<Json<PlanOut>, WebError> {
    let view = state
        .store
        .plan(&u.actor, victim, today(&state.store, &u.actor))
        .await?;
    Ok(Json(view.into()))
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/needs", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = NeedsIn,
    responses((status = 204, description = "Recorded (the plan is opened on the first assessment)"), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn assess_needs(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
    JsonBody(b): JsonBody<NeedsIn>,
) -> Result<StatusCode, WebError> {
    let needs: Vec<String> = b.needs.iter().map(|n| n.trim().to_owned()).collect();
    state
        .store
        .assess_needs(&u.actor, victim, &needs, today(&state.store, &u.actor))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/needs/{need}/explanation", tag = "recovery",
    params(("id" = i64, Path, description = "Victim id"), ("need" = i64, Path, description = "Need id (from the plan)")), request_body = ExplanationIn,
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn explain_need(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath((victim, need)): IdPath<(i64, i64)>,
    JsonBody(b): JsonBody<ExplanationIn>,
) -> Result<StatusCode, WebError> {
    let mut errs = Invalid::default();
    let explanation = note_text("explanation", &b.explanation, text::NOTE, &mut errs);
    errs.into_result(())?;
    state
        .store
        .explain_need(&u.actor, victim, need, &explanation)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/services", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = ServiceIn,
    responses((status = 201, description = "The new service", body = CreatedOut), (status = 403), (status = 404), (status = 409, description = "The plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn add_service(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
    JsonBody(b): JsonBody<ServiceIn>,
) -> Result<(StatusCode, Json<CreatedOut>), WebError> {
    let s = new_service(&b)?;
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
    IdPath(service): IdPath<i64>,
    JsonBody(b): JsonBody<ServiceUpdateIn>,
) -> Result<StatusCode, WebError> {
    let mut errs = Invalid::default();
    let upd = ServiceUpdate {
        status: b.status.trim().to_owned(),
        reason: note_text("reason", &b.reason, text::NOTE, &mut errs),
        outcome: note_text("outcome", &b.outcome, text::MESSAGE, &mut errs),
        done_on: errs.take(day::opt_day("done_on", &b.done_on)).flatten(),
    };
    let upd = errs.into_result(upd)?;
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
    IdPath(victim): IdPath<i64>,
    JsonBody(b): JsonBody<CloseIn>,
) -> Result<StatusCode, WebError> {
    let mut errs = Invalid::default();
    let followup_on = errs
        .take(day::opt_day("followup_on", &b.followup_on))
        .flatten();
    let note = note_text("note", &b.note, text::NOTE, &mut errs);
    errs.into_result(())?;
    state
        .store
        .close_plan(
            &u.actor,
            victim,
            followup_on,
            &note,
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
    IdPath(victim): IdPath<i64>,
) -> Result<StatusCode, WebError> {
    state.store.reopen_plan(&u.actor, victim).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/status-code", tag = "recovery", params(("id" = i64, Path, description = "Victim id")),
    responses((status = 201, description = "A new status code and PIN for the victim, returned this once (only hashes are kept); any earlier code stops working. With both she sees her services, referrals and restitution at `/status` on the public site.", body = StatusCodeOut),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn issue_status_code(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
) -> Result<(StatusCode, Json<StatusCodeOut>), WebError> {
    let issued = state
        .store
        .issue_survivor_code(&u.actor, victim, None)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(StatusCodeOut {
            code: issued.code,
            pin: issued.pin,
            issued_at_ms: issued.issued_at,
        }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/victims/{id}/status-code", tag = "recovery", params(("id" = i64, Path, description = "Victim id")),
    responses((status = 204, description = "The victim's status code no longer works"), (status = 403), (status = 404, description = "No such victim in your scope, or she holds no code")),
    security(("bearer" = [])))]
async fn revoke_status_code(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
) -> Result<StatusCode, WebError> {
    if state.store.revoke_survivor_code(&u.actor, victim).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(WebError::NotFound)
    }
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/ledger", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = LedgerIn,
    responses((status = 201, description = "The new line", body = CreatedOut), (status = 403), (status = 404),
        (status = 422, description = "Invalid fields; a payment above the outstanding award without `confirm: true` is refused with field `confirm`, code `warn.overpayment`: send it again with `confirm: true` to record it anyway")),
    security(("bearer" = [])))]
async fn add_ledger(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
    JsonBody(b): JsonBody<LedgerIn>,
) -> Result<(StatusCode, Json<CreatedOut>), WebError> {
    let mut errs = Invalid::default();
    // The amount arrives as a JSON number (a string is `err.type`); its range (0 up to
    // `RUPIAH_MAX`) is checked with the ledger's other rules in the store.
    let e = NewLedgerEntry {
        track: b.track.trim().to_owned(),
        kind: b.kind.trim().to_owned(),
        amount: b.amount,
        on_day: errs.take(day::opt_day("on_day", &b.on_day)).flatten(),
        note: note_text("note", &b.note, text::NOTE, &mut errs),
        confirm: b.confirm,
    };
    let e = errs.into_result(e)?;
    let lid = state
        .store
        .add_ledger_entry(&u.actor, victim, &e, today(&state.store, &u.actor))
        .await?;
    Ok(created(lid))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/recovery", tag = "recovery", params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, description = "`summaries`: one per victim (plan status, open and overdue services, open referrals, restitution awarded and paid); `events`: dated services, referrals, ledger lines and plan closures for the timeline", body = CaseRecoveryOut), (status = 404)),
    security(("bearer" = [])))]
async fn case_recovery(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(case): IdPath<CaseId>,
) -> Result<Json<CaseRecoveryOut>, WebError> {
    let summaries = state
        .store
        .plan_summaries(&u.actor, case, today(&state.store, &u.actor))
        .await?;
    let events = state.store.recovery_events(&u.actor, case).await?;
    Ok(Json(CaseRecoveryOut {
        summaries: summaries.into_iter().map(Into::into).collect(),
        events: events.into_iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/restitution", tag = "recovery",
    responses((status = 200, description = "Restitution and compensation per region below the caller (assessed, demanded, awarded, deposited, paid; victims; restitution clocks running late)", body = Vec<LedgerTotalOut>), (status = 403)),
    security(("bearer" = [])))]
async fn restitution(
    State(state): State<AppState>,
    u: ApiUser,
) -> Result<Json<Vec<LedgerTotalOut>>, WebError> {
    let rows = state
        .store
        .ledger_totals(&u.actor, today(&state.store, &u.actor))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/tasks", tag = "recovery", params(TasksQuery),
    responses((status = 200, description = "Open services assigned to the caller's unit, most overdue first (one page), and the referrals waiting on the unit or overdue at the other one", body = TasksOut)),
    security(("bearer" = [])))]
async fn tasks(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<TasksQuery>,
) -> Result<Json<TasksOut>, WebError> {
    let t = state
        .store
        .my_tasks(&u.actor, today(&state.store, &u.actor), q.page.unwrap_or(1))
        .await?;
    Ok(Json(t.into()))
}
