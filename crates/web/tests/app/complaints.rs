//! Complaints from the public (issue 14, item 5), through the running application on
//! SQLite or PostgreSQL: a visitor reports, anonymously or not; the complaint reaches the
//! intake queue of the task force of the regency it names (not another region's); the
//! intake officer reads it (audited), opens a case from it with the case form prefilled,
//! and the sender, with the code and PIN shown once, sees the status change in plain words
//! and adds information. Texts and contacts are encrypted at rest; a complaint naming no
//! region waits at national level and is referred on; a closed one tells the sender why;
//! wrong PINs lock the code; a flood from one address waits without losing the text.

use crate::cases::case_form;
use crate::common::{self, Browser, TestApp};

/// The value of the form field `name` on a page (`name="…" value="…"`).
fn field_value(body: &str, name: &str) -> String {
    common::after(body, &format!("name=\"{name}\" value=\""), '"')
}

use common::text_of as dd;

/// Sends a complaint as a person does (the form opened a minute before it is sent);
/// returns (tracking code, PIN).
async fn report(app: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> (String, String) {
    let form = b.get("/pengaduan").await;
    let mark = field_value(&form.body, "t");
    app.store.clock().advance_ms(60_000);
    let mut all = vec![("t", mark.as_str())];
    all.extend_from_slice(fields);
    let r = b.post_form("/pengaduan", &all).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (dd(&r.body, "complaint-code"), dd(&r.body, "complaint-pin"))
}

async fn status(b: &Browser, code: &str, pin: &str) -> common::Resp {
    b.get("/pengaduan/status").await;
    b.post_form("/pengaduan/status", &[("kode", code), ("pin", pin)])
        .await
}

/// The id of the newest complaint in `user`'s queue.
async fn newest(app: &TestApp, user: &str) -> i64 {
    app.store
        .complaint_queue(&app.actor(user).await, false, 1)
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| r.id)
        .max()
        .unwrap()
}

