//! Words, not codes: a case's change history and the audit trail read as sentences with
//! dates and links; the validation rules page says each rule in words, counts the cases
//! of the user's region that break it, and is in the verifiers' menu.

use crate::common::{self, TestApp};

#[tokio::test]
async fn the_history_and_the_audit_trail_say_what_happened_in_words() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let (case, _) = app
        .store
        .create_case(&officer, &common::sample_case("Sari Dewi"))
        .await
        .unwrap();
    let b = app.login("data-officer.palangkaraya").await;
    b.get(&format!("/cases/{case}")).await;
    let r = b
        .post_form(
            &format!("/cases/{case}/route"),
            &[
                ("kind", "exploitation"),
                ("country", "MYS"),
                ("city", "Tawau"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get(&format!("/cases/{case}")).await.body;
    let history = page.split("class=\"history\"").last().unwrap();
    assert!(
        history.contains("Menambah peristiwa rute")
            && history.contains("Jenis: Eksploitasi")
            && history.contains("Tempat: Malaysia"),
        "{history}"
    );
    assert!(
        !history.contains("case.route_add") && !history.contains("place=MYS"),
        "{history}"
    );

    // The admin's audit trail: the action in words, the case linked, the detail in words;
    // the action filter offers words and filters by them.
    let admin = app.login("admin.kalteng").await;
    let audit = admin.get("/audit?action=case.route_add").await.body;
    assert!(
        audit.contains("<td data-label=\"Tindakan\">Menambah peristiwa rute</td>")
            && audit.contains(&format!("<a href=\"/cases/{case}\">Kasus #{case}</a>"))
            && audit.contains("Tempat: Malaysia"),
        "{audit}"
    );
    assert!(!audit.contains("place=MYS"), "{audit}");
    assert!(
        audit.contains(
            r#"<option value="case.route_add" selected>Menambah peristiwa rute</option>"#
        )
    );
    assert!(
        !audit.contains("Membuat akun</td>"),
        "the filter is not applied"
    );
}

#[tokio::test]
async fn a_due_day_in_the_trail_is_a_date() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.kupang").await;
    let (_, victim) = app
        .case_with_victim("data-officer.kupang", "Maria Ndun")
        .await;
    let due = common::today() + 14;
    app.store
        .add_service(
            &officer,
            victim,
            &store::NewService {
                service_code: "shelter".into(),
                unit_id: Some(app.units["kupang"].0),
                due_on: Some(due),
                ..Default::default()
            },
            common::today(),
        )
        .await
        .unwrap();
    let admin = app.login("admin.ntt").await;
    let audit = admin.get("/audit?action=service.plan").await.body;
    assert!(
        audit.contains(&format!("Tenggat: {}", domain::case::format_day(due))),
        "{audit}"
    );
    assert!(
        audit.contains(&format!("<a href=\"/victims/{victim}/plan\">#{victim}</a>")),
        "{audit}"
    );
    assert!(!audit.contains(&format!("due={due}")), "{audit}");
}

#[tokio::test]
async fn the_rules_page_says_each_rule_in_words_and_counts_the_regions_cases() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    // A case with a victim without NIK breaks the NIK warning once its save settles.
    let mut input = common::sample_input("Tanpa NIK");
    input.victims[0].nik.clear();
    let new = domain::case::NewCase::parse(&input, common::today()).unwrap();
    app.store.create_case(&officer, &new).await.unwrap();
    app.store.after_save_settled().await;

    let verifier = app.login("verifier.kalteng").await;
    let home = verifier.get("/").await.body;
    assert!(
        home.contains(r#"<a href="/rules""#),
        "no /rules in the menu"
    );
    let rules = verifier.get("/rules").await.body;
    let r07 = rules
        .split("id=\"rule-R07\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        r07.contains("Bila Kewarganegaraan korban adalah")
            && r07.contains("maka NIK korban terisi"),
        "{r07}"
    );
    assert!(r07.contains(r#"class="num">1</td>"#), "{r07}");
    // The syntax is for admins; the national firing count for national staff.
    assert!(!rules.contains("require victim.nik present"), "{rules}");
    assert!(!rules.contains("Terpicu saat simpan"), "{rules}");
    // Another province does not count Kalimantan Tengah's case.
    let ntt = app.login("data-officer.ntt").await.get("/rules").await.body;
    let r07 = ntt.split("id=\"rule-R07\"").nth(1).unwrap();
    assert!(
        r07.split("</tr>")
            .next()
            .unwrap()
            .contains(r#"class="num">0</td>"#)
    );
    let admin = app.login("admin.kalteng").await.get("/rules").await.body;
    assert!(admin.contains("require victim.nik present"));
}
