//! Store behaviour, run unchanged on SQLite and (with GUGUS_TEST_DATABASE_URL) PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::unit::NewUnit;
use domain::user::NewUser;
use domain::{Actor, RegionCode, RegionLevel, Role, Scope, UnitId};
use store::testing::fresh_db;
use store::{LoginOutcome, Store, StoreError};

fn rc(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

async fn open() -> (store::testing::TestDb, Store) {
    let db = fresh_db().await;
    let store = Store::connect(&db.url).await.unwrap();
    (db, store)
}

fn system() -> Actor {
    Actor::system(UnitId(1))
}

async fn unit(store: &Store, name: &str, region: &str) -> UnitId {
    store
        .create_unit(
            &system(),
            &NewUnit::parse(name, "task_force", region).unwrap(),
        )
        .await
        .unwrap()
}

async fn user(store: &Store, username: &str, unit: UnitId, role: &str) -> domain::UserId {
    let u = NewUser::parse(
        username,
        "Petugas Uji",
        "",
        &unit.0.to_string(),
        role,
        "kata-sandi-uji-99",
    )
    .unwrap();
    store.create_user(&system(), &u).await.unwrap()
}

async fn actor(store: &Store, username: &str) -> Actor {
    let LoginOutcome::Ok { token, .. } = store
        .login(username, "kata-sandi-uji-99", "127.0.0.1")
        .await
        .unwrap()
    else {
        panic!("login failed")
    };
    store.session(&token).await.unwrap().unwrap().actor
}

#[tokio::test]
async fn region_reference_is_complete_and_subtrees_use_the_index() {
    let (_db, store) = open().await;
    assert_eq!(store.region_counts().await.unwrap(), [38, 514, 7285, 83762]);
    // Loading again is a no-op.
    assert!(store.ensure_regions().await.unwrap().is_none());
    let kalteng = rc("62");
    let villages = store
        .count_in_subtree(&kalteng, RegionLevel::Village)
        .await
        .unwrap();
    let regencies = store
        .count_in_subtree(&kalteng, RegionLevel::Regency)
        .await
        .unwrap();
    assert_eq!(regencies, 14);
    assert!(villages > 1000 && villages < 2000, "{villages}");
    assert_eq!(
        store
            .count_in_subtree(&rc("62.71"), RegionLevel::Regency)
            .await
            .unwrap(),
        1
    );
    let plan = store.explain_region_subtree(&rc("62.71")).await.unwrap();
    match store.backend() {
        store::Backend::Sqlite => {
            assert!(plan.contains("SEARCH") && !plan.contains("SCAN"), "{plan}")
        }
        store::Backend::Postgres => assert!(
            plan.contains("Index") && !plan.contains("Seq Scan"),
            "{plan}"
        ),
    }
}

#[tokio::test]
async fn region_detail_and_search() {
    let (_db, store) = open().await;
    let a = system();
    let d = store.region(&a, &rc("62.71")).await.unwrap();
    assert_eq!(d.region.name, "Kota Palangkaraya");
    assert_eq!(
        d.ancestors
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        ["62"]
    );
    assert!(d.children.iter().all(|c| c.code.starts_with("62.71.")) && !d.children.is_empty());
    assert!(matches!(
        store.region(&a, &rc("62.99")).await,
        Err(StoreError::NotFound)
    ));
    // Exact names first (two villages called Palangka), then word-prefix matches by level.
    let hits = store.search_regions(&a, "palangka", 10).await.unwrap();
    assert_eq!(hits[0].name, "Palangka");
    assert_eq!(hits[1].name, "Palangka");
    assert_eq!(hits[2].code, "62.71");
    let hits = store.search_regions(&a, "Palangkaraya", 10).await.unwrap();
    assert_eq!(hits[0].code, "62.71");
    let hits = store.search_regions(&a, "53.04", 5).await.unwrap();
    assert_eq!(hits[0].name, "Kabupaten Belu");
    assert!(store.search_regions(&a, "%", 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn admins_see_and_manage_only_their_subtree() {
    let (_db, store) = open().await;
    let kalteng = unit(&store, "GT Provinsi Kalimantan Tengah", "62").await;
    let ntt = unit(&store, "GT Provinsi NTT", "53").await;
    let kupang = unit(&store, "GT Kabupaten Kupang", "53.01").await;
    user(&store, "admin.kalteng", kalteng, "admin").await;
    let ntt_user = user(&store, "data.kupang", kupang, "data_officer").await;
    user(&store, "data.ntt", ntt, "data_officer").await;
    let a = actor(&store, "admin.kalteng").await;
    let visible: Vec<String> = store
        .list_users(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(visible, ["admin.kalteng"]);
    assert!(matches!(
        store.user(&a, ntt_user).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .reset_password(&a, ntt_user, "sandi-baru-yang-panjang")
            .await,
        Err(StoreError::NotFound)
    ));
    // A unit outside the subtree is a field error, not a leak.
    let err = store
        .create_unit(
            &a,
            &NewUnit::parse("UPTD PPA Kupang", "service_unit", "53.01").unwrap(),
        )
        .await;
    assert!(
        matches!(err, Err(StoreError::Invalid(ref i)) if i.0[0].field == "region_code"),
        "{err:?}"
    );
    // A region that does not exist is a field error too.
    let err = store
        .create_unit(&a, &NewUnit::parse("X", "ngo", "62.99").unwrap())
        .await;
    assert!(matches!(err, Err(StoreError::Invalid(ref i)) if i.0[0].key == "err.region_unknown"));
    // Non-admins are refused outright.
    let d = actor(&store, "data.ntt").await;
    assert!(matches!(
        store.list_users(&d).await,
        Err(StoreError::Forbidden)
    ));
    // National admin sees everyone.
    assert_eq!(store.list_users(&system()).await.unwrap().len(), 3);
}

#[tokio::test]
async fn duplicate_username_is_a_field_error() {
    let (_db, store) = open().await;
    let u = unit(&store, "GT Kota Palangkaraya", "62.71").await;
    user(&store, "petugas.satu", u, "viewer").await;
    let again = NewUser::parse(
        "Petugas.Satu",
        "Lain",
        "",
        &u.0.to_string(),
        "viewer",
        "kata-sandi-uji-99",
    )
    .unwrap();
    let err = store.create_user(&system(), &again).await;
    assert!(
        matches!(err, Err(StoreError::Invalid(ref i)) if i.0[0].key == "err.username_taken"),
        "{err:?}"
    );
}

#[tokio::test]
async fn lockout_after_repeated_failures_same_for_unknown_names() {
    let (_db, store) = open().await;
    let u = unit(&store, "GT Kabupaten Belu", "53.04").await;
    user(&store, "data.belu", u, "data_officer").await;
    for _ in 0..4 {
        assert_eq!(
            store
                .login("data.belu", "salah-salah-salah", "10.0.0.1")
                .await
                .unwrap(),
            LoginOutcome::Invalid
        );
        assert_eq!(
            store
                .login("tidak.ada", "salah-salah-salah", "10.0.0.1")
                .await
                .unwrap(),
            LoginOutcome::Invalid
        );
    }
    assert!(matches!(
        store
            .login("data.belu", "salah-salah-salah", "10.0.0.1")
            .await
            .unwrap(),
        LoginOutcome::Locked { .. }
    ));
    assert!(matches!(
        store
            .login("tidak.ada", "salah-salah-salah", "10.0.0.1")
            .await
            .unwrap(),
        LoginOutcome::Locked { .. }
    ));
    // Even the right password is refused while locked.
    assert!(matches!(
        store
            .login("data.belu", "kata-sandi-uji-99", "10.0.0.1")
            .await
            .unwrap(),
        LoginOutcome::Locked { .. }
    ));
    // An admin reset clears the lock.
    let id = store
        .user_id_by_username("data.belu")
        .await
        .unwrap()
        .unwrap();
    store
        .reset_password(&system(), id, "kata-sandi-uji-99")
        .await
        .unwrap();
    assert!(matches!(
        store
            .login("data.belu", "kata-sandi-uji-99", "10.0.0.1")
            .await
            .unwrap(),
        LoginOutcome::Ok { .. }
    ));
}

#[tokio::test]
async fn sessions_expire_and_end_when_disabled() {
    let (_db, store) = open().await;
    let u = unit(&store, "GT Kabupaten Kupang", "53.01").await;
    let id = user(&store, "viewer.kupang", u, "viewer").await;
    let LoginOutcome::Ok {
        token,
        needs_second_factor,
    } = store
        .login("viewer.kupang", "kata-sandi-uji-99", "x")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(!needs_second_factor);
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!(s.actor.scope, Scope::Region(rc("53.01")));
    assert_eq!(s.actor.role, Role::Viewer);
    // A second handle on the same database (another server process) sees the session.
    let db_url = _db.url.clone();
    let other = Store::connect(&db_url).await.unwrap();
    assert!(other.session(&token).await.unwrap().is_some());
    store.set_user_disabled(&system(), id, true).await.unwrap();
    assert!(store.session(&token).await.unwrap().is_none());
    assert_eq!(
        store
            .login("viewer.kupang", "kata-sandi-uji-99", "x")
            .await
            .unwrap(),
        LoginOutcome::Invalid
    );
    store.set_user_disabled(&system(), id, false).await.unwrap();
    // Idle expiry.
    let strict = store.clone().with_policy(store::AuthPolicy {
        idle_ms: -1,
        ..Default::default()
    });
    let LoginOutcome::Ok { token, .. } = strict
        .login("viewer.kupang", "kata-sandi-uji-99", "x")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(strict.session(&token).await.unwrap().is_none());
    // Absolute expiry, however active the session.
    let capped = store.clone().with_policy(store::AuthPolicy {
        absolute_ms: -1,
        ..Default::default()
    });
    let LoginOutcome::Ok { token, .. } = capped
        .login("viewer.kupang", "kata-sandi-uji-99", "x")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(capped.session(&token).await.unwrap().is_none());
    assert!(
        store.session(&token).await.unwrap().is_none(),
        "an expired session is deleted"
    );
    assert!(store.session("not-a-token").await.unwrap().is_none());
}

#[tokio::test]
async fn totp_second_factor() {
    let (_db, store) = open().await;
    let u = unit(&store, "UPTD PPA Kota Palangkaraya", "62.71").await;
    user(&store, "cw.palangka", u, "case_worker").await;
    let a = actor(&store, "cw.palangka").await;
    let setup = store.totp_begin(&a).await.unwrap();
    let secret = domain::totp::base32_decode(&setup.secret_base32).unwrap();
    let now = (store::now_ms() / 1000) as u64;
    let code = |t: u64| format!("{:06}", domain::totp::code_at_step(&secret, t / 30));
    let LoginOutcome::Ok { token, .. } = store
        .login("cw.palangka", "kata-sandi-uji-99", "x")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(store.totp_confirm(&a, &token, "000000").await.is_err() || code(now) == "000000");
    store.totp_confirm(&a, &token, &code(now)).await.unwrap();
    let LoginOutcome::Ok {
        token,
        needs_second_factor,
    } = store
        .login("cw.palangka", "kata-sandi-uji-99", "x")
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(needs_second_factor);
    assert!(
        !store
            .session(&token)
            .await
            .unwrap()
            .unwrap()
            .second_factor_ok
    );
    // The code already used for enrolment cannot be replayed; the next step's code works.
    assert_eq!(
        store
            .verify_second_factor(&token, &a, &code(now))
            .await
            .unwrap(),
        LoginOutcome::Invalid
    );
    let next = code(now + 30);
    assert!(matches!(
        store.verify_second_factor(&token, &a, &next).await.unwrap(),
        LoginOutcome::Ok { .. }
    ));
    assert!(
        store
            .session(&token)
            .await
            .unwrap()
            .unwrap()
            .second_factor_ok
    );
}

#[tokio::test]
async fn api_tokens_are_hashed_scoped_and_revocable() {
    let (_db, store) = open().await;
    let u = unit(&store, "GT Kabupaten Kotawaringin Timur", "62.02").await;
    user(&store, "analis.kotim", u, "analyst").await;
    let a = actor(&store, "analis.kotim").await;
    let t = store.create_token(&a, "laporan bulanan").await.unwrap();
    let secret = t.secret.expose().clone();
    let via = store
        .token_actor(&secret, "1.2.3.4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (via.user_id, via.role, via.scope.clone()),
        (a.user_id, Role::Analyst, Scope::Region(rc("62.02")))
    );
    store.revoke_token(&a, t.id).await.unwrap();
    assert!(
        store
            .token_actor(&secret, "1.2.3.4")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .token_actor("gug_nonsense", "x")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn audit_chain_detects_tampering() {
    let (db, store) = open().await;
    let u = unit(&store, "GT Kota Palangkaraya", "62.71").await;
    for i in 0..5 {
        user(&store, &format!("petugas.{i}"), u, "viewer").await;
    }
    let report = store.audit_verify().await.unwrap();
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(report.checked >= 6);
    // The log refuses ordinary updates and deletes.
    let raw = Store::connect(&db.url).await.unwrap();
    assert!(
        raw.exec_raw_for_tests("UPDATE audit_log SET detail = 'x' WHERE seq = 3")
            .await
            .is_err()
    );
    assert!(
        raw.exec_raw_for_tests("DELETE FROM audit_log WHERE seq = 3")
            .await
            .is_err()
    );
    // Someone with database access drops the guard and edits an entry: verify names it.
    raw.disable_audit_guard_for_tests().await.unwrap();
    raw.exec_raw_for_tests("UPDATE audit_log SET detail = 'role=admin' WHERE seq = 3")
        .await
        .unwrap();
    let r = store.audit_verify().await.unwrap();
    assert_eq!(r.error, Some(domain::audit::ChainError::Altered { seq: 3 }));
    assert_eq!(r.checked, 2);
}

#[tokio::test]
async fn audit_chain_detects_deletion_and_truncation() {
    let (db, store) = open().await;
    let u = unit(&store, "GT Kota Palangkaraya", "62.71").await;
    for i in 0..4 {
        user(&store, &format!("petugas.{i}"), u, "viewer").await;
    }
    let raw = Store::connect(&db.url).await.unwrap();
    raw.disable_audit_guard_for_tests().await.unwrap();
    raw.exec_raw_for_tests("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(
        store.audit_verify().await.unwrap().error,
        Some(domain::audit::ChainError::Deleted { seq: 2 })
    );
    let (db, store) = open().await;
    let u = unit(&store, "GT Kota Palangkaraya", "62.71").await;
    user(&store, "petugas.x", u, "viewer").await;
    let raw = Store::connect(&db.url).await.unwrap();
    raw.disable_audit_guard_for_tests().await.unwrap();
    raw.exec_raw_for_tests("DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(
        store.audit_verify().await.unwrap().error,
        Some(domain::audit::ChainError::Truncated { last: 1, head: 2 })
    );
}

#[tokio::test]
async fn audit_list_is_scoped_to_the_admins_region() {
    let (_db, store) = open().await;
    let kalteng = unit(&store, "GT Provinsi Kalimantan Tengah", "62").await;
    let ntt = unit(&store, "GT Provinsi NTT", "53").await;
    user(&store, "admin.kalteng", kalteng, "admin").await;
    user(&store, "admin.ntt", ntt, "admin").await;
    let k = actor(&store, "admin.kalteng").await;
    let n = actor(&store, "admin.ntt").await;
    store
        .create_unit(
            &n,
            &NewUnit::parse("UPTD PPA Kab. Belu", "service_unit", "53.04").unwrap(),
        )
        .await
        .unwrap();
    let seen = store
        .audit_list(
            &k,
            &store::AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        seen.iter().all(|r| r.actor_region.starts_with("62")),
        "{seen:?}"
    );
    assert!(seen.iter().any(|r| r.action == "auth.login"));
    let filtered = store
        .audit_list(
            &system(),
            &store::AuditFilter {
                action: Some("unit.create".into()),
                username: Some("admin.ntt".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].detail, "kind=service_unit region=53.04");
}

mod cases;
