//! Monitoring (issue 17, item 6): `/metrics` counts requests by route template and status
//! (a 404 and a failed login included) and refused logins, without concrete paths;
//! `/readyz` says whether the database answers; `/metrics` is refused to a client that is
//! not on loopback, and, with a token configured, to any request without it.
//!
//! The counters belong to the process and other tests run beside these: each check
//! compares a counter before and after this test's own requests.

use crate::common::{PASSWORD, TestApp};

async fn metrics(app: &TestApp) -> String {
    let r = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The value of the sample whose name and labels start with `series`, 0 when absent.
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, v) = l.rsplit_once(' ')?;
            (name == series).then(|| v.parse().unwrap())
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_failures_and_refused_logins() {
    let app = TestApp::spawn().await;
    let before = metrics(&app).await;
    let b = app.browser();
    assert_eq!(b.get("/healthz").await.status, 200);
    assert_eq!(b.get("/tidak-ada/korban-4711").await.status, 404);
    b.get("/login").await;
    let r = b
        .post_form(
            "/login",
            &[
                ("username", "admin.kalteng"),
                ("password", "salah-sekali-123"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(r.status, 401);
    let viewer = app.login("viewer.kalteng").await;
    let case = app
        .store
        .create_case(
            &app.actor("data-officer.kalteng").await,
            &crate::common::sample_case("Korban Metrik"),
        )
        .await
        .unwrap();
    assert_eq!(viewer.get(&format!("/cases/{}", case.0)).await.status, 200);
    let after = metrics(&app).await;
    for series in [
        r#"gugus_http_requests_total{route="/healthz",method="GET",status="200"}"#,
        r#"gugus_http_requests_total{route="unmatched",method="GET",status="404"}"#,
        r#"gugus_http_requests_total{route="/login",method="POST",status="401"}"#,
        r#"gugus_http_requests_total{route="/cases/{id}",method="GET",status="200"}"#,
        r#"gugus_http_request_duration_seconds_count{route="/cases/{id}",method="GET"}"#,
        r#"gugus_login_failures_total{reason="invalid"}"#,
    ] {
        assert!(
            value(&after, series) > value(&before, series),
            "{series} did not grow:\n{after}"
        );
    }
    // Route templates only: no concrete path, no id, no name.
    assert!(!after.contains("korban-4711"));
    assert!(!after.contains(&format!("/cases/{}\"", case.0)));
    assert!(!after.contains("Korban Metrik") && !after.contains("admin.kalteng"));
    // The database pool and the after-save queue are read at scrape time.
    assert!(value(&after, "gugus_db_pool_max_connections") >= 1.0);
    assert!(after.contains("gugus_after_save_waiting 0"));
    assert!(after.contains("# TYPE gugus_http_request_duration_seconds histogram"));
}

#[tokio::test]
async fn readyz_says_ready_and_not_ready_without_the_database() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready");
    assert_eq!(app.store.pending_migrations().await.unwrap(), 0);
    // Liveness does not touch the database; readiness does.
    app.store.close().await;
    let r = reqwest::get(format!("{}/readyz", app.base)).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("database unreachable"));
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn metrics_are_refused_to_a_client_beyond_loopback() {
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![7; 32],
            trust_proxy: true,
            ..Default::default()
        },
        None,
    )
    .await;
    let get = |xff: Option<&'static str>| {
        let mut r = reqwest::Client::new().get(format!("{}/metrics", app.base));
        if let Some(ip) = xff {
            r = r.header("x-forwarded-for", ip);
        }
        async move { r.send().await.unwrap() }
    };
    // A client the trusted proxy forwards from elsewhere.
    let r = get(Some("203.0.113.7")).await;
    assert_eq!(r.status(), 403);
    assert!(!r.text().await.unwrap().contains("gugus_http"));
    // Nor one that put a loopback address at the front of its own forwarding chain.
    assert_eq!(get(Some("127.0.0.1, 203.0.113.7")).await.status(), 403);
    // A logged-in session does not open it either.
    let admin = app.login("admin.nasional").await;
    let r = admin
        .client
        .get(format!("{}/metrics", app.base))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Loopback (the proxy itself, or a local scraper) is let in.
    assert_eq!(get(Some("127.0.0.1")).await.status(), 200);
    assert_eq!(get(None).await.status(), 200);
}

#[tokio::test]
async fn with_a_token_metrics_want_the_token() {
    let token = "rahasia-metrik-0123456789";
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![7; 32],
            metrics_token: Some(token.into()),
            ..Default::default()
        },
        None,
    )
    .await;
    let url = format!("{}/metrics", app.base);
    let c = reqwest::Client::new();
    // Without it, even from loopback.
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = c.get(&url).bearer_auth("salah").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("gugus_http_requests_total")
    );
    // A password is not a token.
    let r = c.get(&url).bearer_auth(PASSWORD).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn behind_the_proxy_the_login_limit_counts_the_address_the_proxy_saw() {
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![7; 32],
            trust_proxy: true,
            logins_per_minute: 2,
            ..Default::default()
        },
        None,
    )
    .await;
    let b = app.browser();
    b.get("/login").await;
    let attempt = |claimed: String, seen: &'static str| {
        let b = &b;
        async move {
            let token = b.csrf.lock().unwrap().clone();
            let chain = format!("{claimed}, {seen}");
            b.post_raw_form_with(
                "/login",
                &[
                    ("csrf", token.as_str()),
                    ("username", "tidak.ada"),
                    ("password", "salah-sekali-123"),
                ],
                &[("x-forwarded-for", chain.as_str())],
            )
            .await
            .status
        }
    };
    // One client (the proxy saw 198.51.100.9) writing a new address at the front of its
    // own header each time: still one client to the limiter.
    assert_eq!(attempt("10.0.0.1".into(), "198.51.100.9").await, 401);
    assert_eq!(attempt("10.0.0.2".into(), "198.51.100.9").await, 401);
    assert_eq!(
        attempt("10.0.0.3".into(), "198.51.100.9").await,
        429,
        "a third try in the minute is throttled whatever the client claims"
    );
    // Another client behind the same proxy is not.
    assert_eq!(attempt("10.0.0.3".into(), "198.51.100.10").await, 401);
}
