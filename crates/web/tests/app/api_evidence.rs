//! The recovery API, continued: evidence files, the ledger's overpayment warning, and the
//! OpenAPI document of the recovery endpoints.

#[allow(unused_imports)]
use crate::api_recovery::*;
use crate::common::{TestApp, today};
use serde_json::json;

#[tokio::test]
async fn evidence_files_are_checked_stored_and_read_back() {
    let app = TestApp::spawn().await;
    let officer = app.token("data-officer.palangkaraya").await;
    let viewer = app.token("viewer.palangkaraya").await;
    let outsider = app.token("data-officer.kupang").await;
    let unit = app.units["palangkaraya"].0;
    let (_, victim) = new_case(&app, &officer, "Maria Ulfa").await;
    let r = post(
        &app,
        &officer,
        &format!("/api/v1/victims/{victim}/services"),
        json!({"service_code": "health_rehab", "unit_id": unit}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let service = r.json()["id"].as_i64().unwrap();
    let up = format!("/api/v1/services/{service}/evidence?filename=surat.pdf");
    let evidence_count = async || {
        get(&app, &officer, &format!("/api/v1/victims/{victim}/plan"))
            .await
            .json()["services"][0]["evidence"]
            .as_array()
            .unwrap()
            .len()
    };

    // A text file, whatever it claims to be.
    let r = upload(&app, &officer, &up, "text/plain", b"bukan bukti".to_vec())
        .await
        .unwrap();
    assert_eq!(fields(&r), [pair("file", "file_type")]);
    let r = upload(
        &app,
        &officer,
        &up,
        "application/pdf",
        b"bukan bukti".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(fields(&r), [pair("file", "file_type")]);
    let r = upload(&app, &officer, &up, "application/pdf", Vec::new())
        .await
        .unwrap();
    assert_eq!(fields(&r), [pair("file", "file_empty")]);
    // One byte over the file limit: the store refuses it, naming the field.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(store::EVIDENCE_MAX + 1, b'x');
    let r = upload(&app, &officer, &up, "application/pdf", big.clone())
        .await
        .unwrap();
    assert_eq!(fields(&r), [pair("file", "file_too_large")]);
    // Far over it: the request limit cuts it off (413, or the connection is closed while
    // the body is still being sent).
    big.resize(store::EVIDENCE_MAX + 256 * 1024, b'x');
    if let Some(r) = upload(&app, &officer, &up, "application/pdf", big).await {
        assert_eq!(r.status, 413, "{}", r.body);
    }
    assert_eq!(evidence_count().await, 0);
    // Outsiders and viewers may not add evidence.
    let pdf: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        .iter()
        .copied()
        .chain(0..=255u8)
        .chain(b"\n%%EOF\n".iter().copied())
        .collect();
    let r = upload(&app, &outsider, &up, "application/pdf", pdf.clone())
        .await
        .unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    let r = upload(&app, &viewer, &up, "application/pdf", pdf.clone())
        .await
        .unwrap();
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(evidence_count().await, 0);

    let name = "surat \"tugas\" ñ.pdf";
    // The name in the X-File-Name header (percent-encoded), out of URLs and proxy logs.
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/services/{service}/evidence", app.base))
        .header("authorization", format!("Bearer {officer}"))
        .header("content-type", "application/pdf")
        .header("x-file-name", "surat%20%22tugas%22%20%C3%B1.pdf")
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..],
        b"rest",
    ]
    .concat();
    let r = upload(&app, &officer, &up, "image/png", png).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    // Larger than the application's default body limit (1 MiB), within the file limit.
    let mut scan = pdf.clone();
    scan.resize(3 * 1024 * 1024, b'x');
    let r = upload(&app, &officer, &up, "application/octet-stream", scan)
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);

    // Read back byte for byte, as a download.
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{}/api/v1/evidence/{id}", app.base))
        .header("authorization", format!("Bearer {officer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(
        cd,
        "attachment; filename=\"surat _tugas_ _.pdf\"; filename*=UTF-8''surat%20%22tugas%22%20%C3%B1.pdf"
    );
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);

    let p = get(&app, &officer, &format!("/api/v1/victims/{victim}/plan"))
        .await
        .json();
    let ev = p["services"][0]["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 3);
    assert_eq!(
        (
            ev[0]["filename"].as_str(),
            ev[0]["content_type"].as_str(),
            ev[0]["size"].as_u64()
        ),
        (Some(name), Some("application/pdf"), Some(pdf.len() as u64))
    );
    assert_eq!(ev[1]["content_type"], "image/png");
    // Only those who may work on the service read the file.
    assert_eq!(
        get(&app, &outsider, &format!("/api/v1/evidence/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, &viewer, &format!("/api/v1/evidence/{id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, &officer, "/api/v1/evidence/999999").await.status,
        404
    );
    // A malformed id names no record: 404, as on the pages (it was 400 in the API).
    assert_eq!(get(&app, &officer, "/api/v1/evidence/x").await.status, 404);
}

#[tokio::test]
async fn the_ledger_warns_before_an_overpayment() {
    the_ledger_warns_before_an_overpayment_on(TestApp::spawn().await).await;
}

/// The journey on an app whose clock the caller set.
pub(crate) async fn the_ledger_warns_before_an_overpayment_on(app: TestApp) {
    let officer = app.token("data-officer.palangkaraya").await;
    let national = app.token("data-officer.nasional").await;
    let (case, victim) = new_case(&app, &officer, "Maria Ulfa").await;
    let ledger = format!("/api/v1/victims/{victim}/ledger");
    let line = |kind: &str, amount: i64| json!({"track": "restitution", "kind": kind, "amount": amount, "on_day": date(today() - 5)});

    let r = post(
        &app,
        &officer,
        &ledger,
        json!({"track": "restitution", "kind": "award", "amount": -5, "on_day": "5/3/2026"}),
    )
    .await;
    assert_eq!(fields(&r), [pair("on_day", "date")]);
    let r = post(
        &app,
        &officer,
        &ledger,
        json!({"track": "restitusi", "kind": "award", "amount": -5}),
    )
    .await;
    assert_eq!(
        fields(&r),
        [
            pair("track", "choice"),
            pair("amount", "amount"),
            pair("on_day", "date")
        ]
    );
    let r = post(
        &app,
        &officer,
        &ledger,
        json!({"kind": "award", "amount": "banyak"}),
    )
    .await;
    assert_eq!(fields(&r), [pair("amount", "type")]);

    assert_eq!(
        post(&app, &officer, &ledger, line("award", 10_000_000))
            .await
            .status,
        201
    );
    assert_eq!(
        post(&app, &officer, &ledger, line("payment", 4_000_000))
            .await
            .status,
        201
    );
    // More than the 6 000 000 outstanding: a warning first.
    let r = post(&app, &officer, &ledger, line("payment", 7_000_000)).await;
    assert_eq!(fields(&r), [pair("confirm", "warn.overpayment")]);
    let mut confirmed = line("payment", 7_000_000);
    confirmed["confirm"] = json!(true);
    let r = post(&app, &officer, &ledger, confirmed).await;
    assert_eq!(r.status, 201, "{}", r.body);

    let p = get(&app, &officer, &format!("/api/v1/victims/{victim}/plan"))
        .await
        .json();
    let l = &p["ledger"];
    assert_eq!(
        (
            l["restitution"]["awarded"].as_i64(),
            l["restitution"]["paid"].as_i64()
        ),
        (Some(10_000_000), Some(11_000_000))
    );
    let lines = l["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["confirmed"], true);
    assert_eq!(lines[0]["on_day"], date(today() - 5));
    assert_eq!(l["clock"]["state"], "not_started");

    let sums = get(&app, &officer, &format!("/api/v1/cases/{case}/recovery"))
        .await
        .json();
    assert_eq!(
        (
            sums["summaries"][0]["awarded"].as_i64(),
            sums["summaries"][0]["paid"].as_i64()
        ),
        (Some(10_000_000), Some(11_000_000))
    );
    let totals = get(&app, &officer, "/api/v1/restitution").await.json();
    let row = totals
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == "62.71")
        .unwrap();
    assert_eq!(
        (
            row["victims"].as_i64(),
            row["restitution"]["awarded"].as_i64()
        ),
        (Some(1), Some(10_000_000))
    );
    // National users see it per province.
    let totals = get(&app, &national, "/api/v1/restitution").await.json();
    let row = totals
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["region_code"] == "62")
        .unwrap();
    assert_eq!(row["restitution"]["paid"], 11_000_000);
    // Only those who manage services write the ledger.
    let viewer = app.token("viewer.palangkaraya").await;
    assert_eq!(
        post(&app, &viewer, &ledger, line("payment", 1))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn the_openapi_document_lists_the_recovery_api() {
    let app = TestApp::spawn().await;
    let r = app.browser().get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/service-types", "get"),
        ("/api/v1/victims/{id}/plan", "get"),
        ("/api/v1/victims/{id}/needs", "post"),
        ("/api/v1/victims/{id}/needs/{need}/explanation", "post"),
        ("/api/v1/victims/{id}/services", "post"),
        ("/api/v1/services/{id}", "post"),
        ("/api/v1/services/{id}/evidence", "post"),
        ("/api/v1/evidence/{id}", "get"),
        ("/api/v1/victims/{id}/plan/close", "post"),
        ("/api/v1/victims/{id}/plan/reopen", "post"),
        ("/api/v1/victims/{id}/ledger", "post"),
        ("/api/v1/cases/{id}/recovery", "get"),
        ("/api/v1/restitution", "get"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/victims/{id}/referrals", "post"),
        ("/api/v1/referrals", "get"),
        ("/api/v1/referrals/{id}", "get"),
        ("/api/v1/referrals/{id}/actions", "post"),
        ("/api/v1/referrals/{id}/messages", "post"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/read", "post"),
    ] {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} missing"))[method];
        assert_eq!(op["tags"], json!(["recovery"]), "{method} {path}");
    }
    let ledger = &paths["/api/v1/victims/{id}/ledger"]["post"];
    assert!(
        ledger["responses"]["422"]["description"]
            .as_str()
            .unwrap()
            .contains("warn.overpayment")
    );
    let upload = &paths["/api/v1/services/{id}/evidence"]["post"]["requestBody"]["content"];
    assert!(
        upload.get("application/pdf").is_some() && upload.get("image/jpeg").is_some(),
        "{upload}"
    );
    assert!(doc["components"]["schemas"].get("ReferralIn").is_some());
    assert!(
        doc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "recovery")
    );
}

#[tokio::test]
async fn money_has_one_cap_and_totals_cannot_overflow() {
    let app = TestApp::spawn().await;
    let officer = app.token("data-officer.palangkaraya").await;
    let (case, victim) = new_case(&app, &officer, "Maria Ulfa").await;
    let ledger = format!("/api/v1/victims/{victim}/ledger");
    let line = |kind: &str, amount: i64| {
        json!({"track": "restitution", "kind": kind, "amount": amount,
               "on_day": date(today() - 1), "confirm": true})
    };
    const MAX: i64 = 1_000_000_000_000_000;

    // The court order is money like any other: the largest 64-bit integer is refused.
    let legal = |ordered: &str| {
        json!({"police_report_no": "", "police_unit": "", "articles": "",
               "sentence_months": "", "restitution_ordered": ordered})
    };
    let legal_path = format!("/api/v1/cases/{case}/legal");
    let (base, tok) = (app.base.clone(), officer.clone());
    let put_legal = move |body: serde_json::Value| {
        let (base, tok, path) = (base.clone(), tok.clone(), legal_path.clone());
        async move { crate::common::api(&base, &tok, "PUT", &path, Some(&body.to_string())).await }
    };
    let r = put_legal(legal("9223372036854775807")).await;
    assert_eq!(fields(&r), [pair("restitution_ordered", "rupiah_max")]);
    assert_eq!(put_legal(legal("1.000.000.000.000.000")).await.status, 200);

    // Ledger lines share the cap; a line that would take a track's total above it is
    // refused, so no sum can wrap into a negative figure.
    let r = post(&app, &officer, &ledger, line("payment", MAX + 1)).await;
    assert_eq!(fields(&r), [pair("amount", "rupiah_max")]);
    for _ in 0..2 {
        let r = post(&app, &officer, &ledger, line("payment", MAX / 2)).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = post(&app, &officer, &ledger, line("payment", 1)).await;
    assert_eq!(fields(&r), [pair("amount", "rupiah_total_max")]);
    let r = post(&app, &officer, &ledger, line("deposit", MAX)).await;
    assert_eq!(
        r.status, 201,
        "the deposit track has its own total: {}",
        r.body
    );

    let p = get(&app, &officer, &format!("/api/v1/victims/{victim}/plan"))
        .await
        .json();
    assert_eq!(p["ledger"]["restitution"]["paid"].as_i64(), Some(MAX));
    let totals = get(&app, &officer, "/api/v1/restitution").await;
    assert_eq!(totals.status, 200, "{}", totals.body);
    fn no_negative(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Number(n) => n.as_i64().is_none_or(|i| i >= 0),
            serde_json::Value::Array(a) => a.iter().all(no_negative),
            serde_json::Value::Object(o) => o.values().all(no_negative),
            _ => true,
        }
    }
    assert!(no_negative(&totals.json()), "{}", totals.body);
    assert!(totals.body.contains(&MAX.to_string()), "{}", totals.body);
}
