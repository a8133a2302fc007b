//! Gugus web layer: server-rendered pages (askama, Bahasa Indonesia first) and the JSON
//! API under `/api/v1`, both calling the same store methods. Routers are composed per
//! feature and merged here; the route table is recorded so the endpoint sweep test can
//! fail when a route is added without being checked.
//!
//! Layout: `http/` holds the cross-cutting machinery (context, CSRF, errors, page frame,
//! i18n, extractors), `shared/` the few helpers several features use, `jobs/` the
//! background work (escalation, e-mail), `ops/` what monitoring reads (`/readyz`,
//! `/metrics`), and one folder per feature with its pages, its
//! JSON API and the API's DTOs side by side. `api/` only assembles the OpenAPI document.
//! Features depend on `http` and `shared`, never the other way round; the two one-way
//! edges between features are `review → cases` (the review step re-renders the case page)
//! and `recovery → referrals` (a service form on a referral page returns to it).

mod accounts;
mod admin;
pub mod api;
mod audit;
mod cases;
mod complaints;
mod home;
mod http;
mod jobs;
mod news;
mod notifications;
mod ops;
mod perpetrators;
mod public;
mod recovery;
mod referrals;
mod regions;
mod review;
mod shared;
mod stats;
mod units;

pub use http::context::{LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE};
pub use http::i18n;
pub use http::serve::{ServeLimits, serve_with};
pub use http::state::{AppState, WebConfig};
pub(crate) use http::state::{Routes, UPLOAD_BODY_LIMIT};
pub use jobs::{at_shutdown, checkpoint, mail, worker};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use std::sync::Arc;
use std::time::Duration;
use store::Store;

fn routes() -> Routes {
    let r = Routes::new();
    let r = http::assets::routes(r);
    let r = accounts::routes(r);
    let r = home::routes(r);
    let r = regions::routes(r);
    let r = cases::routes(r);
    let r = complaints::routes(r);
    let r = news::routes(r);
    let r = perpetrators::routes(r);
    let r = review::routes(r);
    let r = stats::routes(r);
    let r = public::routes(r);
    let r = recovery::routes(r);
    let r = referrals::routes(r);
    let r = notifications::routes(r);
    let r = units::routes(r);
    let r = audit::routes(r);
    let r = admin::routes(r);
    let r = ops::routes(r);
    api::routes(r).with_way_back()
}

/// Every route the application serves, as (METHOD, path template).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes().table
}

/// The complete application.
pub fn app(store: Store, config: WebConfig) -> Router {
    stack(routes().router, store, config, false)
}

/// Only the public site (`--public-listen`): the visitors' home, the public statistics and
/// open data, static files and `/healthz`. Every other path — the case system, the login,
/// the API — is 404 here, so an office can put this address on the internet and keep the
/// application on its intranet.
pub fn public_app(store: Store, config: WebConfig) -> Router {
    let r = Routes::new();
    let r = http::assets::routes(r);
    let r = public::routes(r);
    let r = r.add("/", &["GET"], axum::routing::get(public::public_root));
    // The language switch, so a visitor can read the site in English here too.
    let r = accounts::lang_route(r);
    stack(r.router, store, config, true)
}

/// The request pipeline every router gets: body limit, CSRF, error pages, the request's
/// context (session, language), security headers, metrics and the request log.
fn stack(
    router: axum::Router<AppState>,
    store: Store,
    config: WebConfig,
    public_only: bool,
) -> Router {
    let limiter = Arc::new(http::security::LoginLimiter::new(
        config.logins_per_minute,
        Duration::from_secs(60),
    ));
    let body_limit = config.body_limit;
    let complaint_limiter = Arc::new(http::security::LoginLimiter::new(
        config.complaints_per_hour,
        Duration::from_secs(3600),
    ));
    let state = AppState {
        store,
        config: Arc::new(config),
        limiter,
        // A survivor types a code and a PIN a few times at most; a script guessing codes
        // is held to this per address (codes have 60 random bits besides).
        status_limiter: Arc::new(http::security::LoginLimiter::new(
            10,
            Duration::from_secs(60),
        )),
        complaint_limiter,
        public_only,
    };
    router
        .fallback(|| async { http::error::WebError::NotFound })
        .layer(from_fn(http::etag::conditional))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn_with_state(state.clone(), http::csrf::csrf_guard))
        .layer(from_fn_with_state(
            state.clone(),
            http::error_page::render_errors,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            http::context::load_context,
        ))
        .layer(from_fn(http::security::security_headers))
        .layer(from_fn(http::metrics::track))
        .route_layer(from_fn(http::security::request_log))
        .with_state(state)
}

/// Deletes expired sessions every few minutes while the server runs.
pub async fn session_janitor(store: Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        let r = store.purge_sessions().await;
        http::metrics::job_run("sessions", r.is_ok());
        if let Err(e) = r {
            tracing::warn!(error = %e, "session purge failed");
        }
    }
}

/// Serves `app` on `listener` with the default [`ServeLimits`] until `shutdown` completes,
/// then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeLimits::default(), shutdown).await
}
