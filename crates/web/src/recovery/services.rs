//! Changing a service and its evidence files. A service is changed from the plan or from a
//! referral page, and the form returns to the page it came from.

use super::pages::{SERVICE_UPDATE, after};
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::{FormBody, IdPath};
use crate::referrals::pages::referral_view;
use crate::shared::forms::{Fields, Form, FormState, checked, field, fields_of, finish, text};
use crate::shared::today;
use crate::{AppState, Routes};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::value;
use domain::value::text::{Lines, MESSAGE, NOTE};
use serde::{Deserialize, Serialize};
use store::{ServiceUpdate, StoreError};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/services/{id}", &["POST"], post(update_service))
        .add(
            "/services/{id}/evidence",
            &["POST"],
            post(upload_evidence).layer(axum::extract::DefaultBodyLimit::max(
                crate::UPLOAD_BODY_LIMIT,
            )),
        )
        .add("/evidence/{id}", &["GET"], get(download_evidence))
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct ServiceUpdateForm {
    /// The plan's victim, when the form is on the plan page.
    victim: String,
    /// `referral:<id>` when the form is on a referral page.
    back: String,
    status: String,
    reason: String,
    outcome: String,
    done_on: String,
}

async fn update_service(
    State(state): State<AppState>,
    user: User,
    IdPath(service): IdPath<i64>,
    FormBody(f): FormBody<ServiceUpdateForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let u = ServiceUpdate {
        status: f.status.clone(),
        reason: text(&mut errs, "reason", &f.reason, NOTE, Lines::One),
        outcome: text(&mut errs, "outcome", &f.outcome, MESSAGE, Lines::Many),
        done_on: errs.take(value::opt_day("done_on", &f.done_on)).flatten(),
    };
    let r = match checked(errs, u) {
        Ok(u) => {
            state
                .store
                .update_service(user.actor(), service, &u, today(&state.store, user.actor()))
                .await
        }
        Err(e) => Err(e),
    };
    back_from_service(&state, &user, fields_of(&f), service, r).await
}

/// Services are updated from the plan page (`victim`) or from a referral page (`back`).
async fn back_from_service(
    state: &AppState,
    user: &User,
    f: Fields,
    service: i64,
    r: Result<(), StoreError>,
) -> Result<Response, WebError> {
    // Access refusals first: a refused request learns nothing from the form.
    if let Err(e @ (StoreError::NotFound | StoreError::Forbidden)) = r {
        return Err(e.into());
    }
    let form = Form::new(format!("svc{service}"), SERVICE_UPDATE);
    if let Some(rid) = field(&f, "back").strip_prefix("referral:") {
        let rid = value::id::parse(rid).ok_or(WebError::NotFound)?;
        return finish(
            r,
            |_| format!("/referrals/{rid}?ok=service_updated#service-{service}"),
            async |refusal| {
                let state_ = FormState::failed(user.ctx.locale, &form, f, &refusal);
                referral_view(state, user, rid, state_, None).await
            },
        )
        .await;
    }
    let victim = value::id::parse(field(&f, "victim")).ok_or(WebError::NotFound)?;
    after(
        state,
        user,
        victim,
        form,
        f,
        r,
        &format!("?ok=service_updated#service-{service}"),
    )
    .await
}

async fn upload_evidence(
    State(state): State<AppState>,
    user: User,
    IdPath(service): IdPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Not a well-formed upload: no file (the store checks access before anything else).
    let parts = crate::http::multipart::boundary(ctype)
        .and_then(|b| crate::http::multipart::parse(&b, &body))
        .unwrap_or_default();
    let mut f: Fields = Vec::new();
    let mut errs = domain::Invalid::default();
    let mut file: Option<(String, &[u8])> = None;
    for p in &parts {
        match (&p.filename, p.name.as_str()) {
            (Some(name), "file") => file = Some((name.clone(), p.data)),
            (None, n) if n != "csrf" => match p.text() {
                Some(v) => f.push((n.to_owned(), v.to_owned())),
                // Text that is not UTF-8 is refused on its field, never patched over.
                None => errs.push(n, "err.utf8"),
            },
            _ => {}
        }
    }
    let (name, data) = file.unwrap_or_default();
    let r = match checked(errs, ()) {
        Ok(()) => state
            .store
            .add_evidence(user.actor(), service, &name, data)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    back_from_service(&state, &user, f, service, r).await
}

async fn download_evidence(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
) -> Result<Response, WebError> {
    let (name, ctype, bytes) = state.store.evidence(user.actor(), id).await?;
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
