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
    /// A bearer token that cannot be used for this call; the code says why.
    Token(TokenProblem),
    Internal,
}

/// Why a bearer token is refused. Expired and revoked tokens are 401 (a new token is
/// needed); the others are 403 (the token is valid but may not do this now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Expired,
    Revoked,
    /// A read-only token on a method other than GET/HEAD.
    ReadOnly,
    /// The owner's role requires two-factor login and the owner has not set it up.
    NeedsTwoFactor,
    /// Tokens are made from a signed-in session, never with another token (or a token
    /// could renew itself past its expiry for ever).
    MintWithToken,
}

impl TokenProblem {
    fn info(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            TokenProblem::Expired => (
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "error.token_expired",
            ),
            TokenProblem::Revoked => (
                StatusCode::UNAUTHORIZED,
                "token_revoked",
                "error.token_revoked",
            ),
            TokenProblem::ReadOnly => (
                StatusCode::FORBIDDEN,
                "token_read_only",
                "error.token_read_only",
            ),
            TokenProblem::NeedsTwoFactor => (
                StatusCode::FORBIDDEN,
                "two_factor_required",
                "error.token_two_factor",
            ),
            TokenProblem::MintWithToken => (
                StatusCode::FORBIDDEN,
                "token_cannot_create_tokens",
                "error.token_mint",
            ),
        }
    }
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
            WebError::Token(p) => {
                let (status, code, _) = p.info();
                (status, code, None, vec![])
            }
            WebError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal", None, vec![]),
        };
        let detail_key = match self {
            WebError::Conflict(key) | WebError::Refused(key) => Some(*key),
            WebError::Token(p) => Some(p.info().2),
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
