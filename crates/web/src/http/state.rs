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
    /// `GUGUS_PUBLIC_URL`: where the open data catalogue's links point (else the
    /// request's host).
    pub public_url: Option<String>,
    /// Login attempts allowed per client address per minute.
    pub logins_per_minute: u32,
    /// Complaints from the public accepted per client address per hour.
    pub complaints_per_hour: u32,
    /// `GUGUS_DP_BUDGET`: the cumulative privacy loss (ε at δ = 10⁻⁶) all synthetic
    /// releases of this instance may spend together.
    pub dp_budget_epsilon: f64,
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
            complaints_per_hour: 20,
            dp_budget_epsilon: 10.0,
            metrics_token: None,
            public_url: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub(crate) limiter: Arc<LoginLimiter>,
    /// Looks at a survivor's status per address (the code's own lockout is in the store).
    pub(crate) status_limiter: Arc<LoginLimiter>,
    /// Complaints sent per address (`WebConfig::complaints_per_hour`).
    pub(crate) complaint_limiter: Arc<LoginLimiter>,
    /// This is the public listener: pages offer no way into the application (it is not
    /// served here).
    pub(crate) public_only: bool,
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

impl Routes {
    /// Gives every page URL that only takes a form (POST) a GET that sends the browser to
    /// the nearest page above it (`/cases/7/route/3/delete` → `/cases/7`): a page shown
    /// again at a form's URL after a refusal, then reloaded from the address bar, a
    /// bookmark or the history, lands on the record instead of "method not allowed".
    /// The JSON API keeps its 405. These GETs are not in the route table (they show
    /// nothing and need no session); a test walks them all.
    pub(crate) fn with_way_back(mut self) -> Self {
        let gets: Vec<&str> = self
            .table
            .iter()
            .filter(|(m, _)| *m == "GET")
            .map(|(_, p)| *p)
            .collect();
        let mut add = Vec::new();
        for (m, path) in &self.table {
            if *m != "POST" || path.starts_with("/api/") || gets.contains(path) {
                continue;
            }
            let segments: Vec<&str> = path.split('/').skip(1).collect();
            let up = (0..segments.len()).rev().find(|&n| {
                let prefix = format!("/{}", segments[..n].join("/"));
                gets.contains(&prefix.as_str())
            });
            if let Some(n) = up {
                add.push((*path, n));
            }
        }
        for (path, n) in add {
            self.router = self.router.route(
                path,
                axum::routing::get(move |uri: axum::http::Uri| async move {
                    let up: Vec<&str> = uri.path().split('/').skip(1).take(n).collect();
                    axum::response::Redirect::to(&format!("/{}", up.join("/")))
                }),
            );
        }
        self
    }
}

/// Largest body of an upload request (an evidence file and the form around it).
pub(crate) const UPLOAD_BODY_LIMIT: usize = store::EVIDENCE_MAX + 64 * 1024;
/// Largest complaint form read: its files may hold 5 MB together, but a phone photo is
/// often larger, and the form must come back with the text kept and the reason, not a
/// bare "too large" that loses what was typed.
pub(crate) const COMPLAINT_BODY_LIMIT: usize = 4 * store::EVIDENCE_MAX;
