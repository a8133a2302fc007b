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

mod cases {
    use super::*;
    use domain::case::{CaseInput, NewCase, VictimInput, parse_day};
    use store::{CaseFilter, CaseId};

    fn today() -> i64 {
        store::now_ms() / 86_400_000
    }

    fn input(name: &str, nik: &str) -> CaseInput {
        CaseInput {
            channel: "police".into(),
            reported_on: "2026-03-02".into(),
            exploitation_from: "2025-06-01".into(),
            rescued_on: "2026-02-20".into(),
            chronology: format!("{name} direkrut lewat sponsor ke Malaysia."),
            trafficking_status: "confirmed".into(),
            exploitation: vec!["migrant_work".into()],
            means_of_control: vec!["withholds_documents".into(), "debt_bondage".into()],
            sector: "T".into(),
            victims: vec![VictimInput {
                name: name.into(),
                nik: nik.into(),
                sex: "female".into(),
                birth_date: "1999-08-17".into(),
                phone: "0812 3456 7890".into(),
                home_village: "53.04.01.2001".into(),
                education: "smp".into(),
                migrant_status: "pmi".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    async fn setup() -> (store::testing::TestDb, Store, Actor, Actor, Actor) {
        let (db, store) = open().await;
        let store = store.with_keyring(store::testing::test_keyring());
        let kalteng = unit(&store, "GT Provinsi Kalimantan Tengah", "62").await;
        let belu = unit(&store, "GT Kabupaten Belu", "53.04").await;
        user(&store, "data.belu", belu, "data_officer").await;
        user(&store, "pemantau.belu", belu, "viewer").await;
        user(&store, "data.kalteng", kalteng, "data_officer").await;
        let officer = actor(&store, "data.belu").await;
        let viewer = actor(&store, "pemantau.belu").await;
        let outsider = actor(&store, "data.kalteng").await;
        (db, store, officer, viewer, outsider)
    }

    #[tokio::test]
    async fn create_view_and_identity_protection() {
        let (db, store, officer, viewer, outsider) = setup().await;
        let new = NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap();
        let (id, code) = store.create_case(&officer, &new).await.unwrap();
        let year = domain::time::civil_from_days(today()).0;
        assert_eq!(code, format!("TPPO-53.04-{year}-00001"));
        let (_, code2) = store.create_case(&officer, &new).await.unwrap();
        assert_eq!(code2, format!("TPPO-53.04-{year}-00002"));
        // The officer sees identities.
        let v = store.case(&officer, id).await.unwrap();
        assert!(v.identities_visible);
        assert_eq!(v.victims[0].name.as_deref(), Some("Yuliana Tefa"));
        assert_eq!(v.victims[0].nik.as_deref(), Some("5304015708990001"));
        assert_eq!(v.victims[0].initials, "Y. T.");
        assert_eq!(v.means_of_control, ["debt_bondage", "withholds_documents"]);
        assert!(v.chronology.as_deref().unwrap().contains("Malaysia"));
        // A viewer sees the case, initials only.
        let m = store.case(&viewer, id).await.unwrap();
        assert!(!m.identities_visible);
        assert_eq!(
            (
                m.victims[0].name.clone(),
                m.victims[0].nik.clone(),
                m.chronology.clone()
            ),
            (None, None, None)
        );
        assert_eq!(m.victims[0].initials, "Y. T.");
        // A partner officer (outside any referral) sees code and initials only, too.
        let belu = store
            .unit_id_by_name("GT Kabupaten Belu")
            .await
            .unwrap()
            .unwrap();
        user(&store, "mitra.belu", belu, "partner_officer").await;
        let partner = actor(&store, "mitra.belu").await;
        let p = store.case(&partner, id).await.unwrap();
        assert_eq!(
            (
                p.identities_visible,
                p.victims[0].name.clone(),
                p.victims[0].initials.as_str()
            ),
            (false, None, "Y. T.")
        );
        // Another region: not found.
        assert!(matches!(
            store.case(&outsider, id).await,
            Err(StoreError::NotFound)
        ));
        // Both reads are audited, the identity read as such.
        let log = store
            .audit_list(
                &system(),
                &store::AuditFilter {
                    record_type: Some("case".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(
            log.iter()
                .any(|e| e.action == "case.identity_view" && e.actor_username == "data.belu")
        );
        assert!(
            log.iter()
                .any(|e| e.action == "case.view" && e.actor_username == "pemantau.belu")
        );
        // The raw tables hold no plaintext.
        let perp =
            store::NewPerpetrator::parse("person", "Yosef Calo", "Om Yos", "5304011708990002")
                .unwrap();
        store
            .add_perpetrator(&officer, id, &perp, "broker")
            .await
            .unwrap();
        let raw = Store::connect(&db.url).await.unwrap();
        let mut dump = String::new();
        for table in [
            "victims",
            "cases",
            "perpetrators",
            "victim_name_tokens",
            "perpetrator_name_tokens",
        ] {
            dump += &raw.dump_table_for_tests(table).await.unwrap();
        }
        for secret in [
            "Yuliana",
            "Tefa",
            "yuliana",
            "5304015708990001",
            "0812 3456 7890",
            "Malaysia",
            "Yosef",
            "yosef",
            "Om Yos",
            "5304011708990002",
        ] {
            assert!(!dump.contains(secret), "{secret} stored in plaintext");
        }
        // A store without the key cannot read identities.
        assert!(raw.case(&officer, id).await.is_err());
    }

    #[tokio::test]
    async fn nik_and_name_search_use_blind_indexes_and_respect_scope() {
        let (_db, store, officer, viewer, outsider) = setup().await;
        store
            .create_case(
                &officer,
                &NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap(),
            )
            .await
            .unwrap();
        store
            .create_case(
                &officer,
                &NewCase::parse(&input("Maria Bere", "5304014101010002"), today()).unwrap(),
            )
            .await
            .unwrap();
        let by = |q: &str| CaseFilter {
            q: q.into(),
            per_page: 50,
            ..Default::default()
        };
        let hits = store
            .list_cases(&officer, &by("5304 0157 0899 0001"))
            .await
            .unwrap();
        assert_eq!(hits.rows.len(), 1);
        assert_eq!(hits.rows[0].initials, "Y. T.");
        assert_eq!(
            store
                .list_cases(&officer, &by("tefa yuliana"))
                .await
                .unwrap()
                .rows
                .len(),
            1
        );
        assert_eq!(
            store.list_cases(&officer, &by("bere")).await.unwrap().rows[0].initials,
            "M. B."
        );
        assert!(
            store
                .list_cases(&officer, &by("Siti"))
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        // Roles without identity rights cannot probe by NIK or name…
        assert!(
            store
                .list_cases(&viewer, &by("5304015708990001"))
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        // …and other regions find nothing.
        assert!(
            store
                .list_cases(&outsider, &by("5304015708990001"))
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        assert!(
            store
                .list_cases(
                    &outsider,
                    &CaseFilter {
                        per_page: 50,
                        ..Default::default()
                    }
                )
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        // Searches are audited without the searched value.
        let log = store
            .audit_list(
                &system(),
                &store::AuditFilter {
                    action: Some("case.search".into()),
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(log.iter().any(|e| e.detail.starts_with("by=nik")));
        assert!(log.iter().all(|e| !e.detail.contains("5304")));
    }

    #[tokio::test]
    async fn filters_and_paging() {
        let (_db, store, officer, _viewer, _outsider) = setup().await;
        for i in 0..5 {
            let mut inp = input(&format!("Korban Uji{i}"), "");
            inp.reported_on = format!("2026-0{}-10", i + 1);
            if i == 4 {
                inp.victims[0].birth_date = "2012-01-01".into();
                inp.trafficking_status = "possible".into();
                inp.exploitation = vec!["sexual".into()];
            }
            store
                .create_case(&officer, &NewCase::parse(&inp, today()).unwrap())
                .await
                .unwrap();
        }
        let all = CaseFilter {
            per_page: 2,
            ..Default::default()
        };
        let p0 = store.list_cases(&officer, &all).await.unwrap();
        assert_eq!((p0.rows.len(), p0.more), (2, true));
        assert_eq!(
            domain::case::format_day(p0.rows[0].reported_on),
            "2026-05-10"
        );
        let p2 = store
            .list_cases(
                &officer,
                &CaseFilter {
                    page: 2,
                    ..all.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!((p2.rows.len(), p2.more), (1, false));
        let f = |f: CaseFilter| {
            let store = store.clone();
            let officer = officer.clone();
            async move {
                store
                    .list_cases(&officer, &CaseFilter { per_page: 50, ..f })
                    .await
                    .unwrap()
                    .rows
                    .len()
            }
        };
        assert_eq!(
            f(CaseFilter {
                child: Some(true),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            f(CaseFilter {
                exploitation: Some("sexual".into()),
                ..Default::default()
            })
            .await,
            1
        );
        assert_eq!(
            f(CaseFilter {
                trafficking_status: Some("confirmed".into()),
                ..Default::default()
            })
            .await,
            4
        );
        let (from, to) = (parse_day("2026-02-01"), parse_day("2026-03-31"));
        assert_eq!(
            f(CaseFilter {
                from,
                to,
                ..Default::default()
            })
            .await,
            2
        );
        assert_eq!(
            f(CaseFilter {
                region: Some(rc("53.04")),
                sex: Some("female".into()),
                ..Default::default()
            })
            .await,
            5
        );
        assert_eq!(
            f(CaseFilter {
                region: Some(rc("53.01")),
                ..Default::default()
            })
            .await,
            0
        );
        let year = domain::time::civil_from_days(today()).0;
        assert_eq!(
            f(CaseFilter {
                q: format!("tppo-53.04-{year}-0000"),
                ..Default::default()
            })
            .await,
            5
        );
    }

    #[tokio::test]
    async fn bad_codes_are_field_errors_and_concurrent_edits_conflict() {
        let (_db, store, officer, viewer, outsider) = setup().await;
        let mut bad = input("Yuliana Tefa", "5304015708990001");
        bad.channel = "pigeon".into();
        bad.exploitation = vec!["nope".into()];
        bad.victims[0].home_village = "53.04.01.9999".into();
        bad.victims[0].education = "phd".into();
        let err = store
            .create_case(&officer, &NewCase::parse(&bad, today()).unwrap())
            .await
            .unwrap_err();
        let StoreError::Invalid(e) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "channel",
                "exploitation",
                "victims[0].education",
                "victims[0].home_village"
            ]
        );
        let nik_elsewhere = input("Yuliana Tefa", "9904015708990001");
        let err = store
            .create_case(&officer, &NewCase::parse(&nik_elsewhere, today()).unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid(ref e) if e.0[0].key == "err.nik_district"),
            "{err:?}"
        );
        // Viewers may not register cases.
        let good = NewCase::parse(&input("Yuliana Tefa", "5304015708990001"), today()).unwrap();
        assert!(matches!(
            store.create_case(&viewer, &good).await,
            Err(StoreError::Forbidden)
        ));
        let (id, _) = store.create_case(&officer, &good).await.unwrap();
        // Two officers open version 1; the first save wins, the second is told.
        let mut edited = input("Yuliana Tefa", "5304015708990001");
        edited.trafficking_status = "possible".into();
        let edited = NewCase::parse(&edited, today()).unwrap();
        assert_eq!(
            store.update_case(&officer, id, 1, &edited).await.unwrap(),
            2
        );
        assert!(matches!(
            store.update_case(&officer, id, 1, &good).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            store.case(&officer, id).await.unwrap().trafficking_status,
            "possible"
        );
        assert!(matches!(
            store.update_case(&outsider, id, 2, &good).await,
            Err(StoreError::NotFound)
        ));
        // Victim ids survive an edit.
        let before = store.case(&officer, id).await.unwrap().victims[0].id;
        store.update_case(&officer, id, 2, &good).await.unwrap();
        assert_eq!(
            store.case(&officer, CaseId(id.0)).await.unwrap().victims[0].id,
            before
        );
    }

    #[tokio::test]
    async fn key_rotation_round_trip() {
        let (db, store, officer, _viewer, _outsider) = setup().await;
        let mut ids = Vec::new();
        for name in ["Yuliana Tefa", "Maria Bere", "Agustina Seran"] {
            let nik = match name {
                "Yuliana Tefa" => "5304015708990001",
                "Maria Bere" => "5304014101010002",
                _ => "",
            };
            ids.push(
                store
                    .create_case(
                        &officer,
                        &NewCase::parse(&input(name, nik), today()).unwrap(),
                    )
                    .await
                    .unwrap()
                    .0,
            );
        }
        let broker = store
            .add_perpetrator(
                &officer,
                ids[0],
                &store::NewPerpetrator::parse("person", "Yosef Calo", "", "").unwrap(),
                "broker",
            )
            .await
            .unwrap();
        // Recovery's free text and an evidence file, under the old key.
        let victim = store.case(&officer, ids[0]).await.unwrap().victims[0].id;
        let service = store
            .add_service(
                &officer,
                victim,
                &store::NewService {
                    service_code: "shelter".into(),
                    unit_id: Some(officer.unit_id.0),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
        store
            .update_service(
                &officer,
                service,
                &store::ServiceUpdate {
                    status: "in_progress".into(),
                    outcome: "Tinggal di rumah aman bersama adiknya.".into(),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
        let evidence = store
            .add_evidence(&officer, service, "surat.pdf", b"%PDF-1.4 rahasia")
            .await
            .unwrap();
        let new_secret = [7u8; 32];
        let rotating = Store::connect(&db.url).await.unwrap().with_keyring(
            store::crypto::Keyring::new(&new_secret, Some(&store::testing::TEST_SECRET)).unwrap(),
        );
        // While rotating, both old and new rows read fine.
        assert_eq!(
            rotating.case(&officer, ids[0]).await.unwrap().victims[0]
                .name
                .as_deref(),
            Some("Yuliana Tefa")
        );
        let stats = rotating.rotate_keys(&system(), 2).await.unwrap();
        assert_eq!((stats.victims, stats.cases), (3, 3));
        assert_eq!(stats.recovery, 3, "outcome, file name and file body");
        assert_eq!(
            rotating.rotate_keys(&system(), 2).await.unwrap().victims,
            0,
            "a second run has nothing left to do"
        );
        // Afterwards the new key alone reads everything and finds by NIK and name…
        let after = Store::connect(&db.url)
            .await
            .unwrap()
            .with_keyring(store::crypto::Keyring::new(&new_secret, None).unwrap());
        for (id, name) in ids
            .iter()
            .zip(["Yuliana Tefa", "Maria Bere", "Agustina Seran"])
        {
            let v = after.case(&officer, *id).await.unwrap();
            assert_eq!(v.victims[0].name.as_deref(), Some(name));
            assert!(v.chronology.unwrap().starts_with(name));
        }
        let by = |q: &str| CaseFilter {
            q: q.into(),
            per_page: 10,
            ..Default::default()
        };
        assert_eq!(
            after
                .list_cases(&officer, &by("5304014101010002"))
                .await
                .unwrap()
                .rows
                .len(),
            1
        );
        assert_eq!(
            after
                .list_cases(&officer, &by("agustina"))
                .await
                .unwrap()
                .rows
                .len(),
            1
        );
        let plan = after.plan(&officer, victim, today()).await.unwrap();
        assert_eq!(
            plan.services[0].outcome.as_deref(),
            Some("Tinggal di rumah aman bersama adiknya.")
        );
        let (name, _, bytes) = after.evidence(&officer, evidence).await.unwrap();
        assert_eq!(
            (name.as_str(), bytes.as_slice()),
            ("surat.pdf", b"%PDF-1.4 rahasia".as_slice())
        );
        // …and the old key no longer reads anything.
        assert!(store.case(&officer, ids[0]).await.is_err());
        assert!(store.evidence(&officer, evidence).await.is_err());
        assert_eq!(
            after
                .perpetrator(&officer, broker)
                .await
                .unwrap()
                .name
                .as_deref(),
            Some("Yosef Calo")
        );
        assert_eq!(
            after
                .find_perpetrators(&officer, "yosef", None)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            store
                .list_cases(&officer, &by("5304014101010002"))
                .await
                .unwrap()
                .rows
                .is_empty()
        );
        let log = after
            .audit_list(
                &system(),
                &store::AuditFilter {
                    action: Some("keys.rotate".into()),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(log[0].detail, "victims=0 cases=0 perpetrators=0 recovery=0");
        assert_eq!(log[1].detail, "victims=3 cases=3 perpetrators=1 recovery=3");
        // The linkage keys were recomputed under the new key: a second registration of
        // Maria Bere is still found as a possible duplicate.
        let (again, _) = after
            .create_case(
                &officer,
                &NewCase::parse(&input("MARIA BERE", "5304014101010002"), today()).unwrap(),
            )
            .await
            .unwrap();
        let dups = after.case_duplicates(&officer, again).await.unwrap();
        assert_eq!(dups.len(), 1, "{dups:?}");
        assert_eq!(dups[0].other_case, ids[1].0);
    }
}
