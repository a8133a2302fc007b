//! The case page: the registered facts, victims, route, legal track, consents,
//! perpetrators, the review panel and the victims' recovery on one line of time; and
//! breaking the glass to see identities outside the owning unit.

use super::options::CaseOptions;
use super::review_panel::{NOTE_FIELDS, ReviewForm, field_label};
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::http::page::{Errors, Page, render};
use crate::shared::today;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::Action;
use domain::case::{LegalInput, RouteEventInput};
use serde::Deserialize;
use store::{CaseId, CaseView, StoreError};

#[derive(Template)]
#[template(path = "cases/case.html")]
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
    review_form: ReviewForm,
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
    pub(crate) review: ReviewForm,
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
    let note_fields = NOTE_FIELDS
        .iter()
        .map(|f| (*f, field_label(user.ctx.locale, f)))
        .collect();
    let recovery = state
        .store
        .plan_summaries(user.actor(), id, today(&state.store, user.actor()))
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
        field_label(self.page.locale, key)
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
                        crate::http::format::rupiah(&amount)
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
pub(super) struct OkQuery {
    ok: Option<String>,
}

pub(super) async fn show(
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

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct GlassForm {
    reason: String,
}

/// Reveals identities to a user outside the owning unit, for a few hours, with a reason.
pub(super) async fn break_glass(
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
