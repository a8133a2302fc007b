//! An admin finds accounts by name, role or state, a page at a time with the total, and
//! changes an account's role and unit: audited, its sessions end, its tokens are revoked,
//! only within the admin's region, never the admin's own.

use crate::common::{TestApp, api};

#[tokio::test]
async fn an_admin_searches_accounts_and_pages_through_them() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin.kalteng").await;
    let r = admin.get("/users?q=PALANGKARAYA").await;
    assert_eq!(r.status, 200);
    for name in [
        "admin.palangkaraya",
        "data-officer.palangkaraya",
        "viewer.palangkaraya",
    ] {
        assert!(r.body.contains(name), "{name} not found");
    }
    assert!(!r.body.contains("data-officer.kalteng"), "{}", r.body);
    assert!(r.body.contains("3 data"), "no total: {}", r.body);
    // By role; a state that cannot be read is an error, not ignored.
    let r = admin.get("/users?role=verifier").await;
    assert!(r.body.contains("verifier.kalteng") && !r.body.contains("viewer.kalteng"));
    assert_eq!(admin.get("/users?only=sideways").await.status, 422);
    // The search is a name fragment: bounded, one line.
    let long = "a".repeat(151);
    assert_eq!(admin.get(&format!("/users?q={long}")).await.status, 422);
    assert_eq!(admin.get("/users?q=a%00b").await.status, 422);
    // Another region's accounts are never found.
    assert!(
        !admin
            .get("/users?q=kupang")
            .await
            .body
            .contains("kupang</a>")
    );
    // The API pages too and gives the total in a header.
    let r = api(
        &app.base,
        &app.token("admin.kalteng").await,
        "GET",
        "/api/v1/users?q=palangkaraya&per_page=2",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    assert_eq!(r.headers["x-total-count"], "3");
}

#[tokio::test]
async fn an_admin_changes_a_role_and_unit_and_the_old_access_ends() {
    let app = TestApp::spawn().await;
    let target = app.user("viewer.palangkaraya");
    let viewer = app.login("viewer.palangkaraya").await;
    let token = app.token("viewer.palangkaraya").await;
    assert_eq!(viewer.get("/").await.status, 200);

    let admin = app.login("admin.kalteng").await;
    let page = admin.get(&format!("/users/{target}")).await;
    assert!(page.body.contains("Peran dan unit"));
    // A unit outside the admin's region is refused at the field, the choice kept.
    let kupang = app.units["kupang"].to_string();
    let r = admin
        .post_form(
            &format!("/users/{target}/access"),
            &[("unit_id", &kupang), ("role", "verifier")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"error-summary\"") && r.body.contains("Unit"));
    assert!(r.body.contains(r#"<option value="verifier" selected>"#));
    // Into Kalimantan Tengah's own unit, as a verifier.
    let kalteng = app.units["kalteng"].to_string();
    let r = admin
        .post_form(
            &format!("/users/{target}/access"),
            &[("unit_id", &kalteng), ("role", "verifier")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("/users/{target}?ok=user_access_changed")
    );
    let page = admin.get(&r.location()).await.body;
    assert!(page.contains("Peran dan unit diubah") && page.contains("Verifikator"));
    // The old session and token no longer work.
    assert_ne!(
        viewer.get("/account").await.status,
        200,
        "the old session lives on"
    );
    let r = api(&app.base, &token, "GET", "/api/v1/me", None).await;
    assert_eq!(r.status, 401, "the old token lives on");
    // The trail says what changed, in words.
    let audit = admin.get("/audit?action=user.change_access").await.body;
    assert!(
        audit.contains("Mengubah peran atau unit pengguna")
            && audit.contains("Dari peran: Pemantau")
            && audit.contains("Peran: Verifikator"),
        "{audit}"
    );
    // Never one's own; never another region's account (not found).
    let me = app.user("admin.kalteng");
    let r = admin
        .post_form(
            &format!("/users/{me}/access"),
            &[("unit_id", &kalteng), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, 409);
    let ntt_user = app.user("viewer.kupang");
    let r = admin
        .post_form(
            &format!("/users/{ntt_user}/access"),
            &[("unit_id", &kalteng), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status, 404);
    // The API does the same.
    let r = api(
        &app.base,
        &app.token("admin.kalteng").await,
        "POST",
        &format!("/api/v1/users/{target}/access"),
        Some(&format!(r#"{{"unit_id": {kalteng}, "role": "analyst"}}"#)),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

#[tokio::test]
async fn a_unit_has_contact_details_shown_in_the_directory() {
    let app = TestApp::spawn().await;
    let admin = app.login("admin.kalteng").await;
    admin.get("/units/new").await;
    let mut form = vec![
        ("name", "UPTD PPA Kabupaten Katingan"),
        ("kind", "service_unit"),
        ("region_code", "62.06"),
        ("contact_person", "Ibu Rina (contoh)"),
        ("phone", "nomor kantor"),
        ("email", "uptd.katingan@contoh"),
        ("address", "Jl. Contoh No. 1\nKasongan"),
    ];
    let r = admin.post_form("/units", &form).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Nomor telepon hanya berisi angka")
            && r.body.contains("value=\"Ibu Rina (contoh)\"")
            && r.body.contains("Jl. Contoh No. 1\nKasongan"),
        "{}",
        r.body
    );
    form[4] = ("phone", "(0536) 123 456");
    form[5] = ("email", "uptd.katingan@contoh.invalid");
    let r = admin.post_form("/units", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get(&r.location()).await.body;
    assert!(
        page.contains(r#"<a href="tel:(0536)123456">(0536) 123 456</a>"#)
            && page.contains("Ibu Rina (contoh)")
            && page.contains("mailto:uptd.katingan@contoh.invalid"),
        "{page}"
    );
    let list = admin.get("/units?q=katingan").await.body;
    assert!(list.contains("Ibu Rina (contoh)") && list.contains("(0536) 123 456"));
    assert!(
        list.contains("1 data"),
        "the directory gives no total: {list}"
    );
    // Anyone may read the directory, the contact with it (an institution's details).
    let id = r
        .location()
        .split('/')
        .nth(2)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let r = api(
        &app.base,
        &app.token("viewer.kupang").await,
        "GET",
        &format!("/api/v1/units/{id}"),
        None,
    )
    .await;
    assert_eq!(r.json()["phone"], "(0536) 123 456");
}
