//! News (*Berita*): an editor writes, someone else publishes (four eyes), the public sees
//! only what is published and due, the sanitiser removes HTML and scripts, covers are
//! resized and stripped, another region's desk is 404, and the feed, sitemap and Open
//! Graph tags carry the published articles.

use crate::common::{self, Browser, PASSWORD, TestApp};
use domain::news::{ArticleInput, NewArticle, NewsStep};
use domain::user::NewUser;
use domain::{Actor, UnitId};
use store::news::StepInput;

/// Creates the news editor (*humas*) of a fixture unit: `editor.{unit}`.
pub(crate) async fn editor(app: &TestApp, unit: &str) -> String {
    let username = format!("editor.{unit}");
    if app
        .store
        .user_id_by_username(&username)
        .await
        .unwrap()
        .is_none()
    {
        let new = NewUser::parse(
            &username,
            "Humas Uji",
            "",
            &app.units[unit].0.to_string(),
            "editor",
            PASSWORD,
        )
        .unwrap();
        app.store
            .create_user(&Actor::system(UnitId(1)), &new)
            .await
            .unwrap();
    }
    username
}

fn article(title: &str, body: &str) -> NewArticle {
    NewArticle::parse(&ArticleInput {
        title: title.into(),
        lead: "Ringkasan uji.".into(),
        body: body.into(),
        category: "activity".into(),
        region: String::new(),
        cover_alt: String::new(),
    })
    .unwrap()
}

/// An article of `unit` written by its editor and published by its admin: (id, slug).
pub(crate) async fn published_article(app: &TestApp, unit: &str) -> (i64, String) {
    let writer = app.actor(&editor(app, unit).await).await;
    let admin = app.actor(&format!("admin.{unit}")).await;
    let id = app
        .store
        .create_article(
            &writer,
            &article(&format!("Berita uji {unit}"), "Isi."),
            None,
        )
        .await
        .unwrap();
    let step = StepInput::default();
    app.store
        .news_step(&writer, id, 1, NewsStep::Submit, &step)
        .await
        .unwrap();
    app.store
        .news_step(&admin, id, 2, NewsStep::Publish, &step)
        .await
        .unwrap();
    let a = app.store.news_article(&admin, id).await.unwrap();
    (id, a.slug)
}

fn id_of(r: &common::Resp) -> i64 {
    let loc = r.location();
    loc.strip_prefix("/news/")
        .and_then(|s| s.split(['?', '#']).next())
        .unwrap_or_else(|| panic!("{loc}"))
        .parse()
        .unwrap()
}

/// The `version` the page's forms carry.
fn version(body: &str) -> String {
    common::after(body, "name=\"version\" value=\"", '"')
}