#[tokio::test]
async fn a_complaint_goes_from_the_public_form_into_a_case_and_its_sender_sees_it() {
    let app = TestApp::spawn().await;
    let sender = Browser::new(&app.base);
    let r = sender.get("/pengaduan").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("SAPA 129"), "emergency numbers shown");
    assert!(r.body.contains("value=\"53.01\""), "regencies offered");

    // Bad input: every problem on its field, what was typed kept.
    let r = sender
        .post_form(
            "/pengaduan",
            &[
                ("what", "   "),
                ("region", "53.01"),
                ("happened_on", "2099-01-01"),
                ("contact", "WA 0812 9999"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Tanggal tidak boleh di masa depan"));
    assert!(r.body.contains("value=\"WA 0812 9999\""), "contact kept");
    assert!(r.body.contains("value=\"53.01\" selected"), "region kept");

    let text = "Adik saya (16 th) dibawa agen ke Kupang, dijanjikan kerja di restoran, \
                ponselnya diambil.";
    let (code, pin) = report(
        &app,
        &sender,
        &[
            ("what", text),
            ("region", "53.01"),
            ("happened_on", &crate::recovery::day(common::today() - 3)),
            ("at_risk", "child"),
            ("contact", "0812-0000-1111"),
        ],
    )
    .await;
    assert_eq!(code.len(), 14, "{code}");

    // Encrypted at rest.
    let dump = app.store.dump_table_for_tests("complaints").await.unwrap();
    assert!(!dump.contains("Adik saya"), "{dump}");
    assert!(!dump.contains("0812-0000-1111"));
    assert!(!dump.contains(&code.replace('-', "")));

    // Received, waiting.
    let r = status(&sender, &code.to_lowercase(), &pin).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("menunggu ditelaah petugas"), "{}", r.body);

    // The queue of Kabupaten Kupang's task force (and the province's above it), not another
    // region's; viewers do not handle complaints.
    let id = newest(&app, "data-officer.kupang").await;
    let kupang = app.login("data-officer.kupang").await;
    let r = kupang.get("/complaints").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains(&format!("/complaints/{id}\"")),
        "{}",
        r.body
    );
    let ntt = app.login("data-officer.ntt").await;
    assert!(
        ntt.get("/complaints")
            .await
            .body
            .contains(&format!("/complaints/{id}\""))
    );
    let pky = app.login("data-officer.palangkaraya").await;
    assert!(
        !pky.get("/complaints")
            .await
            .body
            .contains(&format!("/complaints/{id}\""))
    );
    assert_eq!(pky.get(&format!("/complaints/{id}")).await.status, 404);
    let viewer = app.login("viewer.kupang").await;
    assert_eq!(viewer.get("/complaints").await.status, 403);
    assert_eq!(viewer.get(&format!("/complaints/{id}")).await.status, 403);

    // The intake officer reads it: the sender now sees it is being looked into.
    let r = kupang.get(&format!("/complaints/{id}")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("ponselnya diambil"), "{}", r.body);
    assert!(r.body.contains("0812-0000-1111"));
    assert!(
        !r.body.contains("mungkin dikirim program"),
        "a person sent it"
    );
    let r = status(&sender, &code, &pin).await;
    assert!(r.body.contains("Petugas sedang menelaah"), "{}", r.body);

    // She adds information (the form carries her code and PIN); intake sees it is new.
    let r = sender
        .post_form(
            "/pengaduan/tambah",
            &[
                ("kode", &code),
                ("pin", &pin),
                ("info", "Agennya bernama Pak R, mobil Avanza putih."),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Informasi Anda sudah terkirim"));
    let r = sender
        .post_form(
            "/pengaduan/tambah",
            &[("kode", &code), ("pin", &pin), ("info", "  ")],
        )
        .await;
    assert_eq!(
        r.status, 422,
        "empty information is refused where it was typed"
    );
    assert!(r.body.contains("id=\"info-error\""), "{}", r.body);
    assert!(
        kupang
            .get("/complaints")
            .await
            .body
            .contains("informasi baru")
    );

    // A case opened from it: the form comes prefilled; saving links the complaint.
    let r = kupang.get(&format!("/cases/new?pengaduan={id}")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("ponselnya diambil"), "chronology prefilled");
    assert!(r.body.contains("Avanza putih"), "with what she added");
    assert!(
        r.body
            .contains(&format!("action=\"/cases?pengaduan={id}\"")),
        "{}",
        r.body
    );
    let mut form = case_form("Nona Uji Pengaduan", "", "");
    form.retain(|(k, _)| *k != "channel");
    form.push(("channel", "public_complaint"));
    let r = kupang
        .post_form(&format!("/cases?pengaduan={id}"), &form)
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let case: i64 = r
        .location()
        .trim_start_matches("/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = kupang.get(&format!("/complaints/{id}")).await;
    assert!(
        r.body.contains(&format!("href=\"/cases/{case}\"")),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("id=\"decide\""),
        "decided: no more decisions"
    );
    let r = status(&sender, &code, &pin).await;
    assert!(
        r.body.contains("sudah mencatatnya sebagai kasus"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("Nona"), "never the case's details");
    assert!(!r.body.contains("data-officer"), "nor who handles it");

    // Audited: sent, read, decided, her looks and what she added.
    let audit = app.store.dump_table_for_tests("audit_log").await.unwrap();
    assert_eq!(audit.matches("complaint.submit").count(), 1, "{audit}");
    assert!(audit.matches("complaint.view").count() >= 3);
    assert_eq!(audit.matches("op=open_case").count(), 1);
    assert_eq!(audit.matches("complaint.status_view").count(), 4);
    assert_eq!(audit.matches("complaint.add_info").count(), 1);

    // Wrong PINs lock her code.
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        assert_eq!(status(&sender, &code, wrong).await.status, 401);
    }
    let r = status(&sender, &code, wrong).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("dikunci"), "{}", r.body);
}

#[tokio::test]
async fn complaints_without_a_region_are_referred_closed_or_attached_and_floods_wait() {
    let app = TestApp::spawn_with(
        web::WebConfig {
            complaints_per_hour: 3,
            secret: vec![7; 32],
            ..Default::default()
        },
        None,
    )
    .await;
    let sender = Browser::new(&app.base);
    // No region: the national queue; the province's and regency's officers do not see it.
    let (code, pin) = report(
        &app,
        &sender,
        &[
            ("what", "Ada penampungan calon pekerja migran di gudang."),
            ("at_risk", "group"),
        ],
    )
    .await;
    let national = app.login("data-officer.nasional").await;
    let id = newest(&app, "data-officer.nasional").await;
    let kupang = app.login("data-officer.kupang").await;
    assert_eq!(kupang.get(&format!("/complaints/{id}")).await.status, 404);
    // Referred to Kabupaten Kupang: now in its queue, and the sender is told.
    national.get(&format!("/complaints/{id}")).await;
    let r = national
        .post_form(
            &format!("/complaints/{id}/triage"),
            &[("op", "refer"), ("region", "99.99")],
        )
        .await;
    assert_eq!(r.status, 422, "an unknown region is refused on its field");
    assert!(r.body.contains("value=\"99.99\""), "kept as typed");
    let r = national
        .post_form(
            &format!("/complaints/{id}/triage"),
            &[("op", "refer"), ("region", "53.01")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        status(&sender, &code, &pin)
            .await
            .body
            .contains("diteruskan kepada gugus tugas")
    );
    let r = kupang.get("/complaints").await;
    assert!(
        r.body.contains(&format!("/complaints/{id}\"")),
        "{}",
        r.body
    );
    // Attached to a case of Kupang's, found by its code; a case the officer cannot see is
    // "not found".
    let officer = app.actor("data-officer.kupang").await;
    let (case, _) = app
        .store
        .create_case(&officer, &common::sample_case("Uji Gabung"))
        .await
        .unwrap();
    let case_code = app.store.case(&officer, case).await.unwrap().code;
    let pky_officer = app.actor("data-officer.palangkaraya").await;
    let (other, _) = app
        .store
        .create_case(&pky_officer, &common::sample_case("Uji Lain"))
        .await
        .unwrap();
    let other_code = app.store.case(&pky_officer, other).await.unwrap().code;
    kupang.get(&format!("/complaints/{id}")).await;
    let r = kupang
        .post_form(
            &format!("/complaints/{id}/triage"),
            &[("op", "attach"), ("case_code", &other_code)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tidak ada kasus dengan kode ini"));
    let r = kupang
        .post_form(
            &format!("/complaints/{id}/triage"),
            &[("op", "attach"), ("case_code", &case_code)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        status(&sender, &code, &pin)
            .await
            .body
            .contains("bersama kasus yang sudah ditangani")
    );
    // Decided once: a second decision is a conflict.
    let r = kupang
        .post_form(
            &format!("/complaints/{id}/triage"),
            &[("op", "close"), ("reason", "duplicate")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // A script fills the hidden field and sends at once: kept, marked, closed with a reason
    // the sender reads.
    let r = sender
        .post_form(
            "/pengaduan",
            &[
                ("what", "Promo pinjaman cepat"),
                ("region", "53.01"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "kept, never dropped: {}", r.body);
    let (code2, pin2) = (dd(&r.body, "complaint-code"), dd(&r.body, "complaint-pin"));
    let id2 = newest(&app, "data-officer.kupang").await;
    let r = kupang.get("/complaints").await;
    assert!(r.body.contains("mungkin dikirim program"), "{}", r.body);
    let r = kupang.get(&format!("/complaints/{id2}")).await;
    assert!(r.body.contains("tanda pengiriman otomatis"));
    let r = kupang
        .post_form(
            &format!("/complaints/{id2}/triage"),
            &[("op", "close"), ("reason", "not_trafficking")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        status(&sender, &code2, &pin2)
            .await
            .body
            .contains("tidak termasuk perdagangan orang")
    );

    // The third complaint within the hour from this address is the last: the fourth waits,
    // with its text kept in the form.
    report(
        &app,
        &sender,
        &[("what", "Pengaduan ketiga."), ("region", "62")],
    )
    .await;
    let r = sender
        .post_form(
            "/pengaduan",
            &[("what", "Pengaduan keempat, penting."), ("region", "62")],
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("Pengaduan keempat, penting."), "kept");
    assert!(r.body.contains("coba kirim lagi nanti"));
}

#[tokio::test]
async fn attachments_lose_their_metadata_and_disguised_or_oversize_files_are_refused() {
    let app = TestApp::spawn().await;
    let sender = Browser::new(&app.base);
    let form = sender.get("/pengaduan").await;
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    let mark = field_value(&form.body, "t");
    app.store.clock().advance_ms(60_000);
    let fields = [
        ("t", mark.as_str()),
        ("what", "Foto mobil agen di depan rumah penampungan."),
        ("region", "53.01"),
        ("at_risk", "group"),
    ];
    // A program named as a photo: refused before storage, the text kept.
    let r = crate::recovery::upload_as(
        &sender,
        "/pengaduan",
        &fields,
        "files",
        "foto.jpg",
        b"MZ\x90\x00 this is a program",
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Hanya berkas PDF, PNG atau JPEG"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Foto mobil agen"), "text kept");
    // Above 5 MB in all: refused, the text kept.
    sender.get("/pengaduan").await;
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(store::EVIDENCE_MAX + 1, b'x');
    let r = crate::recovery::upload_as(&sender, "/pengaduan", &fields, "files", "besar.pdf", &big)
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("lebih dari 5 MB"), "{}", r.body);
    let dump = app.store.dump_table_for_tests("complaints").await.unwrap();
    assert!(!dump.contains("received"), "nothing stored: {dump}");
    // A phone photo with its position inside: stored without it.
    let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x07];
    jpeg.extend_from_slice(b"JFIF\0");
    let exif = b"Exif\0\0GPSLatitude -10.1772 GPSLongitude 123.6070";
    jpeg.extend_from_slice(&[0xff, 0xe1]);
    jpeg.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(exif);
    jpeg.extend_from_slice(&[0xff, 0xda, 0x00, 0x04, 1, 2, 7, 7, 7, 0xff, 0xd9]);
    sender.get("/pengaduan").await;
    let r = crate::recovery::upload_as(
        &sender,
        "/pengaduan",
        &fields,
        "files",
        "IMG_2041.jpg",
        &jpeg,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = newest(&app, "data-officer.kupang").await;
    let kupang = app.login("data-officer.kupang").await;
    let page = kupang.get(&format!("/complaints/{id}")).await;
    assert!(!page.body.contains("IMG_2041"), "no file name kept");
    let c = app
        .store
        .complaint(&app.actor("data-officer.kupang").await, id)
        .await
        .unwrap();
    assert_eq!(c.files.len(), 1);
    assert!(
        page.body
            .contains(&format!("/complaints/{id}/files/{}", c.files[0].id))
    );
    let got = kupang
        .client
        .get(format!(
            "{}/complaints/{id}/files/{}",
            app.base, c.files[0].id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    let bytes = got.bytes().await.unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("GPS"),
        "position removed"
    );
    assert!(bytes.starts_with(&[0xff, 0xd8]) && bytes.ends_with(&[7, 7, 7, 0xff, 0xd9]));
    // Encrypted at rest; another region's officer cannot fetch it.
    let files = app
        .store
        .dump_table_for_tests("complaint_files")
        .await
        .unwrap();
    assert!(!files.contains("JFIF"), "{files}");
    let pky = app.login("data-officer.palangkaraya").await;
    assert_eq!(
        pky.get(&format!("/complaints/{id}/files/{}", c.files[0].id))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_reloaded_answer_is_one_complaint_and_guesses_at_once_stop_at_the_lock() {
    let app = TestApp::spawn().await;
    let b = Browser::new(&app.base);
    let form = b.get("/pengaduan").await;
    let mark = field_value(&form.body, "t");
    app.store.clock().advance_ms(60_000);
    let fields = [
        ("t", mark.as_str()),
        ("what", "Pengaduan yang terkirim sekali."),
        ("region", "53.01"),
    ];
    let r = b.post_form("/pengaduan", &fields).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (code, pin) = (dd(&r.body, "complaint-code"), dd(&r.body, "complaint-pin"));
    // The browser sends the same form again (the answer page reloaded): one complaint.
    let r = b.post_form("/pengaduan", &fields).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("sudah terkirim"), "{}", r.body);
    let queue = app
        .store
        .complaint_queue(&app.actor("data-officer.kupang").await, false, 1)
        .await
        .unwrap();
    assert_eq!(queue.total, 1);

    // Ten wrong PINs at the same moment: five are counted, the fifth locks the code, the
    // others are refused without being checked.
    let right: i64 = pin.parse().unwrap();
    let tries: Vec<_> = (1..=10)
        .map(|i| {
            let store = app.store.clone();
            let code = code.clone();
            let wrong = format!("{:06}", (right + i) % 1_000_000);
            tokio::spawn(async move { store.complaint_status(&code, &wrong).await.unwrap() })
        })
        .collect();
    let mut wrong = 0;
    let mut locked = 0;
    for t in tries {
        match t.await.unwrap() {
            store::complaints::ComplaintOutcome::Wrong => wrong += 1,
            store::complaints::ComplaintOutcome::Locked { .. } => locked += 1,
            store::complaints::ComplaintOutcome::Shown(_) => panic!("a wrong PIN opened it"),
        }
    }
    assert_eq!((wrong, locked), (4, 6));
    let audit = app.store.dump_table_for_tests("audit_log").await.unwrap();
    assert_eq!(
        audit.matches("complaint.status_failed").count(),
        5,
        "{audit}"
    );
    assert!(!audit.contains("127.0.0.1"), "no sender's address is kept");
    // Locked: even the right PIN waits.
    assert!(matches!(
        app.store.complaint_status(&code, &pin).await.unwrap(),
        store::complaints::ComplaintOutcome::Locked { .. }
    ));
}
