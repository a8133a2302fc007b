//! `/status`: a survivor looks at her own services, referrals and restitution with the code
//! and PIN on the slip her case worker gave her. No session is opened and nothing is kept
//! in the browser: the answer is the response to her form (never cached), so closing the
//! page or going back leaves nothing to see.

use crate::AppState;
use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::format::{fmt_day, rupiah};
use crate::http::page::{Page, render};
use crate::shared::services::service_label;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use store::{StatusOutcome, SurvivorStatus};

#[derive(Template)]
#[template(path = "public/status.html")]
struct StatusPage {
    page: Page,
    /// The code as typed (kept when the answer is an error; never the PIN).
    kode: String,
    error: String,
    status: Option<SurvivorStatus>,
    types: Vec<store::ServiceType>,
}

impl StatusPage {
    fn svc(&self, code: &str) -> String {
        service_label(&self.types, code, self.page.locale.code())
    }
    fn day(&self, d: &i64) -> String {
        fmt_day(d)
    }
    fn rp(&self, v: &i64) -> String {
        rupiah(v)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct StatusForm {
    kode: String,
    pin: String,
}

fn page(ctx: &Ctx) -> Page {
    Page::from_ctx(ctx, "survivor.title")
}

pub(crate) async fn status_form(ctx: Ctx) -> Result<Response, WebError> {
    Ok(render(&StatusPage {
        page: page(&ctx),
        kode: String::new(),
        error: String::new(),
        status: None,
        types: Vec::new(),
    })?
    .into_response())
}

pub(crate) async fn status_look(
    State(state): State<AppState>,
    ctx: Ctx,
    FormBody(f): FormBody<StatusForm>,
) -> Result<Response, WebError> {
    let fail = |code: StatusCode, error: String| -> Result<Response, WebError> {
        let p = StatusPage {
            page: page(&ctx),
            kode: f.kode.chars().take(32).collect(),
            error,
            status: None,
            types: Vec::new(),
        };
        Ok((code, render(&p)?).into_response())
    };
    if !state.status_limiter.allow(&ctx.origin) {
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            ctx.locale.t("survivor.throttled").to_owned(),
        );
    }
    match state.store.survivor_status(&f.kode, &f.pin).await? {
        StatusOutcome::Shown(status) => {
            let types = state.store.service_types().await?;
            Ok(render(&StatusPage {
                page: page(&ctx),
                kode: String::new(),
                error: String::new(),
                status: Some(*status),
                types,
            })?
            .into_response())
        }
        StatusOutcome::Wrong => fail(
            StatusCode::UNAUTHORIZED,
            ctx.locale.t("survivor.wrong").to_owned(),
        ),
        StatusOutcome::Locked { until_ms } => {
            let minutes = ((until_ms - state.store.now_ms()) / 60_000 + 1)
                .max(1)
                .to_string();
            fail(
                StatusCode::TOO_MANY_REQUESTS,
                ctx.locale.tf("survivor.locked", &[&minutes]),
            )
        }
    }
}
