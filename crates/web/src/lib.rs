//! Gugus web layer: server-rendered pages (askama, Bahasa Indonesia first) and the JSON
//! API under `/api/v1`, both calling the same store methods. Routers are composed per
//! feature and merged here; the route table is recorded so the endpoint sweep test can
//! fail when a route is added without being checked.

mod account;
mod admin;
pub mod api;
mod api_clearing;
mod api_recovery;
mod assets;
mod audit;
mod auth;
mod case_parts;
mod cases;
mod clearing;
mod context;
mod csrf;
mod error;
mod home;
pub mod i18n;
pub mod mail;
mod multipart;
mod recovery;
mod regions;
mod review;
mod security;
mod templates;
mod units;
mod users;
mod util;
pub mod worker;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::MethodRouter;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

pub use context::{LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE};

/// Web settings decided at start-up.
#[derive(Clone)]
pub struct WebConfig {
    /// Instance secret (from `GUGUS_SECRET_KEY_FILE`); keys the CSRF tokens.
    pub secret: Vec<u8>,
    /// Mark cookies `Secure` (set when the public URL is https).
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-For` / `X-Forwarded-Proto` (behind a reverse proxy).
    pub trust_proxy: bool,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Login attempts allowed per client address per minute.
    pub logins_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secret: vec![0; 32],
            secure_cookies: false,
            trust_proxy: false,
            body_limit: 1 << 20,
            logins_per_minute: 30,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub(crate) limiter: Arc<security::LoginLimiter>,
}

/// Builds the router while recording every (method, path) pair it serves.
pub(crate) struct Routes {
    router: Router<AppState>,
    table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub(crate) fn add(
        mut self,
        path: &'static str,
        methods: &[&'static str],
        mr: MethodRouter<AppState>,
    ) -> Self {
        for m in methods {
            self.table.push((m, path));
        }
        self.router = self.router.route(path, mr);
        self
    }
}

fn routes() -> Routes {
    let r = Routes {
        router: Router::new(),
        table: Vec::new(),
    };
    let r = assets::routes(r);
    let r = auth::routes(r);
    let r = home::routes(r);
    let r = regions::routes(r);
    let r = cases::routes(r);
    let r = case_parts::routes(r);
    let r = review::routes(r);
    let r = clearing::routes(r);
    let r = recovery::routes(r);
    let r = units::routes(r);
    let r = users::routes(r);
    let r = audit::routes(r);
    let r = account::routes(r);
    let r = admin::routes(r);
    let r = api_clearing::routes(r);
    let r = api_recovery::routes(r);
    api::routes(r)
}

/// Every route the application serves, as (METHOD, path template).
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes().table
}

/// The complete application.
pub fn app(store: Store, config: WebConfig) -> Router {
    let limiter = Arc::new(security::LoginLimiter::new(
        config.logins_per_minute,
        Duration::from_secs(60),
    ));
    let body_limit = config.body_limit;
    let state = AppState {
        store,
        config: Arc::new(config),
        limiter,
    };
    routes()
        .router
        .fallback(|| async { error::WebError::NotFound })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn_with_state(state.clone(), csrf::csrf_guard))
        .layer(from_fn_with_state(state.clone(), error::render_errors))
        .layer(from_fn_with_state(state.clone(), context::load_context))
        .layer(from_fn(security::security_headers))
        .route_layer(from_fn(security::request_log))
        .with_state(state)
}

/// Largest body of an upload request (an evidence file and the form around it).
pub(crate) const UPLOAD_BODY_LIMIT: usize = store::EVIDENCE_MAX + 64 * 1024;

/// Deletes expired sessions every few minutes while the server runs.
pub async fn session_janitor(store: Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        if let Err(e) = store.purge_sessions().await {
            tracing::warn!(error = %e, "session purge failed");
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
