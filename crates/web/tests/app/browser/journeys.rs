//! Whole journeys in a browser, as the people who do them: a case submitted, returned with
//! a note on a field, resubmitted, verified at the province and cleared nationally (each
//! irreversible step confirmed in a dialog); a possible duplicate decided as the same
//! person.

use super::{Chrome, DESK};
use crate::common::{self, TestApp};

/// Presses the review panel's button for `action` and answers its dialog, if it asks.
async fn review_step(b: &Chrome, action: &str, confirm: bool) {
    b.js("window.__gugusOld = true;", vec![]).await;
    b.click(&format!(
        "#review form input[name=action][value={action}] ~ button, #review form:has(input[name=action][value={action}]) button[type=submit]"
    ))
    .await;
    if confirm {
        b.dialog().await;
        b.answer_dialog(true).await;
    }
    for _ in 0..200 {
        let done = b
            .js(
                "return !window.__gugusOld && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if done == serde_json::json!(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.fail(&format!("the {action} step led to no page")).await;
}

/// The review state badge on the case page.
async fn state_of(b: &Chrome) -> String {
    b.find("#review .badge")
        .await
        .text()
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn a_case_is_returned_with_a_note_resubmitted_verified_and_cleared() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let (case, _) = app
        .store
        .create_case(&officer, &common::sample_case("Sari Dewi"))
        .await
        .unwrap();
    app.store.after_save_settled().await;
    let Some(b) = Chrome::open(&app, "journey_review", DESK).await else {
        return;
    };
    let at = format!("/cases/{case}");
    // The data officer submits (justifying any warning).
    b.login("data-officer.palangkaraya").await;
    b.goto(&at).await;
    let boxes = b.count("#review textarea[name^='j.']").await;
    for i in 0..boxes {
        b.js(
            "document.querySelectorAll(\"#review textarea[name^='j.']\")[arguments[0]].value = 'Korban belum dapat ditemui lagi; dilengkapi kemudian.';",
            vec![serde_json::json!(i)],
        )
        .await;
    }
    review_step(&b, "submit", false).await;
    b.expect(state_of(&b).await == "Diajukan", "not submitted")
        .await;
    // The province's verifier returns it with a note on the channel.
    b.forget_session().await;
    b.login("verifier.kalteng").await;
    b.goto(&at).await;
    b.click("#review details > summary").await;
    b.type_into("note", "Periksa saluran pengaduan.").await;
    b.choose("note_field", "channel").await;
    b.type_into("note_text", "Laporan datang lewat SAPA 129, bukan polisi.")
        .await;
    review_step(&b, "return", false).await;
    b.expect(state_of(&b).await == "Dikembalikan", "not returned")
        .await;
    // The officer sees the note where the eye is, and resubmits.
    b.forget_session().await;
    b.login("data-officer.palangkaraya").await;
    b.goto("/").await;
    b.expect(
        b.count(&format!("#returned a[href='/cases/{case}#review']"))
            .await
            == 1,
        "the returned case is not on the officer's home page",
    )
    .await;
    b.goto(&at).await;
    let panel = b.find("#review").await.text().await.unwrap_or_default();
    b.expect(
        panel.contains("Laporan datang lewat SAPA 129"),
        &format!("the field note is not shown: {panel}"),
    )
    .await;
    review_step(&b, "submit", false).await;
    b.expect(state_of(&b).await == "Diajukan", "not resubmitted")
        .await;
    // Verified at the province (confirmed in a dialog), cleared nationally.
    b.forget_session().await;
    b.login("verifier.kalteng").await;
    b.goto(&at).await;
    review_step(&b, "verify", true).await;
    b.expect(state_of(&b).await == "Terverifikasi", "not verified")
        .await;
    b.forget_session().await;
    b.login("verifier.nasional").await;
    b.goto(&at).await;
    review_step(&b, "clear", true).await;
    b.shot("cleared").await;
    b.expect(state_of(&b).await == "Disahkan", "not cleared")
        .await;
    let text = b.text().await;
    b.expect(
        text.contains("Kasus disahkan dan masuk statistik resmi."),
        "the clearing's message is missing",
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_possible_duplicate_is_decided_as_the_same_person() {
    let app = TestApp::spawn().await;
    let kalteng = app.actor("data-officer.palangkaraya").await;
    let ntt = app.actor("data-officer.kupang").await;
    let mut a = common::sample_input("Maria Goreti Seran");
    a.victims[0].nik = "5301054508990003".into();
    a.victims[0].birth_date = "1999-08-05".into();
    let mut other = a.clone();
    other.victims[0].name = "MARIA GORETTI SERAN".into();
    other.channel = "community".into();
    for (actor, input) in [(&kalteng, &a), (&ntt, &other)] {
        let new = domain::case::NewCase::parse(input, common::today()).unwrap();
        app.store.create_case(actor, &new).await.unwrap();
    }
    app.store.after_save_settled().await;
    let Some(b) = Chrome::open(&app, "journey_duplicate", DESK).await else {
        return;
    };
    b.login("verifier.nasional").await;
    b.goto("/linkage").await;
    // At a desk the national verifier's long menu wraps: every item in view.
    let off = b.js(super::phone::OFF_SCREEN, vec![]).await;
    b.expect(
        off.as_array().is_some_and(|a| a.is_empty()),
        &format!("menu items out of view at 1366 px: {off}"),
    )
    .await;
    b.submit("main a[href^='/linkage/']:not([href*='?'])").await;
    b.shot("pair").await;
    // "Same person" asks first; cancelling decides nothing.
    b.click("button[name=decision][value=same]").await;
    let asked = b.dialog().await;
    b.expect(
        asked.contains("orang yang sama"),
        &format!("the dialog does not say what will happen: {asked}"),
    )
    .await;
    b.answer_dialog(false).await;
    b.expect(
        !b.text().await.contains("Dicatat sebagai orang yang sama"),
        "cancelling recorded a decision",
    )
    .await;
    b.js("window.__gugusOld = true;", vec![]).await;
    b.click("button[name=decision][value=same]").await;
    b.dialog().await;
    b.answer_dialog(true).await;
    let mut decided = false;
    for _ in 0..200 {
        if b.path().await.ends_with("?ok=linkage_same") {
            decided = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.expect(decided, "the decision did not land").await;
    b.expect(
        b.text().await.contains("Dicatat sebagai orang yang sama."),
        "no message says what was decided",
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_service_is_planned_referred_and_accepted_on_the_other_side() {
    let app = TestApp::spawn().await;
    let (_, victim) = app
        .case_with_victim("data-officer.kupang", "Maria Ndun")
        .await;
    let Some(b) = Chrome::open(&app, "journey_referral", DESK).await else {
        return;
    };
    // Kupang assesses the victim's needs, plans a shelter and refers reintegration to the
    // province.
    b.login("data-officer.kupang").await;
    b.goto(&format!("/victims/{victim}/plan")).await;
    b.click("details:has(form[action$='/needs#needs']) > summary")
        .await;
    b.click("form[action$='/needs#needs'] input[value=reintegration]")
        .await;
    b.submit("form[action$='/needs#needs'] button[type=submit]")
        .await;
    b.expect(
        b.path().await.contains("ok=needs_assessed"),
        &format!("needs not saved: {}", b.path().await),
    )
    .await;
    // A shelter planned here, at Kupang's own unit.
    b.click("details#service > summary").await;
    b.pick("#service-service_code", "shelter").await;
    let kupang = app.units["kupang"].0.to_string();
    b.pick("#service-unit_id", &kupang).await;
    b.submit("form[action$='/services#service'] button[type=submit]")
        .await;
    b.expect(
        b.path().await.contains("ok=service_added"),
        &format!("the service was not planned: {}", b.path().await),
    )
    .await;
    b.click("details#referral > summary").await;
    let ntt = app.units["ntt"].0.to_string();
    b.pick("#referral-to_unit", &ntt).await;
    b.pick("#referral-service_code", "reintegration").await;
    b.pick("#referral-basis", "vital_interest").await;
    b.type_into(
        "basis_note",
        "Korban terancam di daerah asal; penanganan segera.",
    )
    .await;
    b.submit("form[action$='/referrals#referral'] button[type=submit]")
        .await;
    b.shot("sent").await;
    let sent = b.path().await;
    b.expect(
        sent.starts_with("/referrals/") && sent.contains("?ok=referral_sent"),
        &format!("the referral was not sent: {sent}"),
    )
    .await;
    let rid = sent
        .trim_start_matches("/referrals/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    // The province finds it waiting on its home page and accepts it.
    b.forget_session().await;
    b.login("data-officer.ntt").await;
    b.goto("/referrals?which=incoming").await;
    b.submit(&format!("a[href='/referrals/{rid}']")).await;
    b.submit("form[action$='/act#act']:has(input[value=accept]) button")
        .await;
    b.shot("accepted").await;
    b.expect(
        b.path()
            .await
            .starts_with(&format!("/referrals/{rid}?ok=referral_accepted")),
        &format!("not accepted: {}", b.path().await),
    )
    .await;
    b.expect(
        b.text().await.contains("Rujukan diterima."),
        "no message says it was accepted",
    )
    .await;
    b.close().await;
}
