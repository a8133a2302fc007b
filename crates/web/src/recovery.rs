//! Recovery pages: a victim's service plan (needs, services, evidence, closure, ledger,
//! referrals), referrals with their conversation, "my tasks", notifications and the
//! restitution overview. Each form returns to its page, or shows the page again with the
//! form's errors and what was typed.

use crate::cases::today;
use crate::context::User;
use crate::error::WebError;
use crate::templates::{Errors, Page, render};
use crate::units::parse_id;
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::case::{Day, parse_day};
use serde::Deserialize;
use store::{NewLedgerEntry, NewReferral, NewService, ServiceUpdate, StoreError};

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
        .add("/services/{id}", &["POST"], post(update_service))
        .add(
            "/services/{id}/evidence",
            &["POST"],
            post(upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::UPLOAD_BODY_LIMIT,
            )),
        )
        .add("/evidence/{id}", &["GET"], get(download_evidence))
        .add("/referrals", &["GET"], get(referrals_page))
        .add("/referrals/{id}", &["GET"], get(referral_page))
        .add("/referrals/{id}/act", &["POST"], post(act))
        .add("/referrals/{id}/messages", &["POST"], post(message))
        .add(
            "/referrals/{id}/services",
            &["POST"],
            post(referral_service),
        )
        .add("/tasks", &["GET"], get(tasks_page))
        .add("/notifications", &["GET"], get(notifications_page))
        .add("/notifications/read", &["POST"], post(read_notifications))
        .add("/restitution", &["GET"], get(restitution_page))
}

type Fields = Vec<(String, String)>;

/// A day or an amount, however many references deep a template hands it over.
pub(crate) trait Num {
    fn num(&self) -> i64;
}
impl Num for i64 {
    fn num(&self) -> i64 {
        *self
    }
}
impl<T: Num + ?Sized> Num for &T {
    fn num(&self) -> i64 {
        (**self).num()
    }
}

