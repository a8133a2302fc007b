//! Login (password, then the second factor where enabled), logout, language switch.

use crate::http::context::{Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::metrics::{self, LoginFailure};
use crate::http::page::{Page, render};
use crate::http::util::{safe_next, set_cookie};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use store::LoginOutcome;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = r
        .add("/login", &["GET", "POST"], get(login_form).post(login))
        .add("/login/totp", &["GET", "POST"], get(totp_form).post(totp))
        .add("/logout", &["POST"], post(logout));
    lang_route(r)
}

pub(crate) fn lang_route(r: Routes) -> Routes {
    r.add("/lang/{code}", &["GET"], get(set_lang))
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    page: Page,
    username: String,
    next: String,
    error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    let next = safe_next(q.next.as_deref());
    if ctx
        .session
        .as_ref()
        .is_some_and(|s| s.info.second_factor_ok)
    {
        return Ok(Redirect::to(&next).into_response());
    }
    let page = Page::from_ctx(&ctx, "login.title");
    Ok(render(&LoginPage {
        page,
        username: String::new(),
        next,
        error: String::new(),
    })?
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

fn with_cookie(mut resp: Response, cookie: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    FormBody(f): FormBody<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(Some(&f.next));
    let page = Page::from_ctx(&ctx, "login.title");
    let fail = |status: StatusCode, error: String| -> Result<Response, WebError> {
        let p = LoginPage {
            page: page.clone(),
            username: f.username.clone(),
            next: next.clone(),
            error,
        };
        Ok((status, render(&p)?).into_response())
    };
    if !state.limiter.allow(&ctx.origin) {
        metrics::login_failed(LoginFailure::Throttled);
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            ctx.locale.t("login.throttled").to_owned(),
        );
    }
    match state
        .store
        .login(&f.username, &f.password, &ctx.origin)
        .await?
    {
        LoginOutcome::Ok {
            token,
            needs_second_factor,
        } => {
            // Analysts' main page is the statistics (unless they were on their way to
            // another page).
            let next = if next == "/" && analyst(&state, &token).await {
                "/statistik".to_owned()
            } else {
                next
            };
            let target = if needs_second_factor {
                format!("/login/totp?next={}", crate::http::util::url_encode(&next))
            } else {
                next
            };
            let cookie = set_cookie(SESSION_COOKIE, &token, None, ctx.secure, true);
            Ok(with_cookie(Redirect::to(&target).into_response(), cookie))
        }
        LoginOutcome::Invalid => {
            metrics::login_failed(LoginFailure::Invalid);
            fail(
                StatusCode::UNAUTHORIZED,
                ctx.locale.t("login.invalid").to_owned(),
            )
        }
        LoginOutcome::Locked { until_ms } => {
            metrics::login_failed(LoginFailure::Locked);
            let minutes = ((until_ms - state.store.now_ms()) / 60_000 + 1)
                .max(1)
                .to_string();
            fail(
                StatusCode::TOO_MANY_REQUESTS,
                ctx.locale.tf("login.locked", &[&minutes]),
            )
        }
    }
}

/// Whether the session just opened belongs to an analyst.
async fn analyst(state: &AppState, token: &str) -> bool {
    matches!(
        state.store.session(token).await,
        Ok(Some(s)) if s.actor.role == domain::Role::Analyst
    )
}

#[derive(Template)]
#[template(path = "accounts/login_totp.html")]
struct TotpPage {
    page: Page,
    next: String,
    error: String,
}

async fn totp_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Result<Response, WebError> {
    let next = safe_next(q.next.as_deref());
    match &ctx.session {
        None => Ok(Redirect::to("/login").into_response()),
        Some(s) if s.info.second_factor_ok => Ok(Redirect::to(&next).into_response()),
        Some(_) => {
            let page = Page::from_ctx(&ctx, "totp.login_title");
            Ok(render(&TotpPage {
                page,
                next,
                error: String::new(),
            })?
            .into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotpForm {
    code: String,
    next: String,
}

async fn totp(
    State(state): State<AppState>,
    ctx: Ctx,
    FormBody(f): FormBody<TotpForm>,
) -> Result<Response, WebError> {
    let next = safe_next(Some(&f.next));
    let Some(s) = ctx.session.clone() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let page = Page::from_ctx(&ctx, "totp.login_title");
    match state
        .store
        .verify_second_factor(&s.token, &s.info.actor, &f.code)
        .await?
    {
        LoginOutcome::Ok { .. } => Ok(Redirect::to(&next).into_response()),
        LoginOutcome::Invalid => {
            metrics::login_failed(LoginFailure::SecondFactor);
            let p = TotpPage {
                page,
                next,
                error: ctx.locale.t("totp.invalid").to_owned(),
            };
            Ok((StatusCode::UNAUTHORIZED, render(&p)?).into_response())
        }
        LoginOutcome::Locked { until_ms } => {
            metrics::login_failed(LoginFailure::Locked);
            let minutes = ((until_ms - state.store.now_ms()) / 60_000 + 1)
                .max(1)
                .to_string();
            let p = LoginPage {
                page,
                username: String::new(),
                next,
                error: ctx.locale.tf("login.locked", &[&minutes]),
            };
            let resp = (StatusCode::TOO_MANY_REQUESTS, render(&p)?).into_response();
            Ok(with_cookie(
                resp,
                set_cookie(SESSION_COOKIE, "", Some(0), ctx.secure, true),
            ))
        }
    }
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if let Some(s) = &ctx.session {
        state.store.logout(&s.token, &s.info.actor).await?;
    }
    let resp = Redirect::to("/login").into_response();
    Ok(with_cookie(
        resp,
        set_cookie(SESSION_COOKIE, "", Some(0), ctx.secure, true),
    ))
}

async fn set_lang(ctx: Ctx, Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let locale = crate::http::i18n::Locale::parse(&code).unwrap_or_default();
    let resp = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    with_cookie(
        resp,
        set_cookie(
            LANG_COOKIE,
            locale.code(),
            Some(365 * 86_400),
            ctx.secure,
            false,
        ),
    )
}
