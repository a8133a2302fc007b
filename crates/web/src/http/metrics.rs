//! The process's counters for `/metrics` (Prometheus text format, written by hand: a few
//! counters and one histogram do not need a crate). Labels are route templates, methods,
//! statuses, job names and reasons — never a concrete path, a name or an address.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (b, le) in self.buckets.iter_mut().zip(BUCKETS) {
            if secs <= le {
                *b += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }
}

#[derive(Default)]
struct MethodStats {
    statuses: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// Why a login was refused.
#[derive(Clone, Copy)]
pub enum LoginFailure {
    /// Wrong user name or password.
    Invalid,
    /// Wrong second-factor code.
    SecondFactor,
    /// The account is locked after too many failures.
    Locked,
    /// Too many attempts from one address.
    Throttled,
}

const LOGIN_REASONS: [&str; 4] = ["invalid", "second_factor", "locked", "throttled"];

#[derive(Default)]
pub struct Metrics {
    /// route template → method → counts.
    requests: Mutex<HashMap<String, BTreeMap<&'static str, MethodStats>>>,
    /// (job, ok) → runs.
    jobs: Mutex<BTreeMap<(&'static str, bool), u64>>,
    logins: [AtomicU64; 4],
    mails_sent: AtomicU64,
    mails_failed: AtomicU64,
    after_save_failed: AtomicU64,
    connections: AtomicI64,
    refused: AtomicU64,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

/// A method as a label: the standard ones, else "other" (a client cannot add labels).
fn method_label(m: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == m.as_str())
        .unwrap_or("other")
}

/// Middleware: counts every request by route template, method and status, and its time.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().cloned();
    let resp = next.run(req).await;
    let route = route
        .as_ref()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let secs = started.elapsed().as_secs_f64();
    if let Ok(mut map) = METRICS.requests.lock() {
        let per_route = match map.get_mut(route) {
            Some(m) => m,
            None => map.entry(route.to_owned()).or_default(),
        };
        let s = per_route.entry(method).or_default();
        *s.statuses.entry(resp.status().as_u16()).or_default() += 1;
        s.latency.observe(secs);
    }
    resp
}

pub fn login_failed(reason: LoginFailure) {
    METRICS.logins[reason as usize].fetch_add(1, Ordering::Relaxed);
}

/// One run of a background job, and whether it succeeded.
pub fn job_run(job: &'static str, ok: bool) {
    if let Ok(mut j) = METRICS.jobs.lock() {
        *j.entry((job, ok)).or_default() += 1;
    }
}

pub fn mail(sent: bool) {
    let c = if sent {
        &METRICS.mails_sent
    } else {
        &METRICS.mails_failed
    };
    c.fetch_add(1, Ordering::Relaxed);
}

/// Queued after-save steps that failed again in a worker pass.
pub fn after_save_failed(n: usize) {
    METRICS
        .after_save_failed
        .fetch_add(n as u64, Ordering::Relaxed);
}

pub(crate) fn connection_opened() {
    METRICS.connections.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn connection_refused() {
    METRICS.refused.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn connection_closed() {
    METRICS.connections.fetch_sub(1, Ordering::Relaxed);
}

/// A label value, escaped as the text format wants.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The process's counters in the text format (the database gauges are added by the caller).
pub fn render(out: &mut String) {
    render_requests(out);
    header(
        out,
        "gugus_http_connections_open",
        "gauge",
        "HTTP connections open now.",
    );
    let open = METRICS.connections.load(Ordering::Relaxed);
    let _ = writeln!(out, "gugus_http_connections_open {open}");
    header(
        out,
        "gugus_http_connections_refused_total",
        "counter",
        "Connections closed at once because their address held its share.",
    );
    let refused = METRICS.refused.load(Ordering::Relaxed);
    let _ = writeln!(out, "gugus_http_connections_refused_total {refused}");
    header(
        out,
        "gugus_job_runs_total",
        "counter",
        "Background job passes by job and outcome.",
    );
    if let Ok(jobs) = METRICS.jobs.lock() {
        for ((job, ok), n) in jobs.iter() {
            let outcome = if *ok { "ok" } else { "failed" };
            let _ = writeln!(
                out,
                "gugus_job_runs_total{{job=\"{job}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    header(
        out,
        "gugus_login_failures_total",
        "counter",
        "Refused logins by reason (locked = refused because the account is locked).",
    );
    for (reason, c) in LOGIN_REASONS.iter().zip(&METRICS.logins) {
        let n = c.load(Ordering::Relaxed);
        let _ = writeln!(out, "gugus_login_failures_total{{reason=\"{reason}\"}} {n}");
    }
    header(
        out,
        "gugus_emails_total",
        "counter",
        "Notification e-mails by outcome.",
    );
    let (sent, failed) = (
        METRICS.mails_sent.load(Ordering::Relaxed),
        METRICS.mails_failed.load(Ordering::Relaxed),
    );
    let _ = writeln!(out, "gugus_emails_total{{outcome=\"sent\"}} {sent}");
    let _ = writeln!(out, "gugus_emails_total{{outcome=\"failed\"}} {failed}");
    header(
        out,
        "gugus_after_save_worker_failures_total",
        "counter",
        "Queued after-save steps that failed again in a worker pass.",
    );
    let n = METRICS.after_save_failed.load(Ordering::Relaxed);
    let _ = writeln!(out, "gugus_after_save_worker_failures_total {n}");
}

fn render_requests(out: &mut String) {
    let Ok(map) = METRICS.requests.lock() else {
        return;
    };
    let mut routes: Vec<_> = map.iter().collect();
    routes.sort_by(|a, b| a.0.cmp(b.0));
    header(
        out,
        "gugus_http_requests_total",
        "counter",
        "HTTP requests by route template, method and status.",
    );
    for (route, methods) in &routes {
        let route = esc(route);
        for (method, s) in methods.iter() {
            for (status, n) in &s.statuses {
                let _ = writeln!(
                    out,
                    "gugus_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
    }
    let name = "gugus_http_request_duration_seconds";
    header(
        out,
        name,
        "histogram",
        "Time to answer, by route template and method.",
    );
    for (route, methods) in &routes {
        let route = esc(route);
        for (method, s) in methods.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let h = &s.latency;
            for (le, n) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {n}");
            }
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "{name}_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", h.count);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = super::Histogram::default();
        h.observe(0.003);
        h.observe(0.2);
        assert_eq!(h.buckets[0], 1);
        assert_eq!(h.buckets[5], 2);
        assert_eq!(h.count, 2);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
