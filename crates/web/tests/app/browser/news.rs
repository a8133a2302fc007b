//! News as its people use it, at phone and desktop width: an editor writes an article in
//! the browser (Markdown with a heading and a list) and sends it for review; the province's
//! administrator publishes it; a visitor finds it in the list, searches, opens it. No page
//! scrolls sideways and every menu item is in reach.

use super::phone::in_reach;
use super::{Chrome, DESK, PHONE};
use crate::common::TestApp;

/// Every menu item in reach (on a phone, once the menu is opened) and no sideways scroll.
async fn reach(b: &Chrome, size: (u32, u32), who: &str, page: &str) {
    if size == PHONE && b.count(".menu-toggle").await > 0 {
        b.click(".menu-toggle").await;
        b.shot(&format!("{}-menu", page.replace('/', "-"))).await;
    }
    in_reach(b, who, page).await;
}

async fn walk(size: (u32, u32), test: &'static str) {
    let app = TestApp::spawn().await;
    crate::news::published_article(&app, "ntt").await;
    let editor = crate::news::editor(&app, "kalteng").await;
    let Some(b) = Chrome::open(&app, test, size).await else {
        return;
    };
    b.login(&editor).await;
    b.goto("/news").await;
    b.shot("desk-empty").await;
    reach(&b, size, "an editor", "/news").await;
    b.goto("/news/new").await;
    b.type_into("title", "Sosialisasi migrasi aman di Palangka Raya")
        .await;
    b.type_into(
        "lead",
        "Warga belajar mengenali perekrut ilegal dan jalur kerja yang aman.",
    )
    .await;
    b.type_into(
        "body",
        "Tim gugus tugas mengunjungi tiga kelurahan.\n\n## Yang perlu diingat\n\n- Periksa izin perusahaan.\n- Jangan serahkan paspor.\n\n<script>alert(1)</script>",
    )
    .await;
    b.choose("category", "awareness").await;
    b.choose("region", "62.71").await;
    b.shot("new-filled").await;
    b.submit("#article form button[type=submit]").await;
    b.shot("saved").await;
    let text = b.text().await;
    b.expect(
        text.contains("Berita disimpan") && text.contains("Yang perlu diingat"),
        &format!("saved with a preview: {text}"),
    )
    .await;
    reach(&b, size, "an editor", "/news/{id}").await;
    b.goto(&b.path().await).await;
    b.submit("form[action$='/step#workflow'] button").await;
    b.shot("submitted").await;
    let text = b.text().await;
    b.expect(
        text.contains("Berita dikirim untuk ditinjau") && text.contains("orang lain"),
        &format!("sent, and told someone else publishes: {text}"),
    )
    .await;
    // The province's administrator publishes it.
    b.forget_session().await;
    b.login("admin.kalteng").await;
    b.goto("/news").await;
    b.shot("admin-desk").await;
    b.click("table a").await;
    b.shot("admin-article").await;
    b.submit("form[action$='/step#workflow'] button").await;
    let text = b.text().await;
    b.expect(
        text.contains("Berita diterbitkan"),
        &format!("published: {text}"),
    )
    .await;
    // A visitor reads it.
    b.forget_session().await;
    for page in [
        "/",
        "/berita",
        "/berita?q=perekrut",
        "/berita/sosialisasi-migrasi-aman-di-palangka-raya",
    ] {
        b.goto(page).await;
        b.shot(&format!("visitor{}", page.replace(['/', '?', '='], "-")))
            .await;
        in_reach(&b, "a visitor", page).await;
    }
    let text = b.text().await;
    b.expect(
        text.contains("Periksa izin perusahaan") && !text.contains("alert(1)"),
        &format!("the article, cleaned: {text}"),
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn news_at_phone_width() {
    walk(PHONE, "news-phone").await;
}

#[tokio::test]
async fn news_at_desktop_width() {
    walk(DESK, "news-desk").await;
}
