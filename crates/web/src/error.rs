//! One error type for every handler. It becomes an HTML page in the user's language or a
//! JSON body `{"error": {"code", "message", "fields"}}`, decided by the route (`/api/…`)
//! in [`render_errors`]. Server errors are logged once and reveal nothing to the client.

use crate::context::Ctx;
use crate::i18n::Locale;
use crate::templates::{ErrorPage, Page, render};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldError;
use serde_json::json;
use store::StoreError;

#[derive(Debug)]
pub enum WebError {
    /// Not logged in: HTML pages redirect to the login form, the API answers 401.
    Unauthenticated,
    /// The user must first finish a step elsewhere (second factor, 2FA enrolment).
    Redirect(&'static str),
    Forbidden,
    NotFound,
    /// Bad input that could not even be read (malformed JSON, a non-numeric id …).
    BadRequest(String),
    Invalid(Vec<FieldError>),
    Conflict(&'static str),
    PayloadTooLarge,
    Csrf,
    Internal,
}

/// What a handler's error looks like once rendered; kept in the response so the
/// rendering middleware (which knows the locale and the route) can finish the job.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<String>,
    /// A message key that says more than the generic message for `code`.
    pub detail_key: Option<&'static str>,
    pub fields: Vec<FieldError>,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => WebError::NotFound,
            StoreError::Forbidden => WebError::Forbidden,
            StoreError::Invalid(i) => WebError::Invalid(i.0),
            StoreError::Conflict(c) => WebError::Conflict(c),
            other => {
                tracing::error!(error = %other, "store error");
                WebError::Internal
            }
        }
    }
}

impl From<domain::Invalid> for WebError {
    fn from(i: domain::Invalid) -> Self {
        WebError::Invalid(i.0)
    }
}

impl WebError {
    fn info(&self) -> ErrorInfo {
        let (status, code, detail, fields) = match self {
            WebError::Unauthenticated | WebError::Redirect(_) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", None, vec![])
            }
            WebError::Forbidden => (StatusCode::FORBIDDEN, "forbidden", None, vec![]),
            WebError::NotFound => (StatusCode::NOT_FOUND, "not_found", None, vec![]),
            WebError::BadRequest(m) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                Some(m.clone()),
                vec![],
            ),
            WebError::Invalid(f) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                None,
                f.clone(),
            ),
            WebError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None, vec![]),
            WebError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                None,
                vec![],
            ),
            WebError::Csrf => (StatusCode::FORBIDDEN, "csrf", None, vec![]),
            WebError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None, vec![]),
        };
        let detail_key = match self {
            WebError::Conflict(key) => Some(*key),
            _ => None,
        };
        ErrorInfo {
            status,
            code,
            detail,
            detail_key,
            fields,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::Redirect(to) = self {
            return Redirect::to(to).into_response();
        }
        let info = self.info();
        let mut resp = info.status.into_response();
        resp.extensions_mut().insert(info);
        resp
    }
}

fn message_key(code: &str) -> &'static str {
    match code {
        "unauthenticated" => "error.unauthenticated",
        "forbidden" => "error.forbidden",
        "not_found" => "error.not_found",
        "bad_request" => "error.bad_request",
        "validation_failed" => "error.validation_failed",
        "conflict" => "error.conflict",
        "payload_too_large" => "error.payload_too_large",
        "csrf" => "error.csrf",
        "method_not_allowed" => "error.method_not_allowed",
        "unsupported_media_type" => "error.unsupported_media_type",
        _ => "error.internal",
    }
}

/// Gives a consistent body to every error response: ours (with [`ErrorInfo`]) and the
/// framework's own plain-text rejections (404 fallback, 405, 413, 415 …).
pub async fn render_errors(State(_): State<crate::AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let ctx = req.extensions().get::<Ctx>().cloned();
    let locale = ctx.as_ref().map(|c| c.locale).unwrap_or_else(|| {
        let h = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Locale::negotiate(None, if is_api { h } else { None })
    });
    let path = req.uri().path().to_owned();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let info = match resp.extensions().get::<ErrorInfo>() {
        Some(i) => i.clone(),
        None => {
            let is_plain = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .is_none_or(|v| v.to_str().unwrap_or("").starts_with("text/plain"));
            if !is_plain {
                return resp;
            }
            let code = match status {
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "bad_request",
                _ if status.is_server_error() => "internal",
                _ => "bad_request",
            };
            ErrorInfo {
                status,
                code,
                detail: None,
                detail_key: None,
                fields: vec![],
            }
        }
    };
    if info.code == "unauthenticated" && !is_api {
        let next_url = format!("{path}{query}");
        let target = format!("/login?next={}", crate::util::url_encode(&next_url));
        return Redirect::to(&target).into_response();
    }
    // A specific message (e.g. "someone else changed this case") replaces the generic one.
    let message = locale.t(info.detail_key.unwrap_or_else(|| message_key(info.code)));
    if is_api {
        let fields: Vec<_> = info
            .fields
            .iter()
            .map(|f| json!({"field": f.field, "code": f.key.trim_start_matches("err."), "message": locale.t(f.key)}))
            .collect();
        let mut body = json!({"error": {"code": info.code, "message": message, "fields": fields}});
        if let Some(d) = &info.detail {
            body["error"]["detail"] = json!(d);
        }
        let mut r = (info.status, axum::Json(body)).into_response();
        if info.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"gugus\""),
            );
        }
        return r;
    }
    let page = match ctx {
        Some(c) => Page::from_ctx(&c, ""),
        None => Page::bare(locale),
    };
    let detail = info.detail.clone().unwrap_or_default();
    let tpl = ErrorPage {
        page,
        status: info.status.as_u16(),
        message,
        detail,
        fields: info.fields.clone(),
    };
    match render(&tpl) {
        Ok(html) => (info.status, html).into_response(),
        Err(_) => (info.status, message).into_response(),
    }
}
