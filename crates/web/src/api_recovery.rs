//! The JSON API of recovery: the service catalogue, each victim's service plan (needs,
//! services, evidence, closure), referrals between units, the restitution and compensation
//! ledger, "my tasks" and notifications. Same store calls as the pages; merged into the main
//! OpenAPI document.
//!
//! Dates go in and come out as `YYYY-MM-DD` strings: the store's views carry day numbers,
//! and [`to_json`] renders every field named `*_on`, `on_day`, `day` or `birth_date` as a
//! date (timestamps stay in `*_ms`). A date that cannot be read is a 422 naming the field.

use crate::api::JsonBody;
use crate::cases::today;
use crate::context::ApiUser;
use crate::error::WebError;
use crate::{AppState, Routes};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::FieldError;
use domain::case::{Day, format_day, parse_day};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use store::{CaseId, NewLedgerEntry, NewReferral, NewService, ServiceUpdate};
use utoipa::{IntoParams, OpenApi, ToSchema};

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
            "/api/v1/services/{id}/evidence",
            &["POST"],
            post(add_evidence).layer(DefaultBodyLimit::max(crate::UPLOAD_BODY_LIMIT)),
        )
        .add("/api/v1/evidence/{id}", &["GET"], get(evidence))
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
        .add(
            "/api/v1/victims/{id}/referrals",
            &["POST"],
            post(send_referral),
        )
        .add("/api/v1/referrals", &["GET"], get(referrals))
        .add("/api/v1/referrals/{id}", &["GET"], get(referral))
        .add(
            "/api/v1/referrals/{id}/actions",
            &["POST"],
            post(act_on_referral),
        )
        .add(
            "/api/v1/referrals/{id}/messages",
            &["POST"],
            post(post_message),
        )
        .add(
            "/api/v1/referrals/{id}/services",
            &["POST"],
            post(add_referral_service),
        )
        .add("/api/v1/notifications", &["GET"], get(notifications))
        .add("/api/v1/notifications/read", &["POST"], post(mark_read))
}

#[derive(OpenApi)]
#[openapi(
    paths(service_types, plan, assess_needs, explain_need, add_service, update_service, add_evidence, evidence, close_plan, reopen_plan, add_ledger, case_recovery, restitution, tasks, send_referral, referrals, referral, act_on_referral, post_message, notifications, mark_read, add_referral_service),
    components(schemas(NeedsIn, ExplanationIn, ServiceIn, ServiceUpdateIn, CloseIn, LedgerIn, ReferralIn, ReferralActionIn, MessageIn, ReadIn)),
    tags((name = "recovery", description = "Service plans, referrals, restitution and compensation, tasks"))
)]
pub(crate) struct RecoveryDoc;

fn id_of(s: &str) -> Result<i64, WebError> {
    s.parse()
        .map_err(|_| WebError::BadRequest("the id must be a number".into()))
}

/// Fields of the store's views that hold a day number.
fn is_day_key(k: &str) -> bool {
    k.ends_with("_on") || matches!(k, "on_day" | "day" | "birth_date")
}

/// Renders day numbers as `YYYY-MM-DD`, everywhere in the value.
fn render_days(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x.as_i64() {
                    Some(d) if is_day_key(k) => *x = Value::String(format_day(d)),
                    _ => render_days(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(render_days),
        _ => {}
    }
}

/// Turns a list of tuples (serialised as arrays) into objects with these field names.
fn name_tuples(v: Option<&mut Value>, names: &[&str]) {
    let Some(Value::Array(rows)) = v else {
        return;
    };
    for row in rows.iter_mut() {
        if let Value::Array(items) = row {
            let obj: Map<String, Value> = names
                .iter()
                .map(|n| (*n).to_owned())
                .zip(items.drain(..))
                .collect();
            *row = Value::Object(obj);
        }
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, WebError> {
    serde_json::to_value(v).map_err(|_| WebError::Internal)
}

fn to_json<T: Serialize>(v: &T) -> Result<Json<Value>, WebError> {
    let mut j = to_value(v)?;
    render_days(&mut j);
    Ok(Json(j))
}

/// An optional date field: empty is `None`, anything else must be `YYYY-MM-DD`.
fn opt_day(field: &str, s: &str, errs: &mut Vec<FieldError>) -> Option<Day> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let d = parse_day(s);
    if d.is_none() {
        errs.push(FieldError::new(field, "err.date"));
    }
    d
}

fn check(errs: Vec<FieldError>) -> Result<(), WebError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(WebError::Invalid(errs))
    }
}

