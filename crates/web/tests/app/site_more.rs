//! The site, continued: region pages, API errors, not-found pages in the user's language,
//! security headers, the OpenAPI document, the audit trail, passwords and two factors,
//! idle sessions.

use crate::common::{PASSWORD, TestApp, api};
#[allow(unused_imports)]
use crate::site::*;

#[tokio::test]
async fn region_pages_and_api() {
    let app = TestApp::spawn().await;
    let b = app.login("viewer.kupang").await;
    let r = b.get("/regions?q=belu").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("href=\"/regions/53.04\"") && r.body.contains("Kabupaten Belu"));
    assert!(r.body.contains("cahyadsn/wilayah"), "attribution shown");
    let r = b.get("/regions/53.04").await;
    assert!(r.body.contains("Nusa Tenggara Timur") && r.body.contains("53.04.01"));
    assert_eq!(b.get("/regions/53.99").await.status, 404);
    assert_eq!(b.get("/regions/bukan-kode").await.status, 404);
    let r = b.get("/api/v1/regions?q=palangkaraya").await;
    assert_eq!(r.json()[0]["code"], "62.71");
    let r = b.get("/api/v1/regions/62.71").await.json();
    assert_eq!(r["name"], "Kota Palangkaraya");
    assert_eq!(r["ancestors"][0]["code"], "62");
    assert!(r["children"].as_array().unwrap().len() >= 5);
    let r = b.get("/api/v1/regions").await.json();
    assert_eq!(r.as_array().unwrap().len(), 38);
}

#[tokio::test]
async fn api_errors_name_fields_and_statuses() {
    let app = TestApp::spawn().await;
    let b = app.login("admin.kalteng").await;
    b.get("/account").await;
    let r = b.post_form("/account/tokens", &[("name", "uji")]).await;
    let marker = "id=\"new-token\">";
    let token = r.body[r.body.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(token.starts_with("gug_"));
    let base = &app.base;
    let r = api(base, &token, "POST", "/api/v1/units", Some("{\"name\": ")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "bad_request");
    let r = api(
        base,
        &token,
        "POST",
        "/api/v1/units",
        Some("{\"name\": 5, \"kind\": \"ngo\"}"),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"]["fields"][0]["field"], "name");
    let r = api(base, &token, "POST", "/api/v1/units", Some("{}")).await;
    assert_eq!(r.status, 422);
    let fields: Vec<String> = r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["name", "kind"]);
    assert_eq!(r.json()["error"]["fields"][0]["message"], "Wajib diisi.");
    let r = api(
        base,
        &token,
        "POST",
        "/api/v1/units",
        Some("{\"name\": \"A\", \"kind\": \"ngo\", \"region_code\": \"62.99\"}"),
    )
    .await;
    assert_eq!(
        (
            r.status,
            r.json()["error"]["fields"][0]["code"]
                .as_str()
                .unwrap()
                .to_owned()
        ),
        (422, "region_unknown".to_owned())
    );
    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(2 << 20));
    let r = api(base, &token, "POST", "/api/v1/units", Some(&big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["code"], "payload_too_large");
    let r = api(base, &token, "GET", "/api/v1/nope", None).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str().unwrap()),
        (404, "not_found")
    );
    let r = api(base, &token, "GET", "/api/v1/users/999999", None).await;
    assert_eq!(r.status, 404);
    let r = api(base, &token, "GET", "/api/v1/me", None).await;
    assert_eq!(r.json()["username"], "admin.kalteng");
    let r = api(base, "gug_wrong", "GET", "/api/v1/me", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    // Revoked tokens stop working.
    let page = b.get("/account").await;
    let id = page
        .body
        .split("/account/tokens/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    b.post_form(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(
        api(base, &token, "GET", "/api/v1/me", None).await.status,
        401
    );
}

#[tokio::test]
async fn not_found_pages_speak_the_users_language() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    let r = b.get("/tidak-ada").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("Halaman atau data tidak ditemukan"));
    // An English-language browser still gets Indonesian pages until the user switches…
    let r = b
        .get_with("/tidak-ada", &[("accept-language", "en-US,en;q=0.9")])
        .await;
    assert!(r.body.contains("Halaman atau data tidak ditemukan"));
    // …while an API client may ask for English.
    let r = b
        .get_with(
            "/api/v1/tidak-ada",
            &[("accept-language", "en-US,en;q=0.9")],
        )
        .await;
    assert_eq!(r.json()["error"]["message"], "Page or record not found.");
    // The language switch sets a cookie.
    let r = b.get("/lang/en?next=/login").await;
    assert_eq!((r.status, r.location()), (303, "/login".to_owned()));
    assert!(b.get("/login").await.body.contains("<h1>Log in</h1>"));
    assert!(
        b.get("/tidak-ada")
            .await
            .body
            .contains("Page or record not found")
    );
    let r = b.get("/lang/id?next=//evil.example").await;
    assert_eq!(r.location(), "/");
    // An oversized form is refused before it is read.
    b.get("/login").await;
    let huge = "x".repeat(2 << 20);
    let r = b
        .post_form("/login", &[("username", huge.as_str()), ("password", "p")])
        .await;
    assert_eq!(r.status, 413);
    assert!(
        r.body.contains("terlalu besar") || r.body.contains("too large"),
        "{}",
        r.body
    );
    // Malformed form data is a clear 4xx, not a crash.
    let r = b
        .client
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn security_headers_on_pages_and_assets() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    for path in [
        "/login",
        "/static/gugus.css",
        "/healthz",
        "/api/v1/openapi.json",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        let csp = r
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'")
        );
        assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(r.headers.get("x-frame-options").unwrap(), "DENY");
        assert!(r.headers.get("referrer-policy").is_some());
    }
    assert_eq!(
        b.get("/login").await.headers.get("cache-control").unwrap(),
        "no-store"
    );
    // No inline scripts anywhere a CSP would have to allow.
    assert!(!b.get("/login").await.body.contains("<script>"));
}

