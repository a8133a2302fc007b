//! Registering, finding, reading and editing cases through the pages, as officers,
//! viewers and outsiders; on SQLite and (with GUGUS_TEST_DATABASE_URL) PostgreSQL.

use crate::common::{self, TestApp};

pub(crate) fn case_form<'a>(
    name: &'a str,
    nik: &'a str,
    rescued: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("version", "0"),
        ("channel", "sapa129"),
        ("reported_on", "2026-03-02"),
        (
            "chronology",
            "Dijanjikan kerja di restoran, dipaksa bekerja tanpa upah.",
        ),
        ("trafficking_status", "confirmed"),
        ("exploitation", "forced_labour"),
        ("exploitation", "migrant_work"),
        ("exploitation_from", "2025-06-01"),
        ("rescued_on", rescued),
        ("sector", "I"),
        ("recruitment", "online_social"),
        ("recruiter_relationship", "acquainted"),
        ("means_of_control", "withholds_documents"),
        ("victims[0].name", name),
        ("victims[0].nik", nik),
        ("victims[0].sex", "female"),
        ("victims[0].birth_date", "1999-08-17"),
        ("victims[0].home_village", "53.01.05.2003"),
        ("victims[0].education", "sma"),
        ("victims[0].migrant_status", "pmi"),
    ]
}

#[tokio::test]
pub(crate) async fn officer_registers_a_case_and_roles_see_what_they_may() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    let r = officer.get("/cases/new").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("1. Laporan") && r.body.contains("Layanan SAPA 129"));
    let r = officer
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = officer.get(&r.location()).await;
    assert_eq!(page.status, 200);
    for seen in [
        "Yohana Benu",
        "5301055708990001",
        "Dijanjikan kerja",
        "Kerja paksa / jeratan utang",
        "Menahan dokumen",
        "Kasus terdaftar sebagai draf.",
    ] {
        assert!(page.body.contains(seen), "officer should see {seen}");
    }
    let path = r.location().split('?').next().unwrap().to_owned();
    // A viewer of the same regency sees the case with initials only.
    let viewer = app.login("viewer.kupang").await;
    let masked = viewer.get(&path).await;
    assert_eq!(masked.status, 200);
    assert!(masked.body.contains("Y. B.") && masked.body.contains("disembunyikan"));
    for hidden in ["Yohana", "Benu", "5301055708990001", "Dijanjikan"] {
        assert!(
            !masked.body.contains(hidden),
            "viewer must not see {hidden}"
        );
    }
    assert_eq!(viewer.get(&format!("{path}/edit")).await.status, 403);
    // The province above sees it; another province does not.
    assert_eq!(
        app.login("data-officer.ntt").await.get(&path).await.status,
        200
    );
    let outsider = app.login("data-officer.kalteng").await;
    assert_eq!(outsider.get(&path).await.status, 404);
    assert!(!outsider.get("/cases").await.body.contains("TPPO-53.01"));
    // The list: code and initials, found by NIK and by name.
    let list = officer.get("/cases").await;
    assert!(list.body.contains("TPPO-53.01-") && list.body.contains("Y. B."));
    assert!(
        officer
            .get("/cases?q=5301055708990001")
            .await
            .body
            .contains("Y. B.")
    );
    assert!(officer.get("/cases?q=benu").await.body.contains("Y. B."));
    assert!(!officer.get("/cases?q=siti").await.body.contains("Y. B."));
    assert!(
        !officer
            .get("/cases?exploitation=sexual")
            .await
            .body
            .contains("Y. B.")
    );
    assert!(
        officer
            .get("/cases?exploitation=forced_labour&child=adult&sex=female&region=53.01")
            .await
            .body
            .contains("Y. B.")
    );
    assert!(
        !viewer.get("/cases?q=benu").await.body.contains("Y. B."),
        "viewers cannot search by name"
    );
}

