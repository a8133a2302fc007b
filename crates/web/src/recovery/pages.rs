//! A victim's service plan: needs, services, closure, the ledger and the referral form.
//! Each form returns to the plan, or shows the plan again with the form's errors and what
//! was typed.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::format::{Num, rupiah};
use crate::http::page::{Page, render};
use crate::shared::confirm;
use crate::shared::forms::{
    Fields, Form, FormState, ListQuery, checked, field, fields_all, fields_of, finish, text,
};
use crate::shared::services::{ServiceForm, service_label};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::case::Day;
use domain::value;
use domain::value::text::{Lines, MESSAGE, NOTE};
use serde::{Deserialize, Serialize};
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
        .add("/victims/{id}/status-code", &["POST"], post(issue_code))
        .add(
            "/victims/{id}/status-code/revoke",
            &["POST"],
            post(revoke_code),
        )
}

// The plan's forms and their fields' labels (the error summary names the fields).
const NEEDS: &[(&str, &str)] = &[("needs", "plan.needs")];
const EXPLAIN: &[(&str, &str)] = &[("explanation", "plan.explanation")];
pub(crate) const SERVICE: &[(&str, &str)] = &[
    ("service_code", "service.type"),
    ("unit_id", "service.unit"),
    ("requested_on", "service.requested_on"),
    ("due_on", "service.due_on"),
];
/// The form changing one service (on the plan and on a referral page).
pub(crate) const SERVICE_UPDATE: &[(&str, &str)] = &[
    ("status", "field.status"),
    ("done_on", "service.done_on"),
    ("reason", "service.reason"),
    ("outcome", "service.outcome"),
    ("file", "service.evidence_add"),
];
const REFERRAL: &[(&str, &str)] = &[
    ("to_unit", "referral.to"),
    ("kind", "referral.kind"),
    ("service_code", "service.type"),
    ("shared", "referral.shared"),
    ("basis", "referral.basis"),
    ("basis_note", "referral.basis_note"),
    ("due_on", "service.due_on"),
    ("message", "referral.message"),
];
const LEDGER: &[(&str, &str)] = &[
    ("track", "ledger.track"),
    ("kind", "ledger.kind"),
    ("amount", "ledger.amount"),
    ("on_day", "ledger.on_day"),
    ("note", "ledger.note"),
    ("confirm", "ledger.confirm_over"),
];
const CLOSE: &[(&str, &str)] = &[
    ("followup_on", "plan.followup_on"),
    ("note", "plan.closure_note"),
];

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
    /// The victim's status code, for those who may issue one.
    code: Option<store::CodeState>,
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

/// The plan page, with `f` in its forms.
pub(crate) async fn plan_view(
    state: &AppState,
    user: &User,
    victim: i64,
    f: FormState,
    ok: Option<&str>,
) -> Result<Html<String>, WebError> {
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
    let code = if p.can_manage {
        state
            .store
            .survivor_code_state(user.actor(), victim)
            .await?
    } else {
        None
    };
    render(&PlanPage {
        page: Page::from_ctx(&user.ctx, "plan.title").with_flash(ok),
        p,
        types,
        units,
        bases,
        f,
        today: today(&state.store, user.actor()),
        code,
    })
}

async fn plan_page(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    plan_view(&state, &user, victim, FormState::default(), q.ok.as_deref()).await
}

/// After a plan form: back to the plan with `done` (`?ok=<what happened>#<section>`), or
/// the plan again with the form as typed and its errors.
pub(crate) async fn after<T>(
    state: &AppState,
    user: &User,
    victim: i64,
    form: Form,
    values: Fields,
    result: Result<T, StoreError>,
    done: &str,
) -> Result<Response, WebError> {
    finish(
        result,
        |_| format!("/victims/{victim}/plan{done}"),
        async |r| {
            let f = FormState::failed(user.ctx.locale, &form, values, &r);
            plan_view(state, user, victim, f, None).await
        },
    )
    .await
}

