//! Referral pages: the lists (incoming, outgoing, escalated) and one referral with its
//! conversation, its operations and the services of an accepted take-over. Each form
//! returns to the referral, or shows it again with the form's errors and what was typed.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::http::format::Num;
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, FormState, ListQuery, field};
use crate::shared::services::{new_service, service_label};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::StoreError;

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/referrals", &["GET"], get(referrals_page))
        .add("/referrals/{id}", &["GET"], get(referral_page))
        .add("/referrals/{id}/act", &["POST"], post(act))
        .add("/referrals/{id}/messages", &["POST"], post(message))
        .add(
            "/referrals/{id}/services",
            &["POST"],
            post(referral_service),
        )
}

#[derive(Template)]
#[template(path = "referrals/referral.html")]
struct ReferralPage {
    page: Page,
    r: store::ReferralView,
    types: Vec<store::ServiceType>,
    services: Vec<store::ServiceView>,
    picks: store::Picklists,
    /// Units the receiving unit may give a take-over's services to.
    units: Vec<store::Unit>,
    f: FormState,
}

impl ReferralPage {
    fn svc(&self, code: &str) -> String {
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: impl Num) -> String {
        crate::http::format::fmt_day(&d.num())
    }
    /// A picklist label (legal stage, form of exploitation) in the page's language.
    fn pick(&self, list: &str, code: &str) -> String {
        self.picks
            .label(list, code, self.page.locale.code())
            .to_owned()
    }
    fn is_receiver(&self) -> bool {
        self.r.side == domain::recovery::ReferralSide::Receiver
    }
    /// The receiving unit plans services itself after accepting a take-over.
    fn can_plan(&self) -> bool {
        self.is_receiver() && self.r.row.kind == "takeover" && self.r.row.state == "accepted"
    }
    /// Services are recorded by the receiving unit while the referral is accepted.
    fn can_record(&self) -> bool {
        self.is_receiver() && self.r.row.state == "accepted"
    }
}

pub(crate) async fn referral_response(
    state: &AppState,
    user: &User,
    id: i64,
    failed: &str,
    values: Fields,
    errs: &[domain::FieldError],
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let r = state
        .store
        .referral(user.actor(), id, today(&state.store, user.actor()))
        .await?;
    let types = state.store.service_types().await?;
    // The services that came with the referral, for the receiving unit to record.
    let services = state
        .store
        .referral_services(user.actor(), id, today(&state.store, user.actor()))
        .await?;
    let units = if r.side == domain::recovery::ReferralSide::Receiver && r.row.kind == "takeover" {
        let within = user.actor().scope.region().cloned();
        state
            .store
            .list_units(user.actor(), within.as_ref(), "")
            .await?
    } else {
        Vec::new()
    };
    let page = ReferralPage {
        page: Page::from_ctx(&user.ctx, "referral.title").with_flash(ok),
        r,
        types,
        services,
        picks: state.store.picklists().await?,
        units,
        f: FormState::new(user, failed, values, errs),
    };
    Ok(page.f.respond(render(&page)?))
}

async fn referral_page(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    referral_response(
        &state,
        &user,
        parse_id(&id)?,
        "",
        Vec::new(),
        &[],
        q.ok.as_deref(),
    )
    .await
}

async fn act(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    match state
        .store
        .act_on_referral(
            user.actor(),
            id,
            field(&f, "op"),
            field(&f, "reason"),
            today(&state.store, user.actor()),
        )
        .await
    {
        Ok(s) if s.is_open() => {
            Ok(Redirect::to(&format!("/referrals/{id}?ok=saved")).into_response())
        }
        // The receiving unit's access ends with the referral: go back to the list.
        Ok(_) => Ok(Redirect::to("/referrals?ok=referral_ended").into_response()),
        Err(StoreError::Invalid(e)) => {
            referral_response(&state, &user, id, "act", f, &e.0, None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn referral_service(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let s = new_service(&f, &mut errs);
    let r = if errs.is_empty() {
        state
            .store
            .add_service_for_referral(user.actor(), id, &s, today(&state.store, user.actor()))
            .await
    } else {
        Err(errs.into())
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/referrals/{id}?ok=saved")).into_response()),
        Err(StoreError::Invalid(e)) => {
            referral_response(&state, &user, id, "plan", f, &e.0, None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn message(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    match state
        .store
        .post_referral_message(user.actor(), id, field(&f, "body"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/referrals/{id}#thread")).into_response()),
        Err(StoreError::Invalid(e)) => {
            referral_response(&state, &user, id, "message", f, &e.0, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct ReferralsPage {
    page: Page,
    which: String,
    rows: Vec<store::ReferralRow>,
    types: Vec<store::ServiceType>,
}

impl ReferralsPage {
    fn svc(&self, code: &Option<String>) -> String {
        let code = code.as_deref().unwrap_or("takeover");
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: impl Num) -> String {
        crate::http::format::fmt_day(&d.num())
    }
}

async fn referrals_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let which = match q.which.as_str() {
        "outgoing" | "escalated" => q.which.clone(),
        _ => "incoming".to_owned(),
    };
    let rows = state
        .store
        .referral_list(user.actor(), &which, today(&state.store, user.actor()))
        .await?;
    render(&ReferralsPage {
        page: Page::from_ctx(&user.ctx, "referral.list_title").with_flash(q.ok.as_deref()),
        which,
        rows,
        types: state.store.service_types().await?,
    })
}
