//! The recovery API with bearer tokens: a victim's service plan from assessment to closure,
//! referrals between units (consent, what the receiver sees, the end of access), evidence
//! files, the restitution ledger, tasks and notifications; on SQLite and (with
//! GUGUS_TEST_DATABASE_URL) PostgreSQL.

use crate::common::{self, Resp, TestApp, api, today};
use serde_json::{Value, json};

pub(crate) fn date(d: i64) -> String {
    domain::case::format_day(d)
}

/// POSTs a JSON value.
pub(crate) async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    api(&app.base, token, "POST", path, Some(&body.to_string())).await
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    api(&app.base, token, "GET", path, None).await
}

/// The (field, code) pairs of a 422 body.
pub(crate) fn fields(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, 422, "{}", r.body);
    r.json()["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn pair(f: &str, c: &str) -> (String, String) {
    (f.to_owned(), c.to_owned())
}

/// Registers a case with one victim through the API: (case id, victim id).
pub(crate) async fn new_case(app: &TestApp, token: &str, name: &str) -> (i64, i64) {
    let body = serde_json::to_value(common::sample_input(name)).unwrap();
    let r = post(app, token, "/api/v1/cases", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let c = r.json();
    (
        c["id"].as_i64().unwrap(),
        c["victims"][0]["id"].as_i64().unwrap(),
    )
}

/// Sends raw bytes (an upload). `None` when the server cut the connection while the body
/// was still being sent (a refusal, too).
pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Option<Resp> {
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}{path}", app.base))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Some(Resp {
        status,
        body: r.text().await.unwrap_or_default(),
        headers,
    })
}