fn created(id: i64) -> Response {
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

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
    let view = state.store.plan(&u.actor, id_of(&id)?, today()).await?;
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

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct NeedsIn {
    /// Service codes (see GET /api/v1/service-types); codes already assessed are kept.
    needs: Vec<String>,
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
        .assess_needs(&u.actor, id_of(&id)?, &needs, today())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ExplanationIn {
    /// Why the need will not be met; empty clears the explanation.
    explanation: String,
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

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ServiceIn {
    service_code: String,
    /// The unit responsible for the service: a unit whose region contains the case's (a unit
    /// elsewhere is asked with a referral); through a take-over referral, the receiving unit
    /// or a unit of its region.
    unit_id: Option<i64>,
    /// YYYY-MM-DD, default today.
    requested_on: String,
    /// YYYY-MM-DD, default: requested + the service's default days.
    due_on: String,
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
        .add_service(&u.actor, victim, &s, today())
        .await?;
    Ok(created(sid))
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/services", tag = "recovery", params(("id" = i64, Path, description = "Referral id (an accepted take-over)")), request_body = ServiceIn,
    responses((status = 201, description = "`{\"id\": …}` of the new service, tied to the referral", body = Object), (status = 404), (status = 409, description = "Not an accepted take-over, or the plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn add_referral_service(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ServiceIn>,
) -> Result<Response, WebError> {
    let referral = id_of(&id)?;
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
        .add_service_for_referral(&u.actor, referral, &s, today())
        .await?;
    Ok(created(sid))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ServiceUpdateIn {
    /// planned, in_progress, delivered, refused or not_possible
    status: String,
    /// Required for refused and not_possible.
    reason: String,
    outcome: String,
    /// YYYY-MM-DD, default today when the service ends.
    done_on: String,
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
        .update_service(&u.actor, service, &upd, today())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct EvidenceQuery {
    /// The file's name, kept for the download (path and control characters are dropped).
    /// Prefer the `X-File-Name` header (percent-encoded UTF-8): proxies log query strings,
    /// and a file name can name a person.
    filename: String,
}

#[utoipa::path(post, path = "/api/v1/services/{id}/evidence", tag = "recovery", params(("id" = i64, Path, description = "Service id"), EvidenceQuery),
    request_body(description = "The file itself as the body, at most 5 MiB. Its type is recognised from its first bytes (the Content-Type header is not trusted): PDF, PNG or JPEG.",
        content(([u8] = "application/pdf"), ([u8] = "image/png"), ([u8] = "image/jpeg"))),
    responses((status = 201, description = "`{\"id\": …}` of the stored (encrypted) file", body = Object), (status = 404), (status = 413, description = "A body well over 5 MiB"),
        (status = 422, description = "Field `file`: `file_empty`, `file_too_large` or `file_type`")), security(("bearer" = [])))]
async fn add_evidence(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    Query(q): Query<EvidenceQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .and_then(|raw| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!(
                "n={}",
                raw.replace('+', "%2B")
            ))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, n)| n)
        })
        .unwrap_or(q.filename);
    let eid = state
        .store
        .add_evidence(&u.actor, id_of(&id)?, &name, &body)
        .await?;
    Ok(created(eid))
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = ascii.trim();
    let ascii = if ascii.trim_matches(['_', '.']).is_empty() {
        "bukti"
    } else {
        ascii
    };
    let exact: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "recovery", params(("id" = i64, Path, description = "Evidence id (from the plan)")),
    responses((status = 200, description = "The file, as a download (audited)", content(([u8] = "application/pdf"), ([u8] = "image/png"), ([u8] = "image/jpeg")),
        headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"; filename*=UTF-8''…"))), (status = 404)), security(("bearer" = [])))]