fn field<'a>(f: &'a Fields, key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn fields_all(f: &Fields, key: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A date field: empty → `None`; malformed → a field error.
fn day_field(f: &Fields, key: &str, errs: &mut domain::Invalid) -> Option<Day> {
    let s = field(f, key).trim();
    if s.is_empty() {
        return None;
    }
    let d = parse_day(s);
    if d.is_none() {
        errs.push(key, "err.date");
    }
    d
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

/// 12500000 → "Rp12.500.000".
pub(crate) fn rupiah(v: &i64) -> String {
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{}Rp{out}", if *v < 0 { "-" } else { "" })
}

/// A service's label in the page's language (the code itself when unknown).
fn service_label(types: &[store::ServiceType], code: &str, lang: &str) -> String {
    if code == "takeover" {
        return crate::i18n::Locale::parse(lang)
            .unwrap_or(crate::i18n::Locale::Id)
            .t("referral.kind.takeover")
            .to_owned();
    }
    types
        .iter()
        .find(|t| t.code == code)
        .map(|t| t.label(lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The one form on a page that failed: its name, what was typed and what was wrong. The
/// page shows every other form empty.
#[derive(Default)]
struct FormState {
    failed: String,
    values: Fields,
    errs: Errors,
}

impl FormState {
    fn new(user: &User, failed: &str, values: Fields, errs: &[domain::FieldError]) -> FormState {
        FormState {
            failed: failed.to_owned(),
            values,
            errs: Errors::new(user.ctx.locale, errs),
        }
    }
    /// What was typed in `key` of `form`, if that form failed.
    fn v(&self, form: &str, key: &str) -> String {
        if self.failed == form {
            field(&self.values, key).to_owned()
        } else {
            String::new()
        }
    }
    fn has(&self, form: &str, key: &str, value: &str) -> bool {
        self.failed == form && self.values.iter().any(|(k, v)| k == key && v == value)
    }
    fn e(&self, form: &str, key: &str) -> &'static str {
        if self.failed == form {
            self.errs.get(key)
        } else {
            ""
        }
    }
    fn form_errors(&self, form: &str) -> Vec<&'static str> {
        if self.failed == form {
            self.errs.list.iter().map(|(_, m)| *m).collect()
        } else {
            Vec::new()
        }
    }
    /// 422 when the page is shown again because of this form's errors.
    fn respond(&self, html: Html<String>) -> Response {
        let status = if self.errs.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        (status, html).into_response()
    }
}

/// The service form's fields (shared by the plan and a take-over referral).
fn new_service(f: &Fields, errs: &mut domain::Invalid) -> NewService {
    NewService {
        service_code: field(f, "service_code").trim().to_owned(),
        unit_id: field(f, "unit_id").trim().parse().ok(),
        requested_on: day_field(f, "requested_on", errs),
        due_on: day_field(f, "due_on", errs),
    }
}

#[derive(Template)]
#[template(path = "plan.html")]
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
        crate::cases::fmt_day(&d.num())
    }
    fn day_opt(&self, d: &Option<Day>) -> String {
        d.map(|d| crate::cases::fmt_day(&d))
            .unwrap_or_else(|| "—".into())
    }
    fn rp(&self, v: impl Num) -> String {
        rupiah(&v.num())
    }
    fn today_s(&self) -> String {
        crate::cases::fmt_day(&self.today)
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

async fn plan_response(
    state: &AppState,
    user: &User,
    victim: i64,
    failed: &str,
    values: Fields,
    errs: &[domain::FieldError],
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let p = state.store.plan(user.actor(), victim, today()).await?;
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
        today: today(),
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
async fn after(
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
        .assess_needs(user.actor(), victim, &codes, today())
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
            .add_service(user.actor(), victim, &s, today())
            .await
            .map(|_| ())
    } else {
        Err(errs.into())
    };
    after(&state, &user, victim, "service", f, r, "services").await
}

async fn update_service(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let service = parse_id(&id)?;
    let mut errs = domain::Invalid::default();
    let u = ServiceUpdate {
        status: field(&f, "status").to_owned(),
        reason: field(&f, "reason").to_owned(),
        outcome: field(&f, "outcome").to_owned(),
        done_on: day_field(&f, "done_on", &mut errs),
    };
    let r = if errs.is_empty() {
        state
            .store
            .update_service(user.actor(), service, &u, today())
            .await
    } else {
        Err(errs.into())
    };
    back_from_service(&state, &user, &f, service, r).await
}

/// Services are updated from the plan page or from a referral page (`back`).
async fn back_from_service(
    state: &AppState,
    user: &User,
    f: &Fields,
    service: i64,
    r: Result<(), StoreError>,
) -> Result<Response, WebError> {
    // Access refusals first: a refused request learns nothing from the form.
    if let Err(e @ (StoreError::NotFound | StoreError::Forbidden)) = r {
        return Err(e.into());
    }
    let back = field(f, "back");
    if let Some(rid) = back
        .strip_prefix("referral:")
        .and_then(|s| s.parse::<i64>().ok())
    {
        return match r {
            Ok(()) => Ok(Redirect::to(&format!("/referrals/{rid}?ok=saved")).into_response()),
            Err(StoreError::Invalid(e)) => {
                referral_response(
                    state,
                    user,
                    rid,
                    &format!("svc{service}"),
                    f.clone(),
                    &e.0,
                    None,
                )
                .await
            }
            Err(e) => Err(e.into()),
        };
    }
    let victim = parse_id(field(f, "victim"))?;
    after(
        state,
        user,
        victim,
        &format!("svc{service}"),
        f.clone(),
        r,
        &format!("service-{service}"),
    )
    .await
}

async fn upload_evidence(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let service = parse_id(&id)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Not a well-formed upload: no file (the store checks access before anything else).
    let parts = crate::multipart::boundary(ctype)
        .and_then(|b| crate::multipart::parse(&b, &body))
        .unwrap_or_default();
    let mut f: Fields = Vec::new();
    let mut file: Option<(String, &[u8])> = None;
    for p in &parts {
        match (&p.filename, p.name.as_str()) {
            (Some(name), "file") => file = Some((name.clone(), p.data)),
            (None, n) if n != "csrf" => {
                f.push((n.to_owned(), String::from_utf8_lossy(p.data).into_owned()))
            }
            _ => {}
        }
    }
    let (name, data) = file.unwrap_or_default();
    let r = state
        .store
        .add_evidence(user.actor(), service, &name, data)
        .await
        .map(|_| ());
    back_from_service(&state, &user, &f, service, r).await
}

async fn download_evidence(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (name, ctype, bytes) = state.store.evidence(user.actor(), parse_id(&id)?).await?;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
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
            .close_plan(user.actor(), victim, followup, field(&f, "note"), today())
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
            .add_ledger_entry(user.actor(), victim, &e, today())
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
            .send_referral(user.actor(), victim, &n, today())
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

#[derive(Template)]
#[template(path = "referral.html")]
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
        crate::cases::fmt_day(&d.num())
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

async fn referral_response(
    state: &AppState,
    user: &User,
    id: i64,
    failed: &str,
    values: Fields,
    errs: &[domain::FieldError],
    ok: Option<&str>,
) -> Result<Response, WebError> {
    let r = state.store.referral(user.actor(), id, today()).await?;
    let types = state.store.service_types().await?;
    // The services that came with the referral, for the receiving unit to record.
    let services = state
        .store
        .referral_services(user.actor(), id, today())
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
            today(),
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
            .add_service_for_referral(user.actor(), id, &s, today())
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    which: String,
    page: i64,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "referrals.html")]
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
        crate::cases::fmt_day(&d.num())
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
        .referral_list(user.actor(), &which, today())
        .await?;
    render(&ReferralsPage {
        page: Page::from_ctx(&user.ctx, "referral.list_title").with_flash(q.ok.as_deref()),
        which,
        rows,
        types: state.store.service_types().await?,
    })
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    page: Page,
    t: store::TasksView,
    types: Vec<store::ServiceType>,
    unread: i64,
}

impl TasksPage {
    fn svc(&self, code: &str) -> String {
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: impl Num) -> String {
        crate::cases::fmt_day(&d.num())
    }
    fn pages(&self) -> i64 {
        ((self.t.services_total + self.t.per_page - 1) / self.t.per_page).max(1)
    }
}

async fn tasks_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let t = state.store.my_tasks(user.actor(), today(), q.page).await?;
    let unread = state.store.unread_notifications(user.actor()).await?;
    render(&TasksPage {
        page: Page::from_ctx(&user.ctx, "tasks.title"),
        t,
        types: state.store.service_types().await?,
        unread,
    })
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    page: Page,
    items: Vec<store::Notification>,
}

async fn notifications_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Html<String>, WebError> {
    let items = state.store.notifications(user.actor(), 100).await?;
    render(&NotificationsPage {
        page: Page::from_ctx(&user.ctx, "notifications.title"),
        items,
    })
}

async fn read_notifications(
    State(state): State<AppState>,
    user: User,
    Form(f): Form<Fields>,
) -> Result<Response, WebError> {
    let id = field(&f, "id").parse::<i64>().ok();
    let link = state
        .store
        .mark_notifications_read(user.actor(), id)
        .await?;
    // Opening one notification goes to what it points at: the stored link, a path of ours.
    if let Some(link) = link.filter(|l| l.starts_with('/') && !l.starts_with("//")) {
        return Ok(Redirect::to(&link).into_response());
    }
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Template)]
#[template(path = "restitution.html")]
struct RestitutionPage {
    page: Page,
    rows: Vec<store::LedgerTotalRow>,
    total_rest: domain::recovery::LedgerSums,
    total_comp: domain::recovery::LedgerSums,
    gap_rest: i64,
    gap_comp: i64,
}

impl RestitutionPage {
    fn rp(&self, v: impl Num) -> String {
        rupiah(&v.num())
    }
    fn pct(&self, s: &domain::recovery::LedgerSums) -> String {
        if s.awarded == 0 {
            "—".into()
        } else {
            format!("{:.0}%", s.paid as f64 * 100.0 / s.awarded as f64)
        }
    }
}

async fn restitution_page(
    State(state): State<AppState>,
    user: User,
) -> Result<Html<String>, WebError> {
    let rows = state.store.ledger_totals(user.actor(), today()).await?;
    let mut total_rest = domain::recovery::LedgerSums::default();
    let mut total_comp = domain::recovery::LedgerSums::default();
    let (mut gap_rest, mut gap_comp) = (0, 0);
    for r in &rows {
        total_rest.add(&r.restitution);
        total_comp.add(&r.compensation);
        gap_rest += r.restitution_gap;
        gap_comp += r.compensation_gap;
    }
    render(&RestitutionPage {
        page: Page::from_ctx(&user.ctx, "restitution.title"),
        rows,
        total_rest,
        total_comp,
        gap_rest,
        gap_comp,
    })
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
