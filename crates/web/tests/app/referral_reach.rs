//! Who reads how much of a referral: the task forces above see an overdue referral's units,
//! service, days and state only (and nothing while it is on time), the receiving unit never
//! the case's code or ids, and the services of an ended take-over leave its tasks.

use crate::common::{self, TestApp, today};
use crate::recovery::{day, rescued_in_palangkaraya};
use serde_json::{Value, json};

/// A referral from Palangkaraya to Kupang about a new case: (referral, case code, initials).
async fn referral_to_kupang(app: &TestApp, name: &str, kind: &str) -> (i64, String, String) {
    let (case, victim) = rescued_in_palangkaraya(app, name).await;
    let officer = app.actor("data-officer.palangkaraya").await;
    let c = app.store.case(&officer, case).await.unwrap();
    let rid = app
        .store
        .send_referral(
            &officer,
            victim,
            &store::NewReferral {
                to_unit: Some(app.units["kupang"].0),
                kind: kind.into(),
                service_code: if kind == "service" { "shelter" } else { "" }.into(),
                basis: "vital_interest".into(),
                basis_note: "Korban terancam oleh perekrut di tempat penampungan.".into(),
                message: "Mohon rumah aman segera (uji).".into(),
                due_on: Some(today() + 3),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    (rid, c.code, c.victims[0].initials.clone())
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let r = common::api(&app.base, token, "GET", path, None).await;
    let v = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, v)
}

/// The object carries none of the case's or victim's ids, codes or initials.
fn no_ids(v: &Value, what: &str) {
    for key in ["case_id", "case_code", "victim_id"] {
        assert!(v.get(key).is_none(), "{what}: {key} in {v}");
    }
}

#[tokio::test]
async fn overseers_read_an_overdue_referral_without_the_case_or_the_victim_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (late, code, initials) = referral_to_kupang(&app, "Yohana Uji Pengawas", "service").await;
    // A second referral, answered, delivered and closed: never overdue.
    let (closed, _, _) = referral_to_kupang(&app, "Paulina Uji Selesai", "service").await;
    let kupang = app.actor("data-officer.kupang").await;
    for op in ["accept", "deliver", "close"] {
        app.store
            .act_on_referral(&kupang, closed, op, "", today())
            .await
            .unwrap();
    }
    // The province above the case (a verifier), the province above the receiving unit and
    // national: overseers, not senders or receivers.
    let overseers = ["verifier.kalteng", "data-officer.ntt", "verifier.nasional"];
    let check_hidden = async |rid: i64| {
        for user in overseers {
            let b = app.login(user).await;
            assert_eq!(
                b.get(&format!("/referrals/{rid}")).await.status,
                404,
                "{user}"
            );
            let token = app.token(user).await;
            let (status, _) = get_json(&app, &token, &format!("/api/v1/referrals/{rid}")).await;
            assert_eq!(status, 404, "{user}");
            let (_, list) = get_json(&app, &token, "/api/v1/referrals?which=escalated").await;
            assert!(
                !list.as_array().unwrap().iter().any(|r| r["id"] == rid),
                "{user}: {list}"
            );
        }
    };
    // On time: the referral does not exist for them; closed, neither.
    check_hidden(late).await;
    check_hidden(closed).await;

    // Seven days late.
    app.store
        .exec_raw_for_tests("UPDATE referrals SET due_on = due_on - 10, sent_on = sent_on - 10")
        .await
        .unwrap();
    check_hidden(closed).await;
    for user in overseers {
        let token = app.token(user).await;
        let (status, v) = get_json(&app, &token, &format!("/api/v1/referrals/{late}")).await;
        assert_eq!(status, 200, "{user}: {v}");
        assert_eq!(v["side"], "overseer");
        no_ids(&v, user);
        assert!(v.get("initials").is_none(), "{user}: {v}");
        assert_eq!(
            (&v["state"], &v["kind"], &v["service_code"]),
            (&json!("sent"), &json!("service"), &json!("shelter"))
        );
        assert_eq!(v["due_on"], day(today() - 7));
        assert_eq!(
            (&v["overdue"], &v["days_overdue"]),
            (&json!(true), &json!(7))
        );
        assert!(v["from_unit"].as_str().unwrap().contains("Palangkaraya"));
        assert!(v["to_unit"].as_str().unwrap().contains("Kupang"));
        assert!(
            v["victim"].is_null() && v["basis"].is_null() && v["message"].is_null(),
            "{user}: {v}"
        );
        assert_eq!((&v["shared"], &v["messages"]), (&json!([]), &json!([])));
        assert!(!v.to_string().contains(&code) && !v.to_string().contains(&initials));
        let (_, list) = get_json(&app, &token, "/api/v1/referrals?which=escalated").await;
        let row = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == late)
            .unwrap_or_else(|| panic!("{user}: {list}"));
        no_ids(row, user);
        assert!(row.get("initials").is_none(), "{user}: {row}");
        assert_eq!(row["days_overdue"], 7);

        let b = app.login(user).await;
        for page in [
            format!("/referrals/{late}"),
            "/referrals?which=escalated".into(),
        ] {
            let r = b.get(&page).await;
            assert_eq!(r.status, 200, "{user} {page}");
            assert!(
                r.body.contains(&format!("/referrals/{late}")),
                "{user} {page}"
            );
            assert!(!r.body.contains(&code), "{user} {page}: the case code");
            assert!(!r.body.contains(&initials), "{user} {page}: the initials");
            assert!(
                !r.body.contains("Mohon rumah aman"),
                "{user} {page}: the message"
            );
        }
    }
    // The sending side still reads its referral with the case.
    let token = app.token("data-officer.palangkaraya").await;
    let (_, v) = get_json(&app, &token, &format!("/api/v1/referrals/{late}")).await;
    assert_eq!(
        (&v["side"], &v["case_code"]),
        (&json!("sender"), &json!(code))
    );
}

