//! The PIC-data workflow in the browser: the review step on a case page (submit with
//! justifications, verify, clear, return with notes), the queue of what waits for me, the
//! monthly reporting periods, and the list of validation rules.

use crate::cases::{case_view, form, forms};
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::page::{Errors, Page, render};
use crate::shared::confirm;
use crate::shared::forms::{Fields, FormState, Refusal, checked, finish, text};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::review::{ReviewAction, ReviewState};
use domain::value::text::{Lines, MESSAGE, REASON};
use serde::Deserialize;
use std::collections::HashMap;
use store::{CaseId, FieldNote, ReviewRequest, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/cases/{id}/review", &["POST"], post(review_step))
        .add("/review", &["GET"], get(queue_page))
        .add(
            "/periods",
            &["GET", "POST"],
            get(periods_page).post(set_period),
        )
        .add("/rules", &["GET"], get(rules_page))
}

/// Reads the review form: `action`, `note`, repeated `note_field`/`note_text`, `j.<key>`.
pub(crate) fn parse_review_form(pairs: &Fields) -> (Option<ReviewAction>, ReviewRequest) {
    let mut action = None;
    let mut note = String::new();
    let mut justifications = HashMap::new();
    let mut fields = Vec::new();
    let mut texts = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "action" => action = ReviewAction::parse(v),
            "note" => note = v.clone(),
            "note_field" => fields.push(v.clone()),
            "note_text" => texts.push(v.clone()),
            _ => {
                if let Some(key) = k.strip_prefix("j.") {
                    justifications.insert(key.to_owned(), v.clone());
                }
            }
        }
    }
    let field_notes = fields
        .into_iter()
        .zip(texts)
        .filter(|(field, _)| !field.is_empty())
        .map(|(field, note)| FieldNote { field, note })
        .collect();
    let req = ReviewRequest {
        note,
        field_notes,
        justifications,
    };
    (action, req)
}

async fn review_step(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<CaseId>,
    FormBody(pairs): FormBody<Fields>,
) -> Result<Response, WebError> {
    state
        .store
        .case_access(user.actor(), id, domain::Action::ViewCase)
        .await?;
    let (action, mut req) = parse_review_form(&pairs);
    let action = action.ok_or_else(|| WebError::BadRequest("unknown action".into()))?;
    // Verifying and clearing pass the case on for good: asked first, when the step is
    // the user's to take (otherwise the store's refusal answers).
    let ask = match action {
        ReviewAction::Verify => Some(confirm::VERIFY),
        ReviewAction::Clear => Some(confirm::CLEAR),
        _ => None,
    };
    if let Some(ask) = ask.filter(|_| !confirm::confirmed(&pairs)) {
        let info = state.store.review_info(user.actor(), id).await?;
        if info.can.contains(&action) {
            return confirm::ask(&user, pairs, ask, format!("/cases/{id}#review"));
        }
    }
    let mut errs = domain::Invalid::default();
    req.note = text(&mut errs, "note", &req.note, MESSAGE, Lines::Many);
    let result = match checked(errs, ()) {
        Ok(()) => state.store.review(user.actor(), id, action, &req).await,
        Err(e) => Err(e),
    };
    let result = match result {
        // Refused by the rules: the form again, its justification boxes to fill in (at
        // submission), or the blocking rules the record breaks now listed (verify, clear).
        Err(StoreError::Rules(_)) => Err(StoreError::Invalid(domain::Invalid::one(
            "review",
            if action == ReviewAction::Submit {
                "err.rules_refused"
            } else {
                "err.rules_blocking"
            },
        ))),
        other => other,
    };
    // Refused by the review chain (the reviewer's own unit, not the level above): still
    // 403, but on the case page, the reason in the review panel where the step was asked.
    if let Err(StoreError::Refused(key)) = result {
        let f = FormState::failed(
            user.ctx.locale,
            &form("review", forms::REVIEW),
            pairs,
            &Refusal::Conflict(key),
        );
        let page = case_view(&state, &user, id, f, Vec::new(), None).await?;
        return Ok((StatusCode::FORBIDDEN, page).into_response());
    }
    finish(
        result,
        |_| format!("/cases/{id}?ok=review_{}", action.as_str()),
        async |r: Refusal| {
            let f = FormState::failed(user.ctx.locale, &form("review", forms::REVIEW), pairs, &r);
            case_view(&state, &user, id, f, Vec::new(), None).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "review/review_queue.html")]
struct QueuePage {
    page: Page,
    items: Vec<store::QueueItem>,
    q: QueueQuery,
    total: i64,
    pages: Vec<crate::shared::pager::PageLink>,
    /// The states this user's queue holds (the filter's choices).
    states: Vec<&'static str>,
    /// The units whose records a reviewer's queue may hold (empty for a unit's own queue).
    units: Vec<store::Unit>,
    due_days: i64,
}

/// Rows per page of the queue.
const QUEUE_PAGE: i64 = 50;

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
struct QueueQuery {
    page: i64,
    /// `draft`, `returned`, `submitted` or `verified`.
    state: String,
    /// `1`: only records waiting longer than the due days.
    overdue: String,
    unit: String,
}

impl QueueQuery {
    /// The store's filter; a state or unit that cannot be read is an error naming it.
    fn filter(&self) -> Result<store::QueueFilter, domain::Invalid> {
        let mut errs = domain::Invalid::default();
        let state = match self.state.trim() {
            "" => None,
            s => {
                let parsed = ReviewState::parse(s);
                if parsed.is_none() {
                    errs.push("state", "err.choice");
                }
                parsed
            }
        };
        let unit = errs
            .take(domain::value::opt_id("unit", &self.unit))
            .flatten()
            .map(domain::UnitId);
        if !matches!(self.overdue.as_str(), "" | "1") {
            errs.push("overdue", "err.choice");
        }
        errs.into_result(store::QueueFilter {
            overdue: self.overdue == "1",
            unit,
            state,
        })
    }

    fn href(&self, page: i64) -> String {
        let enc = crate::http::util::url_encode;
        format!(
            "/review?state={}&overdue={}&unit={}&page={page}",
            enc(&self.state),
            enc(&self.overdue),
            enc(&self.unit)
        )
    }
}

async fn queue_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<QueueQuery>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let filter = q.filter()?;
    let page_no = q.page.max(0);
    let (items, _) = state
        .store
        .review_queue_page(actor, &filter, page_no, QUEUE_PAGE)
        .await?;
    let total = state.store.review_queue_count(actor, &filter).await?;
    let reviews = [domain::Action::VerifyCase, domain::Action::ClearCase]
        .into_iter()
        .any(|a| domain::authz::role_may(actor.role, a));
    let (states, units) = if reviews {
        let within = actor.scope.region().cloned();
        let mut units = state.store.list_units(actor, within.as_ref(), "").await?;
        units.retain(|u| u.id != actor.unit_id);
        (vec!["submitted", "verified"], units)
    } else {
        (vec!["draft", "returned"], Vec::new())
    };
    let pages = crate::shared::pager::links(page_no, QUEUE_PAGE, total, |n| q.href(n));
    render(&QueuePage {
        page: Page::from_ctx(&user.ctx, "review.title"),
        items,
        q,
        total,
        pages,
        states,
        units,
        due_days: domain::review::REVIEW_DUE_DAYS,
    })
}

