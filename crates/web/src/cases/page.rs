//! The case page: the registered facts, victims, route, legal track, consents,
//! perpetrators, the review panel and the victims' recovery on one line of time; and
//! breaking the glass to see identities outside the owning unit.

use super::review_panel::{NOTE_FIELDS, field_label};
use crate::AppState;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, Form, FormState, checked, fields_of, finish, text};
use crate::shared::options::CaseOptions;
use crate::shared::region_field::RegionChoices;
use crate::shared::today;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use domain::Action;
use domain::case::LegalInput;
use domain::value::text::{Lines, REASON};
use serde::{Deserialize, Serialize};
use store::{CaseId, CaseView, StoreError};

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    page: Page,
    c: CaseView,
    opts: std::sync::Arc<CaseOptions>,
    next_in_queue: Option<store::QueueItem>,
    history: Vec<store::CaseEvent>,
    can_edit: bool,
    /// Follow-up (consents, legal track, status) stays open in every review state.
    can_follow: bool,
    /// The case page's small forms: the one that failed as typed, the legal form as stored.
    f: FormState,
    perp_matches: Vec<store::PerpetratorLink>,
    review: store::ReviewInfo,
    note_fields: Vec<(&'static str, String)>,
    duplicates: Vec<store::CaseDuplicate>,
    recovery: Vec<store::PlanSummary>,
    recovery_events: Vec<store::RecoveryEvent>,
    service_types: Vec<store::ServiceType>,
}

/// The case page's forms (each the id of the element around it, where the browser lands
/// when it is shown again) and their fields' labels.
pub(crate) mod forms {
    pub(crate) const GLASS: &[(&str, &str)] = &[("reason", "cases.break_glass_reason")];
    pub(crate) const ROUTE: &[(&str, &str)] = &[
        ("kind", "route.kind"),
        ("region_code", "route.region"),
        ("country", "route.country"),
        ("city", "route.city"),
        ("date_from", "route.date_from"),
        ("date_to", "route.date_to"),
    ];
    pub(crate) const LEGAL: &[(&str, &str)] = &[
        ("police_report_no", "legal.police_report_no"),
        ("police_unit", "legal.police_unit"),
        ("articles", "legal.articles"),
        ("sentence_months", "legal.sentence_months"),
        ("restitution_ordered", "legal.restitution_ordered"),
    ];
    pub(crate) const STAGES: &[(&str, &str)] =
        &[("stage", "legal.stage"), ("happened", "legal.happened")];
    pub(crate) const CONSENTS: &[(&str, &str)] = &[
        ("victim_id", "case.victim"),
        ("scope", "consent.scope"),
        ("given_by", "consent.given_by"),
        ("given_on", "consent.given_on"),
    ];
    pub(crate) const PERPETRATORS: &[(&str, &str)] = &[
        ("perp_kind", "perp.kind"),
        ("perp_name", "perp.name"),
        ("perp_alias", "victim.alias"),
        ("perp_nik", "victim.nik"),
        ("perp_role", "perp.role"),
    ];
    pub(crate) const CLOSING: &[(&str, &str)] = &[
        ("status", "field.status"),
        ("close_reason", "cases.close_reason"),
    ];
    pub(crate) const REVIEW: &[(&str, &str)] = &[("note", "review.note")];
}

/// A case-page form: its inputs' ids are the field names (one of each on the page).
pub(crate) fn form(name: &str, labels: &'static [(&'static str, &'static str)]) -> Form {
    Form::new(name, labels).ids("")
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

/// The case page, with `f` in its forms (and perpetrators already on record that may be
/// the one being added).
pub(crate) async fn case_view(
    state: &AppState,
    user: &User,
    id: CaseId,
    f: FormState,
    perp_matches: Vec<store::PerpetratorLink>,
    ok: Option<&str>,
) -> Result<Html<String>, WebError> {
    let store::CasePageData {
        view: c,
        history,
        duplicates,
        plans: recovery,
        events: recovery_events,
    } = state
        .store
        .case_page(user.actor(), id, today(&state.store, user.actor()))
        .await?;
    let opts = CaseOptions::load(state, user.ctx.locale.code()).await?;
    let can_edit =
        c.identities_visible && domain::decide(user.actor(), Action::EditCase, &c.scope()).is_ok();
    let mut page = Page::from_ctx(&user.ctx, "").with_flash(ok);
    page.title = c.code.clone();
    let f = f.initially("legal", fields_of(&legal_input(&c.legal)));
    let review = state.store.review_info(user.actor(), id).await?;
    // The registered facts change only while the unit holds the case (draft or returned).
    let can_follow = can_edit;
    let can_edit = can_edit && review.state.editable();
    let note_fields = NOTE_FIELDS
        .iter()
        .map(|f| (*f, field_label(user.ctx.locale, f)))
        .collect();
    let service_types = state.store.service_types().await?;
    // After a reviewer's decision, the next record waiting (this one has left the queue).
    let decided = matches!(ok, Some("review_verify" | "review_clear" | "review_return"));
    let next_in_queue = if decided {
        let all = store::QueueFilter::default();
        let (next, _) = state
            .store
            .review_queue_page(user.actor(), &all, 0, 2)
            .await?;
        next.into_iter().find(|n| n.id != id)
    } else {
        None
    };
    render(&CasePage {
        page,
        next_in_queue,
        c,
        opts,
        history,
        can_edit,
        can_follow,
        f,
        perp_matches,
        review,
        note_fields,
        duplicates,
        recovery,
        recovery_events,
        service_types,
    })
}

/// After a case-page form: back to the case page at the list the form adds to, with the
/// message `done`
/// (`?ok=<what happened>`), or the page again with the form as typed and its errors.
pub(crate) async fn after<T>(
    state: &AppState,
    user: &User,
    id: CaseId,
    form: Form,
    values: Fields,
    result: Result<T, StoreError>,
    done: &'static str,
) -> Result<Response, WebError> {
    let choices = RegionChoices::default();
    after_with(state, user, id, form, values, result, done, choices).await
}

/// [`after`] with the places offered under a region field typed as a shared name.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn after_with<T>(
    state: &AppState,
    user: &User,
    id: CaseId,
    form: Form,
    values: Fields,
    result: Result<T, StoreError>,
    done: &'static str,
    choices: RegionChoices,
) -> Result<Response, WebError> {
    // Back at the list the form adds to, where the change shows (closing: the top).
    let at = match form.name() {
        "route" => "#route-list",
        "legal" | "stages" => "#legal-list",
        "consents" => "#consents-list",
        "perpetrators" => "#perpetrators-list",
        _ => "",
    };
    finish(
        result,
        |_| format!("/cases/{id}{done}{at}"),
        async |r| {
            let f = FormState::failed(user.ctx.locale, &form, values, &r).with_choices(choices);
            case_view(state, user, id, f, Vec::new(), None).await
        },
    )
    .await
}

