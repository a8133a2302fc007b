//! Verification and clearing through the running application, on SQLite or PostgreSQL:
//! the review workflow with a return and resubmission, rules that block and warn, the
//! period lock, and a duplicate victim found across provinces, merged and unmerged.

use crate::common::{self, TestApp, api, sample_input, today};
use domain::case::NewCase;
use serde_json::{Value, json};
use store::{CaseId, StoreError};

async fn review(app: &TestApp, token: &str, id: CaseId) -> Value {
    let r = api(
        &app.base,
        token,
        "GET",
        &format!("/api/v1/cases/{id}/review"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Justifications for every warning the case has now.
fn justify_all(info: &Value) -> Value {
    let mut j = serde_json::Map::new();
    for h in info["hits"].as_array().unwrap() {
        if h["severity"] == "warning" {
            let key = match h["victim"].as_u64() {
                Some(v) => format!("{}.{v}", h["code"].as_str().unwrap()),
                None => h["code"].as_str().unwrap().to_owned(),
            };
            j.insert(
                key,
                json!("Korban belum dapat ditemui lagi; dilengkapi kemudian."),
            );
        }
    }
    Value::Object(j)
}

pub(crate) async fn step(app: &TestApp, token: &str, id: CaseId, body: Value) -> common::Resp {
    api(
        &app.base,
        token,
        "POST",
        &format!("/api/v1/cases/{id}/review"),
        Some(&body.to_string()),
    )
    .await
}

pub(crate) async fn submit(app: &TestApp, token: &str, id: CaseId) -> common::Resp {
    let info = review(app, token, id).await;
    step(
        app,
        token,
        id,
        json!({"action": "submit", "justifications": justify_all(&info)}),
    )
    .await
}

#[tokio::test]
async fn a_case_walks_from_draft_to_cleared_with_one_return_and_resubmission() {
    a_case_walks_from_draft_to_cleared_with_one_return_and_resubmission_on(TestApp::spawn().await)
        .await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn a_case_walks_from_draft_to_cleared_with_one_return_and_resubmission_on(
    app: TestApp,
) {
    let officer = app.actor("data-officer.palangkaraya").await;
    let t_officer = app.token("data-officer.palangkaraya").await;
    let t_prov = app.token("verifier.kalteng").await;
    let t_nat = app.token("verifier.nasional").await;
    let (id, code) = app
        .store
        .create_case(&officer, &common::sample_case("Korban Uji Alur"))
        .await
        .unwrap();

    // Draft: rules are listed; warnings (no home village, no route, no police report…) need
    // a justification, so a bare submission is refused with every hit named.
    let info = review(&app, &t_officer, id).await;
    assert_eq!(info["state"], "draft");
    assert!(info["can"].as_array().unwrap().contains(&json!("submit")));
    let r = step(&app, &t_officer, id, json!({"action": "submit"})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let refused = r.json();
    assert_eq!(refused["error"]["code"], "rules");
    let codes: Vec<&str> = refused["error"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"R10") && codes.contains(&"R12"),
        "{codes:?}"
    );

    // Submitted with justifications: Kalimantan Tengah has a verifier, so it goes there.
    let r = submit(&app, &t_officer, id).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let info = review(&app, &t_prov, id).await;
    assert_eq!(info["state"], "submitted");
    assert_eq!(info["level"], "province");
    // Justifications are free text kept like identities: the provincial verifier (outside
    // the owning unit) sees that one is on record, the unit reads it.
    assert_eq!(info["hits"][0]["justification_hidden"], true, "{info}");
    assert!(info["hits"][0]["justification"].is_null());
    assert!(review(&app, &t_officer, id).await["hits"][0]["justification"].is_string());
    // Under review, the unit cannot change the record.
    let err = app
        .store
        .update_case(&officer, id, 1, &common::sample_case("Korban Uji Alur"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("conflict.under_review")),
        "{err:?}"
    );
    // National cannot clear before the province has verified.
    let r = step(&app, &t_nat, id, json!({"action": "clear"})).await;
    assert_eq!(r.status, 409, "{}", r.body);

    // The provincial verifier sees it in the queue, and returns it with a note on a field.
    let queue = api(&app.base, &t_prov, "GET", "/api/v1/review-queue", None).await;
    assert!(queue.body.contains(&code), "{}", queue.body);
    let r = step(&app, &t_prov, id, json!({"action": "return"})).await;
    assert_eq!(r.status, 422, "a return needs a note: {}", r.body);
    let r = step(
        &app,
        &t_prov,
        id,
        json!({"action": "return", "note": "Periksa saluran pengaduan.",
               "field_notes": [{"field": "channel", "note": "Laporan datang dari LSM, bukan polisi."}]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // A viewer in scope sees that the case was returned and on which field, not the notes.
    let seen = review(&app, &app.token("viewer.palangkaraya").await, id).await;
    assert_eq!(seen["state"], "returned");
    assert_eq!(seen["return_notes"][0]["field"], "channel");
    assert_eq!(seen["return_notes"][0]["note"], "");
    assert!(!seen.to_string().contains("bukan polisi"));
    // Back with the unit: the officer sees the notes on the case page and in the queue.
    let b = app.login("data-officer.palangkaraya").await;
    let page = b.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("Laporan datang dari LSM, bukan polisi."));
    let queue = b.get("/review").await;
    assert!(queue.body.contains(&code));
    // The officer corrects the channel and resubmits; the resubmission lists what changed.
    let view = app.store.case(&officer, id).await.unwrap();
    let mut input = sample_input("Korban Uji Alur");
    input.channel = "ngo".into();
    let new = NewCase::parse(&input, today()).unwrap();
    app.store
        .update_case(&officer, id, view.version, &new)
        .await
        .unwrap();
    let info = review(&app, &t_officer, id).await;
    assert_eq!(info["changed_since_return"], json!(["channel"]));
    let r = submit(&app, &t_officer, id).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let prov_page = app.login("verifier.kalteng").await;
    let page = prov_page.get(&format!("/cases/{id}")).await;
    assert!(
        page.body.contains("Berubah sejak dikembalikan"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Saluran pengaduan"));

    // Verified by the province, cleared by national through the page.
    let r = step(&app, &t_prov, id, json!({"action": "verify"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let nat = app.login("verifier.nasional").await;
    assert!(nat.get("/review").await.body.contains(&code));
    let r = nat
        .post_form(
            &format!("/cases/{id}/review"),
            &[("action", "clear"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let info = review(&app, &t_nat, id).await;
    assert_eq!(info["state"], "cleared");
    let actions: Vec<&str> = info["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["submit", "return", "submit", "verify", "clear"]);
    // On the timeline, and in the audit trail.
    let page = nat.get(&format!("/cases/{id}")).await;
    assert!(page.body.contains("Disahkan"));
    let audit = api(
        &app.base,
        &app.token("admin.nasional").await,
        "GET",
        &format!("/api/v1/audit?record_type=case&record_id={id}"),
        None,
    )
    .await;
    for a in ["case.submit", "case.return", "case.verify", "case.clear"] {
        assert!(audit.body.contains(a), "{a} missing from the audit trail");
    }
    // Only now does it count.
    let official = api(
        &app.base,
        &t_nat,
        "GET",
        "/api/v1/statistics/official",
        None,
    )
    .await;
    assert_eq!(official.json()["cleared_cases"], 1);
}

#[tokio::test]
async fn rules_block_errors_and_demand_justified_warnings() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let t = app.token("data-officer.palangkaraya").await;
    // A child victim (born 2012) without a parent's or guardian's consent: an error.
    let mut input = sample_input("Anak Uji");
    input.victims[0].birth_date = "2012-05-01".into();
    input.victims[0].nik = String::new();
    let (id, _) = app
        .store
        .create_case(&officer, &NewCase::parse(&input, today()).unwrap())
        .await
        .unwrap();
    let r = submit(&app, &t, id).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let hits = r.json()["error"]["rules"].clone();
    let r02 = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["code"] == "R02")
        .expect("R02 fires");
    assert_eq!(r02["severity"], "error");
    assert_eq!(r02["victim"], 0);
    // The page shows the refusal and keeps the typed justifications.
    let b = app.login("data-officer.palangkaraya").await;
    let page = b
        .post_form(
            &format!("/cases/{id}/review"),
            &[
                ("action", "submit"),
                ("j.R07.0", "Kartu keluarga ditahan majikan"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Pengajuan ditolak"));
    assert!(page.body.contains("Kartu keluarga ditahan majikan"));
    // Recording the guardian's consent clears the error; the warnings still need reasons.
    let victim = app.store.case(&officer, id).await.unwrap().victims[0].id;
    app.store
        .add_consent(
            &officer,
            id,
            &store::NewConsent {
                victim_id: victim,
                scope: "data_recording".into(),
                given_by: "guardian".into(),
                given_on: Some(today()),
            },
            today(),
        )
        .await
        .unwrap();
    // The justifications written at the refused attempts were kept with the warnings, so
    // nothing needs to be typed again.
    let r = step(&app, &t, id, json!({"action": "submit"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let info = review(&app, &t, id).await;
    assert!(
        info["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["severity"] == "warning" && h["justification"].is_string()),
        "{info}"
    );
    // The rules page counts how often each rule fired.
    let rules = api(
        &app.base,
        &app.token("verifier.nasional").await,
        "GET",
        "/api/v1/rules",
        None,
    )
    .await
    .json();
    let r02 = |rules: &serde_json::Value| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == "R02")
            .unwrap()
            .clone()
    };
    assert!(r02(&rules)["fired"].as_i64().unwrap() >= 2, "{rules}");
    // The count is over the whole country: national staff only.
    let regional = api(
        &app.base,
        &app.token("verifier.kalteng").await,
        "GET",
        "/api/v1/rules",
        None,
    )
    .await
    .json();
    assert!(r02(&regional)["fired"].is_null(), "{regional}");
    assert!(r02(&regional)["open_cases"].as_i64().is_some());
    let page = app.login("verifier.kalteng").await.get("/rules").await;
    assert!(page.body.contains("R02"));
}

#[tokio::test]
async fn units_without_a_provincial_verifier_go_straight_to_national() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.kupang").await;
    let t = app.token("data-officer.kupang").await;
    let (id, _) = app
        .store
        .create_case(&officer, &common::sample_case("Korban Kupang"))
        .await
        .unwrap();
    assert_eq!(submit(&app, &t, id).await.status, 200);
    let t_nat = app.token("verifier.nasional").await;
    assert_eq!(review(&app, &t_nat, id).await["level"], "national");
    // Kalimantan Tengah's verifier does not even see it.
    let r = step(
        &app,
        &app.token("verifier.kalteng").await,
        id,
        json!({"action": "verify"}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = step(&app, &t_nat, id, json!({"action": "clear"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_closed_period_locks_cleared_records_until_reopened() {
    a_closed_period_locks_cleared_records_until_reopened_on(TestApp::spawn().await).await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn a_closed_period_locks_cleared_records_until_reopened_on(app: TestApp) {
    let officer = app.actor("data-officer.palangkaraya").await;
    let t = app.token("data-officer.palangkaraya").await;
    let t_prov = app.token("verifier.kalteng").await;
    let t_nat = app.token("verifier.nasional").await;
    let (id, _) = app
        .store
        .create_case(&officer, &common::sample_case("Korban Periode"))
        .await
        .unwrap();
    assert_eq!(submit(&app, &t, id).await.status, 200);
    assert_eq!(
        step(&app, &t_prov, id, json!({"action": "verify"}))
            .await
            .status,
        200
    );
    assert_eq!(
        step(&app, &t_nat, id, json!({"action": "clear"}))
            .await
            .status,
        200
    );
    // The sample case was reported on 2026-03-02: the province closes March 2026.
    let prov = app.login("verifier.kalteng").await;
    let r = prov
        .post_form("/periods", &[("month", "2026-03"), ("op", "close")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        prov.get("/periods?ok=period_closed")
            .await
            .body
            .contains("Ditutup")
    );
    // Locked: national cannot return it, nor can anyone route an edit through.
    let r = step(
        &app,
        &t_nat,
        id,
        json!({"action": "return", "note": "Koreksi"}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert!(r.body.contains("periode"), "{}", r.body);
    let view = app.store.case(&officer, id).await.unwrap();
    let err = app
        .store
        .update_case(
            &officer,
            id,
            view.version,
            &common::sample_case("Korban Periode"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict("conflict.period_locked")),
        "{err:?}"
    );
    let r = api(
        &app.base,
        &t,
        "POST",
        &format!("/api/v1/cases/{id}/route-events"),
        Some(r#"{"kind":"transit","region_code":"62.71"}"#),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    // Reopening needs a reason; then the return goes through.
    let r = api(
        &app.base,
        &t_prov,
        "POST",
        "/api/v1/periods",
        Some(r#"{"month":"2026-03","close":false}"#),
    )
    .await;
    assert_eq!(r.status, 422);
    let r = api(
        &app.base,
        &t_prov,
        "POST",
        "/api/v1/periods",
        Some(r#"{"month":"2026-03","close":false,"reason":"Koreksi data korban dari Polda"}"#),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = step(
        &app,
        &t_nat,
        id,
        json!({"action": "return", "note": "Koreksi"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let audit = api(
        &app.base,
        &app.token("admin.nasional").await,
        "GET",
        "/api/v1/audit?record_type=period",
        None,
    )
    .await;
    assert!(audit.body.contains("period.close") && audit.body.contains("period.reopen"));
}

#[tokio::test]
async fn a_victim_registered_in_kalteng_and_ntt_is_proposed_merged_counted_once_and_unmerged() {
    let app = TestApp::spawn().await;
    let kalteng = app.actor("data-officer.palangkaraya").await;
    let ntt = app.actor("data-officer.kupang").await;
    // Found in Palangka Raya; registered again at home in Kupang with a spelling variant.
    let mut a = sample_input("Maria Goreti Seran");
    a.victims[0].nik = "5301054508990003".into();
    a.victims[0].birth_date = "1999-08-05".into();
    let mut b = sample_input("MARIA GORETTI SERAN");
    b.victims[0].nik = "5301054508990003".into();
    b.victims[0].birth_date = "1999-08-05".into();
    b.channel = "community".into();
    let (ka, _) = app
        .store
        .create_case(&kalteng, &NewCase::parse(&a, today()).unwrap())
        .await
        .unwrap();
    // An unrelated person must not be proposed.
    let mut other = sample_input("Yohana Bria");
    other.victims[0].nik = "5301056212010004".into();
    other.victims[0].birth_date = "2001-12-22".into();
    app.store
        .create_case(&ntt, &NewCase::parse(&other, today()).unwrap())
        .await
        .unwrap();
    let (kb, _) = app
        .store
        .create_case(&ntt, &NewCase::parse(&b, today()).unwrap())
        .await
        .unwrap();
    // The incremental check proposed the pair, visible on both cases.
    let dup_a = app.store.case_duplicates(&kalteng, ka).await.unwrap();
    let dup_b = app.store.case_duplicates(&ntt, kb).await.unwrap();
    assert_eq!(dup_a.len(), 1, "{dup_a:?}");
    assert_eq!(dup_b.len(), 1);
    assert_eq!(dup_a[0].pair_id, dup_b[0].pair_id);
    assert!(dup_a[0].probability > 0.9, "{dup_a:?}");
    let pair = dup_a[0].pair_id;

    // Kalimantan Tengah's verifier may not decide on an NTT record: 404.
    let t_prov = app.token("verifier.kalteng").await;
    let r = api(
        &app.base,
        &t_prov,
        "GET",
        &format!("/api/v1/linkage/pairs/{pair}"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = api(
        &app.base,
        &t_prov,
        "POST",
        &format!("/api/v1/linkage/pairs/{pair}/decision"),
        Some(r#"{"decision":"same"}"#),
    )
    .await;
    assert_eq!(r.status, 404);

    // The national clearing officer sees both side by side with the explanation.
    let nat = app.login("verifier.nasional").await;
    let queue = nat.get("/linkage").await;
    assert!(queue.body.contains(&format!("/linkage/{pair}")));
    let page = nat.get(&format!("/linkage/{pair}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("MARIA GORETTI SERAN") && page.body.contains("Maria Goreti Seran"));
    assert!(page.body.contains("NIK") && page.body.contains("Penjelasan skor"));
    // The engine's agreement levels read in Indonesian.
    assert!(
        page.body.contains("dua catatan yang diambil acak"),
        "{}",
        page.body
    );

    // Clear both cases; before the merge they count as two persons.
    let t_nat = app.token("verifier.nasional").await;
    for (id, token, via_province) in [
        (ka, app.token("data-officer.palangkaraya").await, true),
        (kb, app.token("data-officer.kupang").await, false),
    ] {
        assert_eq!(submit(&app, &token, id).await.status, 200);
        if via_province {
            assert_eq!(
                step(&app, &t_prov, id, json!({"action": "verify"}))
                    .await
                    .status,
                200
            );
        }
        assert_eq!(
            step(&app, &t_nat, id, json!({"action": "clear"}))
                .await
                .status,
            200
        );
    }
    let count = |v: Value| {
        (
            v["victim_records"].as_i64().unwrap(),
            v["unique_persons"].as_i64().unwrap(),
        )
    };
    let official = || async {
        api(
            &app.base,
            &t_nat,
            "GET",
            "/api/v1/statistics/official",
            None,
        )
        .await
        .json()
    };
    assert_eq!(count(official().await), (2, 2));

    // Same person: linked, counted once, both source records kept.
    let r = nat
        .post_form(
            &format!("/linkage/{pair}/decide"),
            &[("decision", "same"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(count(official().await), (2, 1));
    assert!(app.store.case(&kalteng, ka).await.is_ok() && app.store.case(&ntt, kb).await.is_ok());
    // Remembered: a second decision is refused, and saving again does not re-propose it.
    let r = api(
        &app.base,
        &t_nat,
        "POST",
        &format!("/api/v1/linkage/pairs/{pair}/decision"),
        Some(r#"{"decision":"different"}"#),
    )
    .await;
    assert_eq!(r.status, 409);

    // Undone: two persons again, and the pair waits for a decision once more.
    let r = api(
        &app.base,
        &t_nat,
        "POST",
        &format!("/api/v1/linkage/pairs/{pair}/decision"),
        Some(r#"{"decision":"undo"}"#),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(count(official().await), (2, 2));
    let pending = api(
        &app.base,
        &t_nat,
        "GET",
        "/api/v1/linkage/pairs?status=pending",
        None,
    )
    .await;
    assert_eq!(pending.json().as_array().unwrap().len(), 1);
    // "Different people" is remembered too: it is not proposed again after another save.
    let r = api(
        &app.base,
        &t_nat,
        "POST",
        &format!("/api/v1/linkage/pairs/{pair}/decision"),
        Some(r#"{"decision":"different"}"#),
    )
    .await;
    assert_eq!(r.status, 204);
    let pending = api(
        &app.base,
        &t_nat,
        "GET",
        "/api/v1/linkage/pairs?status=pending",
        None,
    )
    .await;
    assert!(pending.json().as_array().unwrap().is_empty());
    let audit = api(
        &app.base,
        &app.token("admin.nasional").await,
        "GET",
        "/api/v1/audit?record_type=linkage_pair",
        None,
    )
    .await;
    for a in [
        "linkage.view_pair",
        "linkage.same",
        "linkage.undo",
        "linkage.different",
    ] {
        assert!(audit.body.contains(a), "{a} missing");
    }
}

/// The data-quality rows as `username` gets them from the API.
async fn quality_rows(app: &TestApp, username: &str) -> Value {
    api(
        &app.base,
        &app.token(username).await,
        "GET",
        "/api/v1/quality",
        None,
    )
    .await
    .json()["rows"]
        .clone()
}

#[tokio::test]
async fn the_full_run_and_the_quality_dashboard() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    for name in ["Sri Wahyuni", "Siti Aminah", "Sitti Aminah"] {
        app.store
            .create_case(&officer, &common::sample_case(name))
            .await
            .unwrap();
    }
    // A regional verifier cannot start a national run; the national one can.
    let r = api(
        &app.base,
        &app.token("verifier.kalteng").await,
        "POST",
        "/api/v1/linkage/runs",
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    let nat = app.actor("verifier.nasional").await;
    let run = app.store.start_linkage_run(&nat).await.unwrap();
    app.store.run_linkage(run).await.unwrap();
    let runs = app.store.linkage_runs(&nat).await.unwrap();
    assert_eq!(runs[0].state, "done");
    assert_eq!(runs[0].percent(), 100);
    let page = app.login("verifier.nasional").await.get("/linkage").await;
    assert!(page.body.contains("<progress"));
    // The dashboard groups by province for national users, and drills down to the cases.
    let q = app
        .login("verifier.nasional")
        .await
        .get("/quality?sort=cases&dir=desc")
        .await;
    assert_eq!(q.status, 200);
    assert!(q.body.contains("/cases?region=62"), "{}", q.body);
    assert!(q.body.contains("<svg"));
    let rows = quality_rows(&app, "verifier.kalteng").await;
    assert_eq!(rows[0]["key"], "62.71");
    assert_eq!(rows[0]["cases"], 3);
}

#[tokio::test]
async fn removing_a_linked_victim_keeps_the_others_linked() {
    let app = TestApp::spawn().await;
    let kupang = app.actor("data-officer.kupang").await;
    let nat = app.actor("verifier.nasional").await;
    let person = |name: &str| {
        let mut i = sample_input(name);
        i.victims[0].nik = "5301054508990003".into();
        i.victims[0].birth_date = "1999-08-05".into();
        i
    };
    let mut yohana = sample_input("Yohana Bria").victims[0].clone();
    yohana.nik = "5301056212010004".into();
    yohana.birth_date = "2001-12-22".into();
    // The first registration (second victim of a case) is the smallest of the three victim
    // ids, so it gives the person identity.
    let mut one = person("Maria Goreti Seran");
    one.victims.insert(0, yohana.clone());
    let (first, _) = app
        .store
        .create_case(&kupang, &NewCase::parse(&one, today()).unwrap())
        .await
        .unwrap();
    let (second, _) = app
        .store
        .create_case(
            &kupang,
            &NewCase::parse(&person("Maria Seran"), today()).unwrap(),
        )
        .await
        .unwrap();
    let (third, _) = app
        .store
        .create_case(
            &kupang,
            &NewCase::parse(&person("MARIA GORETI SERAN"), today()).unwrap(),
        )
        .await
        .unwrap();
    for p in app.store.linkage_pairs(&nat, "pending").await.unwrap() {
        app.store.decide_pair(&nat, p.id, Some(true)).await.unwrap();
    }
    let maria = app.store.case(&kupang, first).await.unwrap().victims[1].id;
    let p = person_of(&app, &kupang, &nat, second).await;
    assert_eq!(p.a.person_id, Some(maria));
    // Maria is removed from the first case (entered there by mistake): the other two
    // records stay one person, under a new identity.
    let view = app.store.case(&kupang, first).await.unwrap();
    let mut only_yohana = sample_input("Yohana Bria");
    only_yohana.victims = vec![yohana];
    app.store
        .update_case(
            &kupang,
            first,
            view.version,
            &NewCase::parse(&only_yohana, today()).unwrap(),
        )
        .await
        .unwrap();
    let a = app.store.case(&kupang, second).await.unwrap().victims[0].id;
    let b = app.store.case(&kupang, third).await.unwrap().victims[0].id;
    let p = person_of(&app, &kupang, &nat, second).await;
    let ids = [p.a.victim_id, p.b.victim_id];
    assert!(ids.contains(&a) && ids.contains(&b), "{ids:?}");
    assert_eq!(p.a.person_id, Some(a.min(b)));
    assert_eq!(p.b.person_id, Some(a.min(b)));
}

async fn person_of(
    app: &TestApp,
    officer: &domain::Actor,
    nat: &domain::Actor,
    case: CaseId,
) -> store::PairView {
    let d = app.store.case_duplicates(officer, case).await.unwrap();
    app.store.linkage_pair(nat, d[0].pair_id).await.unwrap()
}

/// The dashboard reads each case's stored victim count and filled-in key fields (migration
/// 0024): they follow every write, including an edit that drops a victim and adds the
/// chronology. Expected: case A 4 of 6 fields (chronology, rescue date, NIK, birth date);
/// case B after the edit the same, one victim each — 8 of 12 = 66.7%. Counts kept from
/// B's creation (two victims, no chronology: 3 of 9) would give 7 of 15 = 46.7%.
#[tokio::test]
async fn quality_figures_follow_every_edit_of_a_case() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    app.store
        .create_case(&officer, &common::sample_case("Sri Wahyuni"))
        .await
        .unwrap();
    let mut b = sample_input("Siti Aminah");
    b.chronology = String::new();
    b.victims.push(domain::case::VictimInput {
        name: "Korban Kedua".into(),
        sex: "female".into(),
        ..Default::default()
    });
    let (id, _) = app
        .store
        .create_case(&officer, &NewCase::parse(&b, today()).unwrap())
        .await
        .unwrap();
    let edited = common::sample_case("Siti Aminah");
    app.store
        .update_case(&officer, id, 1, &edited)
        .await
        .unwrap();
    let rows = quality_rows(&app, "verifier.kalteng").await;
    assert_eq!(rows[0]["key"], "62.71", "{rows}");
    assert_eq!(rows[0]["cases"], 2);
    let completeness = rows[0]["completeness"].as_f64().unwrap();
    assert!((completeness - 800.0 / 12.0).abs() < 0.01, "{completeness}");
}

/// At 23:30 UTC it is already 06:30 the next day in Palangkaraya (WIB): a case reported
/// today and submitted now shows its submission on the report's day, after the report
/// (it showed a day early, by the UTC day, and sorted before the report by its label).
#[tokio::test]
async fn the_timeline_shows_a_submission_on_its_local_day_after_the_report() {
    let app = TestApp::spawn_at_utc(23, 30).await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let t_officer = app.token("data-officer.palangkaraya").await;
    let mut input = sample_input("Korban Uji Waktu");
    input.reported_on = domain::case::format_day(today());
    let new = NewCase::parse(&input, today()).unwrap();
    let (id, _) = app.store.create_case(&officer, &new).await.unwrap();
    let r = submit(&app, &t_officer, id).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = app.login("data-officer.palangkaraya").await;
    let page = b.get(&format!("/cases/{id}")).await.body;
    let timeline = page
        .split("<ol class=\"timeline\">")
        .nth(1)
        .and_then(|t| t.split("</ol>").next())
        .unwrap();
    let items: Vec<&str> = timeline.split("<li>").skip(1).collect();
    let day = domain::case::format_day(today());
    let at = |what: &str| {
        items
            .iter()
            .position(|i| i.contains(what))
            .unwrap_or_else(|| panic!("no {what} in the timeline: {timeline}"))
    };
    let (report, submitted) = (at("Tanggal laporan"), at("Diajukan"));
    assert!(
        report < submitted,
        "the submission before the report: {timeline}"
    );
    assert!(
        items[report].contains(&day) && items[submitted].contains(&day),
        "not both on {day}: {timeline}"
    );
}