async fn assess(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
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
    after(
        &state,
        &user,
        victim,
        Form::new("needs", NEEDS),
        f,
        r,
        "?ok=needs_assessed#needs",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ExplainForm {
    explanation: String,
}

async fn explain(
    State(state): State<AppState>,
    user: User,
    IdPath((victim, need)): IdPath<(i64, i64)>,
    FormBody(f): FormBody<ExplainForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let explanation = text(&mut errs, "explanation", &f.explanation, NOTE, Lines::Many);
    let r = match checked(errs, explanation) {
        Ok(x) => {
            state
                .store
                .explain_need(user.actor(), victim, need, &x)
                .await
        }
        Err(e) => Err(e),
    };
    let form = Form::new(format!("need{need}"), EXPLAIN);
    after(
        &state,
        &user,
        victim,
        form,
        fields_of(&f),
        r,
        "?ok=need_explained#needs",
    )
    .await
}

async fn add_service(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    FormBody(f): FormBody<ServiceForm>,
) -> Result<Response, WebError> {
    let r = match f.parse() {
        Ok(s) => {
            state
                .store
                .add_service(user.actor(), victim, &s, today(&state.store, user.actor()))
                .await
        }
        Err(e) => Err(e),
    };
    let form = Form::new("service", SERVICE);
    after(
        &state,
        &user,
        victim,
        form,
        fields_of(&f),
        r,
        "?ok=service_added#services",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct CloseForm {
    followup_on: String,
    note: String,
    confirmed: String,
}

async fn close_plan(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    FormBody(f): FormBody<CloseForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let followup = errs.take(value::opt_day("followup_on", &f.followup_on));
    let note = text(&mut errs, "note", &f.note, NOTE, Lines::Many);
    let r = match checked(errs, followup.flatten()) {
        // Asked first, and only a closure that can happen (what is missing is shown
        // before, not after the question).
        Ok(followup) if f.confirmed != "yes" => {
            let day = today(&state.store, user.actor());
            let can = state
                .store
                .check_plan_closable(user.actor(), victim, followup, day)
                .await;
            if can.is_ok() {
                let back = format!("/victims/{victim}/plan#closure");
                return confirm::ask(&user, fields_of(&f), confirm::PLAN_CLOSE, back);
            }
            can
        }
        Ok(followup) => {
            state
                .store
                .close_plan(
                    user.actor(),
                    victim,
                    followup,
                    &note,
                    today(&state.store, user.actor()),
                )
                .await
        }
        Err(e) => Err(e),
    };
    let form = Form::new("close", CLOSE);
    after(
        &state,
        &user,
        victim,
        form,
        fields_of(&f),
        r,
        "?ok=plan_closed#closure",
    )
    .await
}

async fn reopen_plan(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
) -> Result<Response, WebError> {
    let r = state.store.reopen_plan(user.actor(), victim).await;
    let form = Form::new("reopen", &[]);
    after(
        &state,
        &user,
        victim,
        form,
        Vec::new(),
        r,
        "?ok=plan_reopened#closure",
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct LedgerForm {
    track: String,
    kind: String,
    amount: String,
    on_day: String,
    note: String,
    confirm: String,
}

async fn add_ledger(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    FormBody(f): FormBody<LedgerForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let e = NewLedgerEntry {
        track: f.track.clone(),
        kind: f.kind.clone(),
        amount: errs
            .take(value::opt_rupiah("amount", &f.amount))
            .flatten()
            .map(value::Rupiah::get),
        on_day: errs.take(value::opt_day("on_day", &f.on_day)).flatten(),
        note: text(&mut errs, "note", &f.note, NOTE, Lines::One),
        confirm: f.confirm == "yes",
    };
    let r = match checked(errs, e) {
        Ok(e) => {
            state
                .store
                .add_ledger_entry(user.actor(), victim, &e, today(&state.store, user.actor()))
                .await
        }
        Err(e) => Err(e),
    };
    let form = Form::new("ledger", LEDGER);
    after(
        &state,
        &user,
        victim,
        form,
        fields_of(&f),
        r,
        "?ok=ledger_added#ledger",
    )
    .await
}

async fn send_referral(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    FormBody(f): FormBody<Fields>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let n = NewReferral {
        to_unit: errs
            .take(value::opt_id("to_unit", field(&f, "to_unit")))
            .flatten(),
        kind: field(&f, "kind").to_owned(),
        service_code: field(&f, "service_code").to_owned(),
        shared: fields_all(&f, "shared"),
        basis: field(&f, "basis").to_owned(),
        basis_note: text(
            &mut errs,
            "basis_note",
            field(&f, "basis_note"),
            NOTE,
            Lines::One,
        ),
        message: text(
            &mut errs,
            "message",
            field(&f, "message"),
            MESSAGE,
            Lines::Many,
        ),
        due_on: errs
            .take(value::opt_day("due_on", field(&f, "due_on")))
            .flatten(),
    };
    let r = match checked(errs, n) {
        Ok(n) => {
            state
                .store
                .send_referral(user.actor(), victim, &n, today(&state.store, user.actor()))
                .await
        }
        Err(e) => Err(e),
    };
    let form = Form::new("referral", REFERRAL);
    finish(
        r,
        |rid| format!("/referrals/{rid}?ok=referral_sent"),
        async |r| {
            let f = FormState::failed(user.ctx.locale, &form, f, &r);
            plan_view(&state, &user, victim, f, None).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_out() {
        // The plan shows amounts without a space after "Rp" (the case page's order has one).
        assert_eq!(rupiah(&12_500_000), "Rp12.500.000");
        assert_eq!(rupiah(&0), "Rp0");
        assert_eq!(rupiah(&999), "Rp999");
    }

    /// The error summary names fields by these labels: each is in both catalogues.
    #[test]
    fn form_labels_are_translated() {
        use crate::http::i18n::Locale;
        for labels in [
            NEEDS,
            EXPLAIN,
            SERVICE,
            SERVICE_UPDATE,
            REFERRAL,
            LEDGER,
            CLOSE,
        ] {
            for (field, key) in labels {
                for l in [Locale::Id, Locale::En] {
                    assert!(l.lookup(key).is_some(), "{field}: {key}");
                }
            }
        }
    }
}

/// The slip a case worker prints for the victim: the public address, the code and the PIN
/// (shown this once), how to keep them, and where to call for help. Nothing on it names
/// the victim, the case or the unit.
#[derive(Template)]
#[template(path = "recovery/slip.html")]
struct SlipPage {
    page: Page,
    victim: i64,
    url: String,
    address_unsure: bool,
    code: String,
    pin: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct IssueForm {
    /// When the code in force was issued as the page showed it (0: none).
    current: String,
}

async fn issue_code(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
    headers: axum::http::HeaderMap,
    FormBody(f): FormBody<IssueForm>,
) -> Result<Response, WebError> {
    // The page's forms say which code they saw; a form without it (a script) is not checked.
    let expected = match f.current.trim() {
        "" => None,
        c => Some(c.parse::<i64>().unwrap_or(-1)),
    };
    let issued = state
        .store
        .issue_survivor_code(user.actor(), victim, expected)
        .await?;
    let url = format!("{}/status", crate::public::base_url(&state, &headers));
    let mut page = Page::from_ctx(&user.ctx, "slip.title");
    page.print_note = false;
    Ok(render(&SlipPage {
        page,
        victim,
        url,
        // Without `GUGUS_PUBLIC_URL` the address is this request's: the office network's,
        // which a victim may not reach from outside.
        address_unsure: state.config.public_url.is_none(),
        code: issued.code,
        pin: issued.pin,
    })?
    .into_response())
}

async fn revoke_code(
    State(state): State<AppState>,
    user: User,
    IdPath(victim): IdPath<i64>,
) -> Result<Response, WebError> {
    state
        .store
        .revoke_survivor_code(user.actor(), victim)
        .await?;
    Ok(axum::response::Redirect::to(&format!(
        "/victims/{victim}/plan?ok=status_code_revoked#status-code"
    ))
    .into_response())
}
