//! Perpetrators follow the case rules (issue 11, item 1): visible only through a linked case
//! in the actor's scope, their identity (name, alias, NIK) only under identity access to one
//! of those cases (owning unit or break-the-glass), searches on identity fields only among
//! identities the actor may see, audited by kind; linking only to what one may see.

use crate::common::{TestApp, api, sample_input};
use serde_json::{Value, json};

const NTT_NIK: &str = "5301051203800003";
const KALTENG_NIK: &str = "6271011506850002";

/// A case of the token's unit through the API; its id.
async fn new_case(app: &TestApp, token: &str, victim: &str) -> i64 {
    let body = serde_json::to_string(&sample_input(victim)).unwrap();
    let r = api(&app.base, token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// Records a new perpetrator on the case; the perpetrator's id.
async fn new_perpetrator(app: &TestApp, token: &str, case: i64, name: &str, nik: &str) -> i64 {
    let body =
        json!({"kind": "person", "name": name, "alias": "Si Kumis", "nik": nik, "role": "broker"});
    let r = api(
        &app.base,
        token,
        "POST",
        &format!("/api/v1/cases/{case}/perpetrators"),
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["perpetrators"][0]["perpetrator_id"]
        .as_i64()
        .unwrap()
}

async fn search(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = api(
        &app.base,
        token,
        "GET",
        &format!("/api/v1/perpetrators?{query}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

async fn link(app: &TestApp, token: &str, case: i64, perpetrator: i64) -> u16 {
    let body = json!({"perpetrator_id": perpetrator, "role": "broker"});
    api(
        &app.base,
        token,
        "POST",
        &format!("/api/v1/cases/{case}/perpetrators"),
        Some(&body.to_string()),
    )
    .await
    .status
}

#[tokio::test]
async fn another_regions_perpetrator_is_neither_found_nor_read_nor_linked() {
    let app = TestApp::spawn().await;
    let kupang = app.token("data-officer.kupang").await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    let ntt_case = new_case(&app, &kupang, "Yohana Benu").await;
    let ntt_perp = new_perpetrator(&app, &kupang, ntt_case, "Yosef Contoh", NTT_NIK).await;
    // The owning unit finds its perpetrator by name and by NIK, with the name.
    for q in ["name=contoh".to_owned(), format!("nik={NTT_NIK}")] {
        let hits = search(&app, &kupang, &q).await;
        assert_eq!(hits.len(), 1, "{q}");
        assert_eq!(hits[0]["perpetrator_id"], ntt_perp);
        assert_eq!(hits[0]["name"], "Yosef Contoh");
    }
    // Another province's officer finds nothing: no name, and no confirmation of the NIK.
    assert!(search(&app, &palangkaraya, "name=contoh").await.is_empty());
    assert!(
        search(&app, &palangkaraya, &format!("nik={NTT_NIK}"))
            .await
            .is_empty()
    );
    // Reading it is a 404, like an unknown id.
    let path = format!("/api/v1/perpetrators/{ntt_perp}");
    let r = api(&app.base, &palangkaraya, "GET", &path, None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(!r.body.contains("Contoh") && !r.body.contains(NTT_NIK));
    // Linking it to one's own draft is a 404 too, and reveals nothing afterwards.
    let own = new_case(&app, &palangkaraya, "Siti Aminah").await;
    assert_eq!(link(&app, &palangkaraya, own, ntt_perp).await, 404);
    assert_eq!(link(&app, &palangkaraya, own, 999_999).await, 404);
    let case = api(
        &app.base,
        &palangkaraya,
        "GET",
        &format!("/api/v1/cases/{own}"),
        None,
    )
    .await;
    assert!(case.json()["perpetrators"].as_array().unwrap().is_empty());
    assert_eq!(
        api(&app.base, &palangkaraya, "GET", &path, None)
            .await
            .status,
        404
    );
    // Within the owning province it stays readable, and linkable by the owner.
    let own_ntt = new_case(&app, &kupang, "Maria Nahak").await;
    assert_eq!(link(&app, &kupang, own_ntt, ntt_perp).await, 200);
    let p = api(&app.base, &kupang, "GET", &path, None).await.json();
    assert_eq!(
        (p["name"].as_str(), p["nik"].as_str(), p["alias"].as_str()),
        (Some("Yosef Contoh"), Some(NTT_NIK), Some("Si Kumis"))
    );
    assert_eq!(p["cases"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn identity_follows_the_cases_identity_access_in_the_same_province() {
    let app = TestApp::spawn().await;
    let owner = app.token("data-officer.palangkaraya").await;
    let province = app.token("data-officer.kalteng").await;
    let viewer = app.token("viewer.kalteng").await;
    let case = new_case(&app, &owner, "Siti Aminah").await;
    let perp = new_perpetrator(&app, &owner, case, "Budi Sponsor", KALTENG_NIK).await;
    let path = format!("/api/v1/perpetrators/{perp}");
    let p = api(&app.base, &owner, "GET", &path, None).await.json();
    assert_eq!(p["name"], "Budi Sponsor");
    // The province's officer and viewer are in scope but outside the owning unit: the
    // perpetrator is there, with initials only, as on the case page.
    for t in [&province, &viewer] {
        let r = api(&app.base, t, "GET", &path, None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let p = r.json();
        assert_eq!(p["initials"], "B. S.");
        assert!(p["name"].is_null() && p["alias"].is_null() && p["nik"].is_null());
        assert!(!r.body.contains("Budi") && !r.body.contains(KALTENG_NIK));
    }
    // Searching on the hidden identity confirms nothing.
    assert!(search(&app, &province, "name=budi").await.is_empty());
    assert!(
        search(&app, &province, &format!("nik={KALTENG_NIK}"))
            .await
            .is_empty()
    );
    // Nor may it be linked to the province's own case, which would open the identity.
    let own = new_case(&app, &province, "Rina Wati").await;
    assert_eq!(link(&app, &province, own, perp).await, 403);
    // The page shows initials only too.
    let browser = app.login("data-officer.kalteng").await;
    let page = browser.get(&format!("/perpetrators/{perp}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("B. S.") && !page.body.contains("Budi"));
    // Breaking the glass on the case opens the perpetrator's identity as it opens the case's.
    browser.get(&format!("/cases/{case}")).await;
    let r = browser
        .post_form(
            &format!("/cases/{case}/break-glass"),
            &[("reason", "Verifikasi jaringan calo dengan laporan Polda")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = api(&app.base, &province, "GET", &path, None).await.json();
    assert_eq!(
        (p["name"].as_str(), p["nik"].as_str()),
        (Some("Budi Sponsor"), Some(KALTENG_NIK))
    );
    assert_eq!(search(&app, &province, "name=budi").await.len(), 1);
    // The viewer's role never sees identities.
    let p = api(&app.base, &viewer, "GET", &path, None).await.json();
    assert!(p["name"].is_null());
}

#[tokio::test]
async fn perpetrator_searches_are_audited_by_kind_without_the_terms() {
    let app = TestApp::spawn().await;
    let palangkaraya = app.token("data-officer.palangkaraya").await;
    search(&app, &palangkaraya, "name=contoh").await;
    search(&app, &palangkaraya, &format!("nik={NTT_NIK}")).await;
    let r = api(
        &app.base,
        &app.token("admin.nasional").await,
        "GET",
        "/api/v1/audit?action=perpetrator.search",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.json();
    let rows = rows.as_array().unwrap();
    let mut details: Vec<&str> = rows
        .iter()
        .map(|e| {
            assert_eq!(e["actor_username"], "data-officer.palangkaraya");
            assert_eq!(e["record_type"], "perpetrator");
            e["detail"].as_str().unwrap()
        })
        .collect();
    details.sort();
    assert_eq!(details, ["by=name hits=0", "by=nik hits=0"]);
    assert!(!r.body.contains("contoh") && !r.body.contains(NTT_NIK));
}