#[tokio::test]
pub(crate) async fn a_service_plan_goes_from_needs_to_closure() {
    a_service_plan_goes_from_needs_to_closure_on(TestApp::spawn().await).await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn a_service_plan_goes_from_needs_to_closure_on(app: TestApp) {
    let officer = app.token("data-officer.palangkaraya").await;
    let viewer = app.token("viewer.palangkaraya").await;
    let outsider = app.token("data-officer.kupang").await;
    let unit = app.units["palangkaraya"].0;
    let (case, victim) = new_case(&app, &officer, "Maria Ulfa").await;
    let plan_path = format!("/api/v1/victims/{victim}/plan");

    let types = get(&app, &viewer, "/api/v1/service-types").await.json();
    let health = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "health_rehab")
        .unwrap();
    assert_eq!(health["statutory"], true);

    let p = get(&app, &officer, &plan_path).await.json();
    assert_eq!(
        (p["status"].as_str(), p["exists"].as_bool()),
        (Some("none"), Some(false))
    );

    // Needs.
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["shelter", "bogus"]}),
    )
    .await;
    assert_eq!(fields(&r), [pair("needs", "choice")]);
    let r = post(
        &app,
        &viewer,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["shelter"]}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post(
        &app,
        &outsider,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["shelter"]}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["shelter", "education"]}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);

    // A service, with a bad date first.
    let services = format!("/api/v1/victims/{victim}/services");
    let r = post(
        &app,
        &officer,
        &services,
        json!({"service_code": "shelter", "unit_id": unit, "due_on": "2026-02-30"}),
    )
    .await;
    assert_eq!(fields(&r), [pair("due_on", "date")]);
    let r = post(
        &app,
        &officer,
        &services,
        json!({"service_code": "shelter", "unit_id": 999_999}),
    )
    .await;
    assert_eq!(fields(&r), [pair("unit_id", "unit_unknown")]);
    let r = post(
        &app,
        &officer,
        &services,
        json!({"service_code": "shelter", "unit_id": unit, "requested_on": date(today() - 1)}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let service = r.json()["id"].as_i64().unwrap();

    let p = get(&app, &officer, &plan_path).await.json();
    assert_eq!(p["status"], "open");
    assert_eq!(p["services"][0]["id"], service);
    assert_eq!(p["services"][0]["requested_on"], date(today() - 1));
    // The shelter's default is one day.
    assert_eq!(p["services"][0]["due_on"], date(today()));
    assert_eq!(p["services"][0]["status"], "planned");
    let blockers = p["blockers"].as_array().unwrap();
    assert!(
        blockers.contains(&json!({"code": "plan.block_need", "service_code": "shelter"})),
        "{blockers:?}"
    );
    assert!(
        blockers.contains(&json!({"code": "plan.block_need", "service_code": "education"})),
        "{blockers:?}"
    );
    assert!(
        blockers.contains(&json!({"code": "plan.block_open_service", "service_code": "shelter"})),
        "{blockers:?}"
    );

    // The responsible unit has it on its task list.
    let t = get(&app, &officer, "/api/v1/tasks").await.json();
    let task = t["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == service)
        .unwrap();
    assert_eq!(
        (
            task["service_code"].as_str(),
            task["overdue"].as_bool(),
            task["due_on"].as_str()
        ),
        (Some("shelter"), Some(false), Some(date(today()).as_str()))
    );
    assert_eq!(t["services_total"], 1);
    assert_eq!(
        get(&app, &outsider, "/api/v1/tasks").await.json()["services_total"],
        0
    );

    // Closing is refused with every blocker named.
    let close = format!("/api/v1/victims/{victim}/plan/close");
    let r = post(&app, &officer, &close, json!({})).await;
    let f = fields(&r);
    for want in [
        pair("plan", "plan.block_need"),
        pair("plan", "plan.block_open_service"),
        pair("followup_on", "plan.block_followup"),
    ] {
        assert!(f.contains(&want), "{want:?} missing in {f:?}");
    }

    // Delivered, and the other need explained.
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/services/{service}"),
        json!({"status": "refused"}),
    )
    .await;
    assert_eq!(fields(&r), [pair("reason", "reason_required")]);
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/services/{service}"),
        json!({"status": "delivered", "outcome": "Ditampung di rumah aman.", "done_on": "kemarin"}),
    )
    .await;
    assert_eq!(fields(&r), [pair("done_on", "date")]);
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/services/{service}"),
        json!({"status": "delivered", "outcome": "Ditampung di rumah aman."}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = post(
        &app,
        &officer,
        &close,
        json!({"followup_on": date(today())}),
    )
    .await;
    assert_eq!(fields(&r), [pair("plan", "plan.block_need")]);
    let p = get(&app, &officer, &plan_path).await.json();
    assert_eq!(p["services"][0]["done_on"], date(today()));
    assert_eq!(p["services"][0]["outcome"], "Ditampung di rumah aman.");
    let need = p["needs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["service_code"] == "education")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/needs/{need}/explanation"),
        json!({"explanation": "Korban memilih bekerja dulu."}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);

    let r = post(&app, &officer, &close, json!({"followup_on": "2026-13-01"})).await;
    assert_eq!(fields(&r), [pair("followup_on", "date")]);
    let r = post(
        &app,
        &officer,
        &close,
        json!({"followup_on": date(today()), "note": "Kembali ke keluarga."}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let p = get(&app, &officer, &plan_path).await.json();
    assert_eq!(
        (
            p["status"].as_str(),
            p["followup_on"].as_str(),
            p["closed_on"].as_str()
        ),
        (
            Some("closed"),
            Some(date(today()).as_str()),
            Some(date(today()).as_str())
        )
    );
    assert_eq!(p["closure_note"], "Kembali ke keluarga.");
    assert_eq!(p["blockers"], json!([]));
    // Viewers read the plan without its notes; other regions do not find it.
    let pv = get(&app, &viewer, &plan_path).await.json();
    assert_eq!(
        (pv["status"].as_str(), pv["closure_note"].is_null()),
        (Some("closed"), true)
    );
    assert!(
        pv["needs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["explanation"].is_null())
    );
    assert_eq!(get(&app, &outsider, &plan_path).await.status, 404);

    // The case page's view.
    let recovery = format!("/api/v1/cases/{case}/recovery");
    let rec = get(&app, &officer, &recovery).await.json();
    assert_eq!(rec["summaries"][0]["victim_id"], victim);
    assert_eq!(rec["summaries"][0]["status"], "closed");
    let events = rec["events"].as_array().unwrap();
    for (kind, code, day) in [
        ("service", "shelter", today() - 1),
        ("service", "shelter", today()),
        ("plan", "closed", today()),
    ] {
        assert!(
            events
                .iter()
                .any(|e| e["kind"] == kind && e["code"] == code && e["day"] == date(day)),
            "{kind} {code} missing in {events:?}"
        );
    }
    assert_eq!(get(&app, &outsider, &recovery).await.status, 404);

    // Closed: no changes until reopened.
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["legal_aid"]}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let reopen = format!("/api/v1/victims/{victim}/plan/reopen");
    assert_eq!(
        api(&app.base, &viewer, "POST", &reopen, None).await.status,
        403
    );
    assert_eq!(
        api(&app.base, &officer, "POST", &reopen, None).await.status,
        204
    );
    assert_eq!(
        api(&app.base, &officer, "POST", &reopen, None).await.status,
        409
    );
    let rec = get(&app, &officer, &recovery).await.json();
    assert_eq!(rec["summaries"][0]["status"], "open");
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["legal_aid"]}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

#[tokio::test]
pub(crate) async fn a_referral_needs_consent_shows_only_what_is_shared_and_ends() {
    a_referral_needs_consent_shows_only_what_is_shared_and_ends_on(TestApp::spawn().await).await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn a_referral_needs_consent_shows_only_what_is_shared_and_ends_on(app: TestApp) {
    let sender = app.token("data-officer.palangkaraya").await;
    let receiver = app.token("data-officer.kupang").await;
    let receiver_viewer = app.token("viewer.kupang").await;
    let kupang = app.units["kupang"].0;
    let (case, victim) = new_case(&app, &sender, "Maria Ulfa").await;
    let r = post(
        &app,
        &sender,
        &format!("/api/v1/victims/{victim}/needs"),
        json!({"needs": ["shelter"]}),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let send = format!("/api/v1/victims/{victim}/referrals");
    let body = json!({
        "to_unit": kupang,
        "service_code": "shelter",
        "shared": ["services"],
        "basis": "consent",
        "message": "Mohon penampungan sementara di Kupang.",
        "due_on": date(today() + 3),
    });

    // No consent recorded yet.
    let r = post(&app, &sender, &send, body.clone()).await;
    assert_eq!(fields(&r), [pair("basis", "referral_consent")]);
    // A unit that does not exist.
    let mut bad = body.clone();
    bad["to_unit"] = json!(999_999);
    let r = post(&app, &sender, &send, bad).await;
    assert!(
        fields(&r).contains(&pair("to_unit", "unit_unknown")),
        "{}",
        r.body
    );
    let mut bad = body.clone();
    bad["due_on"] = json!("besok");
    assert_eq!(
        fields(&post(&app, &sender, &send, bad).await),
        [pair("due_on", "date")]
    );

    let r = post(&app, &sender, &format!("/api/v1/cases/{case}/consents"), json!({"victim_id": victim, "scope": "referral", "given_by": "victim", "given_on": date(today())})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = post(&app, &sender, &send, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let path = format!("/api/v1/referrals/{id}");
    let actions = format!("{path}/actions");

    // The receiving unit is told, and finds it among its incoming referrals.
    let n = get(&app, &receiver, "/api/v1/notifications").await.json();
    assert_eq!(n["unread"], 1);
    assert_eq!(n["notifications"][0]["kind"], "referral_received");
    assert_eq!(n["notifications"][0]["link"], format!("/referrals/{id}"));
    let incoming = get(&app, &receiver, "/api/v1/referrals?which=incoming")
        .await
        .json();
    assert_eq!(incoming[0]["id"], id);
    assert_eq!(incoming[0]["due_on"], date(today() + 3));
    let outgoing = get(&app, &sender, "/api/v1/referrals?which=outgoing")
        .await
        .json();
    assert_eq!(outgoing[0]["id"], id);
    assert_eq!(
        get(&app, &sender, "/api/v1/referrals?which=sideways")
            .await
            .status,
        422
    );

    // It sees the shared groups only: no identity was shared.
    let v = get(&app, &receiver, &path).await.json();
    assert_eq!(v["side"], "receiver");
    assert_eq!(v["shared"], json!(["services"]));
    assert_eq!(v["victim"]["initials"], "M. U.");
    assert!(
        v["victim"]["name"].is_null()
            && v["victim"]["nik"].is_null()
            && v["victim"]["phone"].is_null(),
        "{}",
        v["victim"]
    );
    assert_eq!(v["victim"]["needs"], json!(["shelter"]));
    assert_eq!(v["message"], "Mohon penampungan sementara di Kupang.");
    assert_eq!(v["ops"], json!(["accept", "decline"]));
    assert_eq!(get(&app, &receiver_viewer, &path).await.status, 404);
    assert_eq!(
        post(&app, &receiver_viewer, &actions, json!({"op": "accept"}))
            .await
            .status,
        404
    );
    // The sender cannot answer its own referral.
    assert_eq!(
        post(&app, &sender, &actions, json!({"op": "accept"}))
            .await
            .status,
        403
    );
    assert_eq!(
        fields(&post(&app, &receiver, &actions, json!({"op": "decline"})).await),
        [pair("reason", "reason_required")]
    );
    assert_eq!(
        fields(&post(&app, &receiver, &actions, json!({"op": "adopt"})).await),
        [pair("op", "choice")]
    );

    let r = post(&app, &receiver, &actions, json!({"op": "accept"})).await;
    assert_eq!(
        (r.status, r.json()["state"].as_str()),
        (200, Some("accepted")),
        "{}",
        r.body
    );
    assert_eq!(
        post(&app, &receiver, &actions, json!({"op": "accept"}))
            .await
            .status,
        409
    );
    // The service is now on Kupang's task list, not on the sender's.
    let t = get(&app, &receiver, "/api/v1/tasks").await.json();
    let task = &t["services"][0];
    assert_eq!(
        (
            task["service_code"].as_str(),
            task["status"].as_str(),
            task["link"].as_str()
        ),
        (
            Some("shelter"),
            Some("planned"),
            Some(format!("/referrals/{id}").as_str())
        )
    );
    assert_eq!(
        get(&app, &sender, "/api/v1/tasks").await.json()["services_total"],
        0
    );
    assert_eq!(get(&app, &receiver_viewer, &path).await.status, 404);

    // A conversation.
    let r = post(
        &app,
        &receiver,
        &format!("{path}/messages"),
        json!({"body": "Diterima, rumah aman siap."}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        fields(
            &post(
                &app,
                &receiver,
                &format!("{path}/messages"),
                json!({"body": "  "})
            )
            .await
        ),
        [pair("body", "required")]
    );
    let v = get(&app, &sender, &path).await.json();
    assert_eq!(v["side"], "sender");
    assert_eq!(v["messages"][0]["body"], "Diterima, rumah aman siap.");

    let r = post(&app, &receiver, &actions, json!({"op": "deliver"})).await;
    assert_eq!(
        (r.status, r.json()["state"].as_str()),
        (200, Some("delivered")),
        "{}",
        r.body
    );
    let p = get(&app, &sender, &format!("/api/v1/victims/{victim}/plan"))
        .await
        .json();
    assert_eq!(
        (
            p["services"][0]["status"].as_str(),
            p["services"][0]["unit_id"].as_i64()
        ),
        (Some("delivered"), Some(kupang))
    );
    assert_eq!(p["referrals"][0]["state"], "delivered");

    let r = post(&app, &sender, &actions, json!({"op": "close"})).await;
    assert_eq!(
        (r.status, r.json()["state"].as_str()),
        (200, Some("closed")),
        "{}",
        r.body
    );
    // Ended: the receiving unit no longer finds it.
    assert_eq!(get(&app, &receiver, &path).await.status, 404);
    assert_eq!(
        post(
            &app,
            &receiver,
            &format!("{path}/messages"),
            json!({"body": "Terima kasih"})
        )
        .await
        .status,
        404
    );
    assert_eq!(get(&app, &receiver_viewer, &path).await.status, 404);
    assert_eq!(get(&app, &sender, &path).await.json()["state"], "closed");

    // The sender was told along the way; reading clears the count.
    let n = get(&app, &sender, "/api/v1/notifications").await.json();
    let kinds: Vec<&str> = n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "referral_delivered",
            "referral_message",
            "referral_accepted"
        ]
    );
    assert_eq!(n["unread"], 3);
    let one = n["notifications"][0]["id"].as_i64().unwrap();
    assert_eq!(
        post(
            &app,
            &sender,
            "/api/v1/notifications/read",
            json!({"id": one})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        get(&app, &sender, "/api/v1/notifications").await.json()["unread"],
        2
    );
    assert_eq!(
        post(&app, &sender, "/api/v1/notifications/read", json!({}))
            .await
            .status,
        204
    );
    assert_eq!(
        get(&app, &sender, "/api/v1/notifications").await.json()["unread"],
        0
    );
}