#[tokio::test]
pub(crate) async fn the_form_keeps_what_was_typed_and_names_every_problem() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let mut form = case_form("Yohana Benu", "53010557089", "2025-01-01");
    form.retain(|(k, _)| *k != "channel");
    form.push(("victims[0].home_village", "53.01"));
    let r = officer.post_form("/cases", &form).await;
    assert_eq!(r.status, 422);
    for msg in [
        "Wajib diisi.",
        "NIK harus 16 angka.",
        "Tanggal penyelamatan tidak boleh sebelum awal eksploitasi.",
        "kodenya yang terdiri atas empat bagian",
    ] {
        assert!(r.body.contains(msg), "missing message {msg}");
    }
    for kept in [
        "value=\"Yohana Benu\"",
        "value=\"53010557089\"",
        "Dijanjikan kerja di restoran",
        "value=\"2025-01-01\"",
    ] {
        assert!(r.body.contains(kept), "lost {kept}");
    }
    assert!(
        r.body.contains("href=\"#victims[0].nik\""),
        "error summary links to the field"
    );
    assert!(
        r.body.contains("value=\"forced_labour\" checked"),
        "checked boxes stay checked"
    );
    // Adding a victim without JavaScript keeps the first one.
    let mut form = case_form("Yohana Benu", "5301055708990001", "2026-02-20");
    form.push(("add_victim", "1"));
    let r = officer.post_form("/cases", &form).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("value=\"Yohana Benu\"") && r.body.contains("name=\"victims[1].name\"")
    );
    // A NIK that disagrees with the sex warns on the case page but does not block.
    let mut form = case_form("Maria Nahak", "5301051708990003", "2026-02-20");
    form.retain(|(k, _)| !k.starts_with("victims[0].birth"));
    let r = officer.post_form("/cases", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        officer
            .get(&r.location())
            .await
            .body
            .contains("Jenis kelamin berbeda dengan yang tertulis di NIK.")
    );
}

/// Registers Yohana Benu's case through the form; its path (`/cases/N`).
async fn yohanas_case(a: &crate::common::Browser) -> String {
    a.get("/cases/new").await;
    let r = a
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    r.location().split('?').next().unwrap().to_owned()
}

#[tokio::test]
pub(crate) async fn a_concurrent_edit_is_detected_and_the_second_writer_keeps_their_input() {
    let app = TestApp::spawn().await;
    let a = app.login("data-officer.kupang").await;
    let b = app.login("admin.kupang").await;
    let path = yohanas_case(&a).await;
    let ea = a.get(&format!("{path}/edit")).await;
    assert!(
        ea.body.contains("name=\"version\" value=\"1\"")
            && ea.body.contains("value=\"Yohana Benu\"")
    );
    b.get(&format!("{path}/edit")).await;
    let mut first = case_form("Yohana Benu", "5301055708990001", "2026-02-20");
    first[0] = ("version", "1");
    first.push(("chronology", "Versi A"));
    assert_eq!(a.post_form(&path, &first).await.status, 303);
    let mut second = case_form("Yohana Benu Lake", "5301055708990001", "2026-02-20");
    second[0] = ("version", "1");
    let r = b.post_form(&path, &second).await;
    assert_eq!(r.status, 409);
    assert!(
        r.body.contains("sudah diubah orang lain") && r.body.contains("value=\"Yohana Benu Lake\"")
    );
    assert!(
        r.body.contains("name=\"version\" value=\"2\""),
        "the form now carries the newer version"
    );
    // Saving again on purpose overwrites, and the history shows both edits.
    let r = b
        .post_form(&path, &[second.clone(), vec![("version", "2")]].concat())
        .await;
    assert_eq!(r.status, 303);
    let page = a.get(&path).await;
    assert!(page.body.contains("Yohana Benu Lake"));
    assert_eq!(
        page.body.matches("<strong>Mengubah kasus</strong>").count(),
        2
    );
}

pub(crate) async fn token(app: &TestApp, username: &str) -> String {
    let store::LoginOutcome::Ok { token, .. } = app
        .store
        .login(username, common::PASSWORD, "t")
        .await
        .unwrap()
    else {
        panic!()
    };
    let actor = app.store.session(&token).await.unwrap().unwrap().actor;
    app.store
        .create_token(&actor, "api")
        .await
        .unwrap()
        .secret
        .expose()
        .clone()
}

