//! The parts of a case page recorded one entry at a time — route events, the legal track,
//! consent, perpetrators, closing — each a small form that returns to the case page, or
//! shows it again with the form's errors and what was typed.

use super::page::{after, after_with, case_view, form, forms};
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Page, render};
use crate::shared::confirm::{
    self, CASE_CLOSE, CONSENT_WITHDRAW, PERP_UNLINK, ROUTE_DELETE, STAGE_DELETE,
};
use crate::shared::forms::{Fields, FormState, checked, fields_of};
use crate::shared::options::CaseOptions;
use crate::shared::region_field::{self, RegionChoices};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::Action;
use domain::case::{LegalInput, NewLegal, NewRouteEvent, RouteEventInput};
use domain::value;
use serde::{Deserialize, Serialize};
use store::{CaseId, StoreError};

/// An irreversible step on the case: the confirmation page unless the form says the user
/// confirmed (after the access check: see `shared::confirm`); "cancel" leads back to the
/// case page at `section`.
async fn ask_first(
    state: &AppState,
    user: &User,
    id: CaseId,
    f: Fields,
    what: confirm::Ask,
    section: &str,
) -> Result<Option<Response>, WebError> {
    if confirm::confirmed(&f) {
        return Ok(None);
    }
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    confirm::ask(user, f, what, format!("/cases/{id}#{section}")).map(Some)
}

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

async fn add_route(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<RouteEventInput>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    // A place typed as a name becomes its code (or the places of that name are offered).
    let mut f = f;
    let mut errs = domain::Invalid::default();
    let mut choices = RegionChoices::default();
    region_field::resolve(
        &state,
        user.actor(),
        "region_code",
        &mut f.region_code,
        None,
        &mut errs,
        &mut choices,
    )
    .await?;
    let result = match NewRouteEvent::parse(&f, today(&state.store, user.actor())) {
        Ok(e) if errs.is_empty() => state.store.add_route_event(user.actor(), id, &e).await,
        Ok(_) => Err(StoreError::Invalid(errs)),
        Err(e) => {
            errs.0.extend(e.0);
            region_field::first_per_field(&mut errs);
            Err(StoreError::Invalid(errs))
        }
    };
    let form = form("route", forms::ROUTE);
    let values = fields_of(&f);
    let done = "?ok=route_added";
    after_with(&state, &user, id, form, values, result, done, choices).await
}

async fn delete_route(
    State(state): State<AppState>,
    user: User,
    IdPath((id, event)): IdPath<(CaseId, i64)>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    if let Some(asking) = ask_first(&state, &user, id, f, ROUTE_DELETE, "route").await? {
        return Ok(asking);
    }
    let result = state
        .store
        .delete_route_event(user.actor(), id, event)
        .await;
    after(
        &state,
        &user,
        id,
        form("route", forms::ROUTE),
        Vec::new(),
        result,
        "?ok=route_removed",
    )
    .await
}

