//! The parts of a case page recorded one entry at a time — route events, the legal track,
//! consent, perpetrators, closing — each a small form that returns to the case page, or
//! shows it again with the form's errors and what was typed.

use super::options::CaseOptions;
use super::page::{ConsentForm, Extras, PerpForm, StageForm, case_page};
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::http::page::{Errors, Page, render};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::Action;
use domain::case::{LegalInput, NewLegal, NewRouteEvent, RouteEventInput, parse_day};
use serde::Deserialize;
use store::{CaseId, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/cases/{id}/route", &["POST"], post(add_route))
        .add(
            "/cases/{id}/route/{event}/delete",
            &["POST"],
            post(delete_route),
        )
        .add("/cases/{id}/legal", &["POST"], post(set_legal))
        .add("/cases/{id}/stages", &["POST"], post(add_stage))
        .add(
            "/cases/{id}/stages/{stage}/delete",
            &["POST"],
            post(delete_stage),
        )
        .add("/cases/{id}/consents", &["POST"], post(add_consent))
        .add(
            "/cases/{id}/consents/{consent}/withdraw",
            &["POST"],
            post(withdraw_consent),
        )
        .add("/cases/{id}/perpetrators", &["POST"], post(add_perpetrator))
        .add(
            "/cases/{id}/perpetrators/{perpetrator}/link",
            &["POST"],
            post(link_perpetrator),
        )
        .add(
            "/cases/{id}/perpetrators/{perpetrator}/unlink",
            &["POST"],
            post(unlink_perpetrator),
        )
        .add("/cases/{id}/status", &["POST"], post(set_status))
        .add("/perpetrators/{id}", &["GET"], get(perpetrator_page))
}

/// After a sub-form: back to the case page, or the page again with the form's errors.
async fn after(
    state: &AppState,
    user: &User,
    id: CaseId,
    result: Result<(), StoreError>,
    x: Extras,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}?ok=saved")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let x = Extras {
                errs: Errors::new(user.ctx.locale, &e.0),
                ..x
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                case_page(state, user, id, x).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn add_route(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<RouteEventInput>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let result = match NewRouteEvent::parse(&f, today(&state.store, user.actor())) {
        Ok(e) => state
            .store
            .add_route_event(user.actor(), id, &e)
            .await
            .map(|_| ()),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    after(
        &state,
        &user,
        id,
        result,
        Extras {
            route: f,
            ..Default::default()
        },
    )
    .await
}

async fn delete_route(
    State(state): State<AppState>,
    user: User,
    Path((id, event)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .delete_route_event(user.actor(), id, parse_id(&event)?)
        .await;
    after(&state, &user, id, result, Extras::default()).await
}

async fn set_legal(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<LegalInput>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let result = match NewLegal::parse(&f) {
        Ok(l) => state.store.set_legal(user.actor(), id, &l).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    after(
        &state,
        &user,
        id,
        result,
        Extras {
            legal: Some(f),
            ..Default::default()
        },
    )
    .await
}

async fn add_stage(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<StageForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let result = state
        .store
        .add_legal_stage(
            user.actor(),
            id,
            f.stage.trim(),
            parse_day(&f.happened),
            today(&state.store, user.actor()),
        )
        .await
        .map(|_| ());
    after(
        &state,
        &user,
        id,
        result,
        Extras {
            stage: f,
            ..Default::default()
        },
    )
    .await
}

async fn delete_stage(
    State(state): State<AppState>,
    user: User,
    Path((id, stage)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .delete_legal_stage(user.actor(), id, parse_id(&stage)?)
        .await;
    after(&state, &user, id, result, Extras::default()).await
}

async fn add_consent(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<ConsentForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let c = store::NewConsent {
        victim_id: f.victim_id.trim().parse().unwrap_or(0),
        scope: f.scope.trim().to_owned(),
        given_by: f.given_by.trim().to_owned(),
        given_on: parse_day(&f.given_on),
    };
    let result = state
        .store
        .add_consent(user.actor(), id, &c, today(&state.store, user.actor()))
        .await
        .map(|_| ());
    after(
        &state,
        &user,
        id,
        result,
        Extras {
            consent: f,
            ..Default::default()
        },
    )
    .await
}

async fn withdraw_consent(
    State(state): State<AppState>,
    user: User,
    Path((id, consent)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .withdraw_consent(
            user.actor(),
            id,
            parse_id(&consent)?,
            today(&state.store, user.actor()),
        )
        .await;
    after(&state, &user, id, result, Extras::default()).await
}

async fn add_perpetrator(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<PerpForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let new = match store::NewPerpetrator::parse(
        &f.perp_kind,
        &f.perp_name,
        &f.perp_alias,
        &f.perp_nik,
    ) {
        Ok(n) => n,
        Err(e) => {
            return after(
                &state,
                &user,
                id,
                Err(StoreError::Invalid(e)),
                Extras {
                    perp: f,
                    ..Default::default()
                },
            )
            .await;
        }
    };
    // The same broker appears in many cases: offer the existing records first.
    if f.perp_confirm_new.is_none() {
        let matches = state
            .store
            .find_perpetrators(user.actor(), &new.name, new.nik.as_ref())
            .await?;
        if !matches.is_empty() {
            let x = Extras {
                perp: f,
                perp_matches: matches,
                ..Default::default()
            };
            return Ok(case_page(&state, &user, id, x).await?.into_response());
        }
    }
    let result = state
        .store
        .add_perpetrator(user.actor(), id, &new, f.perp_role.trim())
        .await
        .map(|_| ());
    after(
        &state,
        &user,
        id,
        result,
        Extras {
            perp: f,
            ..Default::default()
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    perp_role: String,
}

async fn link_perpetrator(
    State(state): State<AppState>,
    user: User,
    Path((id, p)): Path<(String, String)>,
    Form(f): Form<RoleForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .link_perpetrator(user.actor(), id, parse_id(&p)?, f.perp_role.trim())
        .await;
    after(&state, &user, id, result, Extras::default()).await
}

async fn unlink_perpetrator(
    State(state): State<AppState>,
    user: User,
    Path((id, p)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .unlink_perpetrator(user.actor(), id, parse_id(&p)?)
        .await;
    after(&state, &user, id, result, Extras::default()).await
}

#[derive(Template)]
#[template(path = "cases/perpetrator.html")]
struct PerpetratorPage {
    page: Page,
    p: store::PerpetratorView,
    opts: CaseOptions,
}

async fn perpetrator_page(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let p = state
        .store
        .perpetrator(user.actor(), parse_id(&id)?)
        .await?;
    let opts = CaseOptions::load(&state, user.ctx.locale.code()).await?;
    let mut page = Page::from_ctx(&user.ctx, "perp.title");
    page.title = p.name.clone().unwrap_or_else(|| p.initials.clone());
    render(&PerpetratorPage { page, p, opts })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
    close_reason: String,
}

async fn set_status(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    let result = state
        .store
        .set_case_status(
            user.actor(),
            id,
            f.status.trim(),
            Some(f.close_reason.as_str()),
            today(&state.store, user.actor()),
        )
        .await;
    after(&state, &user, id, result, Extras::default()).await
}
