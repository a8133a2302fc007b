//! Case pages: the list with filters, the case form in numbered steps (it keeps every
//! typed value when something is wrong), the case page, and editing with a version check.

use crate::context::User;
use crate::error::WebError;
use crate::templates::{Errors, Page, render};
use crate::units::parse_id;
use crate::{AppState, Routes};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use domain::case::{
    CaseInput, LegalInput, NewCase, RouteEventInput, VictimInput, format_day, parse_day,
};
use domain::{Action, RegionCode};
use serde::Deserialize;
use store::{CaseFilter, CaseId, CaseRow, CaseSort, CaseView, Picklists, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/cases", &["GET", "POST"], get(index).post(create))
        .add("/cases/new", &["GET"], get(new_form))
        .add("/cases/{id}", &["GET", "POST"], get(show).post(update))
        .add("/cases/{id}/edit", &["GET"], get(edit_form))
        .add(
            "/cases/{id}/break-glass",
            &["POST"],
            axum::routing::post(break_glass),
        )
}

/// A picklist in the page's language: (code, label).
#[derive(Clone)]
pub(crate) struct Options(pub Vec<(String, String)>);

impl Options {
    fn of(p: &Picklists, list: &str, lang: &str) -> Options {
        Options(
            p.items(list)
                .iter()
                .map(|i| {
                    (
                        i.code.clone(),
                        if lang == "en" {
                            i.label_en.clone()
                        } else {
                            i.label_id.clone()
                        },
                    )
                })
                .collect(),
        )
    }
    pub fn label<'a>(&'a self, code: &'a str) -> &'a str {
        self.0
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.as_str())
            .unwrap_or(code)
    }
    pub fn label_opt<'a>(&'a self, code: &'a Option<String>) -> &'a str {
        code.as_deref().map(|c| self.label(c)).unwrap_or("—")
    }
}

/// All picklists a case page shows, in the page's language.
#[derive(Clone)]
pub(crate) struct CaseOptions {
    pub channel: Options,
    pub trafficking_status: Options,
    pub exploitation: Options,
    pub means_of_control: Options,
    pub sector: Options,
    pub recruitment: Options,
    pub recruiter_relationship: Options,
    pub case_status: Options,
    pub sex: Options,
    pub education: Options,
    pub disability: Options,
    pub migrant_status: Options,
    pub route_event: Options,
    pub country: Options,
    pub legal_stage: Options,
    pub consent_scope: Options,
    pub consent_giver: Options,
    pub perpetrator_kind: Options,
    pub perpetrator_role: Options,
    pub citizenship: Options,
    pub close_reason: Options,
}

impl CaseOptions {
    pub(crate) async fn load(state: &AppState, lang: &str) -> Result<CaseOptions, WebError> {
        let p = state.store.picklists().await?;
        let o = |l: &str| Options::of(&p, l, lang);
        Ok(CaseOptions {
            channel: o("channel"),
            trafficking_status: o("trafficking_status"),
            exploitation: o("exploitation"),
            means_of_control: o("means_of_control"),
            sector: o("sector"),
            recruitment: o("recruitment"),
            recruiter_relationship: o("recruiter_relationship"),
            case_status: o("case_status"),
            sex: o("sex"),
            education: o("education"),
            disability: o("disability"),
            migrant_status: o("migrant_status"),
            route_event: o("route_event"),
            country: o("country"),
            legal_stage: o("legal_stage"),
            consent_scope: o("consent_scope"),
            consent_giver: o("consent_giver"),
            perpetrator_kind: o("perpetrator_kind"),
            perpetrator_role: o("perpetrator_role"),
            citizenship: o("citizenship"),
            close_reason: o("close_reason"),
        })
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub region: String,
    pub from: String,
    pub to: String,
    pub exploitation: String,
    pub status: String,
    pub trafficking_status: String,
    pub channel: String,
    pub sex: String,
    pub child: String,
    pub q: String,
    pub sort: String,
    pub page: i64,
}

impl ListQuery {
    pub(crate) fn filter(&self, per_page: i64) -> CaseFilter {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        CaseFilter {
            region: RegionCode::parse(&self.region).ok(),
            from: parse_day(&self.from),
            to: parse_day(&self.to),
            exploitation: some(&self.exploitation),
            status: some(&self.status),
            trafficking_status: some(&self.trafficking_status),
            channel: some(&self.channel),
            sex: some(&self.sex),
            child: match self.child.as_str() {
                "child" => Some(true),
                "adult" => Some(false),
                _ => None,
            },
            q: self.q.clone(),
            sort: match self.sort.as_str() {
                "oldest" => CaseSort::ReportedAsc,
                "code" => CaseSort::CodeAsc,
                _ => CaseSort::ReportedDesc,
            },
            page: self.page.max(0),
            per_page,
        }
    }

