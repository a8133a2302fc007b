//! The case page's small forms in a browser (the route event stands for all of them): a
//! refusal opens the page at the form with the focus on a summary that names the field,
//! keeps what was typed, and the address survives a reload; a success returns to the
//! section with a message that says what happened.

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
        b.path().await == format!("/cases/{case}?ok=route_added#route"),
        &format!("after the save: {}", b.path().await),
    )
    .await;
    b.expect(
        b.find(".flash").await.text().await.unwrap() == "Peristiwa rute ditambahkan.",
        "the message does not say what happened",
    )
    .await;
    b.close().await;
}
