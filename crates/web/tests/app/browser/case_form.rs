//! The case form in a browser: a mistake shown where the eye is and fixed without retyping;
//! Enter saves; a victim added by mistake is removed before saving.

use super::{Chrome, DESK};
use crate::common::TestApp;

/// Logs in as Palangkaraya's data officer, opens a new case and fills the report, the
/// exploitation and victim 1 (with the NIK given).
async fn fill_case(b: &Chrome, nik: &str) {
    b.login("data-officer.palangkaraya").await;
    b.goto("/cases/new").await;
    b.choose("channel", "police").await;
    b.set_date("reported_on", "2026-03-02").await;
    b.choose("trafficking_status", "confirmed").await;
    b.tick("exploitation", "forced_labour").await;
    b.set_date("exploitation_from", "2025-06-01").await;
    b.type_into("victims[0].name", "Sari Dewi Lestari").await;
    b.type_into("victims[0].nik", nik).await;
    b.choose("victims[0].sex", "female").await;
    b.set_date("victims[0].birth_date", "1999-08-17").await;
}

/// Presses the form's "save" and expects the saved case's page.
async fn save(b: &Chrome, what: &str) {
    b.submit("main form button[type=submit]:not([name]):not(.default-submit)")
        .await;
    let path = b.path().await;
    b.expect(
        path.starts_with("/cases/") && path.ends_with("?ok=case_registered"),
        &format!("{what} was not saved: {path}"),
    )
    .await;
}

#[tokio::test]
async fn a_mistake_is_shown_at_the_top_kept_as_typed_and_fixed_and_enter_saves() {
    let app = TestApp::spawn().await;
    let Some(b) = Chrome::open(&app, "case_form_mistake", DESK).await else {
        return;
    };
    fill_case(&b, "12345").await;
    // Enter in a field saves (the form's first button is "save", not "add a victim").
    b.press_enter_in("victims[0].name").await;
    b.shot("after-enter").await;
    b.expect(
        b.count("#error-summary").await == 1,
        "no error summary after a save with a bad NIK",
    )
    .await;
    b.expect(
        b.count("fieldset.victim").await == 1,
        "Enter added a victim block instead of saving",
    )
    .await;
    b.expect(
        b.focused().await == "error-summary",
        "the error summary does not have the focus",
    )
    .await;
    let summary = b.find("#error-summary").await.text().await.unwrap();
    b.expect(
        summary.contains("NIK"),
        &format!("the summary does not name the NIK field: {summary}"),
    )
    .await;
    // What was typed is still there; the bad field is marked.
    b.expect(
        b.value("victims[0].name").await == "Sari Dewi Lestari",
        "the victim's name was lost",
    )
    .await;
    let invalid = b
        .field("victims[0].nik")
        .await
        .attr("aria-invalid")
        .await
        .unwrap();
    b.expect(
        invalid.as_deref() == Some("true"),
        "the NIK field is not marked invalid",
    )
    .await;
    // The summary's link leads to the field.
    b.click("#error-summary a[href=\"#victims[0].nik\"]").await;
    b.type_into("victims[0].nik", "6271055708990001").await;
    save(&b, "the corrected case").await;
    b.expect(
        b.text().await.contains("Sari Dewi Lestari"),
        "the saved case does not show its victim",
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_victim_added_by_mistake_is_removed_before_saving() {
    let app = TestApp::spawn().await;
    let Some(b) = Chrome::open(&app, "case_form_remove_victim", DESK).await else {
        return;
    };
    fill_case(&b, "6271055708990001").await;
    b.submit("button[name=add_victim]").await;
    b.shot("after-add").await;
    // The page comes back at the new block, its first field ready for typing.
    b.expect(
        b.count("fieldset.victim").await == 2,
        "no second victim block",
    )
    .await;
    b.expect(
        b.focused().await == "victims[1].name",
        &format!(
            "the new victim's name does not have the focus ({})",
            b.focused().await
        ),
    )
    .await;
    let scrolled = b.js("return window.scrollY", vec![]).await;
    b.expect(
        scrolled.as_f64().unwrap_or(0.0) > 300.0,
        &format!("the page opened at the top, not at the new victim (scrollY {scrolled})"),
    )
    .await;
    b.expect(
        b.value("victims[0].name").await == "Sari Dewi Lestari",
        "adding a victim lost the first one",
    )
    .await;
    // Typed into by mistake, then removed: nothing of it stays.
    b.type_into("victims[1].name", "Salah Ketik").await;
    b.submit("button[name=remove_victim][value=\"1\"]").await;
    b.expect(
        b.count("fieldset.victim").await == 1,
        "the second victim block is still there",
    )
    .await;
    b.expect(
        b.count("button[name=remove_victim]").await == 0,
        "the only victim can be removed",
    )
    .await;
    save(&b, "the case after removing a victim").await;
    let text = b.text().await;
    b.expect(
        text.contains("Sari Dewi Lestari") && !text.contains("Salah Ketik"),
        "the saved case does not hold exactly the one victim",
    )
    .await;
    b.close().await;
}

#[tokio::test]
async fn a_village_is_picked_by_name() {
    let app = TestApp::spawn().await;
    let Some(b) = Chrome::open(&app, "case_form_village", DESK).await else {
        return;
    };
    fill_case(&b, "6271055708990001").await;
    // While typing, the suggestions say where each place lies.
    b.type_into("victims[0].home_village", "Pahandu").await;
    let mut suggested = String::new();
    for _ in 0..100 {
        suggested = b
            .js(
                "return Array.from(document.querySelectorAll('datalist option')).map(function (o) { return o.textContent; }).join('|');",
                vec![],
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !suggested.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.expect(
        suggested.contains("62.71.01.1001 · Pahandut — Pahandut, Kota Palangkaraya"),
        &format!("no suggestion with its place: {suggested}"),
    )
    .await;
    // A name three villages share: the form offers them; choosing one fills the field.
    b.type_into("victims[0].home_village", "Menteng").await;
    b.submit("main form button[type=submit]:not([name]):not(.default-submit)")
        .await;
    b.shot("choices").await;
    b.expect(
        b.count("[data-fill=\"victims[0].home_village\"]").await == 3,
        "the places of that name are not offered",
    )
    .await;
    b.click("[data-value=\"62.71.03.1002\"]").await;
    b.expect(
        b.value("victims[0].home_village").await == "62.71.03.1002",
        "choosing a place did not fill the field",
    )
    .await;
    save(&b, "the case with the chosen village").await;
    b.close().await;
}