    /// This query with another page number, for the pager links.
    fn page_href(&self, page: i64) -> String {
        let enc = crate::util::url_encode;
        format!(
            "/cases?region={}&from={}&to={}&exploitation={}&status={}&trafficking_status={}&channel={}&sex={}&child={}&q={}&sort={}&page={page}",
            enc(&self.region),
            enc(&self.from),
            enc(&self.to),
            enc(&self.exploitation),
            enc(&self.status),
            enc(&self.trafficking_status),
            enc(&self.channel),
            enc(&self.sex),
            enc(&self.child),
            enc(&self.q),
            enc(&self.sort)
        )
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    page: Page,
    q: ListQuery,
    rows: Vec<CaseRow>,
    opts: CaseOptions,
    can_edit: bool,
    prev: String,
    next: String,
}

const PER_PAGE: i64 = 50;

async fn index(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let result = state.store.list_cases(actor, &q.filter(PER_PAGE)).await?;
    let opts = CaseOptions::load(&state, user.ctx.locale.code()).await?;
    let prev = if q.page > 0 {
        q.page_href(q.page - 1)
    } else {
        String::new()
    };
    let next = if result.more {
        q.page_href(q.page + 1)
    } else {
        String::new()
    };
    let page = Page::from_ctx(&user.ctx, "cases.title");
    let can_edit = domain::authz::role_may(actor.role, Action::EditCase);
    render(&CasesPage {
        page,
        q,
        rows: result.rows,
        opts,
        can_edit,
        prev,
        next,
    })
}

pub(crate) fn fmt_day(d: &i64) -> String {
    format_day(*d)
}

/// Builds the case input from form pairs: `victims[N].field` names, repeated checkboxes.
fn input_from_pairs(pairs: &[(String, String)]) -> (CaseInput, i64, bool) {
    let mut c = CaseInput::default();
    let mut version = 0;
    let mut add_victim = false;
    for (k, v) in pairs {
        match k.as_str() {
            "channel" => c.channel = v.clone(),
            "reported_on" => c.reported_on = v.clone(),
            "exploitation_from" => c.exploitation_from = v.clone(),
            "rescued_on" => c.rescued_on = v.clone(),
            "chronology" => c.chronology = v.clone(),
            "trafficking_status" => c.trafficking_status = v.clone(),
            "exploitation" => c.exploitation.push(v.clone()),
            "means_of_control" => c.means_of_control.push(v.clone()),
            "sector" => c.sector = v.clone(),
            "recruitment" => c.recruitment = v.clone(),
            "recruiter_relationship" => c.recruiter_relationship = v.clone(),
            "version" => version = v.parse().unwrap_or(0),
            "add_victim" => add_victim = true,
            _ => {
                let Some(rest) = k.strip_prefix("victims[") else {
                    continue;
                };
                let Some((idx, field)) = rest.split_once("].") else {
                    continue;
                };
                let Ok(i) = idx.parse::<usize>() else {
                    continue;
                };
                if i >= 50 {
                    continue;
                }
                while c.victims.len() <= i {
                    c.victims.push(VictimInput::default());
                }
                let vi = &mut c.victims[i];
                let slot = match field {
                    "name" => &mut vi.name,
                    "alias" => &mut vi.alias,
                    "nik" => &mut vi.nik,
                    "phone" => &mut vi.phone,
                    "sex" => &mut vi.sex,
                    "birth_date" => &mut vi.birth_date,
                    "age_estimate" => &mut vi.age_estimate,
                    "home_village" => &mut vi.home_village,
                    "education" => &mut vi.education,
                    "occupation" => &mut vi.occupation,
                    "disability" => &mut vi.disability,
                    "migrant_status" => &mut vi.migrant_status,
                    "citizenship" => &mut vi.citizenship,
                    _ => continue,
                };
                *slot = v.clone();
            }
        }
    }
    // Blocks left entirely empty are not victims (the form offers spare blocks).
    c.victims.retain(|v| *v != VictimInput::default());
    (c, version, add_victim)
}

#[derive(Template)]
#[template(path = "case_form.html")]
struct CaseFormPage {
    page: Page,
    form: CaseInput,
    errs: Errors,
    opts: CaseOptions,
    action: String,
    version: i64,
    conflict: bool,
    /// Possible existing records of the victims being entered: (victim index, matches).
    similar: Vec<(usize, Vec<store::SimilarVictim>)>,
}

impl CaseFormPage {
    fn checked(&self, list: &[String], code: &str) -> bool {
        list.iter().any(|c| c == code)
    }
}

async fn form_page(
    state: &AppState,
    user: &User,
    mut form: CaseInput,
    errs: Errors,
    action: String,
    version: i64,
    conflict: bool,
) -> Result<Html<String>, WebError> {
    if form.victims.is_empty() {
        form.victims.push(VictimInput::default());
    }
    let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
    let title = if action == "/cases" {
        "cases.new"
    } else {
        "cases.edit"
    };
    let page = Page::from_ctx(&user.ctx, title);
    render(&CaseFormPage {
        page,
        form,
        errs,
        opts,
        action,
        version,
        conflict,
        similar: Vec::new(),
    })
}

/// Victims already on record who may be the people being entered (identity roles only).
async fn find_similar(
    state: &AppState,
    user: &User,
    new: &NewCase,
) -> Result<Vec<(usize, Vec<store::SimilarVictim>)>, WebError> {
    let actor = user.actor();
    if domain::decide(actor, Action::ViewIdentity, &actor.scope).is_err() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, v) in new.victims.iter().enumerate() {
        let found = state
            .store
            .similar_victims(
                actor,
                v.nik.as_ref().map(|n| n.as_str()),
                v.name.expose(),
                v.birth_date,
            )
            .await?;
        if !found.is_empty() {
            out.push((i, found));
        }
    }
    Ok(out)
}

fn require_edit(user: &User) -> Result<(), WebError> {
    if domain::authz::role_may(user.actor().role, Action::EditCase) {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

pub(crate) fn today() -> i64 {
    // Indonesia's earliest zone (WIB, UTC+7) decides "today" for date checks.
    (store::now_ms() + 7 * 3_600_000) / 86_400_000
}

async fn new_form(State(state): State<AppState>, user: User) -> Result<Html<String>, WebError> {
    require_edit(&user)?;
    let form = CaseInput {
        reported_on: format_day(today()),
        trafficking_status: "possible".into(),
        ..Default::default()
    };
    form_page(
        &state,
        &user,
        form,
        Errors::default(),
        "/cases".into(),
        0,
        false,
    )
    .await
}

/// Shared by create and update: re-render with the typed values on a problem.
async fn save(
    state: &AppState,
    user: &User,
    pairs: Vec<(String, String)>,
    id: Option<CaseId>,
) -> Result<Response, WebError> {
    let (mut input, version, add_victim) = input_from_pairs(&pairs);
    let action = id
        .map(|i| format!("/cases/{i}"))
        .unwrap_or_else(|| "/cases".into());
    if add_victim {
        input.victims.push(VictimInput::default());
        return Ok(form_page(
            state,
            user,
            input,
            Errors::default(),
            action,
            version,
            false,
        )
        .await?
        .into_response());
    }
    let invalid = |fields: Vec<domain::FieldError>, input: CaseInput| async move {
        let errs = Errors::new(user.ctx.locale, &fields);
        Ok::<_, WebError>(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                form_page(state, user, input, errs, action.clone(), version, false).await?,
            )
                .into_response(),
        )
    };
    let new = match NewCase::parse(&input, today()) {
        Ok(n) => n,
        Err(e) => return invalid(e.0, input).await,
    };
    // Search before create: show possible existing records once; saving again with the
    // confirmation box ticked registers the case anyway.
    if id.is_none() && !pairs.iter().any(|(k, _)| k == "confirm_new") {
        let similar = find_similar(state, user, &new).await?;
        if !similar.is_empty() {
            let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
            let page = Page::from_ctx(&user.ctx, "cases.new");
            let tpl = CaseFormPage {
                page,
                form: input,
                errs: Errors::default(),
                opts,
                action: "/cases".into(),
                version,
                conflict: false,
                similar,
            };
            return Ok((StatusCode::OK, render(&tpl)?).into_response());
        }
    }
    let result = match id {
        None => state
            .store
            .create_case(user.actor(), &new)
            .await
            .map(|(id, _)| id),
        Some(id) => state
            .store
            .update_case(user.actor(), id, version, &new)
            .await
            .map(|_| id),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/cases/{id}?ok=saved")).into_response()),
        Err(StoreError::Invalid(e)) => invalid(e.0, input).await,
        Err(StoreError::Conflict(_)) => {
            // Someone saved first: keep what this user typed, show the newer version number.
            let current = state
                .store
                .case(user.actor(), id.unwrap_or(CaseId(0)))
                .await?;
            let page = form_page(
                state,
                user,
                input,
                Errors::default(),
                format!("/cases/{}", current.id),
                current.version,
                true,
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(
    State(state): State<AppState>,
    user: User,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    require_edit(&user)?;
    save(&state, &user, pairs, None).await
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    page: Page,
    c: CaseView,
    opts: CaseOptions,
    history: Vec<store::CaseEvent>,
    can_edit: bool,
    /// Follow-up (consents, legal track, status) stays open in every review state.
    can_follow: bool,
    errs: Errors,
    reason: String,
    route_form: RouteEventInput,
    legal_form: LegalInput,
    stage_form: StageForm,
    consent_form: ConsentForm,
    perp_form: PerpForm,
    perp_matches: Vec<store::PerpetratorLink>,
    review: store::ReviewInfo,
    review_form: crate::review::ReviewForm,
    note_fields: Vec<(&'static str, String)>,
    duplicates: Vec<store::CaseDuplicate>,
    recovery: Vec<store::PlanSummary>,
    recovery_events: Vec<store::RecoveryEvent>,
    service_types: Vec<store::ServiceType>,
}

/// What the case page's smaller forms hold when they are shown again after a mistake.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) errs: Errors,
    pub(crate) reason: String,
    pub(crate) route: RouteEventInput,
    pub(crate) legal: Option<LegalInput>,
    pub(crate) stage: StageForm,
    pub(crate) consent: ConsentForm,
    pub(crate) perp: PerpForm,
    pub(crate) perp_matches: Vec<store::PerpetratorLink>,
    pub(crate) ok: Option<String>,
    pub(crate) review: crate::review::ReviewForm,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct PerpForm {
    pub(crate) perp_kind: String,
    pub(crate) perp_name: String,
    pub(crate) perp_alias: String,
    pub(crate) perp_nik: String,
    pub(crate) perp_role: String,
    pub(crate) perp_confirm_new: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ConsentForm {
    pub(crate) victim_id: String,
    pub(crate) scope: String,
    pub(crate) given_by: String,
    pub(crate) given_on: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct StageForm {
    pub(crate) stage: String,
    pub(crate) happened: String,
}

pub(crate) fn fmt_rupiah(v: &i64) -> String {
    let digits = v.abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    format!("Rp {}{out}", if *v < 0 { "-" } else { "" })
}

fn legal_input(l: &store::LegalView) -> LegalInput {
    LegalInput {
        police_report_no: l.police_report_no.clone().unwrap_or_default(),
        police_unit: l.police_unit.clone().unwrap_or_default(),
        articles: l
            .articles
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        sentence_months: l.sentence_months.map(|m| m.to_string()).unwrap_or_default(),
        restitution_ordered: l
            .restitution_ordered
            .map(|r| r.to_string())
            .unwrap_or_default(),
    }
}

pub(crate) async fn case_page(
    state: &AppState,
    user: &User,
    id: CaseId,
    x: Extras,
) -> Result<Html<String>, WebError> {
    let c = state.store.case(user.actor(), id).await?;
    let history = state.store.case_history(user.actor(), id).await?;
    let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
    let can_edit =
        c.identities_visible && domain::decide(user.actor(), Action::EditCase, &c.scope()).is_ok();
    let mut page = Page::from_ctx(&user.ctx, "").with_flash(x.ok.as_deref());
    page.title = c.code.clone();
    let legal_form = x.legal.unwrap_or_else(|| legal_input(&c.legal));
    let review = state.store.review_info(user.actor(), id).await?;
    // The registered facts change only while the unit holds the case (draft or returned).
    let can_follow = can_edit;
    let can_edit = can_edit && review.state.editable();
    let duplicates = state.store.case_duplicates(user.actor(), id).await?;
    let note_fields = crate::review::NOTE_FIELDS
        .iter()
        .map(|f| (*f, crate::review::field_label(user.ctx.locale, f)))
        .collect();
    let recovery = state
        .store
        .plan_summaries(user.actor(), id, today())
        .await?;
    let recovery_events = state.store.recovery_events(user.actor(), id).await?;
    let service_types = state.store.service_types().await?;
    render(&CasePage {
        page,
        c,
        opts,
        history,
        can_edit,
        can_follow,
        errs: x.errs,
        reason: x.reason,
        route_form: x.route,
        legal_form,
        stage_form: x.stage,
        consent_form: x.consent,
        perp_form: x.perp,
        perp_matches: x.perp_matches,
        review,
        review_form: x.review,
        note_fields,
        duplicates,
        recovery,
        recovery_events,
        service_types,
    })
}

impl CasePage {
    fn fl(&self, key: &str) -> String {
        crate::review::field_label(self.page.locale, key)
    }
    fn u_can_link(&self) -> bool {
        self.page.user.as_ref().is_some_and(|u| u.can_link)
    }
    fn can(&self, action: &str) -> bool {
        self.review.can.iter().any(|a| a.as_str() == action)
    }

    /// The case's dated events in order: report, exploitation, rescue, route, legal stages.
    fn timeline(&self) -> Vec<(i64, String)> {
        let t = |k: &str| self.page.t(k).to_owned();
        let mut out = vec![(self.c.reported_on, t("case.reported_on"))];
        for s in &self.review.steps {
            let mut line = format!(
                "{} ({})",
                self.page.label("review.step", &s.action),
                s.actor_name
            );
            if !s.note.is_empty() {
                line.push_str(": ");
                line.push_str(&s.note);
            }
            out.push((s.at_ms.div_euclid(86_400_000), line));
        }
        if let Some(d) = self.c.exploitation_from {
            out.push((d, t("case.exploitation_from")));
        }
        if let Some(d) = self.c.rescued_on {
            out.push((d, t("case.rescued_on")));
        }
        for e in &self.c.route {
            if let Some(d) = e.date_from {
                let place = e
                    .region_name
                    .clone()
                    .or(e.city.clone())
                    .or(e.country.clone())
                    .unwrap_or_default();
                out.push((
                    d,
                    format!("{}: {place}", self.opts.route_event.label(&e.kind)),
                ));
            }
        }
        for s in &self.c.legal.stages {
            out.push((s.happened, self.opts.legal_stage.label(&s.stage).to_owned()));
        }
        // Services, referrals and payments on the same line of time as the legal track.
        for e in &self.recovery_events {
            let (first, second) = e.detail.split_once('|').unwrap_or((e.detail.as_str(), ""));
            let line = match e.kind.as_str() {
                "service" => {
                    let key = if first == "planned" {
                        "timeline.service.planned"
                    } else {
                        "timeline.service.done"
                    };
                    let status = if first == "planned" {
                        String::new()
                    } else {
                        format!(" ({})", self.page.label("service.status", first))
                    };
                    format!(
                        "{}: {}{status} · {second}",
                        t(key),
                        self.service_label(&e.code)
                    )
                }
                "referral" => format!(
                    "{} {first}: {} · {second}",
                    t("timeline.referral"),
                    self.page.label("referral.state", &e.code)
                ),
                "ledger" => {
                    let kind = e.code.split_once('.').map(|(_, k)| k).unwrap_or("");
                    let track = e.code.split_once('.').map(|(t, _)| t).unwrap_or("");
                    let amount = first.parse::<i64>().unwrap_or(0);
                    format!(
                        "{} · {}: {} {} · {second}",
                        t("timeline.ledger"),
                        self.page.label("ledger.track", track),
                        self.page.label("ledger.kind", kind),
                        crate::recovery::rupiah(&amount)
                    )
                }
                _ => format!("{}: {first}", t("timeline.plan_closed")),
            };
            out.push((e.day, line));
        }
        out.sort();
        out
    }

    fn service_label(&self, code: &str) -> String {
        self.service_types
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.label(self.page.locale.code()).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    let id = CaseId(parse_id(&id)?);
    case_page(
        &state,
        &user,
        id,
        Extras {
            ok: q.ok,
            ..Default::default()
        },
    )
    .await
}

fn to_input(c: &CaseView) -> CaseInput {
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let d = |v: &Option<i64>| v.map(format_day).unwrap_or_default();
    CaseInput {
        channel: c.channel.clone(),
        reported_on: format_day(c.reported_on),
        exploitation_from: d(&c.exploitation_from),
        rescued_on: d(&c.rescued_on),
        chronology: s(&c.chronology),
        trafficking_status: c.trafficking_status.clone(),
        exploitation: c.exploitation.clone(),
        means_of_control: c.means_of_control.clone(),
        sector: s(&c.sector),
        recruitment: s(&c.recruitment),
        recruiter_relationship: s(&c.recruiter_relationship),
        victims: c
            .victims
            .iter()
            .map(|v| VictimInput {
                name: s(&v.name),
                alias: s(&v.alias),
                nik: s(&v.nik),
                phone: s(&v.phone),
                sex: v.sex.clone(),
                birth_date: d(&v.birth_date),
                age_estimate: v.age_estimate.map(|a| a.to_string()).unwrap_or_default(),
                home_village: s(&v.home_village),
                education: s(&v.education),
                occupation: s(&v.occupation),
                disability: s(&v.disability),
                migrant_status: s(&v.migrant_status),
                citizenship: v.citizenship.clone(),
            })
            .collect(),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
) -> Result<Html<String>, WebError> {
    let id = CaseId(parse_id(&id)?);
    let c = state.store.case(user.actor(), id).await?;
    domain::decide(user.actor(), Action::EditCase, &c.scope()).map_err(StoreError::from)?;
    if !c.identities_visible {
        return Err(WebError::Forbidden);
    }
    form_page(
        &state,
        &user,
        to_input(&c),
        Errors::default(),
        format!("/cases/{id}"),
        c.version,
        false,
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    state
        .store
        .case_access(user.actor(), id, Action::EditCase)
        .await?;
    save(&state, &user, pairs, Some(id)).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_pairs_become_a_case_input() {
        let pairs: Vec<(String, String)> = [
            ("channel", "police"),
            ("exploitation", "sexual"),
            ("exploitation", "child"),
            ("victims[0].name", "A B"),
            ("victims[1].name", ""),
            ("victims[2].name", "C D"),
            ("victims[99].name", "ignored"),
            ("version", "3"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let (c, version, add) = super::input_from_pairs(&pairs);
        assert_eq!(c.exploitation, ["sexual", "child"]);
        assert_eq!(
            c.victims
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>(),
            ["A B", "C D"]
        );
        assert_eq!((version, add), (3, false));
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GlassForm {
    reason: String,
}

/// Reveals identities to a user outside the owning unit, for a few hours, with a reason.
async fn break_glass(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<String>,
    Form(f): Form<GlassForm>,
) -> Result<Response, WebError> {
    let id = CaseId(parse_id(&id)?);
    match state.store.break_glass(user.actor(), id, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/cases/{id}?ok=glass_broken")).into_response()),
        Err(StoreError::Invalid(e)) => {
            let x = Extras {
                errs: Errors::new(user.ctx.locale, &e.0),
                reason: f.reason,
                ..Default::default()
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                case_page(&state, &user, id, x).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}
