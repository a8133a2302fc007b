//! At phone width (390 px): the page starts at its content, the menu opens from one
//! button with every navigation item in reach, and no page scrolls sideways.

use super::{Chrome, PHONE};
use crate::common::TestApp;
use serde_json::json;

/// The main navigation's links that lie (partly) outside the window, by their text.
pub(super) const OFF_SCREEN: &str = "return Array.from(document.querySelectorAll('nav.main a'))
    .filter(function (a) { var r = a.getBoundingClientRect();
        return r.width === 0 || r.left < 0 || r.right > window.innerWidth + 0.5; })
    .map(function (a) { return a.textContent.trim(); });";

/// How far the page itself is wider than the window (0 when it does not scroll sideways),
/// and the widest element that sticks out.
const SIDEWAYS: &str = "var over = document.documentElement.scrollWidth - window.innerWidth;
    var worst = '';
    if (over > 0) { var w = 0; document.querySelectorAll('body *').forEach(function (e) {
        var r = e.getBoundingClientRect(); if (r.right > w) { w = r.right;
        worst = e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''); } }); }
    return [over, worst];";

#[tokio::test]
async fn at_phone_width_every_menu_item_is_reachable_and_no_page_scrolls_sideways() {
    let app = TestApp::spawn().await;
    // A case, so the case list and a case page have rows.
    let officer = app.actor("data-officer.palangkaraya").await;
    let (case, _) = app
        .store
        .create_case(&officer, &crate::common::sample_case("Sari Dewi"))
        .await
        .unwrap();
    // A complaint from the public waiting in Palangka Raya's queue, with a file.
    let complaint = domain::complaint::NewComplaint::parse(
        &domain::complaint::ComplaintInput {
            what: "Tetangga saya dijanjikan kerja di Malaysia oleh agen, paspornya ditahan.".into(),
            region: "62.71".into(),
            at_risk: "adult".into(),
            contact: "0812 0000 1111".into(),
            ..Default::default()
        },
        crate::common::today(),
    )
    .unwrap();
    app.store
        .submit_complaint(
            &complaint,
            &[store::complaints::Attachment {
                bytes: b"%PDF-1.4 foto",
            }],
            false,
            None,
        )
        .await
        .unwrap();
    let complaint_id = app
        .store
        .complaint_queue(&officer, true, 1)
        .await
        .unwrap()
        .rows[0]
        .id;
    let Some(b) = Chrome::open(&app, "phone_width", PHONE).await else {
        return;
    };
    let width = b.js("return window.innerWidth", vec![]).await;
    b.expect(
        width == json!(PHONE.0),
        &format!("the window is {width} px wide, not {}", PHONE.0),
    )
    .await;
    for (user, pages) in [
        (
            "data-officer.palangkaraya",
            vec![
                "/".to_owned(),
                "/cases".into(),
                "/cases/new".into(),
                format!("/cases/{case}"),
                "/notifications".into(),
                "/complaints".into(),
                format!("/complaints/{complaint_id}"),
                "/regions".into(),
                "/units".into(),
            ],
        ),
        (
            "admin.kalteng",
            vec!["/".to_owned(), "/users".into(), "/audit".into()],
        ),
        (
            "verifier.kalteng",
            vec![
                "/".to_owned(),
                "/review".into(),
                "/quality".into(),
                "/statistik".into(),
                "/peta".into(),
                "/kerawanan".into(),
                "/kerawanan/metode".into(),
                "/jaringan".into(),
            ],
        ),
    ] {
        b.forget_session().await;
        b.login(user).await;
        for page in pages {
            b.goto(&page).await;
            b.shot(&format!("{user}{page}")).await;
            // The page starts at its content: the menu is folded behind one button.
            let top = b
                .js(
                    "return document.querySelector('main h1').getBoundingClientRect().top",
                    vec![],
                )
                .await;
            b.expect(
                top.as_f64().unwrap_or(1e9) < 160.0,
                &format!("{user} on {page}: the content starts {top} px down"),
            )
            .await;
            // The case list's filters fold away until opened.
            if page == "/cases" {
                let open = b
                    .js(
                        "return document.getElementById('case-filters').open",
                        vec![],
                    )
                    .await;
                b.expect(
                    open == json!(false),
                    "the case list's filters take the phone's screen",
                )
                .await;
            }
            b.click(".menu-toggle").await;
            b.shot(&format!("{user}{page}-menu")).await;
            in_reach(&b, user, &page).await;
        }
    }
    // A case worker issues the victim her status code, and she looks with it.
    let victim = app.store.case(&officer, case).await.unwrap().victims[0].id;
    b.forget_session().await;
    b.login("data-officer.palangkaraya").await;
    b.goto(&format!("/victims/{victim}/plan#status-code")).await;
    b.submit("#status-code form button").await;
    b.shot("slip").await;
    let code = b
        .js(
            "return document.getElementById('slip-code').textContent",
            vec![],
        )
        .await;
    let pin = b
        .js(
            "return document.getElementById('slip-pin').textContent",
            vec![],
        )
        .await;
    b.forget_session().await;
    b.goto("/status").await;
    b.type_into("kode", code.as_str().unwrap_or_default()).await;
    b.type_into("pin", pin.as_str().unwrap_or_default()).await;
    b.submit("form[action='/status'] button").await;
    b.shot("survivor-status").await;
    let text = b.text().await;
    b.expect(
        text.contains("Rencana pemulihan") && !text.contains("Sari"),
        &format!("her status page: {text}"),
    )
    .await;
    in_reach(&b, "a survivor", "/status").await;
    // A visitor: the public site, with its figures.
    let admin = app.actor("admin.nasional").await;
    app.store
        .publish_snapshot(&admin, crate::common::today(), 11)
        .await
        .unwrap();
    b.forget_session().await;
    for page in [
        "/",
        "/statistik-publik",
        "/statistik-publik?wilayah=62",
        "/data",
        "/status",
        "/pengaduan",
        "/pengaduan/status",
    ] {
        b.goto(page).await;
        b.shot(&format!("visitor{page}")).await;
        in_reach(&b, "a visitor", page).await;
    }
    b.close().await;
}

/// Every navigation item within the window, and no sideways scroll.
pub(super) async fn in_reach(b: &Chrome, who: &str, page: &str) {
    let off = b.js(OFF_SCREEN, vec![]).await;
    b.expect(
        off.as_array().is_some_and(|a| a.is_empty()),
        &format!("{who} on {page}: menu items out of reach {off}"),
    )
    .await;
    let sideways = b.js(SIDEWAYS, vec![]).await;
    b.expect(
        sideways[0].as_f64().unwrap_or(1.0) <= 0.5,
        &format!("{who} on {page} scrolls sideways: {sideways}"),
    )
    .await;
}
