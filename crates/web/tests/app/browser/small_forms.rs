//! The case page's small forms in a browser (the route event stands for all of them): a
//! refusal opens the page at the form with the focus on a summary that names the field,
//! keeps what was typed, and the address survives a reload; a success returns to the
//! section with a message that says what happened; removing it asks first, in a dialog.

use super::{Chrome, DESK};
use crate::common::TestApp;

#[tokio::test]
async fn a_refused_route_event_is_shown_at_its_form_and_its_address_survives_a_reload() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let (case, _) = app
        .store
        .create_case(&officer, &crate::common::sample_case("Sari Dewi"))
        .await
        .unwrap();
    let Some(b) = Chrome::open(&app, "small_form_route", DESK).await else {
        return;
    };
    b.login("data-officer.palangkaraya").await;
    b.goto(&format!("/cases/{case}")).await;
    b.click("details#route > summary").await;
    b.choose("kind", "transit").await;
    // Both a region and a country: the form refuses, it must be one of them.
    b.type_into("region_code", "62.71").await;
    b.choose("country", "MYS").await;
    b.type_into("city", "Tawau").await;
    b.submit("details#route form button[type=submit]").await;
    b.shot("refused").await;
    b.expect(
        b.focused().await == "error-summary",
        &format!(
            "the focus is not on the error summary ({})",
            b.focused().await
        ),
    )
    .await;
    let summary = b.find("#error-summary").await.text().await.unwrap();
    b.expect(
        summary.contains("Wilayah") || summary.contains("Negara"),
        &format!("the summary does not name the field: {summary}"),
    )
    .await;
    let top = b
        .js(
            "return document.getElementById('error-summary').getBoundingClientRect().top",
            vec![],
        )
        .await
        .as_f64()
        .unwrap_or(-1.0);
    b.expect(
        (0.0..450.0).contains(&top),
        &format!("the summary is not where the eye is (top at {top} px)"),
    )
    .await;
    b.expect(b.value("city").await == "Tawau", "what was typed was lost")
        .await;
    // Reloading the address the refusal left (the form's URL) from the address bar opens
    // the case, not "method not allowed".
    let at = b.path().await;
    b.expect(
        at.starts_with(&format!("/cases/{case}/route")),
        &format!("the refusal is shown at {at}"),
    )
    .await;
    b.goto(&format!("/cases/{case}/route")).await;
    b.expect(
        b.path().await == format!("/cases/{case}"),
        &format!("the form's address led to {}", b.path().await),
    )
    .await;
    // Now right: back at the route section, with a message that says what happened.
    b.click("details#route > summary").await;
    b.choose("kind", "transit").await;
    b.choose("country", "MYS").await;
    b.type_into("city", "Tawau").await;
    b.submit("details#route form button[type=submit]").await;
    b.shot("added").await;
    b.expect(
        b.path().await == format!("/cases/{case}?ok=route_added#route-list"),
        &format!("after the save: {}", b.path().await),
    )
    .await;
    b.expect(
        b.find(".flash").await.text().await.unwrap() == "Peristiwa rute ditambahkan.",
        "the message does not say what happened",
    )
    .await;
    // Both the message and the list with the new event are in view.
    let seen = b
        .js(
            "function inView(e) { var r = e.getBoundingClientRect();
                return r.top >= 0 && r.bottom <= window.innerHeight; }
             var rows = document.querySelectorAll('#route-list ~ div table tbody tr');
             return [inView(document.querySelector('.flash')),
                     inView(document.getElementById('route-list')),
                     rows.length > 0 && inView(rows[rows.length - 1])];",
            vec![],
        )
        .await;
    b.expect(
        seen == serde_json::json!([true, true, true]),
        &format!("message, list heading, new row in view: {seen}"),
    )
    .await;
    // Removing it asks first, in a dialog; "cancel" keeps it.
    let delete = "form[action*=\"/route/\"][action*=\"/delete\"] button";
    b.click(delete).await;
    let asked = b.dialog().await;
    b.expect(
        asked.contains("Peristiwa rute ini akan dihapus"),
        &format!("no dialog says what will happen ({asked})"),
    )
    .await;
    b.answer_dialog(false).await;
    b.expect(
        b.count(delete).await == 1,
        "the route event went although the dialog was cancelled",
    )
    .await;
    // Without JavaScript (the form sent as is), a page asks instead; "cancel" leads back.
    b.js(
        "window.__gugusOld = true; document.querySelector(arguments[0]).form.submit();",
        vec![serde_json::json!(delete)],
    )
    .await;
    b.wait_for_path(&format!("/cases/{case}/route/")).await;
    b.shot("asked-without-js").await;
    let page = b.text().await;
    b.expect(
        page.contains("Peristiwa rute ini akan dihapus") && page.contains("Ya, hapus"),
        "the confirmation page does not say what will happen",
    )
    .await;
    b.submit("a[href$=\"#route\"]").await;
    b.expect(
        b.path().await == format!("/cases/{case}#route") && b.count(delete).await == 1,
        "cancel did not lead back to the case with the event kept",
    )
    .await;
    b.click(delete).await;
    b.dialog().await;
    b.answer_dialog(true).await;
    b.wait_for_path(&format!("/cases/{case}?ok=route_removed#route-list"))
        .await;
    b.expect(b.count(delete).await == 0, "the route event is still there")
        .await;
    b.close().await;
}