#[derive(Template)]
#[template(path = "review/periods.html")]
struct PeriodsPage {
    page: Page,
    periods: Vec<store::PeriodView>,
    errs: Errors,
    month: String,
    reason: String,
}

async fn periods_view(
    state: &AppState,
    user: &User,
    errs: Errors,
    month: String,
    reason: String,
    ok: Option<&str>,
) -> Result<Html<String>, WebError> {
    let periods = state.store.periods(user.actor(), 12).await?;
    render(&PeriodsPage {
        page: Page::from_ctx(&user.ctx, "periods.title").with_flash(ok),
        periods,
        errs,
        month,
        reason,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn periods_page(
    State(state): State<AppState>,
    user: User,
    axum::extract::Query(q): axum::extract::Query<OkQuery>,
) -> Result<Html<String>, WebError> {
    periods_view(
        &state,
        &user,
        Errors::default(),
        String::new(),
        String::new(),
        q.ok.as_deref(),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PeriodForm {
    month: String,
    op: String,
    reason: String,
}

async fn set_period(
    State(state): State<AppState>,
    user: User,
    FormBody(f): FormBody<PeriodForm>,
) -> Result<Response, WebError> {
    let close = f.op == "close";
    let mut errs = domain::Invalid::default();
    let reason = text(&mut errs, "reason", &f.reason, REASON, Lines::One);
    let r = match checked(errs, reason) {
        Ok(reason) => {
            state
                .store
                .set_period(user.actor(), &f.month, close, &reason)
                .await
        }
        Err(e) => Err(e),
    };
    finish(
        r,
        |()| {
            if close {
                "/periods?ok=period_closed".to_owned()
            } else {
                "/periods?ok=period_reopened".to_owned()
            }
        },
        async |r| {
            let errs = r.errors(user.ctx.locale);
            periods_view(&state, &user, errs, f.month, f.reason, None).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "review/rules.html")]
struct RulesPage {
    page: Page,
    rules: Vec<store::RuleInfo>,
    opts: std::sync::Arc<crate::shared::options::CaseOptions>,
    /// Admins see (and edit, in `data/rules.txt`) the conditions' syntax.
    syntax: bool,
    /// National staff see how often each rule fired across the country.
    national: bool,
}

impl RulesPage {
    fn words(&self, condition: &str) -> String {
        super::rule_words::words(&self.page, &self.opts, condition)
    }
}

async fn rules_page(State(state): State<AppState>, user: User) -> Result<Html<String>, WebError> {
    let rules = state.store.rules(user.actor()).await?;
    let opts = crate::shared::options::CaseOptions::load(&state, user.ctx.locale.code()).await?;
    let actor = user.actor();
    render(&RulesPage {
        page: Page::from_ctx(&user.ctx, "rules.title"),
        rules,
        opts,
        syntax: actor.role == domain::Role::Admin,
        national: actor.scope == domain::Scope::National,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_form_pairs_notes_and_justifications() {
        let pairs: Vec<(String, String)> = [
            ("action", "return"),
            ("note", "see fields"),
            ("note_field", "channel"),
            ("note_text", "wrong channel"),
            ("note_field", ""),
            ("note_text", "ignored"),
            ("j.R07.0", "no ID card"),
        ]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
        let (a, req) = parse_review_form(&pairs);
        assert_eq!(a, Some(ReviewAction::Return));
        assert_eq!(req.field_notes.len(), 1);
        assert_eq!(req.field_notes[0].note, "wrong channel");
        assert_eq!(req.note, "see fields");
        assert_eq!(
            req.justifications.get("R07.0").map(String::as_str),
            Some("no ID card")
        );
    }
}
