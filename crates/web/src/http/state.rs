//! What every handler is given: the store, the start-up settings and the login limiter;
//! and [`Routes`], the router builder that records the route table as features add to it.

use crate::http::security::LoginLimiter;
use axum::Router;
use axum::routing::MethodRouter;
use std::sync::Arc;
use store::Store;

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
    /// `GUGUS_METRICS_TOKEN`: when set, `/metrics` wants it as a bearer token (from any
    /// address); when not, `/metrics` answers loopback clients only.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secret: vec![0; 32],
            secure_cookies: false,
            trust_proxy: false,
            body_limit: 1 << 20,
            logins_per_minute: 30,
            metrics_token: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub(crate) limiter: Arc<LoginLimiter>,
}

/// Builds the router while recording every (method, path) pair it serves.
pub(crate) struct Routes {
    pub(crate) router: Router<AppState>,
    pub(crate) table: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub(crate) fn new() -> Routes {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

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

/// Largest body of an upload request (an evidence file and the form around it).
pub(crate) const UPLOAD_BODY_LIMIT: usize = store::EVIDENCE_MAX + 64 * 1024;
