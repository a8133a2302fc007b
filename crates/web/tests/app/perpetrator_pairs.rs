//! Perpetrator pairs (issue 11, item 1): the same perpetrator recorded in two regions is
//! proposed to the verifiers who may see both records — never found by open search —,
//! decided "same" / "different", undoable, every look and decision audited; the case
//! page then says the perpetrator also appears elsewhere, as a count and province names.

use crate::common::{TestApp, api, sample_input};
use serde_json::{Value, json};
use std::time::Duration;

const BROKER_NIK: &str = "5301051203800003";

/// A case of the token's unit through the API; its id.
async fn new_case(app: &TestApp, token: &str, victim: &str) -> i64 {
    let body = serde_json::to_string(&sample_input(victim)).unwrap();
    let r = api(&app.base, token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// Records a new perpetrator on the case; the perpetrator's id.
async fn new_perpetrator(
    app: &TestApp,
    token: &str,
    case: i64,
    kind: &str,
    name: &str,
    nik: &str,
) -> i64 {
    let body = json!({"kind": kind, "name": name, "alias": "", "nik": nik, "role": "broker"});
    let r = api(
        &app.base,
        token,
        "POST",
        &format!("/api/v1/cases/{case}/perpetrators"),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = r.json()["perpetrators"].as_array().unwrap().clone();
    all.iter()
        .map(|p| p["perpetrator_id"].as_i64().unwrap())
        .max()
        .unwrap()
}

async fn get(app: &TestApp, token: &str, path: &str) -> crate::common::Resp {
    api(&app.base, token, "GET", path, None).await
}

async fn pairs(app: &TestApp, token: &str, status: &str) -> Vec<Value> {
    let r = get(
        app,
        token,
        &format!("/api/v1/perpetrators/pairs?status={status}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

async fn decide(app: &TestApp, token: &str, pair: i64, decision: &str) -> u16 {
    let body = json!({ "decision": decision }).to_string();
    let path = format!("/api/v1/perpetrators/pairs/{pair}/decision");
    api(&app.base, token, "POST", &path, Some(&body))
        .await
        .status
}

/// The audit entries of `action`, as the national admin reads them.
async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    let admin = app.token("admin.nasional").await;
    let r = get(app, &admin, &format!("/api/v1/audit?action={action}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

/// The same broker recorded by a Kupang officer and, with a spelling variant, by a
/// Palangkaraya officer: (ntt case, ntt perpetrator, kalteng case, kalteng perpetrator).
async fn broker_in_two_provinces(app: &TestApp) -> (i64, i64, i64, i64) {
    let kupang = app.token("data-officer.kupang").await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    let ntt_case = new_case(app, &kupang, "Yohana Benu").await;
    let ntt = new_perpetrator(app, &kupang, ntt_case, "person", "Yosef Contoh", BROKER_NIK).await;
    let kt_case = new_case(app, &palangkaraya, "Siti Aminah").await;
    let kt = new_perpetrator(
        app,
        &palangkaraya,
        kt_case,
        "person",
        "Josef Kontoh",
        BROKER_NIK,
    )
    .await;
    (ntt_case, ntt, kt_case, kt)
}

#[tokio::test]
async fn the_same_broker_in_two_provinces_is_decided_by_the_national_verifier_only() {
    let app = TestApp::spawn().await;
    let (ntt_case, ntt, kt_case, kt) = broker_in_two_provinces(&app).await;
    let national = app.token("verifier.nasional").await;
    let listed = pairs(&app, &national, "pending").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let pair = listed[0]["id"].as_i64().unwrap();
    let sides = [listed[0]["a"].clone(), listed[0]["b"].clone()];
    assert_eq!(
        (
            sides[0]["perpetrator_id"].as_i64(),
            sides[1]["perpetrator_id"].as_i64()
        ),
        (Some(ntt), Some(kt))
    );
    assert!(
        sides.iter().all(|s| s["name"].is_null()),
        "the list holds no names"
    );
    assert_eq!(sides[0]["cases"][0]["region_name"], "Kabupaten Kupang");
    assert_eq!(sides[1]["cases"][0]["region_name"], "Kota Palangkaraya");

    // Neither the Palangkaraya officer (no verifier) nor the Kalimantan Tengah verifier
    // (the NTT record is outside the province) may see or decide it.
    let officer = app.token("data-officer.palangkaraya").await;
    let r = get(&app, &officer, "/api/v1/perpetrators/pairs").await;
    assert_eq!(r.status, 403, "{}", r.body);
    let province = app.token("verifier.kalteng").await;
    assert!(pairs(&app, &province, "pending").await.is_empty());
    let path = format!("/api/v1/perpetrators/pairs/{pair}");
    for t in [&officer, &province] {
        let r = get(&app, t, &path).await;
        assert!(matches!(r.status, 403 | 404), "{}", r.body);
        assert!(!r.body.contains("Contoh") && !r.body.contains(BROKER_NIK));
    }
    assert_eq!(get(&app, &province, &path).await.status, 404);
    assert_eq!(decide(&app, &province, pair, "same").await, 404);
    let browser = app.login("verifier.kalteng").await;
    assert_eq!(
        browser
            .get(&format!("/perpetrators/pairs/{pair}"))
            .await
            .status,
        404
    );
    let list = browser.get("/perpetrators/pairs").await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&format!("/perpetrators/pairs/{pair}\"")));

    // The national verifier compares both identities; the look is audited.
    let r = get(&app, &national, &path).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert_eq!(
        (p["a"]["name"].as_str(), p["b"]["name"].as_str()),
        (Some("Yosef Contoh"), Some("Josef Kontoh"))
    );
    assert_eq!(p["a"]["nik"], BROKER_NIK);
    assert_eq!(p["explanation"][0]["field"], "prior");
    let looks = audit(&app, "perpetrator_pair.identity_view").await;
    assert_eq!(looks.len(), 1);
    assert_eq!(looks[0]["actor_username"], "verifier.nasional");
    assert_eq!(looks[0]["record_id"], pair.to_string());
    assert!(!looks[0].to_string().contains("Contoh") && !looks[0].to_string().contains(BROKER_NIK));

    // "Same perpetrator": both records share a network id; audited.
    assert_eq!(decide(&app, &national, pair, "same").await, 204);
    assert_eq!(
        decide(&app, &national, pair, "different").await,
        409,
        "decided once"
    );
    let p = get(&app, &national, &path).await.json();
    assert_eq!(p["status"], "same");
    assert_eq!(p["a"]["network_id"], ntt);
    assert_eq!(p["b"]["network_id"], ntt);
    let decided = audit(&app, "perpetrator_pair.same").await;
    assert_eq!(decided.len(), 1);
    assert_eq!(decided[0]["detail"], format!("perpetrators={ntt},{kt}"));

    // The data officers still neither find nor read the other province's record.
    let hits = get(
        &app,
        &officer,
        &format!("/api/v1/perpetrators?nik={BROKER_NIK}"),
    )
    .await
    .json();
    let ids: Vec<i64> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["perpetrator_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [kt], "only their own record");
    let r = get(&app, &officer, &format!("/api/v1/perpetrators/{ntt}")).await;
    assert_eq!(r.status, 404);
    let kupang = app.token("data-officer.kupang").await;
    assert_eq!(
        get(&app, &kupang, &format!("/api/v1/perpetrators/{kt}"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, &kupang, &format!("/api/v1/cases/{kt_case}"))
            .await
            .status,
        404
    );

    // Each side's case page says the broker appears elsewhere: a count and the province.
    let case = get(&app, &officer, &format!("/api/v1/cases/{kt_case}")).await;
    let elsewhere = &case.json()["perpetrators"][0]["elsewhere"];
    assert_eq!(elsewhere["cases"], 1);
    assert_eq!(elsewhere["regions"], json!(["Nusa Tenggara Timur"]));
    let page = app
        .login("data-officer.palangkaraya")
        .await
        .get(&format!("/cases/{kt_case}"))
        .await;
    assert!(
        page.body
            .contains("juga tercatat di 1 kasus di wilayah lain: Nusa Tenggara Timur")
    );
    let ntt_code = get(&app, &kupang, &format!("/api/v1/cases/{ntt_case}"))
        .await
        .json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    for body in [&case.body, &page.body] {
        assert!(!body.contains(&ntt_code) && !body.contains("Yosef") && !body.contains(BROKER_NIK));
    }
    let theirs = get(&app, &kupang, &format!("/api/v1/cases/{ntt_case}"))
        .await
        .json();
    assert_eq!(
        theirs["perpetrators"][0]["elsewhere"]["regions"],
        json!(["Kalimantan Tengah"])
    );

    // Undo: the pair is pending again, the records unlinked, the note gone; audited.
    assert_eq!(decide(&app, &national, pair, "undo").await, 204);
    assert_eq!(decide(&app, &national, pair, "undo").await, 409);
    assert_eq!(pairs(&app, &national, "pending").await.len(), 1);
    let p = get(&app, &national, &path).await.json();
    assert!(p["a"]["network_id"].is_null() && p["b"]["network_id"].is_null());
    let case = get(&app, &officer, &format!("/api/v1/cases/{kt_case}"))
        .await
        .json();
    assert!(case["perpetrators"][0]["elsewhere"].is_null());
    assert_eq!(audit(&app, "perpetrator_pair.undo").await.len(), 1);
}

#[tokio::test]
async fn a_decided_pair_is_not_asked_again_and_unchecked_records_are_checked_by_the_worker() {
    let app = TestApp::spawn().await;
    let (..) = broker_in_two_provinces(&app).await;
    let national = app.token("verifier.nasional").await;
    let pair = pairs(&app, &national, "pending").await[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(decide(&app, &national, pair, "different").await, 204);
    assert_eq!(audit(&app, "perpetrator_pair.different").await.len(), 1);

    // Records the check has not seen (recorded before pairs existed, or whose check
    // failed) are compared by the worker; the decided pair keeps its decision.
    app.store
        .exec_raw_for_tests("UPDATE perpetrators SET pairs_checked_at = NULL")
        .await
        .unwrap();
    let cfg = web::worker::WorkerConfig {
        smtp: None,
        public_url: String::new(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!(r.perpetrators_checked, 2);
    assert!(
        pairs(&app, &national, "pending").await.is_empty(),
        "not asked again"
    );
    assert_eq!(pairs(&app, &national, "different").await.len(), 1);
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!(r.perpetrators_checked, 0, "each record once");

    // A lost proposal comes back through the worker.
    app.store
        .exec_raw_for_tests("DELETE FROM perpetrator_pairs")
        .await
        .unwrap();
    app.store
        .exec_raw_for_tests("UPDATE perpetrators SET pairs_checked_at = NULL")
        .await
        .unwrap();
    web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!(pairs(&app, &national, "pending").await.len(), 1);
}

#[tokio::test]
async fn a_province_verifier_decides_pairs_inside_the_province_seeing_identities_as_on_the_cases() {
    let app = TestApp::spawn().await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    let kalteng = app.token("data-officer.kalteng").await;
    let city_case = new_case(&app, &palangkaraya, "Siti Aminah").await;
    let city = new_perpetrator(
        &app,
        &palangkaraya,
        city_case,
        "organisation",
        "PT. Sinar Jaya Abadi",
        "",
    )
    .await;
    let prov_case = new_case(&app, &kalteng, "Rina Wati").await;
    let prov = new_perpetrator(
        &app,
        &kalteng,
        prov_case,
        "organisation",
        "Sinar Jaya Abadi, PT",
        "",
    )
    .await;
    // Two perpetrators of one case are two: no pair between them.
    let third = new_perpetrator(
        &app,
        &kalteng,
        prov_case,
        "organisation",
        "PT Sinar Jaya Abadi",
        "",
    )
    .await;

    let verifier = app.token("verifier.kalteng").await;
    let listed = pairs(&app, &verifier, "pending").await;
    let ids: Vec<(i64, i64)> = listed
        .iter()
        .map(|p| {
            (
                p["a"]["perpetrator_id"].as_i64().unwrap(),
                p["b"]["perpetrator_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(ids.contains(&(city, prov)), "{listed:?}");
    assert!(ids.iter().all(|(a, b)| a != b));
    assert!(
        !ids.contains(&(prov, third)),
        "no pair within one case: {ids:?}"
    );
    assert!(ids.contains(&(city, third)), "{ids:?}");
    let pair = listed
        .iter()
        .find(|p| p["a"]["perpetrator_id"] == city && p["b"]["perpetrator_id"] == prov)
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    // The province's verifier sees the name where the province's unit owns the case, and
    // initials on the city's record (as on that perpetrator's page).
    let r = get(
        &app,
        &verifier,
        &format!("/api/v1/perpetrators/pairs/{pair}"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = r.json();
    assert!(p["a"]["name"].is_null(), "{p}");
    assert_eq!(p["a"]["initials"], "P. S. J.");
    assert_eq!(p["b"]["name"], "Sinar Jaya Abadi, PT");
    assert!(!r.body.contains("PT. Sinar"));
    let looks = audit(&app, "perpetrator_pair.identity_view").await;
    assert_eq!(
        looks[0]["detail"],
        format!("perpetrators={city},{prov} identities={prov}")
    );

    // The page and the form, in Indonesian first.
    let browser = app.login("verifier.kalteng").await;
    let page = browser.get("/perpetrators/pairs").await;
    assert!(
        page.body
            .contains("Kemungkinan pelaku yang sama di wilayah lain")
    );
    assert!(page.body.contains(&format!("/perpetrators/pairs/{pair}")));
    let page = browser.get(&format!("/perpetrators/pairs/{pair}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Pelaku yang sama") && page.body.contains("Sinar Jaya Abadi, PT"));
    let r = browser
        .post_form(
            &format!("/perpetrators/pairs/{pair}/decide"),
            &[("decision", "same"), ("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = browser.get(&r.location()).await;
    assert!(page.body.contains("Dicatat sebagai pelaku yang sama."));
    assert_eq!(pairs(&app, &verifier, "same").await.len(), 1);
    // Inside one province nothing lies outside the officers' scope: no note on the case.
    let case = get(&app, &kalteng, &format!("/api/v1/cases/{prov_case}"))
        .await
        .json();
    assert!(case["perpetrators"][0]["elsewhere"].is_null(), "{case}");
}

#[tokio::test]
async fn a_failed_check_leaves_the_save_standing_and_the_worker_proposes_the_pair() {
    let app = TestApp::spawn().await;
    let (fail, mend) = match app.store.backend() {
        store::Backend::Sqlite => (
            "CREATE TRIGGER fail_perp_pairs BEFORE INSERT ON perpetrator_pairs \
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
            "DROP TRIGGER fail_perp_pairs;",
        ),
        store::Backend::Postgres => (
            "CREATE FUNCTION fail_perp_pairs() RETURNS trigger AS $$ BEGIN \
               RAISE EXCEPTION 'simulated failure'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER fail_perp_pairs BEFORE INSERT ON perpetrator_pairs \
               FOR EACH ROW EXECUTE FUNCTION fail_perp_pairs();",
            "DROP TRIGGER fail_perp_pairs ON perpetrator_pairs;",
        ),
    };
    app.store.exec_script_for_tests(fail).await.unwrap();
    // Both saves stand (the helper asserts 200); no pair could be written.
    let (.., kt_case, kt) = broker_in_two_provinces(&app).await;
    let officer = app.token("data-officer.palangkaraya").await;
    let case = get(&app, &officer, &format!("/api/v1/cases/{kt_case}"))
        .await
        .json();
    assert_eq!(case["perpetrators"][0]["perpetrator_id"], kt);
    let national = app.token("verifier.nasional").await;
    assert!(pairs(&app, &national, "pending").await.is_empty());

    app.store.exec_script_for_tests(mend).await.unwrap();
    let cfg = web::worker::WorkerConfig {
        smtp: None,
        public_url: String::new(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert!(r.perpetrators_checked >= 1, "{r:?}");
    assert_eq!(pairs(&app, &national, "pending").await.len(), 1);
}
