//! Several servers on one database (the national set-up): the background worker runs on
//! one node at a time, by a lease in `job_leases`, and no e-mail is sent twice nor any
//! referral escalated twice when two nodes' workers run at once. Each node is its own
//! `Store` handle on the test's database, as two `gugus serve` processes would be.

use crate::common::{TestApp, smtp::SmtpSink, today};
use crate::recovery::{case_worker_with_email, rescued_in_palangkaraya};
use std::collections::HashSet;
use std::time::Duration;
use store::Store;
use web::worker::{TickReport, WorkerConfig, lease_time, tick};

/// A second server on the app's database, with the app's clock (so a test can let a
/// lease run out).
async fn second_node(app: &TestApp) -> Store {
    Store::connect(app.db_url())
        .await
        .unwrap()
        .with_keyring(store::testing::test_keyring())
        .with_clock(app.store.clock().clone())
}

/// A referral from Palangka Raya to Kupang, ten days overdue.
async fn overdue_referral(app: &TestApp, name: &str) {
    let (_case, victim) = rescued_in_palangkaraya(app, name).await;
    let officer = app.actor("data-officer.palangkaraya").await;
    app.store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: "takeover".into(),
                basis: "vital_interest".into(),
                basis_note: "Korban terancam oleh perekrut.".into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    app.store
        .exec_raw_for_tests(
            "UPDATE referrals SET due_on = due_on - 10, sent_on = sent_on - 10 WHERE escalated_at IS NULL",
        )
        .await
        .unwrap();
}

/// How many notifications' e-mails are marked sent.
async fn sent(app: &TestApp) -> usize {
    app.store
        .exec_raw_for_tests(
            "UPDATE notifications SET email_state = 'sent' WHERE email_state = 'sent'",
        )
        .await
        .unwrap() as usize
}

/// Every message the sink received differs in recipient, subject (the kind) or link.
fn all_different(got: &[serde_json::Value]) {
    let mut seen = HashSet::new();
    for m in got {
        let key = (
            m["rcpt_tos"].to_string(),
            m["subject"].to_string(),
            m["body"].to_string(),
        );
        assert!(seen.insert(key), "sent twice: {m:#}");
    }
}

#[tokio::test]
async fn two_nodes_run_the_worker_once_and_the_survivor_takes_over() {
    let app = TestApp::spawn().await;
    let other = second_node(&app).await;
    assert_ne!(app.store.node_id(), other.node_id());
    let sink = SmtpSink::start().await;
    case_worker_with_email(&app, app.units["kupang"], "pekerja.kupang").await;
    case_worker_with_email(&app, app.units["palangkaraya"], "pekerja.pky").await;
    for name in ["Yohana Uji Satu", "Maria Uji Dua", "Agustina Uji Tiga"] {
        overdue_referral(&app, name).await;
    }
    let cfg = WorkerConfig {
        smtp: Some(web::mail::SmtpConfig::parse(&sink.url()).unwrap()),
        public_url: "https://gugus.test.invalid".into(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };

    // Both nodes' workers run at once: one does the pass, the other does nothing.
    let (a, b) = tokio::join!(tick(&app.store, &cfg), tick(&other, &cfg));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.elsewhere != b.elsewhere,
        "exactly one node runs: {a:?} {b:?}"
    );
    let (ran, idle) = if a.elsewhere { (b, a) } else { (a, b) };
    assert_eq!(ran.escalated, 3, "{ran:?}");
    assert_eq!(
        idle,
        TickReport {
            elsewhere: true,
            ..Default::default()
        }
    );
    // Per referral: Kupang's case worker was told of it, and both units' case workers of
    // its escalation — once each.
    assert_eq!(ran.mailed, 9, "{ran:?}");
    let got = sink.wait_for(9, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 9);
    all_different(&got);
    assert_eq!(sent(&app).await, 9);

    // While the first node lives, the other stays idle even with new work waiting.
    let (holder, standby) = if a.elsewhere {
        (&other, &app.store)
    } else {
        (&app.store, &other)
    };
    overdue_referral(&app, "Theresia Uji Empat").await;
    let r = tick(standby, &cfg).await.unwrap();
    assert!(r.elsewhere && r.escalated == 0, "{r:?}");

    // The holder dies (stops renewing): once its lease has run out, the other takes the
    // worker over, and the old holder, were it back, waits its turn.
    let clock = app.store.clock();
    clock.set_now_ms(clock.now_ms() + lease_time(cfg.every).as_millis() as i64 + 1_000);
    let s = tick(standby, &cfg).await;
    let h = tick(holder, &cfg).await;
    let (s, h) = (s.unwrap(), h.unwrap());
    assert!(!s.elsewhere && s.escalated == 1 && s.mailed == 3, "{s:?}");
    assert!(h.elsewhere && h.escalated == 0 && h.mailed == 0, "{h:?}");
    let got = sink.wait_for(12, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 12);
    all_different(&got);
    assert_eq!(sent(&app).await, 12);
}

