//! Per-request context: locale, session, CSRF token and client address, loaded once by
//! middleware; and the extractors handlers use to demand a logged-in user.

use crate::http::error::{TokenProblem, WebError};
use crate::http::i18n::Locale;
use crate::http::state::AppState;
use crate::http::util::{cookie, set_cookie};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::Actor;
use domain::token::TokenKind;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;
use store::{SessionInfo, TokenAuth};

pub const SESSION_COOKIE: &str = "gugus_session";
pub const PRE_COOKIE: &str = "gugus_pre";
pub const LANG_COOKIE: &str = "gugus_lang";

#[derive(Clone)]
pub struct SessionCtx {
    pub info: SessionInfo,
    pub token: String,
}

#[derive(Clone)]
pub struct Ctx {
    pub locale: Locale,
    pub session: Option<Arc<SessionCtx>>,
    /// The CSRF token forms must echo: an HMAC of the session (or pre-session) id.
    pub csrf: String,
    pub origin: String,
    pub path: String,
    pub secure: bool,
    /// Served by the public listener (no login, no application).
    pub public_only: bool,
}

fn csrf_for(secret: &[u8], binding: &str) -> String {
    match <Hmac<Sha256> as KeyInit>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(b"gugus-csrf|");
            mac.update(binding.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The client's address: behind the trusted proxy, the one that proxy appended to
/// `X-Forwarded-For` (the last entry) — everything before it came from the client, who can
/// write any address there (the login limiter counts by this address).
fn client_addr(req: &Request, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(ip) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|ip| !ip.is_empty())
    {
        return ip.to_owned();
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Loads the context for every page and API call (not for static files, health checks and
/// metrics, which need no session).
pub async fn load_context(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/static/") || matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics")
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let secure = state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
            && state.config.trust_proxy;
    // Pages speak Indonesian unless the user picked English with the switch: many office
    // browsers run in English, yet the staff's working language is Indonesian. API clients
    // may ask for English with Accept-Language.
    let accept = if path.starts_with("/api/") {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
    } else {
        None
    };
    let locale = Locale::negotiate(cookie(headers, LANG_COOKIE), accept);
    let origin = client_addr(&req, state.config.trust_proxy);
    let mut clear_session = false;
    let mut session = None;
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned) {
        match state.store.session(&token).await {
            Ok(Some(mut info)) => {
                info.actor.origin = Some(origin.clone());
                session = Some(Arc::new(SessionCtx { info, token }));
            }
            Ok(None) => clear_session = true,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return WebError::Internal.into_response();
            }
        }
    }
    let mut new_pre = None;
    let binding = match &session {
        Some(s) => format!("s|{}", s.token),
        None => match cookie(req.headers(), PRE_COOKIE) {
            Some(p) if p.len() == 64 => format!("p|{p}"),
            _ => {
                let p = store::random_token().unwrap_or_default();
                let b = format!("p|{p}");
                new_pre = Some(p);
                b
            }
        },
    };
    let csrf = csrf_for(&state.config.secret, &binding);
    req.extensions_mut().insert(Ctx {
        locale,
        session,
        csrf,
        origin,
        path,
        secure,
        public_only: state.public_only,
    });
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if let Some(p) = new_pre
        && let Ok(v) = HeaderValue::from_str(&set_cookie(PRE_COOKIE, &p, None, secure, true))
    {
        h.append(header::SET_COOKIE, v);
    }
    if clear_session
        && !h.contains_key(header::SET_COOKIE)
        && let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", Some(0), secure, true))
    {
        h.append(header::SET_COOKIE, v);
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or(WebError::Internal)
    }
}

/// A fully logged-in user (password and, where enabled, second factor).
pub struct User {
    pub ctx: Ctx,
    pub session: Arc<SessionCtx>,
}

impl User {
    pub fn actor(&self) -> &Actor {
        &self.session.info.actor
    }
}

pub(crate) fn demand_user(ctx: Ctx, allow_enrolment: bool) -> Result<User, WebError> {
    let Some(session) = ctx.session.clone() else {
        return Err(WebError::Unauthenticated);
    };
    if !session.info.second_factor_ok {
        return Err(WebError::Redirect("/login/totp"));
    }
    if session.info.must_enroll_totp && !allow_enrolment {
        return Err(WebError::Redirect("/account/totp"));
    }
    Ok(User { ctx, session })
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, s).await?;
        demand_user(ctx, false)
    }
}

/// A logged-in user who may still have to set up two-factor login (the enrolment pages).
pub struct EnrollingUser(pub User);

impl<S: Send + Sync> FromRequestParts<S> for EnrollingUser {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, s: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, s).await?;
        demand_user(ctx, true).map(EnrollingUser)
    }
}

/// The caller of an API route: a bearer token, or a full browser session. Tokens
/// authenticate nothing else (pages want a session), so this is the one place their
/// expiry, revocation, owner's second factor and kind are enforced.
pub struct ApiUser {
    pub actor: Actor,
    /// The kind of the bearer token the call came with; `None` for a browser session.
    pub token: Option<TokenKind>,
}

/// A method that changes nothing: all a read-only token may use.
fn reads_only(m: &Method) -> bool {
    matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn bearer(
    state: &AppState,
    token: &str,
    origin: &str,
    method: &Method,
) -> Result<ApiUser, WebError> {
    match state.store.token_auth(token, origin).await? {
        TokenAuth::Valid { kind, .. } if kind == TokenKind::ReadOnly && !reads_only(method) => {
            Err(WebError::Token(TokenProblem::ReadOnly))
        }
        TokenAuth::Valid { actor, kind } => Ok(ApiUser {
            actor,
            token: Some(kind),
        }),
        TokenAuth::Expired => Err(WebError::Token(TokenProblem::Expired)),
        TokenAuth::Revoked => Err(WebError::Token(TokenProblem::Revoked)),
        TokenAuth::NeedsTwoFactor => Err(WebError::Token(TokenProblem::NeedsTwoFactor)),
        TokenAuth::Unknown => Err(WebError::Unauthenticated),
    }
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        if let Some(auth) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        {
            let token = auth
                .strip_prefix("Bearer ")
                .ok_or(WebError::Unauthenticated)?
                .trim();
            return bearer(state, token, &ctx.origin, &parts.method).await;
        }
        match &ctx.session {
            Some(s) if s.info.second_factor_ok && !s.info.must_enroll_totp => Ok(ApiUser {
                actor: s.info.actor.clone(),
                token: None,
            }),
            _ => Err(WebError::Unauthenticated),
        }
    }
}
