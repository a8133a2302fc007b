//! Error responses with a body: ours (a [`crate::http::error::WebError`] left its [`ErrorInfo`] in the
//! response) and the framework's own plain-text rejections (404 fallback, 405, 413, 415 …)
//! become an HTML page in the user's language or the API's JSON error body.

use crate::http::context::Ctx;
use crate::http::error::ErrorInfo;
use crate::http::i18n::Locale;
use crate::http::page::{Page, render};
use crate::http::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::FieldError;
use serde_json::json;

#[derive(Template)]
#[template(path = "layout/error.html")]
pub struct ErrorPage {
    pub page: Page,
    pub status: u16,
    pub message: &'static str,
    pub detail: String,
    pub fields: Vec<FieldError>,
}

/// Marks an error response meant for machines (monitoring) that keeps its own body.
#[derive(Clone, Copy)]
pub(crate) struct KeepBody;

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
pub async fn render_errors(State(_): State<AppState>, req: Request, next: Next) -> Response {
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
    if !(status.is_client_error() || status.is_server_error())
        || resp.extensions().get::<KeepBody>().is_some()
    {
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
        let target = format!("/login?next={}", crate::http::util::url_encode(&next_url));
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