#[tokio::test]
async fn racing_workers_never_send_an_email_twice() {
    // Many rounds of both nodes' passes at once, a lease handed back before each: whoever
    // wins, every e-mail goes out once and every referral escalates once.
    let app = TestApp::spawn().await;
    let other = second_node(&app).await;
    let sink = SmtpSink::start().await;
    case_worker_with_email(&app, app.units["kupang"], "pekerja.kupang").await;
    let cfg = WorkerConfig {
        smtp: Some(web::mail::SmtpConfig::parse(&sink.url()).unwrap()),
        public_url: "https://gugus.test.invalid".into(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    let names = [
        "Uji Lomba Satu",
        "Uji Lomba Dua",
        "Uji Lomba Tiga",
        "Uji Lomba Empat",
    ];
    let mut escalated = 0;
    for name in names {
        overdue_referral(&app, name).await;
        app.store.release_lease(web::worker::LEASE).await.unwrap();
        other.release_lease(web::worker::LEASE).await.unwrap();
        let (a, b) = tokio::join!(tick(&app.store, &cfg), tick(&other, &cfg));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.elsewhere != b.elsewhere, "{a:?} {b:?}");
        escalated += a.escalated + b.escalated;
    }
    assert_eq!(escalated, names.len());
    // Per referral: Kupang's case worker is told of it and of its escalation.
    let mails = 2 * names.len();
    let got = sink.wait_for(mails, Duration::from_secs(10)).await;
    assert_eq!(got.len(), mails);
    all_different(&got);
    assert_eq!(sent(&app).await, mails);
}

#[tokio::test]
async fn a_lease_has_one_holder_and_a_released_one_passes_on() {
    let app = TestApp::spawn().await;
    let other = second_node(&app).await;
    let ttl = Duration::from_secs(30);
    let (a, b) = tokio::join!(
        app.store.take_lease("probe", ttl),
        other.take_lease("probe", ttl)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a != b, "one holder: {a} {b}");
    let (holder, standby) = if a {
        (&app.store, &other)
    } else {
        (&other, &app.store)
    };
    // The holder renews; the other cannot take it.
    assert!(holder.take_lease("probe", ttl).await.unwrap());
    assert!(!standby.take_lease("probe", ttl).await.unwrap());
    // Another job's lease is separate.
    assert!(standby.take_lease("other-job", ttl).await.unwrap());
    // Released at shutdown, it passes to the next node that asks.
    standby.release_lease("probe").await.unwrap();
    assert!(
        !standby.take_lease("probe", ttl).await.unwrap(),
        "only the holder releases"
    );
    holder.release_lease("probe").await.unwrap();
    assert!(standby.take_lease("probe", ttl).await.unwrap());
    assert!(!holder.take_lease("probe", ttl).await.unwrap());
}
