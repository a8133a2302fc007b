//! One error type for every handler. It becomes an HTML page in the user's language or a
//! JSON body `{"error": {"code", "message", "fields"}}`, decided by the route (`/api/…`)
//! by the `error_page` middleware, which finishes every error response. Server errors are
//! logged once and reveal nothing to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldError;
use store::StoreError;

#[derive(Debug)]
pub enum WebError {
    /// Not logged in: HTML pages redirect to the login form, the API answers 401.
    Unauthenticated,
    /// The user must first finish a step elsewhere (second factor, 2FA enrolment).
    Redirect(&'static str),
    Forbidden,
    /// Forbidden, with a message key that says why.
    Refused(&'static str),
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
            StoreError::Refused(key) => WebError::Refused(key),
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
            WebError::Forbidden | WebError::Refused(_) => {
                (StatusCode::FORBIDDEN, "forbidden", None, vec![])
            }
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
            WebError::Conflict(key) | WebError::Refused(key) => Some(*key),
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
