//! Complaints from the public, as the intake officers of a task force see them: the queue
//! of their region and the regions below it, one complaint (its reading is audited), and
//! the decisions — open a case from it (the case form comes prefilled), add it to a case
//! on record, refer it to another region's task force, close it with a reason. The public
//! side (the form, the sender's tracking) is in `public::complaint`.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::http::format::fmt_day;
use crate::http::page::{Errors, Page, render};
use crate::shared::pager::{PageLink, links};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use store::StoreError;
use store::complaints::{ComplaintRow, ComplaintView, Triage};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/complaints", &["GET"], get(queue))
        .add("/complaints/{id}", &["GET"], get(view))
        .add("/complaints/{id}/triage", &["POST"], post(triage))
        .add("/complaints/{id}/files/{file}", &["GET"], get(file))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct QueueQuery {
    /// `all` shows decided complaints too.
    show: String,
    page: i64,
}

#[derive(Template)]
#[template(path = "complaints/list.html")]
struct QueuePage {
    page: Page,
    rows: Vec<ComplaintRow>,
    total: i64,
    all: bool,
    pages: Vec<PageLink>,
}

impl QueuePage {
    fn day(&self, d: &i64) -> String {
        fmt_day(d)
    }
}

async fn queue(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<QueueQuery>,
) -> Result<Response, WebError> {
    let all = q.show == "all";
    let p = state
        .store
        .complaint_queue(user.actor(), !all, q.page.max(0) + 1)
        .await?;
    let show = if all { "all" } else { "open" };
    let pages = links(q.page.max(0), p.per_page, p.total, |n| {
        format!("/complaints?show={show}&page={n}")
    });
    Ok(render(&QueuePage {
        page: Page::from_ctx(&user.ctx, "complaints.title").with_flash(None),
        rows: p.rows,
        total: p.total,
        all,
        pages,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "complaints/view.html")]
struct ViewPage {
    page: Page,
    c: ComplaintView,
    errs: Errors,
    /// The decision form as sent (op, reason, region, case code), when it failed.
    sent: TriageForm,
}

impl ViewPage {
    fn day(&self, d: &i64) -> String {
        fmt_day(d)
    }
    fn open(&self) -> bool {
        domain::complaint::ComplaintStatus::parse(&self.c.status).is_some_and(|s| s.is_open())
    }
    fn reasons(&self) -> Vec<&'static str> {
        store::complaints::close_reasons().collect()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn view_page(
    state: &AppState,
    user: &User,
    id: i64,
    errs: Errors,
    sent: TriageForm,
    ok: Option<&str>,
) -> Result<String, WebError> {
    let c = state.store.complaint(user.actor(), id).await?;
    render(&ViewPage {
        page: Page::from_ctx(&user.ctx, "complaints.one").with_flash(ok),
        c,
        errs,
        sent,
    })
    .map(|h| h.0)
}

async fn view(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    Query(q): Query<OkQuery>,
) -> Result<Response, WebError> {
    let html = view_page(
        &state,
        &user,
        id,
        Errors::default(),
        TriageForm::default(),
        q.ok.as_deref(),
    )
    .await?;
    Ok(axum::response::Html(html).into_response())
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct TriageForm {
    /// `close`, `refer` or `attach`.
    op: String,
    reason: String,
    region: String,
    case_code: String,
}

async fn triage(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    FormBody(f): FormBody<TriageForm>,
) -> Result<Response, WebError> {
    let t = match f.op.as_str() {
        "close" => Triage::Close(f.reason.clone()),
        "refer" => Triage::Refer(f.region.clone()),
        "attach" => Triage::Attach(f.case_code.clone()),
        // No decision named: the store still checks access first (404 for a complaint
        // the user may not handle), then refuses the missing reason.
        _ => Triage::Close(String::new()),
    };
    match state.store.triage_complaint(user.actor(), id, &t).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/complaints/{id}?ok=complaint_{}",
            match t {
                Triage::Close(_) => "closed",
                Triage::Refer(_) => "referred",
                Triage::Attach(_) => "attached",
            }
        ))
        .into_response()),
        Err(StoreError::Invalid(e)) => {
            let errs = Errors::new(user.ctx.locale, &e.0);
            let html = view_page(&state, &user, id, errs, f, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, axum::response::Html(html)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A file the sender attached, as a download (never shown inline: a PDF or picture from
/// anyone is opened by the officer's own viewer, not by this site).
async fn file(
    State(state): State<AppState>,
    user: User,
    axum::extract::Path((id, file)): axum::extract::Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = domain::value::id::parse(&id).ok_or(WebError::NotFound)?;
    let file = domain::value::id::parse(&file).ok_or(WebError::NotFound)?;
    let (kind, bytes) = state.store.complaint_file(user.actor(), id, file).await?;
    let ext = match kind.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"pengaduan-{id}-{file}.{ext}\""),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
