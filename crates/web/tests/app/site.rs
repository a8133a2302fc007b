//! What users do through the pages and the API, on SQLite and (with
//! GUGUS_TEST_DATABASE_URL) PostgreSQL.

use crate::common::{PASSWORD, TestApp};
use serde_json::json;

#[tokio::test]
pub(crate) async fn login_home_and_logout() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    // A visitor gets the public site at `/`, with the way in; the application asks for a
    // login.
    let r = b.get("/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("href=\"/login\""), "{}", r.body);
    let r = b.get("/units").await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/login?next=/units".to_owned())
    );
    let r = b.get("/login?next=/units").await;
    assert!(r.body.contains("<h1>Masuk</h1>") && r.body.contains("lang=\"id\""));
    let r = b
        .post_form(
            "/login",
            &[
                ("username", "admin.kalteng"),
                ("password", PASSWORD),
                ("next", "/units"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/units".to_owned()));
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("gugus_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"));
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("Selamat datang") && home.body.contains("Kalimantan Tengah (62)"),
        "{}",
        home.body
    );
    let r = b.post_form("/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(b.get("/account").await.status, 303);
    let visitor = b.get("/").await;
    assert!(!visitor.body.contains("Selamat datang") && visitor.body.contains("href=\"/login\""));
}

#[tokio::test]
pub(crate) async fn secure_cookie_when_served_over_https() {
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![1; 32],
            secure_cookies: true,
            ..Default::default()
        },
        None,
    )
    .await;
    let b = app.browser();
    b.get("/login").await;
    // reqwest will not send Secure cookies over http, so read the header only.
    let r = b
        .post_form(
            "/login",
            &[("username", "viewer.kupang"), ("password", PASSWORD)],
        )
        .await;
    let cookie = r.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
