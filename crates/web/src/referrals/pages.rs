//! Referral pages: the lists (incoming, outgoing, escalated) and one referral with its
//! conversation, its operations and the services of an accepted take-over. Each form
//! returns to the referral, or shows it again with the form's errors and what was typed.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::format::Num;
use crate::http::page::{Page, render};
use crate::shared::forms::{Form, FormState, ListQuery, checked, fields_of, finish, text};
use crate::shared::services::{ServiceForm, service_label};
use crate::shared::today;
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use axum::routing::{get, post};
use domain::value::text::{Lines, MESSAGE, REASON};
use serde::{Deserialize, Serialize};

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
    picks: std::sync::Arc<store::Picklists>,
    /// Units the receiving unit may give a take-over's services to.
    units: Vec<store::Unit>,
    f: FormState,
    from_unit: store::Unit,
    to_unit: store::Unit,
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

// The referral page's forms and their fields' labels.
const ACT: &[(&str, &str)] = &[("op", "referral.actions"), ("reason", "referral.reason")];
const PLAN: &[(&str, &str)] = &[
    ("service_code", "service.type"),
    ("unit_id", "service.unit"),
    ("due_on", "service.due_on"),
];
const THREAD: &[(&str, &str)] = &[("body", "referral.write")];

/// The referral page, with `f` in its forms.
pub(crate) async fn referral_view(
    state: &AppState,
    user: &User,
    id: i64,
    f: FormState,
    ok: Option<&str>,
) -> Result<Html<String>, WebError> {
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
    // Where each side is reached: the receiving unit for the sender, and the other way.
    let from_unit = state.store.unit(user.actor(), r.row.from_unit_id).await?;
    let to_unit = state.store.unit(user.actor(), r.row.to_unit_id).await?;
    render(&ReferralPage {
        page: Page::from_ctx(&user.ctx, "referral.title").with_flash(ok),
        from_unit,
        to_unit,
        r,
        types,
        services,
        picks: state.store.picklists().await?,
        units,
        f,
    })
}

async fn referral_page(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    referral_view(&state, &user, id, FormState::default(), q.ok.as_deref()).await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ActForm {
    op: String,
    reason: String,
}

async fn act(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    FormBody(f): FormBody<ActForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let reason = text(&mut errs, "reason", &f.reason, REASON, Lines::One);
    let r = match checked(errs, reason) {
        Ok(reason) => {
            state
                .store
                .act_on_referral(
                    user.actor(),
                    id,
                    &f.op,
                    &reason,
                    today(&state.store, user.actor()),
                )
                .await
        }
        Err(e) => Err(e),
    };
    finish(
        r,
        |s| {
            if s.is_open() {
                let done = match f.op.trim() {
                    "accept" => "?ok=referral_accepted",
                    "deliver" => "?ok=referral_delivered",
                    _ => "?ok=referral_updated",
                };
                format!("/referrals/{id}{done}")
            } else {
                // The receiving unit's access ends with the referral: go back to the list.
                "/referrals?ok=referral_ended".to_owned()
            }
        },
        async |r| {
            let form = Form::new("act", ACT);
            let f = FormState::failed(user.ctx.locale, &form, fields_of(&f), &r);
            referral_view(&state, &user, id, f, None).await
        },
    )
    .await
}

async fn referral_service(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    FormBody(f): FormBody<ServiceForm>,
) -> Result<Response, WebError> {
    let r = match f.parse() {
        Ok(s) => {
            state
                .store
                .add_service_for_referral(user.actor(), id, &s, today(&state.store, user.actor()))
                .await
        }
        Err(e) => Err(e),
    };
    finish(
        r,
        |_| format!("/referrals/{id}?ok=service_added#services"),
        async |r| {
            let form = Form::new("plan", PLAN);
            let f = FormState::failed(user.ctx.locale, &form, fields_of(&f), &r);
            referral_view(&state, &user, id, f, None).await
        },
    )
    .await
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct MessageForm {
    body: String,
}

async fn message(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    FormBody(f): FormBody<MessageForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let body = text(&mut errs, "body", &f.body, MESSAGE, Lines::Many);
    let r = match checked(errs, body) {
        Ok(body) => {
            state
                .store
                .post_referral_message(user.actor(), id, &body)
                .await
        }
        Err(e) => Err(e),
    };
    finish(
        r,
        |()| format!("/referrals/{id}#thread"),
        async |r| {
            let form = Form::new("message", THREAD);
            let f = FormState::failed(user.ctx.locale, &form, fields_of(&f), &r);
            referral_view(&state, &user, id, f, None).await
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "referrals/referrals.html")]
struct ReferralsPage {
    page: Page,
    which: String,
    rows: Vec<store::ReferralRow>,
    types: Vec<store::ServiceType>,
    overdue: bool,
    total: i64,
    pages: Vec<crate::shared::pager::PageLink>,
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

/// Referrals per page of the lists.
const PER_PAGE: i64 = 50;

async fn referrals_page(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let which = match q.which.as_str() {
        "outgoing" | "escalated" => q.which.clone(),
        _ => "incoming".to_owned(),
    };
    let overdue = match q.overdue.as_str() {
        "" => false,
        "1" => true,
        _ => {
            return Err(
                store::StoreError::Invalid(domain::Invalid::one("overdue", "err.choice")).into(),
            );
        }
    };
    let page_no = q.page.max(0);
    let (rows, total) = state
        .store
        .referral_page(
            user.actor(),
            &which,
            overdue,
            today(&state.store, user.actor()),
            page_no,
            PER_PAGE,
        )
        .await?;
    let flag = if overdue { "1" } else { "" };
    let pages = crate::shared::pager::links(page_no, PER_PAGE, total, |n| {
        format!("/referrals?which={which}&overdue={flag}&page={n}")
    });
    render(&ReferralsPage {
        page: Page::from_ctx(&user.ctx, "referral.list_title").with_flash(q.ok.as_deref()),
        which,
        rows,
        types: state.store.service_types().await?,
        overdue,
        total,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;

    /// The error summary names fields by these labels: each is in both catalogues.
    #[test]
    fn form_labels_are_translated() {
        for labels in [ACT, PLAN, THREAD] {
            for (field, key) in labels {
                for l in [Locale::Id, Locale::En] {
                    assert!(l.lookup(key).is_some(), "{field}: {key}");
                }
            }
        }
    }
}
