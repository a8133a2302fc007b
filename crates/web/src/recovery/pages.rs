//! A victim's service plan: needs, services, closure, the ledger and the referral form.
//! Each form returns to the plan, or shows the plan again with the form's errors and what
//! was typed.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::http::format::{Num, rupiah};
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, FormState, ListQuery, day_field, field, fields_all};
use crate::shared::services::{new_service, service_label};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::case::Day;
use store::{NewLedgerEntry, NewReferral, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/victims/{id}/plan", &["GET"], get(plan_page))
        .add("/victims/{id}/needs", &["POST"], post(assess))
        .add(
            "/victims/{id}/needs/{need}/explain",
            &["POST"],
            post(explain),
        )
        .add("/victims/{id}/services", &["POST"], post(add_service))
        .add("/victims/{id}/plan/close", &["POST"], post(close_plan))
        .add("/victims/{id}/plan/reopen", &["POST"], post(reopen_plan))
        .add("/victims/{id}/ledger", &["POST"], post(add_ledger))
        .add("/victims/{id}/referrals", &["POST"], post(send_referral))
}

/// Rupiah as typed ("Rp 10.000.000", "10000000"): the digits; `None` when there are none
/// or anything but digits, separators and the currency sign.
pub(crate) fn parse_rupiah(s: &str) -> Option<i64> {
    let t = s.trim().trim_start_matches("Rp").trim_start_matches("rp");
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ' ' | '\u{a0}'))
    {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[derive(Template)]
#[template(path = "recovery/plan.html")]
struct PlanPage {
    page: Page,
    p: store::PlanView,
    types: Vec<store::ServiceType>,
    units: Vec<store::Unit>,
    bases: Vec<store::PicklistItem>,
    f: FormState,
    today: Day,
}

impl PlanPage {
    /// Services, needs and referrals can be added and changed: the role may, the plan is open.
    fn can_edit(&self) -> bool {
        self.p.can_manage && self.p.status != "closed"
    }
    fn svc(&self, code: &str) -> String {
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: impl Num) -> String {
        crate::http::format::fmt_day(&d.num())
    }
    fn day_opt(&self, d: &Option<Day>) -> String {
        d.map(|d| crate::http::format::fmt_day(&d))
            .unwrap_or_else(|| "—".into())
    }
    fn rp(&self, v: impl Num) -> String {
        rupiah(&v.num())
    }
    fn today_s(&self) -> String {
        crate::http::format::fmt_day(&self.today)
    }
    /// Owed and not yet paid on a track ("restitution" or "compensation").
    fn outstanding(&self, track: &str) -> i64 {
        match domain::recovery::LedgerTrack::parse(track) {
            Some(t @ domain::recovery::LedgerTrack::Compensation) => {
                self.p.ledger.compensation.outstanding_on(t)
            }
            _ => self.p.ledger.restitution.outstanding(),
        }
    }
    fn blocker_text(&self, key: &str, code: &str) -> String {
        if code.is_empty() {
            self.page.t(key).to_owned()
        } else {
            format!("{}: {}", self.page.t(key), self.svc(code))
        }
    }
}

pub(crate) async fn plan_response(
    state: &AppState,
    user: &User,
    victim: i64,
    failed: &str,
    values: Fields,
    errs: &[domain::FieldError],
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let p = state
        .store
        .plan(user.actor(), victim, today(&state.store, user.actor()))
        .await?;
    let types = state.store.service_types().await?;
    let units = state.store.list_units(user.actor(), None, "").await?;
    let bases = state
        .store
        .picklists()
        .await?
        .items("referral_basis")
        .to_vec();
    let page = PlanPage {
        page: Page::from_ctx(&user.ctx, "plan.title").with_flash(ok),
        p,
        types,
        units,
        bases,
        f: FormState::new(user, failed, values, errs),
        today: today(&state.store, user.actor()),
    };
    Ok(page.f.respond(render(&page)?))
}

async fn plan_page(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    plan_response(
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

/// After a plan form: back to the plan (at `anchor`), or the plan with the form's errors.
pub(crate) async fn after(
    state: &AppState,
    user: &User,
    victim: i64,
    form: &str,
    values: Fields,
    result: Result<(), StoreError>,
    anchor: &str,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/victims/{victim}/plan?ok=saved#{anchor}")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            plan_response(state, user, victim, form, values, &e.0, None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn assess(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let codes = fields_all(&f, "needs");
    let r = state
        .store
        .assess_needs(
            user.actor(),
            victim,
            &codes,
            today(&state.store, user.actor()),
        )
        .await;
    after(&state, &user, victim, "needs", f, r, "needs").await
}

async fn explain(
    State(state): State<AppState>,
    user: User,
    Path((id, need)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let need = parse_id(&need)?;
    let r = state
        .store
        .explain_need(user.actor(), victim, need, field(&f, "explanation"))
        .await;
    after(&state, &user, victim, &format!("need{need}"), f, r, "needs").await
}

async fn add_service(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let s = new_service(&f, &mut errs);
    let r = if errs.is_empty() {
        state
            .store
            .add_service(user.actor(), victim, &s, today(&state.store, user.actor()))
            .await
            .map(|_| ())
    } else {
        Err(errs.into())
    };
    after(&state, &user, victim, "service", f, r, "services").await
}

async fn close_plan(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let followup = day_field(&f, "followup_on", &mut errs);
    let r = if errs.is_empty() {
        state
            .store
            .close_plan(
                user.actor(),
                victim,
                followup,
                field(&f, "note"),
                today(&state.store, user.actor()),
            )
            .await
    } else {
        Err(errs.into())
    };
    after(&state, &user, victim, "close", f, r, "closure").await
}

async fn reopen_plan(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let r = state.store.reopen_plan(user.actor(), victim).await;
    after(&state, &user, victim, "close", Vec::new(), r, "closure").await
}

async fn add_ledger(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let amount_s = field(&f, "amount");
    let amount = if amount_s.trim().is_empty() {
        None
    } else {
        let a = parse_rupiah(amount_s);
        if a.is_none() {
            errs.push("amount", "err.amount");
        }
        a
    };
    let e = NewLedgerEntry {
        track: field(&f, "track").to_owned(),
        kind: field(&f, "kind").to_owned(),
        amount,
        on_day: day_field(&f, "on_day", &mut errs),
        note: field(&f, "note").to_owned(),
        confirm: field(&f, "confirm") == "yes",
    };
    let r = if errs.is_empty() {
        state
            .store
            .add_ledger_entry(user.actor(), victim, &e, today(&state.store, user.actor()))
            .await
            .map(|_| ())
    } else {
        Err(errs.into())
    };
    after(&state, &user, victim, "ledger", f, r, "ledger").await
}

async fn send_referral(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let victim = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let to_unit = match field(&f, "to_unit").trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                errs.push("to_unit", "err.unit_unknown");
                None
            }
        },
    };
    let n = NewReferral {
        to_unit,
        kind: field(&f, "kind").to_owned(),
        service_code: field(&f, "service_code").to_owned(),
        shared: fields_all(&f, "shared"),
        basis: field(&f, "basis").to_owned(),
        basis_note: field(&f, "basis_note").to_owned(),
        message: field(&f, "message").to_owned(),
        due_on: day_field(&f, "due_on", &mut errs),
    };
    let r = if errs.is_empty() {
        state
            .store
            .send_referral(user.actor(), victim, &n, today(&state.store, user.actor()))
            .await
    } else {
        Err(errs.into())
    };
    match r {
        Ok(rid) => Ok(Redirect::to(&format!("/referrals/{rid}?ok=referral_sent")).into_response()),
        Err(StoreError::Invalid(e)) => {
            plan_response(&state, &user, victim, "referral", f, &e.0, None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_in_and_out() {
        assert_eq!(parse_rupiah("Rp 12.500.000"), Some(12_500_000));
        assert_eq!(parse_rupiah("12500000"), Some(12_500_000));
        assert_eq!(parse_rupiah("12,5 juta"), None);
        assert_eq!(parse_rupiah("-5"), None);
        assert_eq!(rupiah(&12_500_000), "Rp12.500.000");
        assert_eq!(rupiah(&0), "Rp0");
        assert_eq!(rupiah(&999), "Rp999");
    }
}