pub(crate) async fn same_message_for_unknown_user_and_wrong_password_then_lockout() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    b.get("/login").await;
    let wrong = b
        .post_form(
            "/login",
            &[
                ("username", "admin.kalteng"),
                ("password", "salah-sekali-123"),
            ],
        )
        .await;
    let unknown = b
        .post_form(
            "/login",
            &[("username", "tidak.ada"), ("password", "salah-sekali-123")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let msg = "Nama pengguna atau kata sandi salah.";
    assert!(wrong.body.contains(msg) && unknown.body.contains(msg));
    // The typed username is kept, the password is not.
    assert!(wrong.body.contains("value=\"admin.kalteng\""));
    for _ in 0..3 {
        b.post_form(
            "/login",
            &[
                ("username", "admin.kalteng"),
                ("password", "salah-sekali-123"),
            ],
        )
        .await;
    }
    let locked = b
        .post_form(
            "/login",
            &[
                ("username", "admin.kalteng"),
                ("password", "salah-sekali-123"),
            ],
        )
        .await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("dikunci sementara"), "{}", locked.body);
    let right = b
        .post_form(
            "/login",
            &[("username", "admin.kalteng"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        right.status, 429,
        "the right password is refused during lockout"
    );
}

#[tokio::test]
pub(crate) async fn csrf_is_required_on_every_state_changing_form() {
    let app = TestApp::spawn().await;
    let anon = app.browser();
    anon.get("/login").await;
    let r = anon
        .post_raw_form(
            "/login",
            &[("username", "admin.kalteng"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Formulir sudah kedaluwarsa"), "{}", r.body);
    let b = app.login("admin.kalteng").await;
    b.get("/units/new").await;
    let r = b
        .post_raw_form(
            "/units",
            &[
                ("csrf", "0000"),
                ("name", "UPTD PPA"),
                ("kind", "service_unit"),
                ("region_code", "62"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // A token from another session does not work either.
    let other = app.login("admin.ntt").await;
    other.get("/units/new").await;
    let foreign = other.csrf.lock().unwrap().clone();
    let r = b
        .post_raw_form(
            "/units",
            &[
                ("csrf", &foreign),
                ("name", "UPTD PPA"),
                ("kind", "service_unit"),
                ("region_code", "62"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // A cross-site Origin is refused even with the right token.
    let token = b.csrf.lock().unwrap().clone();
    let r = b
        .client
        .post(format!("{}/units", app.base))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", token.as_str()),
            ("name", "X"),
            ("kind", "ngo"),
            ("region_code", "62"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // JSON from a logged-in page without the header is refused; with it, accepted.
    let r = b
        .client
        .post(format!("{}/api/v1/units", app.base))
        .json(&json!({"name": "A", "kind": "ngo", "region_code": "62"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = b
        .send_json(
            "POST",
            "/api/v1/units",
            &json!({"name": "LSM Contoh Kalteng", "kind": "ngo", "region_code": "62.71"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    // And the right token works for the form.
    b.get("/units/new").await;
    let r = b
        .post_form(
            "/units",
            &[
                ("name", "UPTD PPA Kalimantan Tengah"),
                ("kind", "service_unit"),
                ("region_code", "62"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
pub(crate) async fn regional_scope_hides_other_regions() {
    let app = TestApp::spawn().await;
    let kalteng = app.login("admin.kalteng").await;
    let users = kalteng.get("/users").await;
    assert_eq!(users.status, 200);
    assert!(users.body.contains("admin.palangkaraya") && users.body.contains("viewer.kalteng"));
    assert!(
        !users.body.contains(".ntt")
            && !users.body.contains(".kupang")
            && !users.body.contains(".nasional")
    );
    let ntt_user = app.user("data-officer.kupang");
    assert_eq!(kalteng.get(&format!("/users/{ntt_user}")).await.status, 404);
    assert_eq!(
        kalteng
            .post_form(&format!("/users/{ntt_user}/disable"), &[])
            .await
            .status,
        404
    );
    let ntt_unit = app.units["kupang"];
    assert_eq!(
        kalteng.get(&format!("/units/{ntt_unit}/edit")).await.status,
        404
    );
    // The directory itself is visible to all (to find a partner for a referral).
    assert_eq!(kalteng.get(&format!("/units/{ntt_unit}")).await.status, 200);
    // A city admin does not see the province above.
    let city = app.login("admin.palangkaraya").await;
    let body = city.get("/users").await.body;
    assert!(body.contains("viewer.palangkaraya") && !body.contains("admin.kalteng"));
    assert_eq!(
        city.get(&format!("/users/{}", app.user("admin.kalteng")))
            .await
            .status,
        404
    );
    // The national admin sees everyone.
    let nat = app.login("admin.nasional").await;
    let body = nat.get("/users").await.body;
    assert!(body.contains("admin.kupang") && body.contains("admin.kalteng"));
    // Non-admin roles are refused the admin pages outright.
    let viewer = app.login("viewer.kalteng").await;
    assert_eq!(viewer.get("/users").await.status, 403);
    assert_eq!(viewer.get("/audit").await.status, 403);
}

#[tokio::test]
pub(crate) async fn unit_form_keeps_input_and_names_fields() {
    let app = TestApp::spawn().await;
    let b = app.login("admin.kalteng").await;
    b.get("/units/new").await;
    let r = b
        .post_form(
            "/units",
            &[
                ("name", "UPTD PPA Kabupaten Katingan"),
                ("kind", "service_unit"),
                ("region_code", "62.99"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Kode wilayah tidak terdaftar"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"UPTD PPA Kabupaten Katingan\"")
            && r.body.contains("value=\"62.99\"")
    );
    assert!(r.body.contains("error-summary"));
    let r = b
        .post_form(
            "/units",
            &[("name", ""), ("kind", "rocket"), ("region_code", "6")],
        )
        .await;
    assert_eq!(r.status, 422);
    for msg in [
        "Wajib diisi.",
        "Pilih salah satu dari daftar.",
        "Kode wilayah tidak valid",
    ] {
        assert!(r.body.contains(msg), "missing {msg}");
    }
    // Outside the admin's scope: a field error, not a leak.
    let r = b
        .post_form(
            "/units",
            &[
                ("name", "UPTD PPA Kupang"),
                ("kind", "service_unit"),
                ("region_code", "53.01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("di luar cakupan"));
    let r = b
        .post_form(
            "/units",
            &[
                ("name", "UPTD PPA Kabupaten Katingan"),
                ("kind", "service_unit"),
                ("region_code", "62.06"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = b.get(&r.location()).await;
    assert!(page.body.contains("Data unit tersimpan.") && page.body.contains("Kabupaten Katingan"));
    // Edit it, then see it in the filtered directory.
    let id = r
        .location()
        .trim_start_matches("/units/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    b.get(&format!("/units/{id}/edit")).await;
    let r = b
        .post_form(
            &format!("/units/{id}"),
            &[
                ("name", "UPTD PPA Katingan"),
                ("kind", "service_unit"),
                ("region_code", "62.06"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let list = b.get("/units?q=katingan&region=62").await;
    assert!(list.body.contains("UPTD PPA Katingan"));
}

#[tokio::test]
pub(crate) async fn admin_creates_resets_and_disables_accounts() {
    let app = TestApp::spawn().await;
    let b = app.login("admin.kalteng").await;
    b.get("/users/new").await;
    let pal = app.units["palangkaraya"].0.to_string();
    let r = b
        .post_form(
            "/users",
            &[
                ("username", "X"),
                ("full_name", ""),
                ("email", "bukan"),
                ("unit_id", &pal),
                ("role", "raja"),
                ("password", "pendek"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    for field in ["#username", "#full_name", "#email", "#role", "#password"] {
        assert!(r.body.contains(field), "error summary should link {field}");
    }
    let ntt = app.units["ntt"].0.to_string();
    let r = b
        .post_form(
            "/users",
            &[
                ("username", "baru.satu"),
                ("full_name", "Pengguna Baru"),
                ("unit_id", &ntt),
                ("role", "viewer"),
                ("password", "sandi-awal-panjang"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "a unit outside the scope is refused");
    let r = b
        .post_form(
            "/users",
            &[
                ("username", "baru.satu"),
                ("full_name", "Pengguna Baru"),
                ("unit_id", &pal),
                ("role", "viewer"),
                ("password", "sandi-awal-panjang"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get(&r.location()).await;
    assert!(page.body.contains("Pengguna Baru"));
    let id = app
        .store
        .user_id_by_username("baru.satu")
        .await
        .unwrap()
        .unwrap();
    // The new user logs in, then the admin resets the password: the session ends.
    let nb = app.browser();
    nb.get("/login").await;
    assert_eq!(
        nb.post_form(
            "/login",
            &[
                ("username", "baru.satu"),
                ("password", "sandi-awal-panjang")
            ]
        )
        .await
        .status,
        303
    );
    assert_eq!(nb.get("/").await.status, 200);
    let r = b
        .post_form(&format!("/users/{id}/password"), &[("password", "pendek")])
        .await;
    assert_eq!(r.status, 422);
    let r = b
        .post_form(
            &format!("/users/{id}/password"),
            &[("password", "sandi-kedua-panjang")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        nb.get("/account").await.status,
        303,
        "session ended by the reset"
    );
    b.get(&format!("/users/{id}")).await;
    let r = b.post_form(&format!("/users/{id}/disable"), &[]).await;
    assert_eq!(r.status, 303);
    nb.get("/login").await;
    let r = nb
        .post_form(
            "/login",
            &[
                ("username", "baru.satu"),
                ("password", "sandi-kedua-panjang"),
            ],
        )
        .await;
    assert_eq!(r.status, 401, "a disabled account cannot log in");
}