async fn evidence(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (name, ctype, bytes) = state.store.evidence(&u.actor, id_of(&id)?).await?;
    let ctype = HeaderValue::from_str(&ctype).map_err(|_| WebError::Internal)?;
    let disposition =
        HeaderValue::from_str(&content_disposition(&name)).map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct CloseIn {
    /// YYYY-MM-DD: the reintegration follow-up (required, not in the future).
    followup_on: String,
    note: String,
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
        .close_plan(&u.actor, victim, followup_on, &b.note, today())
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

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct LedgerIn {
    /// restitution or compensation
    track: String,
    /// assessment, demand, award, deposit, payment, warning or seizure
    kind: String,
    /// Whole rupiah (ignored for a warning).
    amount: Option<i64>,
    /// YYYY-MM-DD, not in the future.
    on_day: String,
    note: String,
    /// Confirms a payment above what is outstanding.
    confirm: bool,
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
        .add_ledger_entry(&u.actor, victim, &e, today())
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
    let summaries = state.store.plan_summaries(&u.actor, case, today()).await?;
    let events = state.store.recovery_events(&u.actor, case).await?;
    to_json(&json!({"summaries": summaries, "events": events}))
}

#[utoipa::path(get, path = "/api/v1/restitution", tag = "recovery",
    responses((status = 200, description = "Restitution and compensation per region below the caller (assessed, demanded, awarded, deposited, paid; victims; restitution clocks running late)", body = Object), (status = 403)),
    security(("bearer" = [])))]
async fn restitution(State(state): State<AppState>, u: ApiUser) -> Result<Json<Value>, WebError> {
    to_json(&state.store.ledger_totals(&u.actor, today()).await?)
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct TasksQuery {
    /// 1-based page of the services (50 a page).
    page: Option<i64>,
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
            .my_tasks(&u.actor, today(), q.page.unwrap_or(1))
            .await?,
    )
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReferralIn {
    /// The receiving unit (any region, any agency; not the caller's own).
    to_unit: Option<i64>,
    /// service (default: deliver one service) or takeover (the follow-up moves to the receiver)
    kind: String,
    /// Required for kind service.
    service_code: String,
    /// What the receiver may see besides initials, sex and age: identity, contact, case_facts, services, legal
    shared: Vec<String>,
    /// consent (an active referral consent must be recorded) or a legal exception from the `referral_basis` picklist
    basis: String,
    /// Required (10+ characters) with a legal exception.
    basis_note: String,
    message: String,
    /// YYYY-MM-DD, default: today + the service's default days.
    due_on: String,
}

#[utoipa::path(post, path = "/api/v1/victims/{id}/referrals", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = ReferralIn,
    responses((status = 201, description = "`{\"id\": …}` of the referral; the receiving unit is notified", body = Object), (status = 403), (status = 404),
        (status = 422, description = "Invalid fields, e.g. `to_unit` (`unit_unknown`, `refer_self`), `basis` (`referral_consent` when no active referral consent is recorded)")),
    security(("bearer" = [])))]
async fn send_referral(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReferralIn>,
) -> Result<Response, WebError> {
    let victim = id_of(&id)?;
    let mut errs = Vec::new();
    let kind = b.kind.trim();
    let n = NewReferral {
        to_unit: b.to_unit,
        kind: if kind.is_empty() { "service" } else { kind }.to_owned(),
        service_code: b.service_code.trim().to_owned(),
        shared: b.shared,
        basis: b.basis.trim().to_owned(),
        basis_note: b.basis_note,
        message: b.message,
        due_on: opt_day("due_on", &b.due_on, &mut errs),
    };
    check(errs)?;
    let rid = state
        .store
        .send_referral(&u.actor, victim, &n, today())
        .await?;
    Ok(created(rid))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct ReferralsQuery {
    /// incoming (default), outgoing, or escalated (overdue referrals touching the caller's region)
    which: String,
}

#[utoipa::path(get, path = "/api/v1/referrals", tag = "recovery", params(ReferralsQuery),
    responses((status = 200, description = "Referrals of the caller's unit, open ones first", body = Object), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn referrals(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<ReferralsQuery>,
) -> Result<Json<Value>, WebError> {
    let which = match q.which.trim() {
        "" => "incoming",
        w @ ("incoming" | "outgoing" | "escalated") => w,
        _ => {
            return Err(WebError::Invalid(vec![FieldError::new(
                "which",
                "err.choice",
            )]));
        }
    };
    to_json(&state.store.referral_list(&u.actor, which, today()).await?)
}

#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "recovery", params(("id" = i64, Path, description = "Referral id")),
    responses((status = 200, description = "The referral as the caller may see it: its row (id, state, units, days, as in the list), `side` (sender, receiver, overseer), the victim with only the shared groups filled in (others null or empty), messages, and `ops` the caller may do now. The receiving unit's view is audited; after the referral ends it is 404 for them.", body = Object), (status = 404)),
    security(("bearer" = [])))]
