//! Home pages that fit the role: a data officer's drafts, returned cases and submissions
//! waiting; a verifier's queue and its oldest record; an admin's locked accounts and
//! accounts without the required two-step verification; the region's cases for analysts
//! and viewers — each counted inside the user's region only.

use crate::clearing::{step, submit};
use crate::common::{self, TestApp};
use serde_json::json;

/// The number on the card whose label is `label` (the `<p class="num">` before it).
#[track_caller]
fn card(body: &str, label: &str) -> i64 {
    let Some(at) = body.find(&format!("<p>{label}")) else {
        panic!("no card \"{label}\" in {body}");
    };
    let num = body[..at].rsplit("<p class=\"num\">").next().unwrap();
    num.split('<').next().unwrap().trim().parse().unwrap()
}

#[tokio::test]
async fn each_role_finds_its_own_work_on_the_home_page() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let mut ids = Vec::new();
    for name in ["Sari Dewi", "Maria Lestari", "Dewi Sartika"] {
        let (id, _) = app
            .store
            .create_case(&officer, &common::sample_case(name))
            .await
            .unwrap();
        ids.push(id);
    }
    app.store.after_save_settled().await;
    let t_officer = app.token("data-officer.palangkaraya").await;
    let t_verifier = app.token("verifier.kalteng").await;
    // One submitted and waiting; one submitted and returned with a note.
    for id in &ids[..2] {
        assert_eq!(submit(&app, &t_officer, *id).await.status, 200);
    }
    let r = step(
        &app,
        &t_verifier,
        ids[1],
        json!({"action": "return", "note": "Periksa saluran pengaduan."}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let home = app
        .login("data-officer.palangkaraya")
        .await
        .get("/")
        .await
        .body;
    assert_eq!(card(&home, "draf belum diajukan"), 1);
    assert_eq!(card(&home, "dikembalikan untuk diperbaiki"), 1);
    assert_eq!(card(&home, "menunggu verifikasi"), 1);
    let code = app.store.case(&officer, ids[1]).await.unwrap().code;
    assert!(
        home.contains(&format!("<a href=\"/cases/{}#review\">{code}</a>", ids[1])),
        "the returned case is not listed: {home}"
    );
    // The "waiting" card opens the case list filtered by that stage, which it honours.
    let list = app
        .login("data-officer.palangkaraya")
        .await
        .get("/cases?review=submitted")
        .await
        .body;
    let waiting = app.store.case(&officer, ids[0]).await.unwrap().code;
    assert!(list.contains(&waiting) && !list.contains(&code), "{list}");
    let bad = app
        .login("viewer.kalteng")
        .await
        .get("/cases?review=sideways")
        .await;
    assert_eq!(bad.status, 422, "an unknown stage is an error, not ignored");

    let home = app.login("verifier.kalteng").await.get("/").await.body;
    assert_eq!(card(&home, "catatan menunggu keputusan Anda"), 1);
    assert!(
        home.contains(&format!("hari — yang tertua ({waiting})")),
        "{home}"
    );

    let home = app.login("viewer.kalteng").await.get("/").await.body;
    assert_eq!(card(&home, "kasus tercatat"), 3);
    // Another province counts none of them.
    let home = app.login("viewer.ntt").await.get("/").await.body;
    assert_eq!(card(&home, "kasus tercatat"), 0);
}

#[tokio::test]
async fn an_admin_sees_locked_accounts_and_accounts_missing_two_step_verification() {
    let app = TestApp::spawn().await;
    let home = app.login("admin.kalteng").await.get("/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    let home = home.body;
    assert_eq!(card(&home, "akun terkunci karena gagal masuk"), 0);
    assert!(
        !home.contains("tanpa verifikasi dua langkah"),
        "not required, not counted"
    );
    // Five wrong passwords lock Palangka Raya's data officer.
    for _ in 0..5 {
        let _ = app
            .store
            .login("data-officer.palangkaraya", "salah-sekali-99", "t")
            .await;
    }
    // Two-step verification required: the admin enrols (or could not open the page).
    let national = app.actor("admin.nasional").await;
    app.store.set_require_totp(&national, true).await.unwrap();
    let admin = app.login("admin.kalteng").await;
    let page = admin.get("/account/totp").await;
    let marker = "id=\"totp-secret\">";
    let secret = page.body[page.body.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = domain::totp::base32_decode(&secret).unwrap();
    let step_now = (app.store.now_ms() / 1000) as u64 / 30;
    let code = format!("{:06}", domain::totp::code_at_step(&secret, step_now));
    let r = admin.post_form("/account/totp", &[("code", &code)]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let home = admin.get("/").await.body;
    assert_eq!(card(&home, "akun terkunci karena gagal masuk"), 1);
    // Kalimantan Tengah's data officers and verifier and Palangka Raya's admin see
    // identities and have not enrolled (the admin just did; viewers are not asked).
    assert_eq!(
        card(
            &home,
            "akun tanpa verifikasi dua langkah padahal diwajibkan"
        ),
        4
    );
    // Those who may not list users see no account figures.
    app.store.set_require_totp(&national, false).await.unwrap();
    let home = app.login("viewer.kalteng").await.get("/").await.body;
    assert!(!home.contains("akun terkunci"), "{home}");
    // NTT's admin counts NTT's accounts only.
    let home = app.login("admin.ntt").await.get("/").await.body;
    assert_eq!(card(&home, "akun terkunci karena gagal masuk"), 0);
}
