//! What operators and monitoring read: `/readyz` (the database answers and its migrations
//! are current) beside `/healthz`, and `/metrics` in the Prometheus text format, open to
//! loopback clients only or, when `GUGUS_METRICS_TOKEN` is set, to holders of that token.

use crate::http::error_page::KeepBody;
use crate::http::metrics;
use crate::http::state::{AppState, Routes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/readyz", &["GET"], get(readyz))
        .add("/metrics", &["GET"], get(metrics_page))
}

/// A plain-text answer for monitoring, kept as it is by the error renderer.
fn plain(status: StatusCode, body: impl Into<String>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.extensions_mut().insert(KeepBody);
    r
}

/// Readiness: 200 when the database answers and holds every migration this binary knows.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.pending_migrations().await {
        Ok(0) => plain(StatusCode::OK, "ready"),
        Ok(n) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {n} migration(s) pending"),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: database unreachable",
            )
        }
    }
}

/// Whether this request may read the metrics: with a token configured, only with that
/// token (from anywhere); without one, only from a loopback address — behind a trusted
/// proxy, every address the request passed through must be loopback, since a client can
/// put any address at the front of its own `X-Forwarded-For`.
fn allowed(state: &AppState, req: &Request) -> Result<(), StatusCode> {
    match &state.config.metrics_token {
        Some(token) => {
            let given = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            // Digests compared, so the comparison's time says nothing about the token.
            if Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes()) {
                Ok(())
            } else {
                Err(StatusCode::UNAUTHORIZED)
            }
        }
        None if from_loopback(req, state.config.trust_proxy) => Ok(()),
        None => Err(StatusCode::FORBIDDEN),
    }
}

fn from_loopback(req: &Request, trust_proxy: bool) -> bool {
    let loopback = |ip: IpAddr| ip.to_canonical().is_loopback();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| loopback(c.0.ip()));
    if !peer {
        return false;
    }
    if !trust_proxy {
        return true;
    }
    req.headers()
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("not an address").split(','))
        .all(|a| a.trim().parse().is_ok_and(loopback))
}

async fn metrics_page(State(state): State<AppState>, req: Request) -> Response {
    if let Err(status) = allowed(&state, &req) {
        let mut r = plain(status, "metrics: not allowed");
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        return r;
    }
    let mut out = String::with_capacity(16 * 1024);
    metrics::render(&mut out);
    render_store(&state, &mut out).await;
    let mut r = out.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

/// The gauges read from the store at scrape time: the pool and the after-save queue.
async fn render_store(state: &AppState, out: &mut String) {
    let p = state.store.pool_stats();
    let _ = writeln!(
        out,
        "# HELP gugus_db_pool_connections Database connections by state.\n\
         # TYPE gugus_db_pool_connections gauge\n\
         gugus_db_pool_connections{{state=\"in_use\"}} {}\n\
         gugus_db_pool_connections{{state=\"idle\"}} {}\n\
         # HELP gugus_db_pool_max_connections Most connections the pool opens.\n\
         # TYPE gugus_db_pool_max_connections gauge\n\
         gugus_db_pool_max_connections {}",
        p.open.saturating_sub(p.idle),
        p.idle,
        p.max
    );
    let (entries, commits) = state.store.audit_batch_counts();
    let _ = writeln!(
        out,
        "# HELP gugus_audit_view_entries_total View and search entries appended by group commit.\n\
         # TYPE gugus_audit_view_entries_total counter\n\
         gugus_audit_view_entries_total {entries}\n\
         # HELP gugus_audit_view_commits_total Transactions that appended them.\n\
         # TYPE gugus_audit_view_commits_total counter\n\
         gugus_audit_view_commits_total {commits}"
    );
    let Ok(a) = state.store.after_save_stats().await else {
        return;
    };
    for (name, kind, help, v) in [
        (
            "gugus_after_save_retried_total",
            "counter",
            "After-save steps that failed transiently and were run again at once.",
            a.retried as i64,
        ),
        (
            "gugus_after_save_queued_total",
            "counter",
            "Cases queued because their after-save steps still failed.",
            a.queued as i64,
        ),
        (
            "gugus_after_save_recovered_total",
            "counter",
            "Queued cases whose after-save steps the worker has since completed.",
            a.recovered as i64,
        ),
        (
            "gugus_after_save_waiting",
            "gauge",
            "Cases waiting in the after-save queue now.",
            a.waiting,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
        );
    }
}