#[tokio::test]
pub(crate) async fn the_case_api_creates_reads_lists_and_detects_conflicts() {
    let app = TestApp::spawn().await;
    let officer = token(&app, "data-officer.kupang").await;
    let viewer = token(&app, "viewer.kupang").await;
    let outsider = token(&app, "data-officer.kalteng").await;
    let body = serde_json::to_string(&common::sample_input("Yohana Benu")).unwrap();
    let r = common::api(&app.base, &officer, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let id = created["id"].as_i64().unwrap();
    assert!(created["code"].as_str().unwrap().starts_with("TPPO-53.01-"));
    assert_eq!(created["victims"][0]["name"], "Yohana Benu");
    assert_eq!(created["reported_on"], "2026-03-02");
    let path = format!("/api/v1/cases/{id}");
    let masked = common::api(&app.base, &viewer, "GET", &path, None)
        .await
        .json();
    assert_eq!(
        (
            masked["victims"][0]["name"].is_null(),
            masked["chronology"].is_null()
        ),
        (true, true)
    );
    assert_eq!(masked["victims"][0]["initials"], "Y. B.");
    assert_eq!(
        common::api(&app.base, &outsider, "GET", &path, None)
            .await
            .status,
        404
    );
    let list = common::api(
        &app.base,
        &officer,
        "GET",
        "/api/v1/cases?q=5301055708990001",
        None,
    )
    .await
    .json();
    assert_eq!(list["rows"][0]["id"], id);
    // Every failing field is named, in the caller's language.
    let mut bad = common::sample_input("");
    bad.victims[0].nik = "123".into();
    bad.rescued_on = "2024-01-01".into();
    let r = common::api(
        &app.base,
        &officer,
        "POST",
        "/api/v1/cases",
        Some(&serde_json::to_string(&bad).unwrap()),
    )
    .await;
    assert_eq!(r.status, 422);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["rescued_on", "victims[0].name", "victims[0].nik"]);
    // Version check.
    let mut edit: serde_json::Value = serde_json::from_str(&body).unwrap();
    edit["version"] = serde_json::json!(1);
    edit["trafficking_status"] = serde_json::json!("possible");
    let r = common::api(&app.base, &officer, "PUT", &path, Some(&edit.to_string())).await;
    assert_eq!((r.status, r.json()["version"].as_i64()), (200, Some(2)));
    let r = common::api(&app.base, &officer, "PUT", &path, Some(&edit.to_string())).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"]["code"], "conflict");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Kasus ini sudah diubah orang lain")
    );
    edit.as_object_mut().unwrap().remove("version");
    let r = common::api(&app.base, &officer, "PUT", &path, Some(&edit.to_string())).await;
    assert_eq!(
        (r.status, r.json()["error"]["fields"][0]["field"].as_str()),
        (422, Some("version"))
    );
    // Viewers may read but not write.
    assert_eq!(
        common::api(&app.base, &viewer, "POST", "/api/v1/cases", Some(&body))
            .await
            .status,
        403
    );
    // Route events and the legal track through the API.
    let r = common::api(&app.base, &officer, "POST", &format!("{path}/route-events"), Some(r#"{"kind": "exploitation", "country": "MYS", "city": "Tawau", "date_from": "2025-06-01"}"#)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["route"][0]["country"], "MYS");
    let r = common::api(
        &app.base,
        &officer,
        "PUT",
        &format!("{path}/legal"),
        Some(r#"{"articles": "2, 4", "restitution_ordered": "25.000.000"}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["legal"]["restitution_ordered"].as_i64()),
        (200, Some(25_000_000))
    );
    let r = common::api(
        &app.base,
        &officer,
        "POST",
        &format!("{path}/legal-stages"),
        Some(r#"{"stage": "verdict", "happened": "nope"}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["fields"][0]["field"].as_str()),
        (422, Some("happened"))
    );
    // Consent, perpetrators and closing through the API.
    let victim = created["victims"][0]["id"].as_i64().unwrap();
    let r = common::api(&app.base, &officer, "POST", &format!("{path}/consents"), Some(&format!(r#"{{"victim_id": {victim}, "scope": "referral", "given_by": "victim", "given_on": "2026-02-21"}}"#))).await;
    assert_eq!(
        (r.status, r.json()["consents"][0]["scope"].as_str()),
        (200, Some("referral"))
    );
    let r = common::api(
        &app.base,
        &officer,
        "POST",
        &format!("{path}/perpetrators"),
        Some(r#"{"kind": "organisation", "name": "PT Sponsor Contoh", "role": "p3mi"}"#),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let perp = r.json()["perpetrators"][0]["perpetrator_id"]
        .as_i64()
        .unwrap();
    let found = common::api(
        &app.base,
        &officer,
        "GET",
        "/api/v1/perpetrators?name=sponsor%20contoh",
        None,
    )
    .await
    .json();
    assert_eq!(found[0]["perpetrator_id"], perp);
    assert_eq!(
        common::api(
            &app.base,
            &viewer,
            "GET",
            "/api/v1/perpetrators?name=sponsor",
            None
        )
        .await
        .status,
        403
    );
    let p = common::api(
        &app.base,
        &viewer,
        "GET",
        &format!("/api/v1/perpetrators/{perp}"),
        None,
    )
    .await
    .json();
    assert_eq!(
        (p["name"].is_null(), p["cases"][0]["id"].is_null()),
        (true, true)
    );
    assert_eq!(p["cases"][0]["case_id"], id);
    let r = common::api(
        &app.base,
        &officer,
        "POST",
        &format!("{path}/status"),
        Some(r#"{"status": "closed", "close_reason": "not_trafficking"}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("closed"))
    );
    let p = common::api(&app.base, &viewer, "GET", "/api/v1/picklists", None)
        .await
        .json();
    assert!(
        p.as_array()
            .unwrap()
            .iter()
            .any(|i| i["list"] == "means_of_control" && i["htcds"] == "DebtBondage")
    );
}

#[tokio::test]
pub(crate) async fn breaking_the_glass_is_explained_audited_and_shown_to_the_owning_unit() {
    let app = TestApp::spawn().await;
    let owner = app.login("data-officer.kupang").await;
    owner.get("/cases/new").await;
    let r = owner
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let path = r.location().split('?').next().unwrap().to_owned();
    // The province's data officer is in scope but outside the owning unit: masked, with the option.
    let province = app.login("data-officer.ntt").await;
    let page = province.get(&path).await;
    assert!(!page.body.contains("Yohana") && page.body.contains("Buka identitas"));
    assert_eq!(
        province.get(&format!("{path}/edit")).await.status,
        403,
        "no editing without identities"
    );
    let r = province
        .post_form(&format!("{path}/break-glass"), &[("reason", "cek")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("minimal 15 karakter") && r.body.contains(">cek</textarea>"));
    let reason = "Verifikasi data ganda dengan laporan Polda NTT";
    let r = province
        .post_form(&format!("{path}/break-glass"), &[("reason", reason)])
        .await;
    assert_eq!(r.status, 303);
    let page = province.get(&r.location()).await;
    assert!(page.body.contains("Yohana Benu") && page.body.contains("selama 8 jam"));
    // Viewers cannot break the glass at all.
    let viewer = app.login("viewer.kupang").await;
    assert!(!viewer.get(&path).await.body.contains("Buka identitas"));
    assert_eq!(
        viewer
            .post_form(&format!("{path}/break-glass"), &[("reason", reason)])
            .await
            .status,
        403
    );
    // The owning unit sees who opened the identities and why; the audit trail has it.
    let seen = owner.get(&path).await.body;
    assert!(seen.contains("data-officer.ntt") && seen.contains(reason));
    let admin = app.login("admin.nasional").await;
    let audit = admin.get("/audit?action=case.break_glass").await.body;
    assert!(audit.contains("data-officer.ntt") && audit.contains("Jam: 8"));
    assert!(
        !audit.contains(reason),
        "the reason stays with the case, not in the log"
    );
}

/// In the edit form only a victim added since it was opened can be removed: the saved ones
/// are matched to their records by position, so removing one would pass its services and
/// plans to the next.
#[tokio::test]
async fn only_a_victim_added_in_the_edit_form_can_be_removed_there() {
    let app = TestApp::spawn().await;
    let a = app.login("data-officer.kupang").await;
    let path = yohanas_case(&a).await;
    let edit = a.get(&format!("{path}/edit")).await;
    assert!(edit.body.contains("name=\"saved_victims\" value=\"1\""));
    assert!(!edit.body.contains("name=\"remove_victim\""));
    let mut form = case_form("Yohana Benu", "5301055708990001", "2026-02-20");
    form[0] = ("version", "1");
    form.push(("saved_victims", "1"));
    form.push(("add_victim", "1"));
    let two = a.post_form(&path, &form).await;
    assert_eq!(two.status, 200);
    assert!(two.body.contains("name=\"remove_victim\" value=\"1\""));
    assert!(!two.body.contains("name=\"remove_victim\" value=\"0\""));
    // Asking to remove the saved one anyway changes nothing.
    form.pop();
    form.push(("victims[1].name", "Salah Ketik"));
    form.push(("remove_victim", "0"));
    let kept = a.post_form(&path, &form).await;
    assert!(
        kept.body.contains("value=\"Yohana Benu\"") && kept.body.contains("value=\"Salah Ketik\"")
    );
    form.pop();
    form.push(("remove_victim", "1"));
    let removed = a.post_form(&path, &form).await;
    assert!(
        removed.body.contains("value=\"Yohana Benu\"") && !removed.body.contains("Salah Ketik")
    );
}

/// Times are shown in the zone of the user's region, named: Kupang (NTT) is WITA,
/// Palangkaraya (Kalimantan Tengah) WIB.
#[tokio::test]
async fn times_are_shown_in_the_zone_of_the_users_region() {
    let app = TestApp::spawn().await;
    for (user, nik, zone, not) in [
        ("data-officer.kupang", "5301055708990001", " WITA", " WIB"),
        (
            "data-officer.palangkaraya",
            "6271055708990001",
            " WIB",
            " WITA",
        ),
    ] {
        let b = app.login(user).await;
        b.get("/cases/new").await;
        let r = b
            .post_form("/cases", &case_form("Yohana Benu", nik, "2026-02-20"))
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let page = b.get(&r.location()).await.body;
        assert!(page.contains(zone), "{user}: no{zone} on the case page");
        assert!(!page.contains(not), "{user}:{not} on the case page");
    }
}