impl CasePage {
    fn act(&self, code: &str) -> String {
        crate::shared::audit_words::action(&self.page, code)
    }
    fn parts(&self, detail: &str) -> Vec<crate::shared::audit_words::Part> {
        crate::shared::audit_words::detail(&self.page, &self.opts, detail)
    }
    fn fl(&self, key: &str) -> String {
        field_label(self.page.locale, key)
    }
    fn u_can_link(&self) -> bool {
        self.page.user.as_ref().is_some_and(|u| u.can_link)
    }
    fn can(&self, action: &str) -> bool {
        self.review.can.iter().any(|a| a.as_str() == action)
    }

    /// The case's dated events in the order they happened: report, review steps,
    /// exploitation, rescue, route, legal stages, services. A review step's day is its
    /// day in the zone of the case's region (in UTC it is a day early before 07:00 WIB);
    /// within a day, events known only by their day come first (the report before its
    /// submission), then those with a time, by time; otherwise in the order listed here.
    fn timeline(&self) -> Vec<(i64, String)> {
        let t = |k: &str| self.page.t(k).to_owned();
        let zone = domain::time::Zone::of_scope(self.c.region_code.as_deref());
        // (day, time within the day when known, line)
        let mut out: Vec<(i64, Option<i64>, String)> =
            vec![(self.c.reported_on, None, t("case.reported_on"))];
        for s in &self.review.steps {
            let mut line = format!(
                "{} ({}",
                self.page.label("review.step", &s.action),
                s.actor_name
            );
            if let Some(l) = s.actor_level {
                line.push_str(", ");
                line.push_str(self.page.label("review.acting", l.as_str()));
            }
            line.push(')');
            if !s.note.is_empty() {
                line.push_str(": ");
                line.push_str(&s.note);
            } else if s.note_hidden {
                line.push_str(" — ");
                line.push_str(self.page.t("review.note_hidden_short"));
            }
            out.push((domain::time::day_at(s.at_ms, zone), Some(s.at_ms), line));
        }
        if let Some(d) = self.c.exploitation_from {
            out.push((d, None, t("case.exploitation_from")));
        }
        if let Some(d) = self.c.rescued_on {
            out.push((d, None, t("case.rescued_on")));
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
                    None,
                    format!("{}: {place}", self.opts.route_event.label(&e.kind)),
                ));
            }
        }
        for s in &self.c.legal.stages {
            out.push((
                s.happened,
                None,
                self.opts.legal_stage.label(&s.stage).to_owned(),
            ));
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
            out.push((e.day, None, line));
        }
        // Stable: same day and no time keeps the order above (never the alphabet's).
        out.sort_by_key(|(day, at, _)| (*day, *at));
        out.into_iter().map(|(day, _, line)| (day, line)).collect()
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
    IdPath(id): IdPath<CaseId>,
    Query(q): Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    case_view(
        &state,
        &user,
        id,
        FormState::default(),
        Vec::new(),
        q.ok.as_deref(),
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(super) struct GlassForm {
    reason: String,
}

/// Reveals identities to a user outside the owning unit, for a few hours, with a reason.
pub(super) async fn break_glass(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(f): FormBody<GlassForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let reason = text(&mut errs, "reason", &f.reason, REASON, Lines::Many);
    let r = match checked(errs, reason) {
        Ok(reason) => state.store.break_glass(user.actor(), id, &reason).await,
        Err(e) => Err(e),
    };
    finish(
        r,
        |()| format!("/cases/{id}?ok=glass_broken"),
        async |r| {
            let form = form("break-glass", forms::GLASS);
            let f = FormState::failed(user.ctx.locale, &form, fields_of(&f), &r);
            case_view(&state, &user, id, f, Vec::new(), None).await
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::forms::*;
    use crate::http::i18n::Locale;

    /// The error summary names fields by these labels: each is in both catalogues.
    #[test]
    fn form_labels_are_translated() {
        for labels in [
            GLASS,
            ROUTE,
            LEGAL,
            STAGES,
            CONSENTS,
            PERPETRATORS,
            CLOSING,
            REVIEW,
        ] {
            for (field, key) in labels {
                for l in [Locale::Id, Locale::En] {
                    assert!(l.lookup(key).is_some(), "{field}: {key}");
                }
            }
        }
    }
}
