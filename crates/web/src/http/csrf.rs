//! CSRF protection for every state-changing request made with cookies, in one middleware
//! so no form can forget it. The token is an HMAC of the session id (or, before login, of
//! a random pre-session cookie) under the instance secret; forms send it as the `csrf`
//! field, scripts as the `X-CSRF-Token` header. Bearer-token API calls that carry no
//! Gugus cookie are exempt; with a session or pre-session cookie the token is required,
//! whatever `Authorization` header comes along.

use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::state::AppState;
use crate::http::util::ct_eq;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    // A bearer-token call carries no cookies; one that does (a browser adding a made-up
    // `Authorization` header to its session) is checked like any other cookie request.
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    if bearer && !carries_gugus_cookie(&req) {
        return next.run(req).await;
    }
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return WebError::Csrf.into_response();
    };
    // A browser tells us where a form came from; another site's form is refused outright.
    if let (Some(origin), Some(host)) = (
        req.headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok()),
        req.headers()
            .get(header::HOST)
            .and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin != "null" && origin_host != host {
            return WebError::Csrf.into_response();
        }
    }
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        if ct_eq(h.as_bytes(), ctx.csrf.as_bytes()) {
            return next.run(req).await;
        }
        return WebError::Csrf.into_response();
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // File uploads (evidence, indicator files, a complaint's attachments, a news cover) carry the token as a form part; the body limit is the upload
    // limit, and the body is passed on unchanged.
    // Only the upload routes take multipart bodies (and their larger limit).
    let upload_route = {
        let path = req.uri().path();
        (path.ends_with("/evidence")
            && (path.starts_with("/services/") || path.starts_with("/api/v1/services/")))
            || path == "/kerawanan/indikator"
            || path == "/pengaduan"
            || crate::news::is_upload_path(path)
    };
    if let Some(boundary) = crate::http::multipart::boundary(&content_type).filter(|_| upload_route)
    {
        let (parts, body) = req.into_parts();
        let limit = if parts.uri.path() == "/pengaduan" {
            crate::http::state::COMPLAINT_BODY_LIMIT
        } else {
            crate::http::state::UPLOAD_BODY_LIMIT
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => return WebError::PayloadTooLarge.into_response(),
        };
        let sent = crate::http::multipart::parse(&boundary, &bytes).and_then(|ps| {
            ps.into_iter()
                .find(|p| p.name == "csrf")
                .and_then(|p| String::from_utf8(p.data.to_vec()).ok())
        });
        if !sent.is_some_and(|s| ct_eq(s.as_bytes(), ctx.csrf.as_bytes())) {
            return WebError::Csrf.into_response();
        }
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return WebError::Csrf.into_response();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.body_limit).await {
        Ok(b) => b,
        Err(_) => return WebError::PayloadTooLarge.into_response(),
    };
    let sent = form_urlencoded_field(&bytes, "csrf");
    if !sent.is_some_and(|s| ct_eq(s.as_bytes(), ctx.csrf.as_bytes())) {
        return WebError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Whether the request carries the session or pre-session cookie.
fn carries_gugus_cookie(req: &Request) -> bool {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, _)| name == crate::SESSION_COOKIE || name == crate::PRE_COOKIE)
}
