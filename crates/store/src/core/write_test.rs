//! The write guard on a real database (SQLite, or PostgreSQL with GUGUS_TEST_DATABASE_URL):
//! a write commits only with its audit entry, a refused check opens nothing, and the
//! entry carries the write's time from the store's clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::core::audit::Event;
use crate::{Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, RegionCode, Role, Scope, UnitId};

async fn store() -> (crate::testing::TestDb, Store) {
    let db = crate::testing::fresh_db().await;
    let s = Store::connect(&db.url)
        .await
        .unwrap()
        .with_keyring(crate::testing::test_keyring());
    (db, s)
}

fn viewer_in(region: &str) -> Actor {
    Actor {
        user_id: Some(domain::UserId(99)),
        username: "pemantau.uji".into(),
        unit_id: UnitId(1),
        role: Role::Viewer,
        scope: Scope::Region(RegionCode::parse(region).unwrap()),
        origin: None,
    }
}

async fn settings_rows(s: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM settings WHERE key = 'guard_test'")
        .fetch_one(s.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_write_commits_only_with_its_audit_entry() {
    let (_db, s) = store().await;
    let admin = Actor::system(UnitId(1));
    let audit_before = s.audit_verify().await.unwrap().checked;

    // Without an audit entry the commit is refused and nothing is kept.
    let allowed = s
        .allow(&admin, Action::ManageSettings, &Scope::National)
        .unwrap();
    let mut w = s.write(allowed).await.unwrap();
    sqlx::query("INSERT INTO settings (key, value) VALUES ('guard_test', 'x')")
        .execute(&mut *w)
        .await
        .unwrap();
    assert!(matches!(w.commit().await, Err(StoreError::Other(_))));
    assert_eq!(settings_rows(&s).await, 0);
    assert_eq!(s.audit_verify().await.unwrap().checked, audit_before);

    // With it, both are kept, at the instant of the store's clock.
    let at = 1_800_000_000_000; // 2027-01-15 08:00 UTC
    let s = s.with_clock(domain::time::Clock::system());
    s.clock().set_now_ms(at);
    let allowed = s
        .allow(&admin, Action::ManageSettings, &Scope::National)
        .unwrap();
    let mut w = s.write(allowed).await.unwrap();
    assert!((w.now_ms() - at).abs() < 1_000);
    sqlx::query("INSERT INTO settings (key, value) VALUES ('guard_test', 'y')")
        .execute(&mut *w)
        .await
        .unwrap();
    w.audit(Event {
        action: AuditAction::SettingsUpdate,
        record_type: "settings",
        record_id: "guard_test".into(),
        detail: String::new(),
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
    assert_eq!(settings_rows(&s).await, 1);
    let report = s.audit_verify().await.unwrap();
    assert_eq!(report.checked, audit_before + 1);
    assert!(report.error.is_none());
    let last_at: i64 = sqlx::query_scalar("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert!((last_at - at).abs() < 1_000);
}

#[tokio::test]
async fn a_refused_check_opens_no_write() {
    let (_db, s) = store().await;
    let viewer = viewer_in("62.71");
    assert!(matches!(
        s.allow(&viewer, Action::ManageSettings, &Scope::National),
        Err(StoreError::Forbidden | StoreError::NotFound)
    ));
    // A person is never the system actor of background jobs, whatever the role.
    let mut admin = Actor::system(UnitId(1));
    admin.user_id = Some(domain::UserId(1));
    assert!(s.allow_system(&admin).is_err());
    assert!(s.allow_system(&crate::job_actor()).is_ok());
    assert!(matches!(
        s.escalate_overdue(&viewer, 0).await,
        Err(StoreError::Forbidden)
    ));
    assert!(matches!(
        s.pending_mail(&admin, 10).await,
        Err(StoreError::Forbidden)
    ));
}

/// SQLite commits with `synchronous = FULL` unless told `normal` (PostgreSQL: no such pragma).
#[tokio::test]
async fn sqlite_durability_is_full_by_default_and_normal_on_request() {
    let db = crate::testing::fresh_db().await;
    if !db.url.starts_with("sqlite") {
        return;
    }
    for (durability, want) in [
        (crate::Durability::default(), 2),
        (crate::Durability::Full, 2),
        (crate::Durability::Normal, 1),
    ] {
        let s = Store::connect_with(&db.url, durability).await.unwrap();
        let got: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(got, want, "{durability:?}");
        s.close().await;
    }
    assert!(crate::Durability::parse(" Normal ").is_ok());
    assert!(crate::Durability::parse("off").is_err());
}

/// Views arriving together share a transaction (group commit) yet each is answered only
/// after its own entry is committed: 48 view entries queued behind another write are
/// each in the trail once, in an unbroken chain, written in at most two transactions (the
/// first leader's own entry, then everyone who queued behind it).
#[tokio::test]
async fn concurrent_views_are_group_committed_into_one_unbroken_chain() {
    let (_db, s) = store().await;
    let before = s.audit_verify().await.unwrap();
    assert!(before.is_intact());
    let (entries0, commits0) = s.audit_batch_counts();
    // Another write holds the trail's head (on SQLite the whole database) while the views
    // arrive.
    let mut held = s
        .maintenance(crate::core::write::Maintenance::Seed)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *held)
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..48 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let actor = viewer_in("62.71");
            let ev = Event {
                action: AuditAction::CaseView,
                record_type: "case",
                record_id: format!("group-{i}"),
                detail: String::new(),
            };
            s.audit(&actor, ev).await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "a view was answered before its entry could be written"
    );
    drop(held);
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let after = s.audit_verify().await.unwrap();
    assert!(after.is_intact());
    assert_eq!(after.checked, before.checked + 48);
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT record_id) FROM audit_log WHERE record_id LIKE 'group-%'",
    )
    .fetch_one(s.pool())
    .await
    .unwrap();
    assert_eq!(n, 48);
    let (entries, commits) = s.audit_batch_counts();
    assert_eq!(entries - entries0, 48);
    assert!(
        (1..=2).contains(&(commits - commits0)),
        "{} transactions",
        commits - commits0
    );
}

/// A bulk load (the generator) leaves the keys out while it inserts and writes them all
/// at the end, sorted: the same rows a save writes victim by victim.
#[tokio::test]
async fn a_bulk_load_writes_the_linkage_keys_a_save_would() {
    let (_db, s) = store().await;
    let region = RegionCode::parse("62.71").unwrap();
    let officer = Actor {
        user_id: None,
        username: "muat.massal".into(),
        unit_id: UnitId(1),
        role: Role::DataOfficer,
        scope: Scope::Region(region.clone()),
        origin: None,
    };
    let case = |name: &str, nik: &str| {
        let input = domain::case::CaseInput {
            channel: "police".into(),
            reported_on: "2026-03-02".into(),
            trafficking_status: "confirmed".into(),
            exploitation: vec!["forced_labour".into()],
            victims: vec![domain::case::VictimInput {
                name: name.into(),
                nik: nik.into(),
                sex: "female".into(),
                birth_date: "1999-08-17".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        domain::case::NewCase::parse(&input, 20_600).unwrap()
    };
    let after = s.max_victim_id().await.unwrap();
    let batch = vec![
        (
            UnitId(1),
            Some(region.clone()),
            case("Sri Wahyuni", "6271055708990001"),
        ),
        (
            UnitId(1),
            Some(region.clone()),
            case("Siti Aminah", "6271054508990003"),
        ),
    ];
    s.import_cases_deferring_keys(&officer, &batch)
        .await
        .unwrap();
    let keys = || async {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT key, victim_id FROM linkage_keys WHERE victim_id > $1 ORDER BY key, victim_id",
        )
        .bind(after)
        .fetch_all(s.pool())
        .await
        .unwrap()
    };
    assert!(
        keys().await.is_empty(),
        "keys written before the end of the load"
    );
    assert_eq!(s.build_linkage_keys_after(after).await.unwrap(), 2);
    let bulk = keys().await;
    assert!(bulk.len() >= 10, "{} keys", bulk.len());
    // Victim by victim, as a save writes them.
    s.rebuild_linkage_keys(None).await.unwrap();
    assert_eq!(keys().await, bulk);
}
