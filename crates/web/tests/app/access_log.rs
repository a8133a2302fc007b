//! "Who opened our victims' records": the owning unit sees every look at its case, also by
//! other regions (a referral partner's identity view, breaking the glass), on the case's
//! access log and through the audit page's filter; other regions get 404 and see nothing.
//! The break-the-glass reason is kept encrypted, read decrypted by the owning unit only,
//! survives a key rotation, and a reason an older version kept in plaintext is encrypted
//! at start-up.

use crate::common::{self, TestApp, today};
use crate::recovery::rescued_in_palangkaraya;
use domain::{Actor, UnitId};
use store::CaseId;

const REASON: &str = "Verifikasi silang dengan laporan Polda Kalteng nomor 17";

/// A Palangka Raya case referred to Kupang with the victim's identity shared, opened there;
/// and the province's data officer breaking the glass on it. Returns (case, referral).
async fn looked_at_from_outside(app: &TestApp) -> (CaseId, i64) {
    let (case, victim) = rescued_in_palangkaraya(app, "Maria Uji Jejak").await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let rid = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: "takeover".into(),
                shared: vec!["identity".into()],
                basis: "vital_interest".into(),
                basis_note: "Korban pulang ke daerah asal dan perlu pendampingan.".into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    let kupang = app.login("data-officer.kupang").await;
    let r = kupang.get(&format!("/referrals/{rid}")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Maria Uji Jejak"),
        "the identity was shared"
    );
    break_glass(app, case).await;
    (case, rid)
}