#[tokio::test]
async fn the_receiving_unit_reads_no_case_code_or_ids_in_its_lists_and_tasks() {
    let app = TestApp::spawn().await;
    let (rid, code, initials) = referral_to_kupang(&app, "Martha Uji Penerima", "service").await;
    let token = app.token("data-officer.kupang").await;
    let incoming = |v: &Value| -> Value {
        v.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rid)
            .cloned()
            .unwrap_or_else(|| panic!("{v}"))
    };
    let (_, list) = get_json(&app, &token, "/api/v1/referrals?which=incoming").await;
    let row = incoming(&list);
    no_ids(&row, "incoming list");
    assert_eq!(row["initials"], json!(initials), "the initials are shared");
    let (_, one) = get_json(&app, &token, &format!("/api/v1/referrals/{rid}")).await;
    assert_eq!(one["side"], "receiver");
    no_ids(&one, "the referral");
    let (_, t) = get_json(&app, &token, "/api/v1/tasks").await;
    let task = &t["referrals"][0];
    assert_eq!(
        (&task["kind"], &task["id"]),
        (&json!("referral_in"), &json!(rid))
    );
    no_ids(task, "referral task");

    // Accepted: the service is Kupang's task, still without the case.
    let kupang = app.actor("data-officer.kupang").await;
    app.store
        .act_on_referral(&kupang, rid, "accept", "", today())
        .await
        .unwrap();
    let (_, t) = get_json(&app, &token, "/api/v1/tasks").await;
    let task = &t["services"][0];
    assert_eq!(task["link"], format!("/referrals/{rid}"));
    no_ids(task, "service task");
    for v in [&t, &list, &one] {
        assert!(!v.to_string().contains(&code), "{v}");
    }
    let b = app.login("data-officer.kupang").await;
    for page in ["/tasks", "/referrals", &format!("/referrals/{rid}")] {
        let r = b.get(page).await;
        assert_eq!(r.status, 200, "{page}");
        assert!(!r.body.contains(&code), "{page}: the case code");
    }
    // The sender's lists keep the case.
    let token = app.token("data-officer.palangkaraya").await;
    let (_, out) = get_json(&app, &token, "/api/v1/referrals?which=outgoing").await;
    assert_eq!(out[0]["case_code"], json!(code));
}

