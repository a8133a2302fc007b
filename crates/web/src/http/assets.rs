//! Static files, compiled into the binary: offices on closed networks get everything from
//! the Gugus server itself, no CDN.

use crate::http::state::Routes;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const FILES: &[(&str, &str, &str)] = &[
    (
        "gugus.css",
        "text/css; charset=utf-8",
        include_str!("../../static/gugus.css"),
    ),
    (
        "gugus.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/gugus.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../static/favicon.svg"),
    ),
];

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/static/{file}", &["GET"], get(asset))
        .add("/healthz", &["GET"], get(healthz))
}

async fn asset(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, ..)| *name == file) {
        Some((_, mime, body)) => {
            let mut r = (*body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            r
        }
        None => crate::http::error::WebError::NotFound.into_response(),
    }
}

/// Liveness: answers without touching the database (used by load balancers and benchmarks).
async fn healthz() -> &'static str {
    "ok"
}
