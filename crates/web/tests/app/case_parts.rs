//! The parts of a case record through the pages: route and legal track, search before
//! create, consent, perpetrators shared between cases, closing and reopening.

#[allow(unused_imports)]
use crate::cases::*;
use crate::common::TestApp;

#[tokio::test]
async fn route_and_legal_track_are_recorded_on_the_case() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let r = officer
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let path = r.location().split('?').next().unwrap().to_owned();
    officer.get(&path).await;
    // A place must be a region or a country, not both, not neither; the form keeps input.
    let r = officer
        .post_form(
            &format!("{path}/route"),
            &[
                ("kind", "transit"),
                ("region_code", "21.71"),
                ("country", "MYS"),
                ("city", "Tawau"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Pilih salah satu") && r.body.contains("value=\"Tawau\""));
    let r = officer
        .post_form(
            &format!("{path}/route"),
            &[
                ("kind", "recruitment"),
                ("region_code", "53.01.05.2003"),
                ("date_from", "2025-05-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Back at the route section, with a message that says what happened.
    assert_eq!(r.location(), format!("{path}?ok=route_added#route-list"));
    let page = officer.get(&r.location()).await;
    assert!(page.body.contains("Peristiwa rute ditambahkan."));
    let r = officer
        .post_form(
            &format!("{path}/route"),
            &[
                ("kind", "exploitation"),
                ("country", "MYS"),
                ("city", "Tawau"),
                ("date_from", "2025-06-01"),
                ("date_to", "2026-02-20"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    // Legal facts and stages.
    officer.get(&path).await;
    let r = officer
        .post_form(
            &format!("{path}/legal"),
            &[
                ("police_report_no", "LP/B/123/II/2026/SPKT"),
                ("articles", "2, 99"),
                ("restitution_ordered", "dua juta"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("value=\"LP/B/123/II/2026/SPKT\"") && r.body.contains("1–67"));
    let r = officer
        .post_form(
            &format!("{path}/legal"),
            &[
                ("police_report_no", "LP/B/123/II/2026/SPKT"),
                ("police_unit", "Polres Kupang"),
                ("articles", "4, 2"),
                ("sentence_months", "60"),
                ("restitution_ordered", "Rp 25.000.000"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    officer.get(&path).await;
    let r = officer
        .post_form(
            &format!("{path}/stages"),
            &[("stage", "report"), ("happened", "2026-02-21")],
        )
        .await;
    assert_eq!(r.status, 303);
    officer.get(&path).await;
    let r = officer
        .post_form(
            &format!("{path}/stages"),
            &[("stage", "p21"), ("happened", "2099-01-01")],
        )
        .await;
    assert_eq!(r.status, 422);
    let page = officer.get(&path).await.body;
    for seen in [
        "Perekrutan",
        "Manulai I",
        "Malaysia, Tawau",
        "LP/B/123/II/2026/SPKT",
        "Pasal 2, 4 UU 21/2007",
        "Rp 25.000.000",
        "Laporan polisi",
    ] {
        assert!(page.contains(seen), "case page should show {seen}");
    }
    // The timeline puts route and legal events in date order.
    let t = &page[page.find("class=\"timeline\"").unwrap()..];
    let (a, b, c) = (
        t.find("2025-05-01").unwrap(),
        t.find("2025-06-01").unwrap(),
        t.find("2026-02-21").unwrap(),
    );
    assert!(a < b && b < c);
    // A viewer sees the route and legal track (no identities there) but no forms.
    let viewer = app.login("viewer.kupang").await;
    let vp = viewer.get(&path).await.body;
    assert!(vp.contains("Malaysia, Tawau") && !vp.contains("Tambah peristiwa rute"));
    assert_eq!(
        viewer
            .post_form(
                &format!("{path}/stages"),
                &[("stage", "report"), ("happened", "2026-02-21")]
            )
            .await
            .status,
        403
    );
    // Deleting an event.
    let del = page
        .split(&format!("{path}/route/"))
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    officer.get(&path).await;
    // Irreversible: the page asks first (what will happen, a confirmed form, a way back)
    // and nothing is removed until the user confirms.
    let asked = officer
        .post_form(&format!("{path}/route/{del}/delete"), &[])
        .await;
    assert_eq!(asked.status, 200);
    assert!(
        asked
            .body
            .contains("Peristiwa rute ini akan dihapus dari kasus")
            && asked
                .body
                .contains(&format!("action=\"{path}/route/{del}/delete\""))
            && asked.body.contains(r#"name="confirmed" value="yes""#)
            && asked.body.contains(&format!("href=\"{path}#route\"")),
        "{}",
        asked.body
    );
    assert!(officer.get(&path).await.body.contains("Manulai I"));
    let r = officer
        .post_form(
            &format!("{path}/route/{del}/delete"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(r.location(), format!("{path}?ok=route_removed#route-list"));
    assert!(!officer.get(&path).await.body.contains("Manulai I"));
}

#[tokio::test]
async fn search_before_create_shows_possible_existing_records() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let first = officer
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let first_path = first.location().split('?').next().unwrap().to_owned();
    // Same NIK: the officer is shown the earlier case before anything is saved.
    officer.get("/cases/new").await;
    let r = officer
        .post_form(
            "/cases",
            &case_form("Yohana B.", "5301055708990001", "2026-02-20"),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Mungkin orang ini sudah tercatat")
            && r.body.contains(&format!("href=\"{first_path}\""))
    );
    assert!(
        r.body.contains("NIK sama") && r.body.contains("value=\"Yohana B.\""),
        "typed values kept"
    );
    // Same name words and birth date, no NIK.
    let r = officer
        .post_form("/cases", &case_form("benu YOHANA", "", "2026-02-20"))
        .await;
    assert!(r.body.contains("nama dan tanggal lahir sama"), "{}", r.body);
    // A different person goes straight through; a confirmed one is registered anyway.
    let r = officer
        .post_form(
            "/cases",
            &case_form("Maria Nahak", "5301054101010002", "2026-02-20"),
        )
        .await;
    assert_eq!(r.status, 303);
    officer.get("/cases/new").await;
    let mut confirmed = case_form("Yohana B.", "5301055708990001", "2026-02-20");
    confirmed.push(("confirm_new", "1"));
    assert_eq!(officer.post_form("/cases", &confirmed).await.status, 303);
    // Other regions' records are never suggested.
    let outsider = app.login("data-officer.kalteng").await;
    outsider.get("/cases/new").await;
    let mut form = case_form("Yohana Benu", "5301055708990001", "2026-02-20");
    form.retain(|(k, _)| *k != "victims[0].home_village");
    assert_eq!(outsider.post_form("/cases", &form).await.status, 303);
}

#[tokio::test]
async fn consent_is_recorded_and_withdrawn() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let r = officer
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let path = r.location().split('?').next().unwrap().to_owned();
    let page = officer.get(&path).await.body;
    assert!(page.contains("Belum ada persetujuan"));
    let victim = page
        .split("name=\"victim_id\">")
        .nth(1)
        .unwrap()
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = officer
        .post_form(
            &format!("{path}/consents"),
            &[
                ("victim_id", &victim),
                ("scope", "referral"),
                ("given_by", "victim"),
                ("given_on", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tanggal tidak boleh di masa depan"));
    let r = officer
        .post_form(
            &format!("{path}/consents"),
            &[
                ("victim_id", &victim),
                ("scope", "referral"),
                ("given_by", "victim"),
                ("given_on", "2026-02-21"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = officer.get(&path).await.body;
    assert!(page.contains("Rujukan ke unit/wilayah lain") && page.contains("Berlaku"));
    let consent = page
        .split(&format!("{path}/consents/"))
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        officer
            .post_form(
                &format!("{path}/consents/{consent}/withdraw"),
                &[("confirmed", "yes")],
            )
            .await
            .status,
        303
    );
    assert!(officer.get(&path).await.body.contains("Dicabut"));
    // Another case's victim cannot be used.
    officer.get(&path).await;
    let r = officer
        .post_form(
            &format!("{path}/consents"),
            &[
                ("victim_id", "999999"),
                ("scope", "referral"),
                ("given_by", "victim"),
                ("given_on", "2026-02-21"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn perpetrators_are_shared_between_cases() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let a = officer
        .post_form(
            "/cases",
            &case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await
        .location();
    let a = a.split('?').next().unwrap().to_owned();
    officer.get("/cases/new").await;
    let b = officer
        .post_form(
            "/cases",
            &case_form("Maria Nahak", "5301054101010002", "2026-02-20"),
        )
        .await
        .location();
    let b = b.split('?').next().unwrap().to_owned();
    officer.get(&a).await;
    let r = officer
        .post_form(
            &format!("{a}/perpetrators"),
            &[
                ("perp_kind", "person"),
                ("perp_name", ""),
                ("perp_role", "broker"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    let r = officer
        .post_form(
            &format!("{a}/perpetrators"),
            &[
                ("perp_kind", "person"),
                ("perp_name", "Yosef Calo"),
                ("perp_role", "broker"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    // Entering the same name on the second case offers the existing perpetrator.
    officer.get(&b).await;
    let r = officer
        .post_form(
            &format!("{b}/perpetrators"),
            &[
                ("perp_kind", "person"),
                ("perp_name", "yosef calo"),
                ("perp_role", "recruiter"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("sudah tercatat") && r.body.contains("Yosef Calo"));
    let link = r
        .body
        .split(&format!("{b}/perpetrators/"))
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let r = officer
        .post_form(
            &format!("{b}/perpetrators/{link}/link"),
            &[("perp_role", "recruiter")],
        )
        .await;
    assert_eq!(r.status, 303);
    // The perpetrator page lists both cases; a viewer sees initials only; outsiders get 404.
    let page = officer.get(&format!("/perpetrators/{link}")).await.body;
    assert_eq!(page.matches("TPPO-53.01-").count(), 2);
    assert!(page.contains("Calo / sponsor") && page.contains("Perekrut"));
    let viewer = app.login("viewer.kupang").await;
    let vp = viewer.get(&format!("/perpetrators/{link}")).await.body;
    assert!(vp.contains("Y. C.") && !vp.contains("Yosef"));
    assert_eq!(
        app.login("data-officer.kalteng")
            .await
            .get(&format!("/perpetrators/{link}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_case_is_closed_with_a_reason_and_reopened() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.kupang").await;
    officer.get("/cases/new").await;
    let mut form = case_form("Maria Nahak", "5301054101010002", "2026-02-20");
    form.push(("victims[0].citizenship", "TLS"));
    let r = officer.post_form("/cases", &form).await;
    let path = r.location().split('?').next().unwrap().to_owned();
    let page = officer.get(&path).await.body;
    assert!(page.contains("Timor-Leste"), "citizenship shown");
    let r = officer
        .post_form(
            &format!("{path}/status"),
            &[("status", "closed"), ("close_reason", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Pilih alasan penutupan."));
    let r = officer
        .post_form(
            &format!("{path}/status"),
            &[
                ("status", "closed"),
                ("close_reason", "recovered"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    // "Full recovery" needs every victim's service plan closed (tests/recovery.rs).
    assert_eq!(r.status, 422);
    assert!(r.body.contains("rencana layanan semua korban"));
    let r = officer
        .post_form(
            &format!("{path}/status"),
            &[
                ("status", "closed"),
                ("close_reason", "other"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = officer.get(&path).await.body;
    assert!(page.contains("Ditutup — Lainnya") && page.contains("<strong>Menutup kasus</strong>"));
    assert!(!page.contains("case.close"), "the history shows a code");
    assert!(
        officer
            .get("/cases?status=closed")
            .await
            .body
            .contains("M. N.")
    );
    officer.get(&path).await;
    assert_eq!(
        officer
            .post_form(&format!("{path}/status"), &[("status", "open")])
            .await
            .status,
        303
    );
    assert!(
        officer
            .get(&path)
            .await
            .body
            .contains("<strong>Membuka kembali kasus</strong>")
    );
}
