//! After the referral: escalation of an overdue referral to the task forces above, consent
//! withdrawal ending a referral, and a delivered service delivering its referral.

use crate::common::{TestApp, today};
#[allow(unused_imports)]
use crate::recovery::*;

use std::time::Duration;

#[tokio::test]
async fn an_overdue_referral_escalates_to_both_units_and_the_task_forces_above() {
    an_overdue_referral_escalates_to_both_units_and_the_task_forces_above_on(
        TestApp::spawn().await,
    )
    .await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn an_overdue_referral_escalates_to_both_units_and_the_task_forces_above_on(
    app: TestApp,
) {
    let (_case, victim) = rescued_in_palangkaraya(&app, "Yohana Uji Tenggat").await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let rid = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: "takeover".into(),
                basis: "vital_interest".into(),
                basis_note: "Korban terancam oleh perekrut di tempat penampungan.".into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    // Nothing is overdue yet.
    assert_eq!(
        app.store
            .escalate_overdue(&store::job_actor(), today())
            .await
            .unwrap(),
        0
    );
    // Ten days pass without an answer.
    app.store
        .exec_raw_for_tests("UPDATE referrals SET due_on = due_on - 10, sent_on = sent_on - 10")
        .await
        .unwrap();
    let cfg = web::worker::WorkerConfig {
        smtp: None,
        public_url: String::new(),
        every: Duration::from_secs(60),
        publish_threshold: None,
    };
    let r = web::worker::tick(&app.store, &cfg).await.unwrap();
    assert_eq!(r.escalated, 1);
    assert_eq!(
        web::worker::tick(&app.store, &cfg).await.unwrap().escalated,
        0,
        "once"
    );

    // Both units, and the task forces of NTT and Kalimantan Tengah, are told and see it.
    for user in [
        "data-officer.kupang",
        "data-officer.palangkaraya",
        "data-officer.ntt",
        "admin.kalteng",
    ] {
        let b = app.login(user).await;
        let n = b.get("/notifications").await;
        assert!(
            n.body.contains("Rujukan lewat tenggat"),
            "{user}: {}",
            n.body
        );
        // The navigation counts what is unread; reading everything clears it.
        assert!(n.body.contains("<span class=\"badge warn\">"), "{user}");
        let r = b.post_form("/notifications/read", &[]).await;
        assert_eq!(r.status, 303);
        let n = b.get("/notifications").await;
        assert!(!n.body.contains("<span class=\"badge warn\">"), "{user}");
    }
    for user in ["data-officer.ntt", "verifier.kalteng", "verifier.nasional"] {
        let b = app.login(user).await;
        let r = b.get("/referrals?which=escalated").await;
        assert!(
            r.body.contains(&format!("/referrals/{rid}")),
            "{user}: {}",
            r.body
        );
        assert!(r.body.contains("Lewat tenggat"));
        // The task force above sees that it is overdue, not the victim's data.
        let one = b.get(&format!("/referrals/{rid}")).await;
        assert_eq!(one.status, 200, "{user}");
        assert!(
            !one.body.contains("terancam oleh perekrut"),
            "overseers read no texts"
        );
        assert!(!one.body.contains("Yohana"), "nor the victim's name");
    }
    // On the sending unit's tasks as overdue at the other side; on Kupang's as waiting.
    let b = app.login("data-officer.palangkaraya").await;
    let t = b.get("/tasks").await;
    assert!(
        t.body.contains("Rujukan keluar lewat tenggat"),
        "{}",
        t.body
    );
    let b = app.login("data-officer.kupang").await;
    let t = b.get("/tasks").await;
    assert!(t.body.contains("Rujukan masuk"), "{}", t.body);
    // Accepting the take-over makes Kupang the lead of the victim's plan.
    b.get(&format!("/referrals/{rid}")).await;
    let r = b
        .post_form(&format!("/referrals/{rid}/act"), &[("op", "accept")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = app.store.plan(&officer, victim, today()).await.unwrap();
    assert_eq!(p.lead_unit_id, Some(app.units["kupang"]));
    // Having taken over, Kupang plans her services itself: by its own unit, not by a unit
    // outside its region.
    let kupang_unit = app.units["kupang"].0.to_string();
    let pky_unit = app.units["palangkaraya"].0.to_string();
    b.get(&format!("/referrals/{rid}")).await;
    let r = b
        .post_form(
            &format!("/referrals/{rid}/services"),
            &[("service_code", "shelter"), ("unit_id", &pky_unit)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("di luar wilayah"), "{}", r.body);
    let r = b
        .post_form(
            &format!("/referrals/{rid}/services"),
            &[("service_code", "reintegration"), ("unit_id", &kupang_unit)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = app.store.plan(&officer, victim, today()).await.unwrap();
    let reint = p
        .services
        .iter()
        .find(|s| s.service_code == "reintegration")
        .unwrap();
    assert_eq!(
        (reint.unit_id, reint.referral_id),
        (app.units["kupang"], Some(rid))
    );
    b.get(&format!("/referrals/{rid}")).await;
    let r = b
        .post_form(
            &format!("/services/{}", reint.id),
            &[
                ("back", &format!("referral:{rid}")),
                ("status", "in_progress"),
                ("outcome", "Kunjungan pertama ke keluarga."),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get(&format!("/referrals/{rid}")).await.body;
    assert!(page.contains("Kunjungan pertama ke keluarga."));
    assert!(b.get("/tasks").await.body.contains("Reintegrasi sosial"));
    // Withdrawn by the sender: Kupang's access ends.
    let s = app.login("data-officer.palangkaraya").await;
    s.get(&format!("/referrals/{rid}")).await;
    let r = s
        .post_form(&format!("/referrals/{rid}/act"), &[("op", "withdraw")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(b.get(&format!("/referrals/{rid}")).await.status, 404);
    let p = app.store.plan(&officer, victim, today()).await.unwrap();
    assert_eq!(
        p.services[0].status, "not_possible",
        "stopped with the referral"
    );
    assert!(!b.get("/tasks").await.body.contains("Reintegrasi sosial"));
}

#[tokio::test]
async fn withdrawing_consent_ends_the_referral_and_units_outside_need_one() {
    let app = TestApp::spawn().await;
    let (case, victim) = rescued_in_palangkaraya(&app, "Agustina Uji Persetujuan").await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let day = today();
    // A unit outside the case's region cannot be handed a service directly.
    let err = app
        .store
        .add_service(
            &officer,
            victim,
            &store::NewService {
                service_code: "reintegration".into(),
                unit_id: Some(app.units["kupang"].0),
                ..Default::default()
            },
            day,
        )
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("err.service_unit_refer"),
        "{err:?}"
    );
    // A provincial admin without identity access cannot share the victim's identity.
    let province = app.actor("admin.kalteng").await;
    let share = store::NewReferral {
        to_unit: Some(app.units["kupang"].0),
        kind: "service".into(),
        service_code: "reintegration".into(),
        shared: vec!["identity".into()],
        basis: "vital_interest".into(),
        basis_note: "Korban harus segera dipulangkan (uji).".into(),
        ..Default::default()
    };
    let err = app
        .store
        .send_referral(&province, victim, &share, day)
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("err.share_identity"), "{err:?}");
    // On consent: sent, accepted; then the victim withdraws her consent.
    let consent = app
        .store
        .add_consent(
            &officer,
            case,
            &store::NewConsent {
                victim_id: victim,
                scope: "referral".into(),
                given_by: "victim".into(),
                given_on: Some(day),
            },
            day,
        )
        .await
        .unwrap();
    let rid = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                basis: "consent".into(),
                basis_note: String::new(),
                ..share.clone()
            },
            day,
        )
        .await
        .unwrap();
    let kupang = app.actor("data-officer.kupang").await;
    app.store
        .act_on_referral(&kupang, rid, "accept", "", day)
        .await
        .unwrap();
    assert!(app.store.referral(&kupang, rid, day).await.is_ok());
    app.store
        .withdraw_consent(&officer, case, consent, day)
        .await
        .unwrap();
    assert!(matches!(
        app.store.referral(&kupang, rid, day).await,
        Err(store::StoreError::NotFound)
    ));
    let p = app.store.plan(&officer, victim, day).await.unwrap();
    assert_eq!(p.referrals[0].state, "withdrawn");
    let s = p
        .services
        .iter()
        .find(|s| s.service_code == "reintegration")
        .unwrap();
    assert_eq!(s.status, "not_possible");
    let t = app.store.my_tasks(&kupang, day, 1).await.unwrap();
    assert_eq!(t.services_total, 0, "off the receiving unit's list");
}

#[tokio::test]
async fn a_delivered_service_delivers_its_referral_and_compensation_is_owed_as_assessed() {
    let app = TestApp::spawn().await;
    let (case, victim) = rescued_in_palangkaraya(&app, "Regina Uji Kompensasi").await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let day = today();
    app.store
        .add_consent(
            &officer,
            case,
            &store::NewConsent {
                victim_id: victim,
                scope: "referral".into(),
                given_by: "victim".into(),
                given_on: Some(day),
            },
            day,
        )
        .await
        .unwrap();
    let rid = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: "service".into(),
                service_code: "economic".into(),
                basis: "consent".into(),
                ..Default::default()
            },
            day,
        )
        .await
        .unwrap();
    let kupang = app.actor("data-officer.kupang").await;
    app.store
        .act_on_referral(&kupang, rid, "accept", "", day)
        .await
        .unwrap();
    let sid = app
        .store
        .referral(&kupang, rid, day)
        .await
        .unwrap()
        .service_id
        .unwrap();
    // Recording the service as delivered moves the referral on as well: one path.
    app.store
        .update_service(
            &kupang,
            sid,
            &store::ServiceUpdate {
                status: "delivered".into(),
                outcome: "Modal usaha kios diberikan.".into(),
                ..Default::default()
            },
            day,
        )
        .await
        .unwrap();
    let r = app.store.referral(&officer, rid, day).await.unwrap();
    assert_eq!(r.row.state, "delivered");
    assert!(!r.row.overdue);
    // Delivered: the receiving unit may no longer change it.
    let again = app
        .store
        .update_service(
            &kupang,
            sid,
            &store::ServiceUpdate {
                status: "in_progress".into(),
                ..Default::default()
            },
            day,
        )
        .await;
    assert!(
        matches!(again, Err(store::StoreError::NotFound)),
        "{again:?}"
    );

    // Compensation: what LPSK assessed is owed while there is no award.
    let entry = |kind: &str, amount: i64, confirm: bool| store::NewLedgerEntry {
        track: "compensation".into(),
        kind: kind.into(),
        amount: Some(amount),
        on_day: Some(day),
        confirm,
        ..Default::default()
    };
    app.store
        .add_ledger_entry(
            &officer,
            victim,
            &entry("assessment", 5_000_000, false),
            day,
        )
        .await
        .unwrap();
    app.store
        .add_ledger_entry(&officer, victim, &entry("payment", 3_000_000, false), day)
        .await
        .unwrap();
    let over = app
        .store
        .add_ledger_entry(&officer, victim, &entry("payment", 3_000_000, false), day)
        .await;
    assert!(format!("{over:?}").contains("warn.overpayment"), "{over:?}");
    let p = app.store.plan(&officer, victim, day).await.unwrap();
    assert_eq!(
        p.ledger
            .compensation
            .outstanding_on(domain::recovery::LedgerTrack::Compensation),
        2_000_000
    );
}