#[tokio::test]
async fn the_services_of_a_closed_takeover_leave_the_receiving_units_tasks() {
    let app = TestApp::spawn().await;
    let (rid, _, _) = referral_to_kupang(&app, "Agnes Uji Pengalihan", "takeover").await;
    let token = app.token("data-officer.kupang").await;
    let post = async |path: String, body: Value| {
        common::api(&app.base, &token, "POST", &path, Some(&body.to_string())).await
    };
    let act = async |op: &str| {
        let r = post(
            format!("/api/v1/referrals/{rid}/actions"),
            json!({ "op": op }),
        )
        .await;
        assert_eq!(r.status, 200, "{op}: {}", r.body);
    };
    act("accept").await;
    let r = post(
        format!("/api/v1/referrals/{rid}/services"),
        json!({"service_code": "reintegration", "unit_id": app.units["kupang"].0}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let b = app.login("data-officer.kupang").await;
    let (_, t) = get_json(&app, &token, "/api/v1/tasks").await;
    assert_eq!(t["services_total"], 1, "{t}");
    assert!(b.get("/tasks").await.body.contains("Reintegrasi sosial"));

    // The follow-up is done and the take-over closed: Kupang can no longer open the service,
    // so it is off Kupang's tasks, page and API.
    act("deliver").await;
    act("close").await;
    let (_, t) = get_json(&app, &token, "/api/v1/tasks").await;
    assert_eq!(
        (&t["services_total"], &t["services_overdue"], &t["services"]),
        (&json!(0), &json!(0), &json!([])),
        "{t}"
    );
    let page = b.get("/tasks").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("Reintegrasi sosial"), "{}", page.body);
    assert_eq!(b.get(&format!("/referrals/{rid}")).await.status, 404);

    // Nothing is orphaned: the service the receiver left open is back on the sending unit's
    // tasks, and the sending unit leads the plan again.
    let sender = app.token("data-officer.palangkaraya").await;
    let (_, t) = get_json(&app, &sender, "/api/v1/tasks").await;
    assert_eq!(t["services_total"], 1, "{t}");
    let page = app
        .login("data-officer.palangkaraya")
        .await
        .get("/tasks")
        .await;
    assert!(page.body.contains("Reintegrasi sosial"), "{}", page.body);
}

#[tokio::test]
async fn withdrawing_an_accepted_takeover_gives_the_plan_back_to_the_sender() {
    let app = TestApp::spawn().await;
    let (rid, _, _) = referral_to_kupang(&app, "Agnes Uji Tarik", "takeover").await;
    let act = async |who: &str, body: Value| {
        let token = app.token(who).await;
        let path = format!("/api/v1/referrals/{rid}/actions");
        let r = common::api(&app.base, &token, "POST", &path, Some(&body.to_string())).await;
        assert_eq!(r.status, 200, "{body}: {}", r.body);
    };
    act("data-officer.kupang", json!({"op": "accept"})).await;
    let sender = app.token("data-officer.palangkaraya").await;
    let (_, r) = get_json(&app, &sender, &format!("/api/v1/referrals/{rid}")).await;
    let victim = r["victim_id"].as_i64().unwrap();
    let plan = format!("/api/v1/victims/{victim}/plan");
    let (_, p) = get_json(&app, &sender, &plan).await;
    assert_eq!(p["lead_unit_id"], json!(app.units["kupang"].0), "{p}");

    act(
        "data-officer.palangkaraya",
        json!({"op": "withdraw", "reason": "Korban pindah ke kota lain"}),
    )
    .await;
    let (_, p) = get_json(&app, &sender, &plan).await;
    assert_eq!(p["lead_unit_id"], json!(app.units["palangkaraya"].0), "{p}");
}
