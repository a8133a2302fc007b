//! The JSON API of referrals between units: sending one from a victim's plan, the lists,
//! one referral as the caller may see it, its operations and conversation, and the services
//! of an accepted take-over. Dates as in the recovery API (`YYYY-MM-DD`).

use super::dto::{MessageIn, ReferralActionIn, ReferralIn, ReferralsQuery};
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
use domain::FieldError;
use serde_json::{Value, json};
use store::{NewReferral, NewService};
use utoipa::OpenApi;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
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
}

/// Documented under the `recovery` tag, with the plans the referrals belong to.
#[derive(OpenApi)]
#[openapi(
    paths(
        send_referral,
        referrals,
        referral,
        act_on_referral,
        post_message,
        add_referral_service
    ),
    components(schemas(ServiceIn, ReferralIn, ReferralActionIn, MessageIn))
)]
pub(crate) struct ReferralsDoc;

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
        .send_referral(&u.actor, victim, &n, today(&state.store, &u.actor))
        .await?;
    Ok(created(rid))
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
    to_json(
        &state
            .store
            .referral_list(&u.actor, which, today(&state.store, &u.actor))
            .await?,
    )
}

#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "recovery", params(("id" = i64, Path, description = "Referral id")),
    responses((status = 200, description = "The referral as the caller may see it: its row (id, state, units, days, as in the list), `side` (sender, receiver, overseer), the victim with only the shared groups filled in (others null or empty), messages, and `ops` the caller may do now. The receiving unit's view is audited; after the referral ends it is 404 for them.", body = Object), (status = 404)),
    security(("bearer" = [])))]
async fn referral(
    State(state): State<AppState>,
    u: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, WebError> {
    let view = state
        .store
        .referral(&u.actor, id_of(&id)?, today(&state.store, &u.actor))
        .await?;
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
        .act_on_referral(
            &u.actor,
            id_of(&id)?,
            b.op.trim(),
            &b.reason,
            today(&state.store, &u.actor),
        )
        .await?;
    Ok(Json(json!({"state": s.as_str()})))
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
        .add_service_for_referral(&u.actor, referral, &s, today(&state.store, &u.actor))
        .await?;
    Ok(created(sid))
}
