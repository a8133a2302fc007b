//! The referral lists page past their first screen: a total, page numbers and "overdue
//! only".

use crate::common::{self, TestApp};

#[tokio::test]
async fn the_referral_list_pages_with_a_total_and_filters_the_overdue() {
    let app = TestApp::spawn().await;
    let officer = app.actor("data-officer.kupang").await;
    for i in 0..55 {
        let (case, _) = app
            .store
            .create_case(&officer, &common::sample_case(&format!("Korban Rujuk {i}")))
            .await
            .unwrap();
        let victim = app.store.case(&officer, case).await.unwrap().victims[0].id;
        app.store
            .send_referral(
                &officer,
                victim,
                &store::NewReferral {
                    to_unit: Some(app.units["ntt"].0),
                    kind: "takeover".into(),
                    basis: "vital_interest".into(),
                    basis_note: "Keselamatan korban terancam (uji daftar).".into(),
                    ..Default::default()
                },
                common::today(),
            )
            .await
            .unwrap();
    }
    let b = app.login("data-officer.kupang").await;
    let first = b.get("/referrals?which=outgoing").await.body;
    assert!(first.contains("55 data"), "{first}");
    assert_eq!(first.matches("<a href=\"/referrals/").count(), 50);
    let second = b.get("/referrals?which=outgoing&page=1").await.body;
    assert_eq!(second.matches("<a href=\"/referrals/").count(), 5);
    // None is overdue yet; a month later all are.
    let none = b.get("/referrals?which=outgoing&overdue=1").await.body;
    assert!(none.contains("Belum ada data."), "{none}");
    app.store.clock().advance_ms(30 * 86_400_000);
    // (A month idle ends the session: sign in again.)
    let b = app.login("data-officer.kupang").await;
    let late = b.get("/referrals?which=outgoing&overdue=1").await.body;
    assert!(late.contains("55 data"), "{late}");
    assert_eq!(
        b.get("/referrals?which=outgoing&overdue=yes").await.status,
        422
    );
}
