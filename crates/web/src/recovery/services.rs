//! Changing a service and its evidence files. A service is changed from the plan or from a
//! referral page, and the form returns to the page it came from.

use super::pages::after;
use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::parse_id;
use crate::referrals::pages::referral_response;
use crate::shared::forms::{Fields, day_field, field};
use crate::shared::today;
use crate::{AppState, Routes};
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
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
            .update_service(user.actor(), service, &u, today(&state.store, user.actor()))
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
    let parts = crate::http::multipart::boundary(ctype)
        .and_then(|b| crate::http::multipart::parse(&b, &body))
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
