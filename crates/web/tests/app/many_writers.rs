//! A busy office on one database: 16 writers at once through the API (case creates,
//! restitution ledger lines on one victim — each of which reads all of that victim's
//! earlier lines inside its write — and service updates). None may fail, and every write
//! is there afterwards; on SQLite and (with GUGUS_TEST_DATABASE_URL) PostgreSQL.

use crate::api_recovery::{date, get, new_case, post};
use crate::common::{TestApp, today};
use serde_json::json;
use std::sync::Arc;

/// Writes per writer.
const EACH: usize = 20;
const CASE_WRITERS: usize = 6;
const LEDGER_WRITERS: usize = 6;
const SERVICE_WRITERS: usize = 4;

/// Earlier ledger lines of the victim, so each ledger write (which reads them all inside its
/// transaction) holds the write lock a while, as on a victim with a long history.
const EARLIER_LINES: i64 = 2_000;

/// What one writer did: (what, status) of every request that did not succeed.
type Failures = Vec<(String, u16, String)>;

async fn case_writer(app: Arc<TestApp>, token: String, w: usize) -> (Vec<i64>, Failures) {
    let mut ids = Vec::new();
    let mut failed = Vec::new();
    for i in 0..EACH {
        let body = serde_json::to_value(crate::common::sample_input(&format!(
            "Korban Sibuk {w} {i}"
        )))
        .unwrap();
        let r = post(&app, &token, "/api/v1/cases", body).await;
        if r.status == 201 {
            ids.push(r.json()["id"].as_i64().unwrap());
        } else {
            failed.push((format!("case {w}/{i}"), r.status, r.body));
        }
    }
    (ids, failed)
}

/// `day`: today by the app's clock, read on the test's thread (the clock is the test
/// thread's; a spawned task on another worker thread would read the system's instead).
async fn ledger_writer(
    app: Arc<TestApp>,
    token: String,
    victim: i64,
    w: usize,
    day: i64,
) -> Failures {
    let mut failed = Vec::new();
    for i in 0..EACH {
        let line = json!({"track": "restitution", "kind": "award", "amount": 1_000 + (w * EACH + i) as i64, "on_day": date(day)});
        let r = post(
            &app,
            &token,
            &format!("/api/v1/victims/{victim}/ledger"),
            line,
        )
        .await;
        if r.status != 201 {
            failed.push((format!("ledger {w}/{i}"), r.status, r.body));
        }
    }
    failed
}

async fn service_writer(app: Arc<TestApp>, token: String, service: i64, w: usize) -> Failures {
    let mut failed = Vec::new();
    for i in 0..EACH {
        let status = if i % 2 == 0 { "in_progress" } else { "planned" };
        let body = json!({"status": status, "outcome": format!("Langkah {w} {i}")});
        let r = post(&app, &token, &format!("/api/v1/services/{service}"), body).await;
        if r.status != 204 {
            failed.push((format!("service {w}/{i}"), r.status, r.body));
        }
    }
    failed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_writers_all_succeed_and_every_write_is_kept() {
    let app = Arc::new(TestApp::spawn().await);
    let token = app.token("data-officer.palangkaraya").await;
    let unit = app.units["palangkaraya"].0;
    let (_, victim) = new_case(&app, &token, "Maria Sibuk").await;
    app.store
        .exec_script_for_tests(&format!(
            "INSERT INTO ledger_entries (case_id, victim_id, track, kind, amount, on_day, note_enc, confirmed, created_by, created_at) \
             SELECT v.case_id, v.id, 'restitution', 'award', 1, {}, NULL, 0, 'uji', 0 FROM victims v, \
             (WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < {EARLIER_LINES}) SELECT k FROM n) AS n \
             WHERE v.id = {victim}",
            today()
        ))
        .await
        .unwrap();
    let mut services = Vec::new();
    for _ in 0..SERVICE_WRITERS {
        let r = post(
            &app,
            &token,
            &format!("/api/v1/victims/{victim}/services"),
            json!({"service_code": "shelter", "unit_id": unit}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        services.push(r.json()["id"].as_i64().unwrap());
    }

    // Each writer is a client of its own (a token each), all starting at once.
    let mut cases = Vec::new();
    for w in 0..CASE_WRITERS {
        let own = app.token("data-officer.palangkaraya").await;
        cases.push(tokio::spawn(case_writer(app.clone(), own, w)));
    }
    let mut others = Vec::new();
    for w in 0..LEDGER_WRITERS {
        others.push(tokio::spawn(ledger_writer(
            app.clone(),
            app.token("data-officer.palangkaraya").await,
            victim,
            w,
            today(),
        )));
    }
    for (w, service) in services.iter().enumerate() {
        others.push(tokio::spawn(service_writer(
            app.clone(),
            app.token("data-officer.palangkaraya").await,
            *service,
            w,
        )));
    }
    let mut failed = Vec::new();
    let mut created = Vec::new();
    for h in cases {
        let (ids, f) = h.await.unwrap();
        created.extend(ids);
        failed.extend(f);
    }
    for h in others {
        failed.extend(h.await.unwrap());
    }
    assert!(failed.is_empty(), "failed writes: {failed:?}");

    // Every case is there, every ledger line, and each service holds its last update.
    assert_eq!(created.len(), CASE_WRITERS * EACH);
    for id in &created {
        let r = get(&app, &token, &format!("/api/v1/cases/{id}")).await;
        assert_eq!(r.status, 200, "case {id}: {}", r.body);
    }
    let plan = get(&app, &token, &format!("/api/v1/victims/{victim}/plan"))
        .await
        .json();
    let n = (LEDGER_WRITERS * EACH) as i64;
    let want: i64 = EARLIER_LINES + (0..n).map(|k| 1_000 + k).sum::<i64>();
    let lines = plan["ledger"]["lines"].as_array().unwrap();
    assert_eq!(lines.len() as i64, EARLIER_LINES + n, "ledger lines");
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(sum, want, "ledger amounts");
    for (w, service) in services.iter().enumerate() {
        let s = plan["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == *service)
            .unwrap();
        assert_eq!(
            s["outcome"].as_str(),
            Some(format!("Langkah {w} {}", EACH - 1).as_str()),
            "service {service}"
        );
    }
}