async fn break_glass(app: &TestApp, case: CaseId) {
    let province = app.login("data-officer.kalteng").await;
    province.get(&format!("/cases/{case}")).await;
    let r = province
        .post_form(&format!("/cases/{case}/break-glass"), &[("reason", REASON)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn the_owning_unit_sees_who_opened_its_records_and_other_regions_do_not() {
    let app = TestApp::spawn().await;
    let (case, rid) = looked_at_from_outside(&app).await;
    let log = format!("/cases/{case}/access-log");

    // The owning unit's admin: the case page links to the log, which names Kupang's
    // identity view through the referral and the province breaking the glass, with its reason.
    let admin = app.login("admin.palangkaraya").await;
    assert!(
        admin
            .get(&format!("/cases/{case}"))
            .await
            .body
            .contains(&log)
    );
    let page = admin.get(&log).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for needle in [
        "data-officer.kupang",
        "GT Kabupaten Kupang",
        "Membuka identitas korban melalui rujukan",
        "data-officer.kalteng",
        "GT Provinsi Kalimantan Tengah",
        "Membuka identitas korban dengan akses darurat",
        REASON,
        "luar wilayah kasus",
        // The unit's own look is there too.
        "data-officer.palangkaraya",
    ] {
        assert!(page.body.contains(needle), "log lacks {needle}");
    }
    assert!(
        !page.body.contains("Maria"),
        "no personal data of the victim"
    );
    let outside = admin.get(&format!("{log}?who=outside")).await.body;
    assert!(outside.contains("data-officer.kupang") && outside.contains(REASON));
    assert!(!outside.contains("data-officer.palangkaraya"));
    assert_eq!(admin.get(&format!("{log}?who=nobody")).await.status, 422);

    // The same through the API.
    let token = app.token("admin.palangkaraya").await;
    let r = common::api(
        &app.base,
        &token,
        "GET",
        &format!("/api/v1/cases/{case}/access-log"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    assert_eq!(j["reasons_shown"], true);
    let entries = j["entries"].as_array().unwrap();
    let find = |action: &str, user: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["username"] == user)
            .unwrap_or_else(|| panic!("no {action} by {user}: {entries:?}"))
    };
    let seen = find("referral.identity_view", "data-officer.kupang");
    assert_eq!(
        (
            &seen["region_code"],
            &seen["outside_unit"],
            &seen["outside_region"]
        ),
        (&"53.01".into(), &true.into(), &true.into())
    );
    let glass = find("case.break_glass", "data-officer.kalteng");
    assert_eq!(glass["reason"], REASON);
    assert!(glass["grant_id"].as_i64().is_some() && glass["expires_at_ms"].as_i64().is_some());

    // The audit page: "about our records, by others" shows both; the reason stays out of it.
    for path in ["/audit?about=ours_by_others", "/audit?about=ours"] {
        let audit = admin.get(path).await;
        assert_eq!(audit.status, 200, "{path}");
        for needle in [
            "data-officer.kupang",
            "referral.identity_view",
            "data-officer.kalteng",
            "case.break_glass",
        ] {
            assert!(audit.body.contains(needle), "{path} lacks {needle}");
        }
        assert!(
            !audit.body.contains(REASON),
            "{path}: the reason is not in the log"
        );
    }
    let ours = admin.get("/audit?about=ours").await.body;
    assert!(ours.contains("data-officer.palangkaraya"));
    let by_others = admin.get("/audit?about=ours_by_others").await.body;
    assert!(!by_others.contains("data-officer.palangkaraya"));
    // By default the page shows what the region's own staff did (as before).
    assert!(
        !admin
            .get("/audit")
            .await
            .body
            .contains("data-officer.kupang")
    );
    assert_eq!(admin.get("/audit?about=everything").await.status, 422);
    let api = common::api(
        &app.base,
        &token,
        "GET",
        "/api/v1/audit?about=ours_by_others&action=referral.identity_view",
        None,
    )
    .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let rows = api.json();
    let row = &rows.as_array().unwrap()[0];
    assert_eq!(
        (&row["actor_username"], &row["actor_region"], &row["origin"]),
        (&"data-officer.kupang".into(), &"53.01".into(), &"".into()),
        "who, from which region, not from where"
    );
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("referral={rid}"))
    );

    // The owning unit's data officer reads the reason too; its viewer may not read the log.
    let officer = app.login("data-officer.palangkaraya").await;
    assert!(officer.get(&log).await.body.contains(REASON));
    let viewer = app.login("viewer.palangkaraya").await;
    assert_eq!(viewer.get(&log).await.status, 403);
    // The province: its admin oversees the log without the reason; its data officer (who
    // broke the glass) may not read it.
    let province_admin = app.login("admin.kalteng").await;
    let p = province_admin.get(&log).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("data-officer.kupang") && !p.body.contains(REASON));
    let province_officer = app.login("data-officer.kalteng").await;
    assert_eq!(province_officer.get(&log).await.status, 403);

    // Another region: the case's log does not exist, and its audit filter shows nothing of it.
    let other = app.login("admin.kupang").await;
    assert_eq!(other.get(&log).await.status, 404);
    let other_token = app.token("admin.kupang").await;
    let r = common::api(
        &app.base,
        &other_token,
        "GET",
        &format!("/api/v1/cases/{case}/access-log"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    for path in ["/audit?about=ours", "/audit?about=ours_by_others"] {
        let body = other.get(path).await.body;
        assert!(
            !body.contains("Membuka identitas dengan alasan darurat</td>")
                && !body.contains("data-officer.kalteng"),
            "{path}"
        );
    }
    assert_eq!(
        app.login("data-officer.kupang")
            .await
            .get(&log)
            .await
            .status,
        404,
        "the referral partner does not see the case's log either"
    );
}

/// A second server over the same database whose store holds `keyring` (after a rotation,
/// servers start with the new key only).
async fn serve_with(app: &TestApp, keyring: store::crypto::Keyring) -> String {
    let store = app.store.clone().with_keyring(keyring);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let web_app = web::app(
        store,
        web::WebConfig {
            secret: vec![7; 32],
            ..Default::default()
        },
    );
    tokio::spawn(web::serve(listener, web_app, std::future::pending()));
    base
}

#[tokio::test]
async fn the_break_the_glass_reason_is_kept_encrypted_and_survives_a_key_rotation() {
    let app = TestApp::spawn().await;
    let (case, _) = rescued_in_palangkaraya(&app, "Yustina Uji Sandi").await;
    break_glass(&app, case).await;
    let raw = app
        .store
        .dump_table_for_tests("identity_grants")
        .await
        .unwrap();
    let old_key = store::testing::test_keyring().current_id().to_owned();
    assert!(
        raw.contains(&format!("v2:{old_key}:")),
        "encrypted under the key: {raw}"
    );
    assert!(
        !raw.contains("Polda") && !raw.contains(REASON),
        "no plaintext reason at rest: {raw}"
    );
    let trail = app.store.dump_table_for_tests("audit_log").await.unwrap();
    assert!(!trail.contains("Polda"), "nor in the audit trail");
    let owner = app.login("data-officer.palangkaraya").await;
    assert!(
        owner
            .get(&format!("/cases/{case}"))
            .await
            .body
            .contains(REASON)
    );
    assert!(
        owner
            .get(&format!("/cases/{case}/access-log"))
            .await
            .body
            .contains(REASON)
    );

    // `gugus keys rotate`: the new key with the old one, then servers with the new key only.
    let new_secret = [9u8; 32];
    let rotating = app.store.clone().with_keyring(
        store::crypto::Keyring::new(&new_secret, Some(&store::testing::TEST_SECRET)).unwrap(),
    );
    rotating
        .rotate_keys(&Actor::system(UnitId(1)), 2)
        .await
        .unwrap();
    let new_only = store::crypto::Keyring::new(&new_secret, None).unwrap();
    let new_key = new_only.current_id().to_owned();
    let raw = app
        .store
        .dump_table_for_tests("identity_grants")
        .await
        .unwrap();
    assert!(
        raw.contains(&format!("v2:{new_key}:")) && !raw.contains(&format!("v2:{old_key}:")),
        "re-encrypted under the new key: {raw}"
    );
    let base = serve_with(&app, new_only).await;
    let owner = common::Browser::new(&base);
    owner.get("/login").await;
    let r = owner
        .post_form(
            "/login",
            &[
                ("username", "data-officer.palangkaraya"),
                ("password", common::PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = owner.get(&format!("/cases/{case}/access-log")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains(REASON),
        "readable with the new key alone"
    );
}

#[tokio::test]
async fn a_reason_kept_in_plaintext_by_an_older_version_is_encrypted_at_start_up() {
    let app = TestApp::spawn().await;
    let (case, _) = rescued_in_palangkaraya(&app, "Agnes Uji Warisan").await;
    break_glass(&app, case).await;
    // The database as version 0014 found it: the reason in plaintext, nothing encrypted.
    app.store
        .exec_raw_for_tests(
            "UPDATE identity_grants SET legacy_reason = 'Alasan lama tersimpan tanpa enkripsi', reason_enc = NULL",
        )
        .await
        .unwrap();
    // What `gugus serve` does once the key is loaded.
    assert_eq!(app.store.encrypt_legacy_plaintext().await.unwrap(), 1);
    assert_eq!(app.store.encrypt_legacy_plaintext().await.unwrap(), 0);
    let raw = app
        .store
        .dump_table_for_tests("identity_grants")
        .await
        .unwrap();
    assert!(!raw.contains("Alasan lama"), "plaintext gone: {raw}");
    let owner = app.login("admin.palangkaraya").await;
    let page = owner.get(&format!("/cases/{case}/access-log")).await;
    assert!(page.body.contains("Alasan lama tersimpan tanpa enkripsi"));
}

#[tokio::test]
async fn a_national_duplicate_check_shows_in_both_owning_units_logs() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for (user, name) in [
        ("data-officer.palangkaraya", "Maria Goreti Seran"),
        ("data-officer.kupang", "MARIA GORETTI SERAN"),
    ] {
        let mut input = common::sample_input(name);
        input.victims[0].nik = "5301054508990003".into();
        input.victims[0].birth_date = "1999-08-05".into();
        let new = domain::case::NewCase::parse(&input, today()).unwrap();
        let actor = app.actor(user).await;
        ids.push(app.store.create_case(&actor, &new).await.unwrap().0);
    }
    let pky = app.actor("data-officer.palangkaraya").await;
    let pair = app.store.case_duplicates(&pky, ids[0]).await.unwrap()[0].pair_id;
    let nat = app.login("verifier.nasional").await;
    assert_eq!(nat.get(&format!("/linkage/{pair}")).await.status, 200);
    for (admin, case) in [("admin.palangkaraya", ids[0]), ("admin.kupang", ids[1])] {
        let b = app.login(admin).await;
        let log = b
            .get(&format!("/cases/{case}/access-log?who=outside"))
            .await;
        assert!(
            log.body.contains("verifier.nasional")
                && log
                    .body
                    .contains("Membandingkan pasangan kemungkinan data ganda"),
            "{admin}: {}",
            log.body
        );
        let audit = b.get("/audit?about=ours_by_others").await.body;
        assert!(audit.contains("linkage.view_pair"), "{admin}");
    }
}