#[tokio::test]
async fn openapi_documents_every_api_route() {
    let app = TestApp::spawn().await;
    let doc = app.browser().get("/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for (method, path) in web::route_table() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
            continue;
        }
        let op = &doc["paths"][path][method.to_lowercase()];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn audit_trail_records_writes_and_views_and_filters() {
    let app = TestApp::spawn().await;
    let b = app.login("admin.kalteng").await;
    let target = app.user("viewer.palangkaraya");
    b.get(&format!("/users/{target}")).await;
    let r = b
        .get(&format!("/audit?action=user.view&record_id={target}"))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("<td data-label=\"Tindakan\">Melihat data pengguna</td>")
            && r.body.contains("admin.kalteng")
            && r.body.contains("127.0.0.1")
    );
    let r = b.get("/audit?action=unit.create").await;
    assert!(
        !r.body.contains(">Membuat unit</td>"),
        "units were created by the national CLI actor, outside this admin's subtree"
    );
    let nat = app.login("admin.nasional").await;
    let r = nat.get("/audit?action=unit.create&user=system:cli").await;
    assert!(r.body.contains(">Membuat unit</td>"));
    let today = domain::time::format_ms(app.store.now_ms(), 7)[..10].to_owned();
    let r = nat
        .get(&format!("/audit?from={today}&to={today}&action=auth.login"))
        .await;
    assert!(r.body.contains("admin.kalteng"));
    let r = nat.get("/audit?from=2001-01-01&to=2001-01-02").await;
    assert!(!r.body.contains(r#"<td data-label="Tindakan">"#));
    let json = nat
        .get("/api/v1/audit?action=auth.login&limit=5")
        .await
        .json();
    assert!(!json.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn password_change_and_totp_enrolment() {
    let app = TestApp::spawn().await;
    let b = app.login("data-officer.kupang").await;
    b.get("/account").await;
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current_password", "salah"),
                ("new_password", "x"),
                ("confirm_password", "y"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    for msg in ["Kata sandi salah.", "minimal 10 karakter", "tidak sama"] {
        assert!(r.body.contains(msg), "{msg}");
    }
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "sandi-baru-yang-kuat"),
                ("confirm_password", "sandi-baru-yang-kuat"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    // Enrol TOTP.
    let page = b.get("/account/totp").await;
    let marker = "id=\"totp-secret\">";
    let secret_b32 = page.body[page.body.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    // Reloading shows the same secret (so what was scanned stays valid).
    assert!(b.get("/account/totp").await.body.contains(&secret_b32));
    let secret = domain::totp::base32_decode(&secret_b32).unwrap();
    let now = (app.store.now_ms() / 1000) as u64;
    let code = |t: u64| format!("{:06}", domain::totp::code_at_step(&secret, t / 30));
    let r = b.post_form("/account/totp", &[("code", "12345")]).await;
    assert_eq!(r.status, 422);
    let r = b.post_form("/account/totp", &[("code", &code(now))]).await;
    assert_eq!(r.status, 303);
    // Next login asks for the second factor before anything else.
    let c = app.browser();
    c.get("/login").await;
    let r = c
        .post_form(
            "/login",
            &[
                ("username", "data-officer.kupang"),
                ("password", "sandi-baru-yang-kuat"),
                ("next", "/units"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/login/totp?next=/units");
    assert_eq!(c.get("/units").await.location(), "/login/totp");
    assert_eq!(c.get("/api/v1/me").await.status, 401);
    c.get("/login/totp").await;
    let r = c
        .post_form("/login/totp", &[("code", "000000"), ("next", "/units")])
        .await;
    assert_eq!(r.status, 401);
    let r = c
        .post_form(
            "/login/totp",
            &[("code", &code(now + 30)), ("next", "/units")],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/units".to_owned()));
    assert_eq!(c.get("/units").await.status, 200);
}

#[tokio::test]
async fn required_totp_sends_identity_roles_to_enrolment() {
    let app = TestApp::spawn().await;
    let nat = app.login("admin.nasional").await;
    nat.get("/admin/settings").await;
    let r = nat
        .post_form("/admin/settings", &[("require_totp", "1")])
        .await;
    assert_eq!(r.status, 303);
    let regional_admin = app.login("admin.kalteng").await;
    assert_eq!(
        regional_admin.get("/admin/settings").await.status,
        303,
        "must enrol first"
    );
    let d = app.login("data-officer.kalteng").await;
    assert_eq!(d.get("/").await.location(), "/account/totp");
    assert_eq!(d.get("/account/totp").await.status, 200);
    // Viewers never see identities and are not forced.
    let v = app.login("viewer.kalteng").await;
    assert_eq!(v.get("/").await.status, 200);
}

#[tokio::test]
async fn idle_sessions_expire() {
    let policy = store::AuthPolicy {
        idle_ms: -1,
        ..Default::default()
    };
    let app = TestApp::spawn_with(
        web::WebConfig {
            secret: vec![3; 32],
            ..Default::default()
        },
        Some(policy),
    )
    .await;
    let b = app.browser();
    b.get("/login").await;
    let r = b
        .post_form(
            "/login",
            &[("username", "viewer.ntt"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 303);
    let r = b.get("/account").await;
    assert_eq!(
        r.status, 303,
        "expired at once with a negative idle timeout"
    );
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
}
