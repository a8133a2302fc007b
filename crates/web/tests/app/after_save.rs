//! The steps after a committed case save (rule hits, the incremental duplicate check) are
//! never lost: a transient failure (a PostgreSQL deadlock) is retried at once, and a step
//! that still fails queues the case for the background worker, which finishes it later.
//! The duplicate check runs beside the save's answer, and a read of pairs waits for it.

use crate::api_recovery::post;
use crate::common::{self, TestApp};
use std::time::Duration;
use store::Backend;

fn person(name: &str) -> serde_json::Value {
    let mut i = common::sample_input(name);
    i.victims[0].nik = "5301054508990003".into();
    i.victims[0].birth_date = "1999-08-05".into();
    serde_json::to_value(i).unwrap()
}

async fn pending_pairs(app: &TestApp) -> usize {
    let nat = app.actor("verifier.nasional").await;
    app.store
        .linkage_pairs(&nat, "pending")
        .await
        .unwrap()
        .len()
}

/// Makes every insert of a proposed pair fail as a deadlock would (PostgreSQL) or with an
/// error (SQLite, where a trigger cannot raise a busy database); `times` = how many times on
/// PostgreSQL before inserts succeed again (0: always).
async fn break_pair_inserts(app: &TestApp, times: i64) {
    let sql = match app.store.backend() {
        Backend::Sqlite => "CREATE TRIGGER fail_pairs BEFORE INSERT ON linkage_pairs \
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;"
            .to_owned(),
        Backend::Postgres => format!(
            "CREATE SEQUENCE fail_pairs_seq; \
             CREATE FUNCTION fail_pairs() RETURNS trigger AS $$ BEGIN \
               IF {times} = 0 OR nextval('fail_pairs_seq') <= {times} THEN \
                 RAISE EXCEPTION 'deadlock detected (simulated)' USING ERRCODE = '40P01'; \
               END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER fail_pairs BEFORE INSERT ON linkage_pairs \
               FOR EACH ROW EXECUTE FUNCTION fail_pairs();"
        ),
    };
    app.store.exec_script_for_tests(&sql).await.unwrap();
}

async fn mend_pair_inserts(app: &TestApp) {
    let sql = match app.store.backend() {
        Backend::Sqlite => "DROP TRIGGER fail_pairs;",
        Backend::Postgres => "DROP TRIGGER fail_pairs ON linkage_pairs;",
    };
    app.store.exec_script_for_tests(sql).await.unwrap();
}

/// The same woman registered in Kupang, then — with pair inserts failing `times` times —
/// in Palangka Raya; both saves stand.
async fn register_twice_with_failing_inserts(app: &TestApp, times: i64) {
    let kupang = app.token("data-officer.kupang").await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    let r = post(app, &kupang, "/api/v1/cases", person("Maria Goreti Seran")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    break_pair_inserts(app, times).await;
    let second = person("MARIA GORETTI SERAN");
    let r = post(app, &palangkaraya, "/api/v1/cases", second).await;
    assert_eq!(r.status, 201, "the save itself stands: {}", r.body);
}

#[tokio::test]
async fn a_failed_duplicate_check_is_queued_and_finished_by_the_worker() {
    let app = TestApp::spawn().await;
    register_twice_with_failing_inserts(&app, 0).await;
    assert_eq!(
        pending_pairs(&app).await,
        0,
        "the pair could not be written"
    );
    let stats = app.store.after_save_stats().await.unwrap();
    assert_eq!((stats.waiting, stats.queued), (1, 1), "{stats:?}");
    if app.store.backend() == Backend::Postgres {
        assert_eq!(stats.retried, 3, "a deadlock is retried before queueing");
    }

    let cfg = web::worker::WorkerConfig {
        smtp: None,
        public_url: String::new(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    // Still failing: the case stays queued.
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!((r.after_save_done, r.after_save_failed), (0, 1));

    mend_pair_inserts(&app).await;
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!((r.after_save_done, r.after_save_failed), (1, 0));
    assert_eq!(
        pending_pairs(&app).await,
        1,
        "the pair is proposed after all"
    );
    let stats = app.store.after_save_stats().await.unwrap();
    assert_eq!((stats.waiting, stats.recovered), (0, 1), "{stats:?}");
}

#[tokio::test]
async fn a_deadlock_in_the_duplicate_check_is_retried_at_once() {
    let app = TestApp::spawn().await;
    if app.store.backend() != Backend::Postgres {
        // SQLite serialises writers with its lock and busy timeout: no deadlock to retry.
        return;
    }
    register_twice_with_failing_inserts(&app, 1).await;
    assert_eq!(
        pending_pairs(&app).await,
        1,
        "proposed on the second attempt"
    );
    let stats = app.store.after_save_stats().await.unwrap();
    assert_eq!((stats.retried, stats.queued, stats.waiting), (1, 0, 0));
}

#[tokio::test]
async fn a_failing_queue_pass_does_not_stop_the_rest_of_the_worker() {
    let app = TestApp::spawn().await;
    // The queue cannot even be read (as if its table were damaged): the pass is counted as
    // failed and the worker goes on to escalations and e-mails instead of giving up.
    app.store
        .exec_script_for_tests("ALTER TABLE after_save_queue RENAME TO after_save_queue_gone;")
        .await
        .unwrap();
    let cfg = web::worker::WorkerConfig {
        smtp: None,
        public_url: String::new(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    let r = web::worker::tick(&app.store, &cfg).await;
    let r = r.expect("the pass goes on");
    assert_eq!((r.after_save_done, r.after_save_failed), (0, 1));
}

#[tokio::test]
async fn a_save_answers_before_its_duplicate_check_and_the_pair_list_waits_for_it() {
    let app = TestApp::spawn().await;
    if app.store.backend() != Backend::Postgres {
        // The check starts as the save commits; only PostgreSQL lets a test hold the pair
        // table against inserts while the rest of the save goes through.
        return;
    }
    let kupang = app.token("data-officer.kupang").await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    let r = post(&app, &kupang, "/api/v1/cases", person("Maria Goreti Seran")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.store.after_save_settled().await;
    // Inserts into the pair table wait (reads do not) until the test lets go.
    let held = app
        .store
        .hold_for_tests("LOCK TABLE linkage_pairs IN SHARE ROW EXCLUSIVE MODE")
        .await
        .unwrap();
    let second = person("MARIA GORETTI SERAN");
    // A save that waited for its check would wait for the test: the bound only turns that
    // hang into a failure.
    let r = tokio::time::timeout(
        Duration::from_secs(60),
        post(&app, &palangkaraya, "/api/v1/cases", second),
    )
    .await
    .expect("the save answers while its duplicate check is held up");
    assert_eq!(r.status, 201, "{}", r.body);

    let list = tokio::spawn({
        let store = app.store.clone();
        let nat = app.actor("verifier.nasional").await;
        async move { store.linkage_pairs(&nat, "pending").await.unwrap().len() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !list.is_finished(),
        "the pair list waits for the running check instead of answering without its pair"
    );
    held.release().await.unwrap();
    assert_eq!(
        list.await.unwrap(),
        1,
        "the pair is listed once the check ends"
    );
}