async fn referral(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let view = state.store.referral(&u.actor, id_of(&id)?, today()).await?;
    let mut j = to_value(&view)?;
    // The row's fields (id, state, units, days …) sit at the top level of the answer.
    if let Value::Object(m) = &mut j
        && let Some(Value::Object(row)) = m.remove("row")
    {
        m.extend(row);
    }
    if let Some(v) = j.get_mut("victim") {
        name_tuples(
            v.get_mut("services"),
            &["service_code", "status", "unit_name", "due_on"],
        );
        name_tuples(v.get_mut("legal"), &["stage", "day"]);
    }
    render_days(&mut j);
    Ok(Json(j))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReferralActionIn {
    /// accept, decline (reason required), deliver (receiver); withdraw (sender, while sent or accepted); close (either side, once delivered)
    op: String,
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/actions", tag = "recovery", params(("id" = i64, Path, description = "Referral id")), request_body = ReferralActionIn,
    responses((status = 200, description = "`{\"state\": …}`, the referral's new state", body = Object), (status = 403, description = "Not this side's operation"), (status = 404),
        (status = 409, description = "Not possible from the current state"), (status = 422)),
    security(("bearer" = [])))]
async fn act_on_referral(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ReferralActionIn>,
) -> Result<Json<Value>, WebError> {
    let s = state
        .store
        .act_on_referral(&u.actor, id_of(&id)?, b.op.trim(), &b.reason, today())
        .await?;
    Ok(Json(json!({"state": s.as_str()})))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct MessageIn {
    body: String,
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/messages", tag = "recovery", params(("id" = i64, Path, description = "Referral id")), request_body = MessageIn,
    responses((status = 201, description = "Added; the other unit is notified"), (status = 403), (status = 404), (status = 409, description = "The referral has ended"), (status = 422)),
    security(("bearer" = [])))]
async fn post_message(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<MessageIn>,
) -> Result<StatusCode, WebError> {
    state
        .store
        .post_referral_message(&u.actor, id_of(&id)?, &b.body)
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
struct NotificationsQuery {
    /// At most this many, newest first (1–200, default 50).
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "recovery", params(NotificationsQuery),
    responses((status = 200, description = "`unread` (count) and `notifications` (kind, link, time; never personal data)", body = Object)),
    security(("bearer" = [])))]
async fn notifications(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<NotificationsQuery>,
) -> Result<Json<Value>, WebError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let list = state.store.notifications(&u.actor, limit).await?;
    let unread = state.store.unread_notifications(&u.actor).await?;
    to_json(&json!({"unread": unread, "notifications": list}))
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReadIn {
    /// One notification; omitted (`{}`) marks all of the caller's notifications read.
    id: Option<i64>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates_and_timestamps_stay() {
        let mut v =
            json!({"due_on": 20_514, "at_ms": 5, "done_on": null, "x": [{"on_day": 0}], "day": 1});
        render_days(&mut v);
        assert_eq!(
            v,
            json!({"due_on": "2026-03-02", "at_ms": 5, "done_on": null, "x": [{"on_day": "1970-01-01"}], "day": "1970-01-02"})
        );
    }

    #[test]
    fn tuples_get_names() {
        let mut v = json!([["final", 3], ["verdict", 1]]);
        name_tuples(Some(&mut v), &["stage", "day"]);
        assert_eq!(
            v,
            json!([{"stage": "final", "day": 3}, {"stage": "verdict", "day": 1}])
        );
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(
            content_disposition("surat.pdf"),
            "attachment; filename=\"surat.pdf\"; filename*=UTF-8''surat.pdf"
        );
        assert_eq!(
            content_disposition("a\"b;c\r\nñ.pdf"),
            "attachment; filename=\"a_b_c___.pdf\"; filename*=UTF-8''a%22b%3Bc%0D%0A%C3%B1.pdf"
        );
        assert!(content_disposition("../..").contains("filename=\"bukti\""));
    }
}