#[tokio::test]
async fn an_article_goes_from_draft_through_review_to_the_public_site_and_back() {
    let app = TestApp::spawn().await;
    let ed = editor(&app, "kalteng").await;
    let writer = app.login(&ed).await;
    // An editor's home and menu: no case anywhere, the news desk in reach.
    let home = writer.get("/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("href=\"/news\""));
    assert!(!home.body.contains("href=\"/cases\""));
    assert_eq!(writer.get("/cases").await.status, 403);
    assert_eq!(writer.get("/statistik").await.status, 200);
    assert_eq!(writer.get("/news/new").await.status, 200);
    // A refused form keeps what was typed and says where.
    let r = writer
        .post_form(
            "/news",
            &[
                ("title", "Sosialisasi <b>aman</b> di Palangka Raya"),
                ("lead", ""),
                ("body", "Teks."),
                ("category", "activity"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("Sosialisasi &#60;b&#62;aman&#60;/b&#62; di Palangka Raya"),
        "{}",
        common::after(&r.body, "id=\"title\"", '>')
    );
    assert!(r.body.contains("id=\"lead-error\""));
    let body = "Warga hadir **ramai**.\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[klik](javascript:alert(2))";
    let r = writer
        .post_form(
            "/news",
            &[
                ("title", "Sosialisasi aman di Palangka Raya"),
                ("lead", "Warga belajar mengenali perekrut ilegal."),
                ("body", body),
                ("category", "awareness"),
                ("region", "62.71"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = id_of(&r);
    let slug = "sosialisasi-aman-di-palangka-raya";
    let anon = Browser::new(&app.base);
    assert_eq!(
        anon.get(&format!("/berita/{slug}")).await.status,
        404,
        "a draft is not public"
    );

    // Send for review; the one who sent it may not publish it (four eyes).
    let page = writer.get(&format!("/news/{id}")).await;
    assert!(page.body.contains("<strong>ramai</strong>"), "the preview");
    let v = version(&page.body);
    let r = writer
        .post_form(
            &format!("/news/{id}/step"),
            &[("op", "submit"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The editor is a publisher too (Editor may publish), but not of her own submission: her
    // page offers no publishing and no editing, and a forged request is refused.
    let page = writer.get(&format!("/news/{id}")).await;
    assert!(
        page.body.contains("orang lain"),
        "she is told someone else publishes"
    );
    assert!(
        !page.body.contains("name=\"version\""),
        "no form to publish or edit"
    );
    let v = "2".to_owned();
    let r = writer
        .post_form(
            &format!("/news/{id}/step"),
            &[("op", "publish"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("orang lain yang menerbitkan"), "{}", r.body);
    // Another region's admin cannot see it; a viewer has no desk at all.
    let ntt = app.login("admin.ntt").await;
    assert_eq!(ntt.get(&format!("/news/{id}")).await.status, 404);
    assert_eq!(
        ntt.post_form(
            &format!("/news/{id}/step"),
            &[("op", "publish"), ("version", &v)]
        )
        .await
        .status,
        404
    );
    let viewer = app.login("viewer.kalteng").await;
    assert_eq!(viewer.get("/news").await.status, 403);
    // The province's admin publishes it.
    let admin = app.login("admin.kalteng").await;
    // No one rewrites what was sent for review (then publishes it as their own approval).
    let page = admin.get(&format!("/news/{id}")).await;
    let v = version(&page.body);
    let r = admin
        .post_form(
            &format!("/news/{id}"),
            &[
                ("title", "Diubah peninjau"),
                ("lead", "x"),
                ("body", "y"),
                ("category", "activity"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("sedang menunggu tinjauan"), "{}", r.body);
    assert!(
        r.body.contains("value=\"Diubah peninjau\""),
        "what was typed is kept"
    );
    let desk = admin.get("/news").await;
    assert!(desk.body.contains("Sosialisasi aman di Palangka Raya"));
    let page = admin.get(&format!("/news/{id}")).await;
    let v = version(&page.body);
    let r = admin
        .post_form(
            &format!("/news/{id}/step"),
            &[("op", "publish"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // The public article: cleaned body, Open Graph tags, in the list, the feed, the sitemap.
    let r = anon.get(&format!("/berita/{slug}")).await;
    assert_eq!(r.status, 200);
    for bad in ["<script>", "alert(", "onerror", "javascript:"] {
        assert!(!r.body.contains(bad), "{bad} reached the public page");
    }
    assert!(r.body.contains("<strong>ramai</strong>"));
    assert!(
        r.body
            .contains("<meta property=\"og:title\" content=\"Sosialisasi aman di Palangka Raya\">")
    );
    assert!(r.body.contains(
        "property=\"og:description\" content=\"Warga belajar mengenali perekrut ilegal.\""
    ));
    assert!(
        r.body
            .contains("property=\"og:url\" content=\"http://127.0.0.1")
    );
    let list = anon.get("/berita").await;
    assert!(list.body.contains(&format!("href=\"/berita/{slug}\"")));
    assert!(list.body.contains("Baca selengkapnya"));
    let filtered = anon.get("/berita?wilayah=53&q=").await;
    assert!(!filtered.body.contains(slug), "filtered out by province");
    let found = anon
        .get("/berita?wilayah=62&q=perekrut&kategori=awareness")
        .await;
    assert!(found.body.contains(slug), "found by a word of the lead");
    let none = anon.get("/berita?q=tidakada").await;
    assert!(!none.body.contains(slug));
    let feed = anon.get("/berita/feed.xml").await;
    assert_eq!(
        feed.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert!(
        feed.body
            .contains("<title>Sosialisasi aman di Palangka Raya</title>")
    );
    assert!(
        !feed.body.contains("<script"),
        "escaped and cleaned in the feed"
    );
    let gz = anon
        .get_with("/berita/feed.xml", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(
        gz.headers["content-encoding"], "gzip",
        "the feed is compressed"
    );
    let sitemap = anon.get("/sitemap.xml").await;
    assert!(sitemap.body.contains(&format!("/berita/{slug}</loc>")));
    let home = anon.get("/").await;
    assert!(
        home.body.contains(&format!("href=\"/berita/{slug}\"")),
        "the home page's latest news"
    );

    // Published text is locked; taken down, the article is 404 to the public again.
    let page = admin.get(&format!("/news/{id}")).await;
    let v = version(&page.body);
    let r = writer
        .post_form(
            &format!("/news/{id}"),
            &[
                ("title", "Diubah"),
                ("lead", "x"),
                ("body", "y"),
                ("category", "activity"),
                ("version", &v),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("value=\"Diubah\""),
        "what was typed is kept"
    );
    let r = admin
        .post_form(
            &format!("/news/{id}/step"),
            &[("op", "unpublish"), ("version", &v)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(anon.get(&format!("/berita/{slug}")).await.status, 404);
    assert!(!anon.get("/berita/feed.xml").await.body.contains(slug));
    assert!(!anon.get("/sitemap.xml").await.body.contains(slug));

    // Every step is in the audit trail.
    let audit = app
        .store
        .audit_list(
            &Actor::system(UnitId(1)),
            &store::AuditFilter {
                record_type: Some("news".into()),
                record_id: Some(id.to_string()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "news.create",
            "news.submit",
            "news.publish",
            "news.unpublish"
        ]
    );
}

#[tokio::test]
async fn a_scheduled_article_appears_at_its_time() {
    let app = TestApp::spawn().await;
    let writer = app.actor(&editor(&app, "ntt").await).await;
    let admin = app.actor("admin.ntt").await;
    let id = app
        .store
        .create_article(&writer, &article("Kampanye kampus NTT", "Isi."), None)
        .await
        .unwrap();
    app.store
        .news_step(&writer, id, 1, NewsStep::Submit, &StepInput::default())
        .await
        .unwrap();
    let anon = Browser::new(&app.base);
    // A browser's `datetime-local`, read in the publisher's zone (NTT: WITA, UTC+8).
    let admin_b = app.login("admin.ntt").await;
    let in_two_hours = app.store.now_ms() + 2 * 3_600_000;
    let local = domain::time::format_ms(in_two_hours, 8).replace(' ', "T");
    let r = admin_b
        .post_form(
            &format!("/news/{id}/step"),
            &[("op", "publish"), ("version", "2"), ("publish_at", &local)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let a = app.store.news_article(&admin, id).await.unwrap();
    assert_eq!(a.publish_at.unwrap() / 60_000, in_two_hours / 60_000);
    let slug = a.slug;
    assert_eq!(anon.get(&format!("/berita/{slug}")).await.status, 404);
    assert!(!anon.get("/berita").await.body.contains(&slug));
    app.store.clock().advance_ms(2 * 3_600_000 + 60_000);
    assert_eq!(anon.get(&format!("/berita/{slug}")).await.status, 200);
    assert!(anon.get("/berita").await.body.contains(&slug));
    // (Two hours on, the publisher logs in again.)
    let admin_b = app.login("admin.ntt").await;
    // A bad time is refused on its field, and the note of a return is required.
    let id2 = app
        .store
        .create_article(&writer, &article("Berita kedua NTT", "Isi."), None)
        .await
        .unwrap();
    app.store
        .news_step(&writer, id2, 1, NewsStep::Submit, &StepInput::default())
        .await
        .unwrap();
    let r = admin_b
        .post_form(
            &format!("/news/{id2}/step"),
            &[
                ("op", "publish"),
                ("version", "2"),
                ("publish_at", "besok pagi"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"publish_at-error\""));
    assert!(r.body.contains("value=\"besok pagi\""));
    let r = admin_b
        .post_form(
            &format!("/news/{id2}/step"),
            &[("op", "return"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = admin_b
        .post_form(
            &format!("/news/{id2}/step"),
            &[
                ("op", "return"),
                ("version", "2"),
                ("note", "Tambahkan jumlah peserta."),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let w = app.login("editor.ntt").await;
    let page = w.get(&format!("/news/{id2}")).await;
    assert!(page.body.contains("Tambahkan jumlah peserta."));
    // A step from a stale page is refused (the version moved on).
    let r = admin_b
        .post_form(
            &format!("/news/{id2}/step"),
            &[("op", "publish"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status, 409);
}

/// A PNG with a text chunk that a careless pipeline would pass on.
fn png_with_secret(w: u32, h: u32) -> Vec<u8> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"tEXt", b"Comment\0Lokasi-rahasia -10.17,123.6");
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, 120]);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&raw).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test]
async fn a_cover_is_resized_stripped_and_public_only_with_its_article() {
    let app = TestApp::spawn().await;
    let ed = editor(&app, "kupang").await;
    let writer = app.login(&ed).await;
    writer.get("/news/new").await;
    let fields = [
        ("title", "Rumah aman Kupang"),
        ("lead", "Ringkas."),
        ("body", "Isi."),
        ("category", "services"),
        ("cover_alt", ""),
    ];
    // A cover needs its description; a disguised file is refused; the text stays.
    let png = png_with_secret(1000, 500);
    let r = crate::recovery::upload_as(&writer, "/news", &fields, "cover", "foto.png", &png).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"cover_alt-error\""));
    assert!(r.body.contains("value=\"Rumah aman Kupang\""));
    let mut fields = fields;
    fields[4] = ("cover_alt", "Gedung rumah aman dari depan");
    let r = crate::recovery::upload_as(
        &writer,
        "/news",
        &fields,
        "cover",
        "foto.png",
        b"<html><script>x</script></html>",
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"cover-error\""));
    let r = crate::recovery::upload_as(&writer, "/news", &fields, "cover", "foto.png", &png).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = id_of(&r);
    // Three widths (the picture is 1000 px wide: 400, 800 and its own 1000).
    let widths: Vec<(i64, i64)> = app.store.cover_widths(id).await.unwrap();
    assert_eq!(widths, [(400, 200), (800, 400), (1000, 500)]);
    let own = writer
        .client
        .get(format!("{}/news/{id}/cover/400", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    let bytes = own.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xff, 0xd8, 0xff]), "re-encoded as JPEG");
    assert!(
        !bytes.windows(14).any(|w| w == b"Lokasi-rahasia"),
        "the PNG's text is not carried over"
    );
    let anon = Browser::new(&app.base);
    assert_eq!(
        anon.get(&format!("/berita/gambar/{id}/400")).await.status,
        404
    );
    // Published: the public page offers the widths and the link preview the widest.
    let w = app.actor(&ed).await;
    let admin = app.actor("admin.kupang").await;
    app.store
        .news_step(&w, id, 1, NewsStep::Submit, &StepInput::default())
        .await
        .unwrap();
    app.store
        .news_step(&admin, id, 2, NewsStep::Publish, &StepInput::default())
        .await
        .unwrap();
    let r = anon.get("/berita/rumah-aman-kupang").await;
    assert!(r.body.contains(&format!(
        "/berita/gambar/{id}/400 400w, /berita/gambar/{id}/800 800w, /berita/gambar/{id}/1000 1000w"
    )));
    assert!(
        r.body.contains(&format!("/berita/gambar/{id}/1000\">")),
        "og:image"
    );
    assert!(r.body.contains("alt=\"Gedung rumah aman dari depan\""));
    let img = anon.get(&format!("/berita/gambar/{id}/800")).await;
    assert_eq!(img.status, 200);
    assert_eq!(img.headers["content-type"], "image/jpeg");
    // Another region's editor does not see the desk's copy.
    let other = app.login(&editor(&app, "kalteng").await).await;
    assert_eq!(
        other.get(&format!("/news/{id}/cover/400")).await.status,
        404
    );
}

#[tokio::test]
async fn the_api_writes_sends_and_publishes_with_the_same_rules() {
    let app = TestApp::spawn().await;
    let ed = editor(&app, "palangkaraya").await;
    let writer = app.token(&ed).await;
    let admin = app.token("admin.kalteng").await;
    let body = r#"{"title":"Rapat koordinasi kota","lead":"Ringkas.","body":"Isi <script>x()</script> **penting**.","category":"coordination","region_code":"62.71"}"#;
    let r = common::api(&app.base, &writer, "POST", "/api/v1/news", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let a = r.json();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["status"], "draft");
    assert!(!a["body_html"].as_str().unwrap().contains("<script"));
    let bad = common::api(
        &app.base,
        &writer,
        "POST",
        "/api/v1/news",
        Some(r#"{"title":"x","lead":"y","body":"z","category":"gosip"}"#),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    // A draft's address follows its corrected title.
    let fixed = r#"{"title":"Rapat koordinasi Kota Palangka Raya","lead":"Ringkas.","body":"Isi <script>x()</script> **penting**.","category":"coordination","region_code":"62.71","version":1}"#;
    let r = common::api(
        &app.base,
        &writer,
        "PUT",
        &format!("/api/v1/news/{id}"),
        Some(fixed),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["slug"], "rapat-koordinasi-kota-palangka-raya");
    let step = |op: &str, v: i64| format!(r#"{{"op":"{op}","version":{v}}}"#);
    let path = format!("/api/v1/news/{id}/step");
    let r = common::api(&app.base, &writer, "POST", &path, Some(&step("submit", 2))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "in_review");
    // Four eyes through the API too; a stale version is a conflict.
    let r = common::api(&app.base, &writer, "POST", &path, Some(&step("publish", 3))).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = common::api(&app.base, &admin, "POST", &path, Some(&step("publish", 2))).await;
    assert_eq!(r.status, 409, "{}", r.body);
    let r = common::api(&app.base, &admin, "POST", &path, Some(&step("publish", 3))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "published");
    let ntt = app.token("admin.ntt").await;
    assert_eq!(
        common::api(&app.base, &ntt, "GET", &format!("/api/v1/news/{id}"), None)
            .await
            .status,
        404
    );
    let anon = Browser::new(&app.base);
    assert_eq!(
        anon.get("/berita/rapat-koordinasi-kota").await.status,
        404,
        "the first address is gone"
    );
    let page = anon
        .get("/berita/rapat-koordinasi-kota-palangka-raya")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<strong>penting</strong>"));
}
