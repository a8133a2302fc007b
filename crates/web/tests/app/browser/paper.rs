//! On paper: the case page, the service plan and a referral print as the record alone —
//! no menus, forms or buttons — marked confidential with who printed it.

use super::{Chrome, DESK};
use crate::common::{self, TestApp};

/// Visible elements the print must not show, by selector, with how many are visible.
const SHOWN: &str = "return arguments[0].map(function (sel) {
    return [sel, Array.from(document.querySelectorAll(sel)).filter(function (e) {
        return e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    }).length]; }).filter(function (p) { return p[1] > 0; });";

#[tokio::test]
async fn the_case_page_the_plan_and_a_referral_print_as_the_record() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.kupang").await;
    let (case, victim) = app
        .case_with_victim("data-officer.kupang", "Maria Ndun")
        .await;
    app.store
        .add_service(
            &officer,
            victim,
            &store::NewService {
                service_code: "shelter".into(),
                unit_id: Some(app.units["kupang"].0),
                ..Default::default()
            },
            common::today(),
        )
        .await
        .unwrap();
    let referral = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["ntt"].0),
                kind: "takeover".into(),
                basis: "vital_interest".into(),
                basis_note: "Keselamatan korban terancam (uji cetak).".into(),
                ..Default::default()
            },
            common::today(),
        )
        .await
        .unwrap();
    let Some(b) = Chrome::open(&app, "paper", DESK).await else {
        return;
    };
    b.login("data-officer.kupang").await;
    b.emulate_print().await;
    for page in [
        format!("/cases/{case}"),
        format!("/victims/{victim}/plan"),
        format!("/referrals/{referral}"),
    ] {
        b.goto(&page).await;
        b.shot(&page.replace('/', "_")).await;
        let shown = b
            .js(
                SHOWN,
                vec![serde_json::json!([
                    "nav.main",
                    "header.top",
                    "form",
                    "button",
                    "details.panel",
                    "footer"
                ])],
            )
            .await;
        b.expect(
            shown.as_array().is_some_and(|a| a.is_empty()),
            &format!("{page} prints menus, forms or buttons: {shown}"),
        )
        .await;
        let text = b.text().await;
        b.expect(
            text.contains("RAHASIA") && text.contains("Dicetak dari Gugus oleh Petugas Uji"),
            &format!("{page} is not marked confidential on paper"),
        )
        .await;
        let pdf = b.pdf().await;
        b.expect(pdf.starts_with(b"%PDF"), "the browser printed no PDF")
            .await;
    }
    b.close().await;
}
