//! The JSON API of referrals between units: sending one from a victim's plan, the lists,
//! one referral as the caller may see it, its operations and conversation, and the services
//! of an accepted take-over. Days as in the recovery API (`YYYY-MM-DD`).

use super::dto::*;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::http::json::{CreatedOut, created, note_text};
use crate::shared::services::ServiceIn;
use crate::shared::today;
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use domain::Invalid;
use domain::value::{day, text};
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
    components(schemas(
        ServiceIn,
        ReferralIn,
        ReferralActionIn,
        MessageIn,
        ReferralRowOut,
        ReferralOut,
        ReferralStateOut
    ))
)]
pub(crate) struct ReferralsDoc;

#[utoipa::path(post, path = "/api/v1/victims/{id}/referrals", tag = "recovery", params(("id" = i64, Path, description = "Victim id")), request_body = ReferralIn,
    responses((status = 201, description = "The referral; the receiving unit is notified", body = CreatedOut), (status = 403), (status = 404),
        (status = 422, description = "Invalid fields, e.g. `to_unit` (`unit_unknown`, `refer_self`), `basis` (`referral_consent` when no active referral consent is recorded)")),
    security(("bearer" = [])))]
async fn send_referral(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(victim): IdPath<i64>,
    JsonBody(b): JsonBody<ReferralIn>,
) -> Result<(StatusCode, Json<CreatedOut>), WebError> {
    let mut errs = Invalid::default();
    let kind = b.kind.trim();
    let n = NewReferral {
        to_unit: b.to_unit,
        kind: if kind.is_empty() { "service" } else { kind }.to_owned(),
        service_code: b.service_code.trim().to_owned(),
        shared: b.shared.iter().map(|g| g.trim().to_owned()).collect(),
        basis: b.basis.trim().to_owned(),
        basis_note: note_text("basis_note", &b.basis_note, text::NOTE, &mut errs),
        message: note_text("message", &b.message, text::MESSAGE, &mut errs),
        due_on: errs.take(day::opt_day("due_on", &b.due_on)).flatten(),
    };
    let n = errs.into_result(n)?;
    let rid = state
        .store
        .send_referral(&u.actor, victim, &n, today(&state.store, &u.actor))
        .await?;
    Ok(created(rid))
}

#[utoipa::path(get, path = "/api/v1/referrals", tag = "recovery", params(ReferralsQuery),
    responses((status = 200, description = "Referrals of the caller's unit, open ones first", body = Vec<ReferralRowOut>), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn referrals(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<ReferralsQuery>,
) -> Result<Json<Vec<ReferralRowOut>>, WebError> {
    let which = match q.which.trim() {
        "" => "incoming",
        w @ ("incoming" | "outgoing" | "escalated") => w,
        _ => return Err(Invalid::one("which", "err.choice").into()),
    };
    let rows = state
        .store
        .referral_list(&u.actor, which, today(&state.store, &u.actor))
        .await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/api/v1/referrals/{id}", tag = "recovery", params(("id" = i64, Path, description = "Referral id")),
    responses((status = 200, description = "The referral as the caller may see it: its row (id, state, units, days, as in the list), `side` (sender, receiver, overseer), the victim with only the shared groups filled in (others null or empty), messages, and `ops` the caller may do now. The receiving unit's view is audited; after the referral ends it is 404 for them.", body = ReferralOut), (status = 404)),
    security(("bearer" = [])))]
async fn referral(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Json<ReferralOut>, WebError> {
    let view = state
        .store
        .referral(&u.actor, id, today(&state.store, &u.actor))
        .await?;
    Ok(Json(view.into()))
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/actions", tag = "recovery", params(("id" = i64, Path, description = "Referral id")), request_body = ReferralActionIn,
    responses((status = 200, description = "The referral's new state", body = ReferralStateOut), (status = 403, description = "Not this side's operation"), (status = 404),
        (status = 409, description = "Not possible from the current state"), (status = 422)),
    security(("bearer" = [])))]
async fn act_on_referral(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<ReferralActionIn>,
) -> Result<Json<ReferralStateOut>, WebError> {
    let mut errs = Invalid::default();
    let reason = note_text("reason", &b.reason, text::REASON, &mut errs);
    errs.into_result(())?;
    let s = state
        .store
        .act_on_referral(
            &u.actor,
            id,
            b.op.trim(),
            &reason,
            today(&state.store, &u.actor),
        )
        .await?;
    Ok(Json(ReferralStateOut {
        state: s.as_str().to_owned(),
    }))
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/messages", tag = "recovery", params(("id" = i64, Path, description = "Referral id")), request_body = MessageIn,
    responses((status = 201, description = "Added; the other unit is notified"), (status = 403), (status = 404), (status = 409, description = "The referral has ended"), (status = 422)),
    security(("bearer" = [])))]
async fn post_message(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<MessageIn>,
) -> Result<StatusCode, WebError> {
    let mut errs = Invalid::default();
    let body = note_text("body", &b.body, text::MESSAGE, &mut errs);
    errs.into_result(())?;
    state
        .store
        .post_referral_message(&u.actor, id, &body)
        .await?;
    Ok(StatusCode::CREATED)
}

#[utoipa::path(post, path = "/api/v1/referrals/{id}/services", tag = "recovery", params(("id" = i64, Path, description = "Referral id (an accepted take-over)")), request_body = ServiceIn,
    responses((status = 201, description = "The new service, tied to the referral", body = CreatedOut), (status = 404), (status = 409, description = "Not an accepted take-over, or the plan is closed"), (status = 422)), security(("bearer" = [])))]
async fn add_referral_service(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(referral): IdPath<i64>,
    JsonBody(b): JsonBody<ServiceIn>,
) -> Result<(StatusCode, Json<CreatedOut>), WebError> {
    let mut errs = Invalid::default();
    let s = NewService {
        service_code: b.service_code.trim().to_owned(),
        unit_id: b.unit_id,
        requested_on: errs
            .take(day::opt_day("requested_on", &b.requested_on))
            .flatten(),
        due_on: errs.take(day::opt_day("due_on", &b.due_on)).flatten(),
    };
    let s = errs.into_result(s)?;
    let sid = state
        .store
        .add_service_for_referral(&u.actor, referral, &s, today(&state.store, &u.actor))
        .await?;
    Ok(created(sid))
}
