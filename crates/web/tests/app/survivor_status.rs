//! A survivor's own status (issue 14, item 6), through the running application on SQLite
//! or PostgreSQL: the case worker issues a code and a PIN on a slip; with them, a visitor
//! of the public site sees the victim's services, referral and restitution — and nothing
//! that names her, her case, the units or the places. Wrong PINs count and lock the code;
//! a new code revokes the old one; every look is audited on the case; only hashes are
//! stored; other roles and regions cannot issue.

use crate::common::{self, Browser, TestApp, today};
use crate::recovery::{day, rescued_in_palangkaraya};
use store::{NewLedgerEntry, NewReferral, NewService, ServiceUpdate};

use crate::common::text_of as slip_value;

/// The part of a page between two markers (the slip's box; the status page's main part).
fn between<'a>(body: &'a str, from: &str, to: &str) -> &'a str {
    let a = body.find(from).unwrap_or_else(|| panic!("{from}: {body}"));
    let b = body[a..].find(to).map(|b| a + b).unwrap_or(body.len());
    &body[a..b]
}

async fn look(visitor: &Browser, code: &str, pin: &str) -> common::Resp {
    visitor.get("/status").await;
    visitor
        .post_form("/status", &[("kode", code), ("pin", pin)])
        .await
}

#[tokio::test]
async fn a_survivor_sees_her_services_and_restitution_with_her_code_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (case, victim) = rescued_in_palangkaraya(&app, "Maria Uji Status").await;
    let owner = app.actor("data-officer.palangkaraya").await;
    let pky_unit = app.units["palangkaraya"].0;
    // Her plan: shelter delivered, health care under way, a referral home to Kupang for
    // reintegration, restitution ordered (final verdict three days ago) and partly paid.
    for code in ["shelter", "health_rehab"] {
        app.store
            .add_service(
                &owner,
                victim,
                &NewService {
                    service_code: code.into(),
                    unit_id: Some(pky_unit),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
    }
    let p = app.store.plan(&owner, victim, today()).await.unwrap();
    let shelter = p
        .services
        .iter()
        .find(|s| s.service_code == "shelter")
        .unwrap()
        .id;
    app.store
        .update_service(
            &owner,
            shelter,
            &ServiceUpdate {
                status: "delivered".into(),
                outcome: "Tinggal di rumah aman Jalan Melati 7 selama 30 hari.".into(),
                done_on: Some(today()),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    app.store
        .send_referral(
            &owner,
            victim,
            &NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: "service".into(),
                service_code: "reintegration".into(),
                basis: "vital_interest".into(),
                basis_note: "Korban perlu segera pulang (uji).".into(),
                message: "Mohon reintegrasi di Desa Oesao (uji).".into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    let pky = app.login("data-officer.palangkaraya").await;
    pky.get(&format!("/cases/{case}")).await;
    let r = pky
        .post_form(
            &format!("/cases/{case}/stages"),
            &[("stage", "final"), ("happened", &day(today() - 3))],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    for (kind, amount) in [("award", 30_000_000), ("payment", 12_500_000)] {
        app.store
            .add_ledger_entry(
                &owner,
                victim,
                &NewLedgerEntry {
                    track: "restitution".into(),
                    kind: kind.into(),
                    amount: Some(amount),
                    on_day: Some(today() - 1),
                    ..Default::default()
                },
                today(),
            )
            .await
            .unwrap();
    }
    let p = app.store.plan(&owner, victim, today()).await.unwrap();

    // The plan page offers a code; issuing one shows the slip once.
    let plan = format!("/victims/{victim}/plan");
    let r = pky.get(&plan).await;
    assert!(
        r.body.contains("Korban belum memegang kode status"),
        "{}",
        r.body
    );
    let r = pky
        .post_form(&format!("/victims/{victim}/status-code"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = slip_value(&r.body, "slip-code");
    let pin = slip_value(&r.body, "slip-pin");
    assert_eq!(code.len(), 14, "{code}");
    assert_eq!(pin.len(), 6, "{pin}");
    let slip = between(&r.body, "class=\"slip-card\"", "slip.print");
    for secret in [
        "Maria",
        p.initials.as_str(),
        p.case_code.as_str(),
        "Palangka",
        "Kupang",
    ] {
        assert!(!slip.contains(secret), "the slip names {secret:?}: {slip}");
    }
    assert!(slip.contains("/status"), "{slip}");
    assert!(slip.contains("129"), "the slip says where to call: {slip}");
    let r = pky.get(&plan).await;
    assert!(r.body.contains("Kode berlaku sejak"), "{}", r.body);
    assert!(!r.body.contains(&code), "the code is never shown again");

    // Only hashes are kept.
    let dump = app
        .store
        .dump_table_for_tests("survivor_codes")
        .await
        .unwrap();
    assert!(!dump.contains(&code.replace('-', "")), "{dump}");
    assert!(!dump.contains(&pin), "{dump}");

    // She looks, typing the code in small letters without dashes.
    let visitor = Browser::new(&app.base);
    let r = visitor.get("/status").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("SAPA 129"), "{}", r.body);
    let typed = code.replace('-', "").to_lowercase();
    let r = look(&visitor, &typed, &pin).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let main = between(&r.body, "<main", "</main>");
    for shown in [
        "Rencana pemulihan Anda sedang berjalan",
        "Sudah diberikan",
        "Direncanakan",
        "Permintaan sudah dikirim dan menunggu jawaban",
        "Rp30.000.000",
        "Rp12.500.000",
        "Rp17.500.000",
        &format!("Batas waktu pembayaran: {}", day(today() - 3 + 14)),
    ] {
        assert!(main.contains(shown), "status lacks {shown:?}: {main}");
    }
    for secret in [
        "Maria",
        p.initials.as_str(),
        p.case_code.as_str(),
        "Palangka",
        "Kupang",
        "Melati",
        "Oesao",
        "data-officer",
    ] {
        assert!(
            !main.contains(secret),
            "the status page shows {secret:?}: {main}"
        );
    }
    assert_eq!(
        r.headers["cache-control"], "no-store",
        "her status is never kept by a cache"
    );
    assert!(
        r.headers
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with(web::SESSION_COOKIE))
    );

    // Wrong PINs count: four say "does not match", the fifth locks the code, and then even
    // the right PIN waits.
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..4 {
        let r = look(&visitor, &code, wrong).await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body.contains("Kode atau PIN tidak cocok"), "{}", r.body);
        assert!(r.body.contains(&format!("value=\"{code}\"")), "code kept");
        assert!(!r.body.contains(wrong), "the PIN is never echoed");
    }
    let r = look(&visitor, &code, wrong).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("dikunci"), "{}", r.body);
    let r = look(&visitor, &code, &pin).await;
    assert_eq!(r.status, 429, "locked even for the right PIN");
    let r = pky.get(&plan).await;
    assert!(r.body.contains("Kode sedang terkunci"), "{}", r.body);

    // A new code revokes the old one (and is not locked).
    let r = pky
        .post_form(&format!("/victims/{victim}/status-code"), &[])
        .await;
    assert_eq!(r.status, 200);
    let code2 = slip_value(&r.body, "slip-code");
    let pin2 = slip_value(&r.body, "slip-pin");
    assert_ne!(code, code2);
    assert_eq!(look(&visitor, &code, &pin).await.status, 401);
    let other = Browser::new(&app.base);
    assert_eq!(look(&other, &code2, &pin2).await.status, 200);

    // Revoked: the code stops working.
    pky.get(&plan).await;
    let r = pky
        .post_form(&format!("/victims/{victim}/status-code/revoke"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location().contains("ok=status_code_revoked"));
    assert_eq!(look(&other, &code2, &pin2).await.status, 401);

    // A script trying codes from one address is held back, whatever it sends.
    let script = Browser::new(&app.base);
    let mut last = 0;
    for i in 0..11 {
        last = look(&script, &format!("ABCD-EFGH-{i:04}"), "123456")
            .await
            .status;
    }
    assert_eq!(last, 429);

    // Audited on the case: issues, revocation, the two looks, five wrong PINs (the last
    // locking); the looks are in the case's access log.
    let audit = app.store.dump_table_for_tests("audit_log").await.unwrap();
    let count = |a: &str| audit.matches(a).count();
    assert_eq!(count("survivor.code_issue"), 2, "{audit}");
    assert_eq!(count("survivor.code_revoke"), 1);
    assert_eq!(count("survivor.status_view"), 2);
    assert_eq!(count("survivor.status_failed"), 5);
    assert_eq!(audit.matches("failures=5 locked").count(), 1, "{audit}");
    let filter = store::AccessLogFilter {
        outside_only: false,
        before_seq: None,
        limit: 100,
    };
    let log = app
        .store
        .case_access_log(&owner, case, &filter)
        .await
        .unwrap();
    let looks: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.action == "survivor.status_view")
        .collect();
    assert_eq!(looks.len(), 2, "{:?}", log.entries);
}

#[tokio::test]
async fn only_those_who_follow_her_services_issue_a_code() {
    let app = TestApp::spawn().await;
    let (_case, victim) = rescued_in_palangkaraya(&app, "Maria Uji Kode").await;
    let path = format!("/victims/{victim}/status-code");
    // A viewer of the same province: the role may not (403); a data officer of another
    // province does not see the victim (404).
    for (user, expected) in [
        ("viewer.kalteng", 403),
        ("data-officer.kupang", 404),
        ("admin.ntt", 404),
    ] {
        let b = app.login(user).await;
        b.get("/").await;
        let r = b.post_form(&path, &[]).await;
        assert_eq!(r.status, expected, "{user}: {}", r.body);
        let r = b.post_form(&format!("{path}/revoke"), &[]).await;
        assert_eq!(r.status, expected, "{user} revoking");
    }
    // The viewer sees the plan but not the code's section.
    let viewer = app.login("viewer.kalteng").await;
    let r = viewer.get(&format!("/victims/{victim}/plan")).await;
    assert_eq!(r.status, 200);
    assert!(!r.body.contains("status-code"), "{}", r.body);
    let audit = app.store.dump_table_for_tests("audit_log").await.unwrap();
    assert!(!audit.contains("survivor.code_issue"));

    // The slip's page reloaded (the issuing form sent again): no new code, the printed one
    // stays valid.
    let owner = app.login("data-officer.palangkaraya").await;
    owner.get(&format!("/victims/{victim}/plan")).await;
    let issue = format!("/victims/{victim}/status-code");
    let r = owner.post_form(&issue, &[("current", "0")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (code1, pin1) = (
        slip_value(&r.body, "slip-code"),
        slip_value(&r.body, "slip-pin"),
    );
    let r = owner.post_form(&issue, &[("current", "0")]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.body.contains("Slip yang sudah dicetak tetap berlaku"),
        "{}",
        r.body
    );
    assert_eq!(
        look(&Browser::new(&app.base), &code1, &pin1).await.status,
        200
    );
    // Without GUGUS_PUBLIC_URL the slip warns that its address is the office's.
    let r = owner.post_form(&issue, &[]).await;
    assert!(r.body.contains("GUGUS_PUBLIC_URL"), "{}", r.body);

    // Through the API: a new code (201, shown this once), revoked with DELETE (then 404).
    let token = app.token("data-officer.palangkaraya").await;
    let path = format!("/api/v1/victims/{victim}/status-code");
    let r = common::api(&app.base, &token, "POST", &path, Some("{}")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let (code3, pin3) = (v["code"].as_str().unwrap(), v["pin"].as_str().unwrap());
    let third = Browser::new(&app.base);
    assert_eq!(look(&third, code3, pin3).await.status, 200);
    let r = common::api(&app.base, &token, "DELETE", &path, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = common::api(&app.base, &token, "DELETE", &path, None).await;
    assert_eq!(r.status, 404, "no code left to revoke");
    assert_eq!(look(&third, code3, pin3).await.status, 401);
}
