//! API tokens (issue 11, item 3): they expire (90 days unless configured, fewer if asked),
//! end with the owner's password change, an admin's reset or the account's deactivation,
//! are refused while the owner's role requires a second factor the owner has not set up,
//! and may be read-only. A refused token says why: expired or revoked.

use crate::common::{Browser, TestApp, api, sample_input};
use serde_json::{Value, json};

const DAY_MS: i64 = 86_400_000;

const OWNER: &str = "data-officer.kalteng";

/// The `error.code` of an API answer.
fn code(r: &crate::common::Resp) -> String {
    r.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// GET /api/v1/me with the token: its status and error code.
async fn me(app: &TestApp, token: &str) -> (u16, String) {
    let r = api(&app.base, token, "GET", "/api/v1/me", None).await;
    let c = if r.status == 200 {
        String::new()
    } else {
        code(&r)
    };
    (r.status, c)
}

/// Makes a token on the account page; returns (the secret shown once, the page).
async fn make_on_page(b: &Browser, fields: &[(&str, &str)]) -> (String, String) {
    b.get("/account").await;
    let r = b.post_form("/account/tokens", fields).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let marker = "id=\"new-token\">";
    let i = r.body.find(marker).expect("the new token is shown") + marker.len();
    let secret = r.body[i..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("gug_"), "{secret}");
    (secret, r.body)
}

#[tokio::test]
async fn a_token_ends_with_its_owners_password_change() {
    let app = TestApp::spawn().await;
    let token = app.token(OWNER).await;
    assert_eq!(me(&app, &token).await, (200, String::new()));
    let b = app.login(OWNER).await;
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current_password", crate::common::PASSWORD),
                ("new_password", "sandi-baru-yang-panjang-1"),
                ("confirm_password", "sandi-baru-yang-panjang-1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = api(&app.base, &token, "GET", "/api/v1/me", None).await;
    assert_eq!((r.status, code(&r)), (401, "token_revoked".to_owned()));
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("dicabut"), "{msg}");
    // The owner's list says why.
    let page = b.get("/account").await;
    assert!(page.body.contains("kata sandi diganti"), "{}", page.body);
}

#[tokio::test]
async fn a_token_ends_with_an_admins_password_reset_and_with_deactivation() {
    let app = TestApp::spawn().await;
    let token = app.token(OWNER).await;
    assert_eq!(me(&app, &token).await.0, 200);
    let admin = app.login("admin.kalteng").await;
    let id = app.user(OWNER);
    admin.get(&format!("/users/{id}")).await;
    let r = admin
        .post_form(
            &format!("/users/{id}/password"),
            &[("password", "sandi-atur-ulang-123")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(me(&app, &token).await, (401, "token_revoked".to_owned()));

    // Deactivation revokes too, and re-enabling the account does not bring tokens back.
    let other = app.token("viewer.kalteng").await;
    let vid = app.user("viewer.kalteng");
    admin.get(&format!("/users/{vid}")).await;
    let r = admin.post_form(&format!("/users/{vid}/disable"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    admin.get(&format!("/users/{vid}")).await;
    admin.post_form(&format!("/users/{vid}/enable"), &[]).await;
    assert_eq!(me(&app, &other).await, (401, "token_revoked".to_owned()));
}

#[tokio::test]
async fn a_token_expires_after_its_days_and_says_so() {
    let app = TestApp::spawn().await;
    let b = app.login(OWNER).await;
    let (default, _) = make_on_page(&b, &[("name", "lama"), ("kind", "full")]).await;
    let (short, page) =
        make_on_page(&b, &[("name", "pendek"), ("kind", "full"), ("days", "7")]).await;
    assert!(page.contains("(7 hari)"), "{page}");
    // Longer than the instance allows, or not a count: refused, naming the field.
    b.get("/account").await;
    let r = b
        .post_form("/account/tokens", &[("name", "x"), ("days", "91")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("days-error"), "{}", r.body);

    app.store.clock().advance_ms(7 * DAY_MS + 1);
    assert_eq!(me(&app, &short).await, (401, "token_expired".to_owned()));
    assert_eq!(me(&app, &default).await.0, 200);
    app.store.clock().advance_ms(83 * DAY_MS);
    let r = api(&app.base, &default, "GET", "/api/v1/me", None).await;
    assert_eq!((r.status, code(&r)), (401, "token_expired".to_owned()));
    let msg = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("kedaluwarsa"), "{msg}");
    // An unknown token says nothing more than "log in".
    let (s, c) = me(&app, "gug_0000").await;
    assert_eq!((s, c.as_str()), (401, "unauthenticated"));
}

#[tokio::test]
async fn a_token_is_refused_while_its_owner_must_enrol_two_factor() {
    let app = TestApp::spawn().await;
    let officer = app.token(OWNER).await;
    let viewer = app.token("viewer.kalteng").await;
    let nat = app.login("admin.nasional").await;
    nat.get("/admin/settings").await;
    let r = nat
        .post_form("/admin/settings", &[("require_totp", "1")])
        .await;
    assert_eq!(r.status, 303);
    // The officer sees identities and has no second factor: the browser is sent to enrol,
    // and the token no longer reads identities either.
    let r = api(&app.base, &officer, "GET", "/api/v1/cases", None).await;
    assert_eq!(
        (r.status, code(&r)),
        (403, "two_factor_required".to_owned())
    );
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("verifikasi dua langkah")
    );
    // Viewers never see identities and are not forced.
    assert_eq!(me(&app, &viewer).await.0, 200);
    // Once the requirement is lifted (the national admin must enrol first to do it in the
    // browser), the same token works again: it was refused, not revoked.
    let admin = app.actor("admin.nasional").await;
    app.store.set_require_totp(&admin, false).await.unwrap();
    assert_eq!(me(&app, &officer).await.0, 200);
}

#[tokio::test]
async fn a_read_only_token_reads_but_never_writes() {
    let app = TestApp::spawn().await;
    let b = app.login(OWNER).await;
    let (ro, _) = make_on_page(&b, &[("name", "dasbor"), ("kind", "read_only")]).await;
    let r = api(&app.base, &ro, "GET", "/api/v1/cases", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before = r.json()["rows"].as_array().unwrap().len();
    let body = serde_json::to_string(&sample_input("Maria Uji")).unwrap();
    let r = api(&app.base, &ro, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!((r.status, code(&r)), (403, "token_read_only".to_owned()));
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("hanya-baca")
    );
    let unit = app.units["kalteng"];
    let put = json!({"name": "GT Diubah", "kind": "task_force", "region_code": "62"});
    let r = api(
        &app.base,
        &ro,
        "PUT",
        &format!("/api/v1/units/{unit}"),
        Some(&put.to_string()),
    )
    .await;
    assert_eq!((r.status, code(&r)), (403, "token_read_only".to_owned()));
    let r = api(
        &app.base,
        &ro,
        "POST",
        "/api/v1/notifications/read",
        Some("{}"),
    )
    .await;
    assert_eq!(r.status, 403);
    let after = api(&app.base, &ro, "GET", "/api/v1/cases", None)
        .await
        .json()["rows"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing was written");
    // A full token of the same owner writes.
    let (full, _) = make_on_page(&b, &[("name", "impor"), ("kind", "full")]).await;
    let r = api(&app.base, &full, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // The list shows kind, expiry and last use.
    let list = api(&app.base, &ro, "GET", "/api/v1/tokens", None)
        .await
        .json();
    let mine: Vec<&Value> = list.as_array().unwrap().iter().collect();
    let dasbor = mine.iter().find(|t| t["name"] == "dasbor").unwrap();
    assert_eq!(dasbor["kind"], "read_only");
    assert_eq!(dasbor["state"], "active");
    assert!(dasbor["last_used_at_ms"].is_i64());
    let page = b.get("/account").await.body;
    assert!(page.contains("Hanya-baca (GET saja)") && page.contains("Berlaku sampai"));
}

#[tokio::test]
async fn the_default_lifetime_of_90_days_is_shown_when_a_token_is_made() {
    let app = TestApp::spawn().await;
    // On the page.
    let b = app.login(OWNER).await;
    let (_, page) = make_on_page(&b, &[("name", "laporan")]).await;
    let list = b.get("/api/v1/tokens").await.json();
    let t = &list[0];
    assert_eq!(t["name"], "laporan");
    let expires = t["expires_at_ms"].as_i64().unwrap();
    assert_eq!(expires - t["created_at_ms"].as_i64().unwrap(), 90 * DAY_MS);
    let shown = format!("{} WIB", domain::time::format_ms(expires, 7));
    assert!(page.contains(&shown), "{shown} not in {page}");
    assert!(page.contains("(90 hari)"), "{page}");
    // In the API, made with the signed-in session.
    b.get("/account").await;
    let r = b
        .send_json("POST", "/api/v1/tokens", &json!({"name": "skrip"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["days"].as_i64(), v["kind"].as_str()),
        (Some(90), Some("full"))
    );
    let token = v["token"].as_str().unwrap().to_owned();
    let list = api(&app.base, &token, "GET", "/api/v1/tokens", None)
        .await
        .json();
    let skrip = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "skrip")
        .unwrap()
        .clone();
    assert_eq!(skrip["expires_at_ms"], v["expires_at_ms"]);
    assert_eq!(
        skrip["expires_at_ms"].as_i64().unwrap() - skrip["created_at_ms"].as_i64().unwrap(),
        90 * DAY_MS
    );
    // A token cannot make tokens (it would renew itself past its expiry).
    let r = api(
        &app.base,
        &token,
        "POST",
        "/api/v1/tokens",
        Some(r#"{"name": "anak"}"#),
    )
    .await;
    assert_eq!(
        (r.status, code(&r)),
        (403, "token_cannot_create_tokens".to_owned())
    );
    // Revoked by its owner through the API: refused as revoked.
    let id = skrip["id"].as_i64().unwrap();
    let r = api(
        &app.base,
        &token,
        "POST",
        &format!("/api/v1/tokens/{id}/revoke"),
        Some("{}"),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(me(&app, &token).await, (401, "token_revoked".to_owned()));
}
