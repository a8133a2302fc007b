//! Backup and restore as an operator uses them (issue 17, item 1), on SQLite and on the
//! PostgreSQL of `GUGUS_TEST_DATABASE_URL`: a backup taken while a server receives API
//! writes, restored into a fresh database and verified; the refusals of bad input; the
//! scheduled backups of `gugus serve`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bad_input;
mod common;

use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Cases acknowledged (201) by the server, in order.
type Acked = Arc<Mutex<Vec<(i64, String)>>>;

fn writer(
    base: String,
    token: String,
    acked: Acked,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let c = reqwest::Client::new();
        let mut i = 0;
        while !stop.load(Ordering::Relaxed) {
            let (status, body) = api(
                &c,
                &base,
                &token,
                reqwest::Method::POST,
                "/api/v1/cases",
                Some(case_json(i)),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            acked
                .lock()
                .unwrap()
                .push((body["id"].as_i64().unwrap(), victim_name(i)));
            i += 1;
        }
    })
}

async fn wait_for_acks(acked: &Acked, n: usize) {
    while acked.lock().unwrap().len() < n {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_every_acknowledged_case() {
    let db = store::testing::fresh_db().await;
    let dir = tempdir("writes");
    let d = dir.0.clone();
    let token = officer_token(&d, &db.url).await;
    let server = start(gugus(&d, &db.url, "k.key", &[]));
    let acked: Acked = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(
        server.base.clone(),
        token.clone(),
        acked.clone(),
        stop.clone(),
    );
    wait_for_acks(&acked, 5).await;

    // Everything acknowledged before the backup starts must be in it.
    let before: Vec<(i64, String)> = acked.lock().unwrap().clone();
    let (dd, url) = (d.clone(), db.url.clone());
    let o = tokio::task::spawn_blocking(move || {
        run(
            &dd,
            &url,
            "k.key",
            &["backup", "--out", "office.gugus-backup"],
        )
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let during = acked.lock().unwrap().len() - before.len();
    stop.store(true, Ordering::Relaxed);
    w.await.unwrap();
    assert!(
        during > 0,
        "the server kept acknowledging writes during the backup"
    );
    drop(server);
    assert!(listing(&d).contains(&"office.gugus-backup".to_owned()));
    assert!(
        !listing(&d)
            .iter()
            .any(|n| n.contains("partial") || n.contains(".copy-")),
        "no temporary file is left: {:?}",
        listing(&d)
    );

    // The file and the passphrase alone bring the office back: a fresh database, no key.
    let target = empty_target(&d, 1).await;
    let o = run(
        &d,
        &target.url,
        "restored.key",
        &["restore", "office.gugus-backup"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("restored.key"))
            .unwrap()
            .trim(),
        KEY_HEX,
        "the instance key comes back with the data"
    );
    let o = run(
        &d,
        &db.url,
        "k.key",
        &["backup", "verify", "office.gugus-backup"],
    );
    assert!(o.status.success(), "{}", err(&o));
    let report = out(&o);
    for line in [
        "integrity: ok",
        "audit chain: intact",
        "identities: a sample decrypts with the key in the backup",
        "key: the backup's key is the one in k.key",
        "backup verified: ok",
    ] {
        assert!(report.contains(line), "{line} in {report}");
    }
    let o = run(&d, &target.url, "restored.key", &["check"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("integrity: ok"), "{}", out(&o));
    let o = run(&d, &target.url, "restored.key", &["audit", "verify"]);
    assert!(o.status.success(), "{}", err(&o));

    // Served from the restored database, every case acknowledged before the backup is
    // there and its victim's name decrypts (the token came back with the accounts).
    let restored = start(gugus(&d, &target.url, "restored.key", &[]));
    let c = reqwest::Client::new();
    for (id, name) in &before {
        let (status, body) = api(
            &c,
            &restored.base,
            &token,
            reqwest::Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "case {id}: {body}");
        assert_eq!(
            body["victims"][0]["name"].as_str(),
            Some(name.as_str()),
            "case {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_made_and_the_oldest_pruned() {
    let db = store::testing::fresh_db().await;
    let dir = tempdir("schedule");
    let d = dir.0.clone();
    officer_token(&d, &db.url).await;
    let backups = d.join("backups");
    std::fs::create_dir(&backups).unwrap();
    // A file that is not ours is never pruned.
    std::fs::write(backups.join("notes.txt"), "catatan").unwrap();
    // Options rather than the environment: a server that does not know them exits at once.
    let server = start_with(
        gugus(&d, &db.url, "k.key", &[]),
        &[
            "--backup-dir",
            backups.to_str().unwrap(),
            "--backup-every-hours",
            "0.0002",
            "--backup-keep",
            "2",
        ],
    );
    let ours = |l: Vec<String>| -> Vec<String> {
        l.into_iter()
            .filter(|n| n.starts_with("gugus-") && n.ends_with(".gugus-backup"))
            .collect()
    };
    // Wait (no time limit but the harness's) until a third backup has replaced the first.
    let mut first: Option<String> = None;
    loop {
        let now = ours(listing(&backups));
        // Two kept, plus for a moment the newest before the oldest is pruned.
        assert!(now.len() <= 3, "old backups are pruned: {now:?}");
        if first.is_none() && !now.is_empty() {
            first = Some(now[0].clone());
        }
        if let Some(f) = &first
            && now.len() >= 2
            && !now.contains(f)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(server);
    assert!(listing(&backups).contains(&"notes.txt".to_owned()));
    let newest = ours(listing(&backups)).pop().unwrap();
    let path = backups.join(newest);
    let o = run(
        &d,
        &db.url,
        "k.key",
        &["backup", "verify", path.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("backup verified: ok"), "{}", out(&o));
}