async fn set_legal(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<LegalInput>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let result = match NewLegal::parse(&f) {
        Ok(l) => state.store.set_legal(user.actor(), id, &l).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    let form = form("legal", forms::LEGAL);
    after(
        &state,
        &user,
        id,
        form,
        fields_of(&f),
        result,
        "?ok=legal_saved",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct StageForm {
    stage: String,
    happened: String,
}

async fn add_stage(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<StageForm>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let mut errs = domain::Invalid::default();
    let happened = errs.take(value::day("happened", &f.happened));
    let result = match checked(errs, happened) {
        Ok(happened) => {
            state
                .store
                .add_legal_stage(
                    user.actor(),
                    id,
                    f.stage.trim(),
                    happened,
                    today(&state.store, user.actor()),
                )
                .await
        }
        Err(e) => Err(e),
    };
    let form = form("stages", forms::STAGES);
    after(
        &state,
        &user,
        id,
        form,
        fields_of(&f),
        result,
        "?ok=stage_added",
    )
    .await
}

async fn delete_stage(
    State(state): State<AppState>,
    user: User,
    IdPath((id, stage)): IdPath<(CaseId, i64)>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    if let Some(asking) = ask_first(&state, &user, id, f, STAGE_DELETE, "stages").await? {
        return Ok(asking);
    }
    let result = state
        .store
        .delete_legal_stage(user.actor(), id, stage)
        .await;
    let form = form("stages", forms::STAGES);
    after(
        &state,
        &user,
        id,
        form,
        Vec::new(),
        result,
        "?ok=stage_removed",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ConsentForm {
    victim_id: String,
    scope: String,
    given_by: String,
    given_on: String,
}

async fn add_consent(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<ConsentForm>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let mut errs = domain::Invalid::default();
    let victim_id = errs.take(value::id("victim_id", &f.victim_id));
    let given_on = errs.take(value::day("given_on", &f.given_on));
    let result = match checked(errs, (victim_id, given_on)) {
        Ok((Some(victim_id), given_on)) => {
            let c = store::NewConsent {
                victim_id,
                scope: f.scope.trim().to_owned(),
                given_by: f.given_by.trim().to_owned(),
                given_on,
            };
            state
                .store
                .add_consent(user.actor(), id, &c, today(&state.store, user.actor()))
                .await
                .map(|_| ())
        }
        Ok((None, _)) => Err(StoreError::Invalid(domain::Invalid::one(
            "victim_id",
            "err.required",
        ))),
        Err(e) => Err(e),
    };
    let form = form("consents", forms::CONSENTS);
    after(
        &state,
        &user,
        id,
        form,
        fields_of(&f),
        result,
        "?ok=consent_added",
    )
    .await
}

async fn withdraw_consent(
    State(state): State<AppState>,
    user: User,
    IdPath((id, consent)): IdPath<(CaseId, i64)>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    if let Some(asking) = ask_first(&state, &user, id, f, CONSENT_WITHDRAW, "consents").await? {
        return Ok(asking);
    }
    let result = state
        .store
        .withdraw_consent(user.actor(), id, consent, today(&state.store, user.actor()))
        .await;
    let form = form("consents", forms::CONSENTS);
    after(
        &state,
        &user,
        id,
        form,
        Vec::new(),
        result,
        "?ok=consent_withdrawn",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct PerpForm {
    perp_kind: String,
    perp_name: String,
    perp_alias: String,
    perp_nik: String,
    perp_role: String,
    perp_confirm_new: Option<String>,
}

async fn add_perpetrator(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<PerpForm>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    let form = form("perpetrators", forms::PERPETRATORS);
    let new = match store::NewPerpetrator::parse(
        &f.perp_kind,
        &f.perp_name,
        &f.perp_alias,
        &f.perp_nik,
    ) {
        Ok(n) => n,
        Err(e) => {
            let values = fields_of(&f);
            return after(
                &state,
                &user,
                id,
                form,
                values,
                Err::<(), _>(e.into()),
                "?ok=perp_added",
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
            let kept = FormState::kept(&form, fields_of(&f));
            let page = case_view(&state, &user, id, kept, matches, None).await?;
            return Ok(page.into_response());
        }
    }
    let result = state
        .store
        .add_perpetrator(user.actor(), id, &new, f.perp_role.trim())
        .await;
    after(
        &state,
        &user,
        id,
        form,
        fields_of(&f),
        result,
        "?ok=perp_added",
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
    IdPath((id, p)): IdPath<(CaseId, i64)>,
    FormBody(f): FormBody<RoleForm>,
) -> Result<Response, WebError> {
    let result = state
        .store
        .link_perpetrator(user.actor(), id, p, f.perp_role.trim())
        .await;
    let form = form("perpetrators", forms::PERPETRATORS);
    after(
        &state,
        &user,
        id,
        form,
        Vec::new(),
        result,
        "?ok=perp_linked",
    )
    .await
}

async fn unlink_perpetrator(
    State(state): State<AppState>,
    user: User,
    IdPath((id, p)): IdPath<(CaseId, i64)>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    if let Some(asking) = ask_first(&state, &user, id, f, PERP_UNLINK, "perpetrators").await? {
        return Ok(asking);
    }
    let result = state.store.unlink_perpetrator(user.actor(), id, p).await;
    let form = form("perpetrators", forms::PERPETRATORS);
    after(
        &state,
        &user,
        id,
        form,
        Vec::new(),
        result,
        "?ok=perp_unlinked",
    )
    .await
}

#[derive(Template)]
#[template(path = "cases/perpetrator.html")]
struct PerpetratorPage {
    page: Page,
    p: store::PerpetratorView,
    opts: std::sync::Arc<CaseOptions>,
    id: i64,
}

async fn perpetrator_page(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
) -> Result<Html<String>, WebError> {
    let p = state.store.perpetrator(user.actor(), id).await?;
    let opts = CaseOptions::load(&state, user.ctx.locale.code()).await?;
    let mut page = Page::from_ctx(&user.ctx, "perp.title");
    page.title = p.name.clone().unwrap_or_else(|| p.initials.clone());
    render(&PerpetratorPage { page, p, opts, id })
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
    close_reason: String,
    confirmed: String,
}

async fn set_status(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<StatusForm>,
) -> Result<Response, WebError> {
    if f.status.trim() == "closed" && !f.close_reason.trim().is_empty() {
        let asking = ask_first(&state, &user, id, fields_of(&f), CASE_CLOSE, "closing");
        if let Some(asking) = asking.await? {
            return Ok(asking);
        }
    }
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
    let form = form("closing", forms::CLOSING);
    let done = if f.status.trim() == "closed" {
        "?ok=case_closed"
    } else {
        "?ok=case_reopened"
    };
    after(&state, &user, id, form, fields_of(&f), result, done).await
}
