//! Issue 11, items 5 and 8, through the running application on SQLite or PostgreSQL: review
//! is the level above and never the submitting unit (refused inside the store, off the
//! queue), the level that acted is the one shown, blocking rules are run again at
//! verification and clearing, and reviewers' notes and justifications are encrypted at rest,
//! read only under the case's identity access, sealed on upgrade and kept by key rotation.

use crate::common::{self, PASSWORD, TestApp, api, sample_input, today};
use domain::case::NewCase;
use domain::user::NewUser;
use domain::{Actor, UnitId};
use serde_json::{Value, json};
use store::CaseId;

async fn review(base: &str, token: &str, id: CaseId) -> Value {
    let r = api(
        base,
        token,
        "GET",
        &format!("/api/v1/cases/{id}/review"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn step(app: &TestApp, token: &str, id: CaseId, body: Value) -> common::Resp {
    let path = format!("/api/v1/cases/{id}/review");
    api(&app.base, token, "POST", &path, Some(&body.to_string())).await
}

/// Submits with a justification for every warning (`why` for each).
async fn submit(app: &TestApp, token: &str, id: CaseId, why: &str) -> common::Resp {
    let info = review(&app.base, token, id).await;
    let mut j = serde_json::Map::new();
    for h in info["hits"].as_array().unwrap() {
        if h["severity"] == "warning" {
            let key = match h["victim"].as_u64() {
                Some(v) => format!("{}.{v}", h["code"].as_str().unwrap()),
                None => h["code"].as_str().unwrap().to_owned(),
            };
            j.insert(key, json!(why));
        }
    }
    step(
        app,
        token,
        id,
        json!({"action": "submit", "justifications": j}),
    )
    .await
}

/// A case of `officer`'s unit, submitted with every warning justified.
async fn submitted_case(app: &TestApp, officer: &str, input: domain::case::CaseInput) -> CaseId {
    let actor = app.actor(officer).await;
    let new = NewCase::parse(&input, today()).unwrap();
    let (id, _) = app.store.create_case(&actor, &new).await.unwrap();
    let r = submit(
        app,
        &app.token(officer).await,
        id,
        "Belum dapat dilengkapi.",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

/// A verifier account in the Kota Palangkaraya unit (a regency/city verifier).
async fn regency_verifier(app: &TestApp) -> &'static str {
    let name = "verifier.palangkaraya";
    let new = NewUser::parse(
        name,
        "Verifikator Kota Uji",
        "",
        &app.units["palangkaraya"].0.to_string(),
        "verifier",
        PASSWORD,
    )
    .unwrap();
    app.store
        .create_user(&Actor::system(UnitId(1)), &new)
        .await
        .unwrap();
    name
}

#[tokio::test]
async fn a_regency_verifier_neither_verifies_nor_returns_its_own_units_case() {
    let app = TestApp::spawn().await;
    let own = regency_verifier(&app).await;
    let t_own = app.token(own).await;
    let id = submitted_case(
        &app,
        "data-officer.palangkaraya",
        sample_input("Korban Kota"),
    )
    .await;
    let code = app
        .store
        .case(&app.actor("data-officer.palangkaraya").await, id)
        .await
        .unwrap()
        .code;
    // The case waits for the province; the city's own verifier may take no step on it.
    let info = review(&app.base, &t_own, id).await;
    assert_eq!(info["level"], "province");
    assert_eq!(info["can"], json!([]), "{info}");
    for body in [
        json!({"action": "verify"}),
        json!({"action": "return", "note": "Periksa lagi."}),
    ] {
        let r = step(&app, &t_own, id, body).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unit Anda sendiri"),
            "{}",
            r.body
        );
    }
    // Nor through the page, and the case is not in its queue.
    let b = app.login(own).await;
    let r = b
        .post_form(
            &format!("/cases/{id}/review"),
            &[("action", "verify"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("unit Anda sendiri"));
    assert!(!b.get("/review").await.body.contains(&code));
    let queue = api(&app.base, &t_own, "GET", "/api/v1/review-queue", None).await;
    assert_eq!(queue.status, 200);
    assert!(!queue.body.contains(&code), "{}", queue.body);
    assert_eq!(review(&app.base, &t_own, id).await["state"], "submitted");

    // A provincial unit's case goes to national: the province's verifier, at the same
    // level, neither queues nor verifies it.
    let prov_case = submitted_case(
        &app,
        "data-officer.kalteng",
        sample_input("Korban Provinsi"),
    )
    .await;
    let t_prov = app.token("verifier.kalteng").await;
    assert_eq!(
        review(&app.base, &t_prov, prov_case).await["level"],
        "national"
    );
    let r = step(
        &app,
        &t_prov,
        prov_case,
        json!({"action": "return", "note": "Periksa."}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    // The province verifies the city's case, which is in its queue.
    let queue = api(&app.base, &t_prov, "GET", "/api/v1/review-queue", None).await;
    assert!(queue.body.contains(&code), "{}", queue.body);
    assert_eq!(
        step(&app, &t_prov, id, json!({"action": "verify"}))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_national_clear_reads_national_on_the_page_and_in_the_api() {
    let app = TestApp::spawn().await;
    let id = submitted_case(
        &app,
        "data-officer.palangkaraya",
        sample_input("Korban Sah"),
    )
    .await;
    let t_prov = app.token("verifier.kalteng").await;
    let t_nat = app.token("verifier.nasional").await;
    assert_eq!(
        step(&app, &t_prov, id, json!({"action": "verify"}))
            .await
            .status,
        200
    );
    let verified = review(&app.base, &t_nat, id).await;
    assert_eq!(verified["acted_level"], "province", "{verified}");
    assert_eq!(
        step(&app, &t_nat, id, json!({"action": "clear"}))
            .await
            .status,
        200
    );

    let info = review(&app.base, &t_nat, id).await;
    assert_eq!(info["state"], "cleared");
    assert_eq!(info["acted_level"], "national", "{info}");
    assert!(info["level"].is_null(), "{info}");
    let levels: Vec<(&str, &str)> = info["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap(),
                s["actor_level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("submit", "regency"),
            ("verify", "province"),
            ("clear", "national")
        ]
    );
    for user in ["data-officer.palangkaraya", "verifier.nasional"] {
        let page = app.login(user).await.get(&format!("/cases/{id}")).await;
        assert!(page.body.contains("Disahkan"), "{}", page.body);
        assert!(page.body.contains("oleh tingkat nasional"), "{}", page.body);
        assert!(!page.body.contains("verifikator provinsi"), "{}", page.body);
    }
}

#[tokio::test]
async fn a_case_that_breaks_a_blocking_rule_after_submission_is_refused_at_verify_and_clear() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    // A child victim whose guardian's consent is recorded: R02 is satisfied at submission.
    let mut input = sample_input("Anak Uji Aturan");
    input.victims[0].birth_date = "2012-05-01".into();
    input.victims[0].nik = String::new();
    let (id, _) = app
        .store
        .create_case(&officer, &NewCase::parse(&input, today()).unwrap())
        .await
        .unwrap();
    let victim = app.store.case(&officer, id).await.unwrap().victims[0].id;
    let consent = store::NewConsent {
        victim_id: victim,
        scope: "data_recording".into(),
        given_by: "guardian".into(),
        given_on: Some(today()),
    };
    let given = app
        .store
        .add_consent(&officer, id, &consent, today())
        .await
        .unwrap();
    let t_officer = app.token("data-officer.palangkaraya").await;
    assert_eq!(
        submit(&app, &t_officer, id, "Belum lengkap.").await.status,
        200
    );
    // Under review the consent is withdrawn (follow-up stays open): R02 breaks now.
    app.store
        .withdraw_consent(&officer, id, given, today())
        .await
        .unwrap();
    let t_prov = app.token("verifier.kalteng").await;
    let r = step(&app, &t_prov, id, json!({"action": "verify"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let err = &r.json()["error"];
    assert_eq!(err["code"], "rules");
    assert!(err["message"].as_str().unwrap().contains("R02"), "{err}");
    assert_eq!(err["rules"][0]["code"], "R02");
    let b = app.login("verifier.kalteng").await;
    let page = b
        .post_form(
            &format!("/cases/{id}/review"),
            &[("action", "verify"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("melanggar aturan yang memblokir"));
    assert!(page.body.contains("R02"));
    assert_eq!(review(&app.base, &t_prov, id).await["state"], "submitted");

    // Recorded again, the case is verified; then a rule change makes a warning it carries
    // (no recruitment method, R14) blocking, and national cannot clear it.
    app.store
        .add_consent(&officer, id, &consent, today())
        .await
        .unwrap();
    assert_eq!(
        step(&app, &t_prov, id, json!({"action": "verify"}))
            .await
            .status,
        200
    );
    app.store
        .exec_raw_for_tests("UPDATE validation_rules SET severity = 'error' WHERE code = 'R14'")
        .await
        .unwrap();
    let t_nat = app.token("verifier.nasional").await;
    let r = step(&app, &t_nat, id, json!({"action": "clear"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("R14"),
        "{}",
        r.body
    );
    assert_eq!(review(&app.base, &t_nat, id).await["state"], "verified");
}

const JUSTIFICATION: &str = "Keluarga korban menahan dokumen, kata Bu Sulastri.";
const NOTE: &str = "Tanyakan lagi kepada Pak Wayan di Tawau.";
const FIELD_NOTE: &str = "Saluran aduan dari tetangga korban, Ibu Rini.";

/// A case of Palangkaraya submitted with justifications and returned by the province with
/// a general note and a field note.
async fn returned_case(app: &TestApp) -> CaseId {
    let officer = app.actor("data-officer.palangkaraya").await;
    let (id, _) = app
        .store
        .create_case(&officer, &common::sample_case("Korban Catatan"))
        .await
        .unwrap();
    let t = app.token("data-officer.palangkaraya").await;
    assert_eq!(submit(app, &t, id, JUSTIFICATION).await.status, 200);
    let r = step(
        app,
        &app.token("verifier.kalteng").await,
        id,
        json!({"action": "return", "note": NOTE,
               "field_notes": [{"field": "channel", "note": FIELD_NOTE}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

/// The owning unit reads every text of the returned case.
async fn owner_reads_everything(base: &str, token: &str, id: CaseId) {
    let info = review(base, token, id).await;
    assert_eq!(info["return_note"], NOTE, "{info}");
    assert_eq!(info["return_notes"][0]["note"], FIELD_NOTE);
    assert_eq!(info["return_note_hidden"], false);
    assert!(
        info["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["justification"] == JUSTIFICATION),
        "{info}"
    );
}

#[tokio::test]
async fn review_notes_and_justifications_are_not_stored_in_plaintext() {
    let app = TestApp::spawn().await;
    let id = returned_case(&app).await;
    let reviews = app
        .store
        .dump_table_for_tests("case_reviews")
        .await
        .unwrap();
    let hits = app
        .store
        .dump_table_for_tests("case_rule_hits")
        .await
        .unwrap();
    for text in [NOTE, FIELD_NOTE, JUSTIFICATION, "Sulastri", "Wayan", "Rini"] {
        assert!(
            !reviews.contains(text),
            "{text} stored in plaintext: {reviews}"
        );
        assert!(!hits.contains(text), "{text} stored in plaintext: {hits}");
    }
    owner_reads_everything(&app.base, &app.token("data-officer.palangkaraya").await, id).await;
}

#[tokio::test]
async fn review_notes_are_read_only_under_the_cases_identity_access() {
    let app = TestApp::spawn().await;
    let id = returned_case(&app).await;
    let secret = |v: &str| {
        [NOTE, FIELD_NOTE, JUSTIFICATION]
            .iter()
            .any(|t| v.contains(t))
    };
    // A viewer in scope and the national verifier (outside the owning unit, no grant) see
    // that there are notes and on which field, not what they say.
    for user in ["viewer.palangkaraya", "verifier.nasional"] {
        let info = review(&app.base, &app.token(user).await, id).await;
        assert!(!secret(&info.to_string()), "{user}: {info}");
        assert_eq!(info["return_note_hidden"], true, "{user}: {info}");
        assert_eq!(info["return_notes"][0]["field"], "channel");
        assert!(
            info["hits"]
                .as_array()
                .unwrap()
                .iter()
                .any(|h| h["justification_hidden"] == true)
        );
        let page = app.login(user).await.get(&format!("/cases/{id}")).await;
        assert_eq!(page.status, 200);
        assert!(!secret(&page.body), "{user} reads a note on the page");
        assert!(page.body.contains("Ada catatan peninjau"), "{user}");
    }
    // The reviewer who wrote the note reads it back (not the unit's justifications).
    let info = review(&app.base, &app.token("verifier.kalteng").await, id).await;
    assert_eq!(info["return_note"], NOTE, "{info}");
    assert!(!info.to_string().contains(JUSTIFICATION));
    // The owning unit reads everything, on the page too.
    owner_reads_everything(&app.base, &app.token("data-officer.palangkaraya").await, id).await;
    let page = app
        .login("data-officer.palangkaraya")
        .await
        .get(&format!("/cases/{id}"))
        .await;
    assert!(page.body.contains(NOTE) && page.body.contains(FIELD_NOTE));
    // Breaking the glass opens the notes with the identities.
    let nat = app.login("verifier.nasional").await;
    let r = nat
        .post_form(
            &format!("/cases/{id}/break-glass"),
            &[(
                "reason",
                "Memeriksa laporan ganda lintas provinsi untuk pengesahan.",
            )],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let info = review(&app.base, &app.token("verifier.nasional").await, id).await;
    assert_eq!(info["return_note"], NOTE, "{info}");
}

#[tokio::test]
async fn plaintext_notes_from_before_the_upgrade_are_sealed_and_still_read() {
    let app = TestApp::spawn().await;
    let id = returned_case(&app).await;
    // As an older version stored them: in the plaintext columns.
    app.store
        .exec_raw_for_tests(
            "UPDATE case_reviews SET note = 'Catatan lama: hubungi Pak Wayan.', note_enc = NULL WHERE action = 'return'",
        )
        .await
        .unwrap();
    app.store
        .exec_raw_for_tests(
            "UPDATE case_rule_hits SET justification = 'Alasan lama dari Bu Sulastri.', justification_enc = NULL WHERE rule_code = 'R10'",
        )
        .await
        .unwrap();
    assert_eq!(app.store.seal_review_text().await.unwrap(), 2);
    assert_eq!(
        app.store.seal_review_text().await.unwrap(),
        0,
        "nothing left"
    );
    let raw = app
        .store
        .dump_table_for_tests("case_reviews")
        .await
        .unwrap()
        + &app
            .store
            .dump_table_for_tests("case_rule_hits")
            .await
            .unwrap();
    assert!(!raw.contains("Wayan") && !raw.contains("Sulastri"), "{raw}");
    let info = review(&app.base, &app.token("data-officer.palangkaraya").await, id).await;
    assert_eq!(info["return_note"], "Catatan lama: hubungi Pak Wayan.");
    assert!(
        info["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["justification"] == "Alasan lama dari Bu Sulastri."),
        "{info}"
    );
}

/// Serves `store` (the application as a restarted server would run it).
async fn serve(store: store::Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = web::WebConfig {
        secret: vec![7; 32],
        ..Default::default()
    };
    tokio::spawn(web::serve(
        listener,
        web::app(store, config),
        std::future::pending(),
    ));
    base
}

#[tokio::test]
async fn key_rotation_keeps_review_notes_readable() {
    let app = TestApp::spawn().await;
    let id = returned_case(&app).await;
    let token = app.token("data-officer.palangkaraya").await;
    let new_secret = [9u8; 32];
    let new_key = store::crypto::Keyring::new(&new_secret, None).unwrap();
    let new_id = format!("v2:{}:", new_key.current_id());
    let old_id = format!("v2:{}:", store::testing::test_keyring().current_id());
    let rotating = app.store.clone().with_keyring(
        store::crypto::Keyring::new(&new_secret, Some(&store::testing::TEST_SECRET)).unwrap(),
    );
    let stats = rotating
        .rotate_keys(&Actor::system(UnitId(1)), 2)
        .await
        .unwrap();
    assert!(
        stats.review >= 3,
        "note, field notes and justifications: {stats:?}"
    );
    assert_eq!(
        rotating
            .rotate_keys(&Actor::system(UnitId(1)), 2)
            .await
            .unwrap()
            .review,
        0
    );
    // Every note is under the new key now, none under the old one nor in plaintext…
    let raw = app
        .store
        .dump_table_for_tests("case_reviews")
        .await
        .unwrap()
        + &app
            .store
            .dump_table_for_tests("case_rule_hits")
            .await
            .unwrap();
    assert!(raw.contains(&new_id) && !raw.contains(&old_id), "{raw}");
    assert!(!raw.contains(NOTE) && !raw.contains(JUSTIFICATION), "{raw}");
    // …and a server holding only the new key reads every one.
    let after = app.store.clone().with_keyring(new_key);
    let base = serve(after).await;
    owner_reads_everything(&base, &token, id).await;
}
