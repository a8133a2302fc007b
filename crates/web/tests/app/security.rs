//! Issue 11's findings that are closed so far, each reproduced as the review found it:
//! wrong second-factor codes lock the account even after a correct password, `next` never
//! leaves the site, and a cookie request cannot skip CSRF with an `Authorization` header.

use crate::common::{PASSWORD, TestApp};

/// Enrols TOTP for `username` through the account page; returns a code generator.
async fn enrol_totp(app: &TestApp, username: &str) -> impl Fn(i64) -> String {
    let b = app.login(username).await;
    let page = b.get("/account/totp").await;
    let marker = "id=\"totp-secret\">";
    let secret_b32 = page.body[page.body.find(marker).unwrap() + marker.len()..]
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = domain::totp::base32_decode(&secret_b32).unwrap();
    let code = move |ms: i64| {
        format!(
            "{:06}",
            domain::totp::code_at_step(&secret, (ms / 1000) as u64 / 30)
        )
    };
    let r = b
        .post_form("/account/totp", &[("code", &code(app.store.now_ms()))])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    code
}

/// A wrong code that is surely not the current one (nor a neighbour the server accepts).
fn wrong(code: &str) -> String {
    format!(
        "{:06}",
        (code.parse::<u32>().unwrap() + 500_000) % 1_000_000
    )
}

#[tokio::test]
async fn wrong_second_factor_codes_lock_the_account_even_after_a_correct_password() {
    let app = TestApp::spawn().await;
    let user = "data-officer.kupang";
    let code = enrol_totp(&app, user).await;
    // Three rounds of (correct password, four wrong codes) used to give twelve guesses.
    let mut guesses = 0;
    let mut locked = false;
    'rounds: for _ in 0..3 {
        let c = app.browser();
        c.get("/login").await;
        let r = c
            .post_form(
                "/login",
                &[("username", user), ("password", PASSWORD), ("next", "/")],
            )
            .await;
        if r.status == 429 {
            locked = true;
            break;
        }
        assert_eq!(r.location(), "/login/totp?next=/", "{}", r.body);
        c.get("/login/totp").await;
        for _ in 0..4 {
            let bad = wrong(&code(app.store.now_ms()));
            let r = c
                .post_form("/login/totp", &[("code", &bad), ("next", "/")])
                .await;
            guesses += 1;
            if r.status == 429 {
                locked = true;
                break 'rounds;
            }
            assert_eq!(r.status, 401, "{}", r.body);
        }
    }
    assert!(locked, "no lockout after {guesses} wrong codes");
    assert!(guesses <= 5, "{guesses} wrong codes before the lockout");
    // While locked, even the right password and the right code get nowhere.
    let c = app.browser();
    c.get("/login").await;
    let r = c
        .post_form(
            "/login",
            &[("username", user), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(c.get("/login/totp").await.location(), "/login");
    // A right code after a correct password, before the limit, forgives the failures.
    let other = "data-officer.palangkaraya";
    let code2 = enrol_totp(&app, other).await;
    let c = app.browser();
    c.get("/login").await;
    c.post_form(
        "/login",
        &[("username", other), ("password", PASSWORD), ("next", "/")],
    )
    .await;
    c.get("/login/totp").await;
    for _ in 0..3 {
        let bad = wrong(&code2(app.store.now_ms()));
        assert_eq!(
            c.post_form("/login/totp", &[("code", &bad), ("next", "/")])
                .await
                .status,
            401
        );
    }
    let r = c
        .post_form(
            "/login/totp",
            &[("code", &code2(app.store.now_ms() + 30_000)), ("next", "/")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    let b = app.browser();
    for bad in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "//evil.example",
        "/%5Cevil.example",
        "/%5C%5Cevil.example",
        "%2F%2Fevil.example",
        "/%252F%252Fevil.example",
        "https://evil.example",
        "/%00",
    ] {
        let r = b.get(&format!("/lang/en?next={bad}")).await;
        assert_eq!(
            (r.status, r.location()),
            (303, "/".to_owned()),
            "lang next={bad}"
        );
        let r = b.get(&format!("/login?next={bad}")).await;
        assert_eq!(r.status, 200, "login next={bad}");
        assert!(
            !r.body.contains("evil.example"),
            "login page keeps next={bad}"
        );
    }
    let r = b.get("/lang/en?next=/cases%3Fq%3Da").await;
    assert_eq!(r.location(), "/cases?q=a");
}

#[tokio::test]
async fn a_cookie_request_cannot_skip_csrf_with_an_authorization_header() {
    let app = TestApp::spawn().await;
    let b = app.login("admin.kalteng").await;
    b.get("/units/new").await;
    let fields = [
        ("name", "UPTD PPA Tanpa Token"),
        ("kind", "service_unit"),
        ("region_code", "62"),
    ];
    let r = b
        .post_raw_form_with("/units", &fields, &[("authorization", "Bearer x")])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let token = app.token("admin.kalteng").await;
    let r = b
        .post_raw_form_with(
            "/units",
            &fields,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(
        r.status, 403,
        "a real token beside the cookie still needs the form token"
    );
    assert!(
        !app.store
            .list_units(&app.actor("admin.kalteng").await, None, "")
            .await
            .map(|u| u.iter().any(|u| u.name == "UPTD PPA Tanpa Token"))
            .unwrap_or(false)
    );
    // A bearer-token call without cookies is still an API call (no CSRF token).
    let api = crate::common::api(&app.base, &token, "GET", "/api/v1/me", None).await;
    assert_eq!(api.status, 200);
}

#[tokio::test]
async fn search_does_not_confirm_an_identity_the_case_page_hides() {
    let app = TestApp::spawn().await;
    let owner = app.login("data-officer.kupang").await;
    owner.get("/cases/new").await;
    let r = owner
        .post_form(
            "/cases",
            &crate::cases::case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let path = r.location().split('?').next().unwrap().to_owned();
    let code_of = |body: &str| body.contains("Y. B.");
    // The owning unit finds its case by NIK and by name.
    assert!(code_of(&owner.get("/cases?q=5301055708990001").await.body));
    assert!(code_of(&owner.get("/cases?q=yohana+benu").await.body));
    // The province sees the case (masked) but neither search confirms who the victim is.
    let province = app.login("data-officer.ntt").await;
    assert!(!province.get(&path).await.body.contains("Yohana"));
    assert!(
        code_of(&province.get("/cases").await.body),
        "the case is in its list"
    );
    for q in ["5301055708990001", "yohana+benu", "benu"] {
        let body = province.get(&format!("/cases?q={q}")).await.body;
        assert!(!code_of(&body), "search {q} confirms a hidden identity");
    }
    let token = app.token("data-officer.ntt").await;
    let r = crate::common::api(
        &app.base,
        &token,
        "GET",
        "/api/v1/cases?q=5301055708990001",
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["rows"].as_array().map(Vec::len),
        Some(0),
        "{}",
        r.body
    );
    // After breaking the glass (written reason, audited), the search finds it.
    province.get(&path).await;
    let r = province
        .post_form(
            &format!("{path}/break-glass"),
            &[("reason", "Verifikasi data ganda dengan laporan Polda NTT")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(code_of(
        &province.get("/cases?q=5301055708990001").await.body
    ));
}

#[tokio::test]
async fn json_bodies_are_read_strictly() {
    let app = TestApp::spawn().await;
    let token = app.token("data-officer.kupang").await;
    let mut input = serde_json::to_value(crate::common::sample_input("Yohana Benu")).unwrap();
    // A typo used to return 201 and lose the date.
    input["victims"][0]["birthdate"] = serde_json::json!("1999-08-17");
    let body = input.to_string();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("birthdate"), "{}", r.body);
    // Text after the document used to be ignored and the case saved.
    let ok = serde_json::to_string(&crate::common::sample_input("Yohana Benu")).unwrap();
    let r = crate::common::api(
        &app.base,
        &token,
        "POST",
        "/api/v1/cases",
        Some(&format!("{ok} {{\"x\": 1}}")),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // A repeated key names the field, not the whole body.
    let dup = ok.replacen("{", "{\"channel\": \"police\", ", 1);
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&dup)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("channel"), "{}", r.body);
    let n: i64 = app.store.count_cases().await.unwrap();
    assert_eq!(n, 0, "nothing was saved");
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&ok)).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn lists_are_bounded_with_the_same_limit_on_form_and_api() {
    let app = TestApp::spawn().await;
    let token = app.token("data-officer.kupang").await;
    let mut input = crate::common::sample_input("Yohana Benu");
    let one = input.victims[0].clone();
    input.victims = vec![one; 51];
    let body = serde_json::to_string(&input).unwrap();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("err.too_many_victims") || r.body.contains("50"),
        "{}",
        r.body
    );
    let mut input = crate::common::sample_input("Yohana Benu");
    input.exploitation = vec!["forced_labour".into(); 30_000];
    let body = serde_json::to_string(&input).unwrap();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("exploitation"), "{}", r.body);
    // The form: 51 victim blocks are refused with the limit said, not saved as 50.
    let b = app.login("data-officer.kupang").await;
    b.get("/cases/new").await;
    let mut fields: Vec<(String, String)> =
        crate::cases::case_form("Yohana Benu", "5301055708990001", "2026-02-20")
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    for i in 1..=50 {
        fields.push((format!("victims[{i}].name"), format!("Korban Nomor {i}")));
        fields.push((format!("victims[{i}].sex"), "female".into()));
        fields.push((format!("victims[{i}].age_estimate"), "20".into()));
    }
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = b.post_form("/cases", &refs).await;
    assert_eq!(r.status, 422, "{}", r.status);
    assert!(
        r.body.contains("Paling banyak 50 korban"),
        "the limit is said"
    );
    assert_eq!(app.store.count_cases().await.unwrap(), 0, "nothing saved");
}

#[tokio::test]
async fn a_list_filter_that_cannot_be_read_is_named_not_ignored() {
    let app = TestApp::spawn().await;
    let token = app.token("data-officer.kupang").await;
    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("to=2026-1-5", "to"),
        ("region=zz", "region"),
        ("child=maybe", "child"),
        ("sort=sideways", "sort"),
        ("status=bogus", "status"),
        ("trafficking_status=maybe", "trafficking_status"),
        ("channel=pigeon", "channel"),
        ("exploitation=nothing", "exploitation"),
        ("sex=x", "sex"),
    ] {
        let r = crate::common::api(
            &app.base,
            &token,
            "GET",
            &format!("/api/v1/cases?{query}"),
            None,
        )
        .await;
        assert_eq!(r.status, 422, "{query}: {}", r.body);
        assert!(r.body.contains(field), "{query}: {}", r.body);
    }
    let b = app.login("data-officer.kupang").await;
    let r = b.get("/cases?from=2026-02-30").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Tanggal tidak valid"), "{}", r.body);
    assert_eq!(
        b.get("/cases?from=2026-02-28&sort=oldest").await.status,
        200
    );
    let r = b.get("/cases?status=bogus").await;
    assert_eq!(
        r.status, 422,
        "an unknown status is named, not an empty list"
    );
    assert_eq!(b.get("/cases?status=open&sex=female").await.status, 200);
}

#[tokio::test]
async fn a_nul_byte_is_a_field_error_never_a_500_or_stored() {
    let app = TestApp::spawn().await;
    let token = app.token("data-officer.kupang").await;
    let r = crate::common::api(&app.base, &token, "GET", "/api/v1/regions?q=ab%00c", None).await;
    assert!(r.status < 500, "region search: {} {}", r.status, r.body);
    let b = app.login("data-officer.kupang").await;
    assert!(b.get("/regions?q=ab%00c").await.status < 500);
    let mut input = crate::common::sample_input("Yohana Benu");
    input.victims[0].occupation = "petani\u{0}".into();
    let body = serde_json::to_string(&input).unwrap();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("victims[0].occupation"), "{}", r.body);
    // A right-to-left override in a name is refused too.
    let mut input = crate::common::sample_input("Yohana\u{202e}Benu");
    input.victims[0].occupation = "petani".into();
    let body = serde_json::to_string(&input).unwrap();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(app.store.count_cases().await.unwrap(), 0);
}

#[tokio::test]
async fn breaking_the_glass_notifies_the_owning_unit_without_the_reason() {
    let app = TestApp::spawn().await;
    let owner = app.login("data-officer.kupang").await;
    owner.get("/cases/new").await;
    let r = owner
        .post_form(
            "/cases",
            &crate::cases::case_form("Yohana Benu", "5301055708990001", "2026-02-20"),
        )
        .await;
    let path = r.location().split('?').next().unwrap().to_owned();
    let token = app.token("data-officer.kupang").await;
    let before = crate::common::api(&app.base, &token, "GET", "/api/v1/notifications", None).await;
    assert_eq!(before.status, 200, "{}", before.body);
    assert!(!before.body.contains("identity_opened"));
    let province = app.login("data-officer.ntt").await;
    province.get(&path).await;
    let reason = "Verifikasi data ganda dengan laporan Polda NTT";
    let r = province
        .post_form(&format!("{path}/break-glass"), &[("reason", reason)])
        .await;
    assert_eq!(r.status, 303);
    let after = crate::common::api(&app.base, &token, "GET", "/api/v1/notifications", None).await;
    assert!(after.body.contains("identity_opened"), "{}", after.body);
    assert!(after.body.contains(&path), "{}", after.body);
    assert!(!after.body.contains(reason) && !after.body.contains("Yohana"));
    // The page's list says it in the user's language.
    assert!(
        owner
            .get("/notifications")
            .await
            .body
            .contains("Identitas korban kasus Anda dibuka oleh unit lain")
    );
}

/// One parser per kind of value, on the form and in the API: over-long text, dates that are
/// not `YYYY-MM-DD`, an amount that is not one and bytes that are not UTF-8 are each a field
/// error naming the field, and nothing is saved.
#[tokio::test]
async fn a_value_is_read_one_way_on_form_and_api() {
    let app = TestApp::spawn().await;
    let token = app.token("data-officer.kupang").await;
    let mut input = crate::common::sample_input("Yohana Benu");
    input.victims[0].alias = "a".repeat(200_000);
    input.victims[0].occupation = "b".repeat(10_000);
    input.reported_on = "2026-1-5".into();
    input.rescued_on = "+2026-01-05".into();
    let body = serde_json::to_string(&input).unwrap();
    let r = crate::common::api(&app.base, &token, "POST", "/api/v1/cases", Some(&body)).await;
    let mut named: Vec<String> = crate::api_recovery::fields(&r)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            "reported_on",
            "rescued_on",
            "victims[0].alias",
            "victims[0].occupation"
        ],
        "{}",
        r.body
    );
    assert_eq!(app.store.count_cases().await.unwrap(), 0, "nothing saved");

    // The same on the form, which keeps what was typed.
    let b = app.login("data-officer.kupang").await;
    b.get("/cases/new").await;
    let long_alias = "a".repeat(1_000);
    let mut fields = crate::cases::case_form("Yohana Benu", "5301055708990001", "2026-02-20");
    fields.retain(|(k, _)| *k != "reported_on");
    fields.push(("reported_on", "2026-1-5"));
    fields.push(("victims[0].alias", long_alias.as_str()));
    let r = b.post_form("/cases", &fields).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("value=\"2026-1-5\""),
        "the typed date is kept"
    );
    assert_eq!(app.store.count_cases().await.unwrap(), 0, "nothing saved");

    // Bytes that are not UTF-8 are refused by name, never stored as U+FFFD.
    let csrf = b.csrf.lock().unwrap().clone();
    let mut raw = format!("csrf={csrf}");
    for (k, v) in crate::cases::case_form("Yohana Benu", "5301055708990001", "2026-02-20") {
        if k != "victims[0].name" {
            raw.push_str(&format!(
                "&{}={}",
                crate::common::enc(k),
                crate::common::enc(v)
            ));
        }
    }
    raw.push_str("&victims%5B0%5D.name=Yohana%FF%FEBenu");
    let r = b
        .client
        .post(format!("{}/cases", b.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert!(matches!(status, 400 | 422), "{status}");
    assert!(
        text.contains("tidak terbaca"),
        "the field is named in words"
    );
    assert_eq!(app.store.count_cases().await.unwrap(), 0, "nothing saved");

    // An amount is written one way: "1.2.3" is not 123.
    let (case, _) = crate::api_recovery::new_case(&app, &token, "Maria Benu").await;
    let legal = serde_json::json!({"police_report_no": "", "police_unit": "", "articles": "",
        "sentence_months": "", "restitution_ordered": "1.2.3"});
    let r = crate::common::api(
        &app.base,
        &token,
        "PUT",
        &format!("/api/v1/cases/{case}/legal"),
        Some(&legal.to_string()),
    )
    .await;
    assert_eq!(
        crate::api_recovery::fields(&r),
        [crate::api_recovery::pair("restitution_ordered", "rupiah")]
    );
}

#[tokio::test]
async fn a_pair_list_filter_that_names_no_decision_is_named() {
    let app = TestApp::spawn().await;
    let token = app.token("verifier.nasional").await;
    for path in ["/api/v1/linkage/pairs", "/api/v1/perpetrators/pairs"] {
        let r = crate::common::api(
            &app.base,
            &token,
            "GET",
            &format!("{path}?status=bogus"),
            None,
        )
        .await;
        assert_eq!(
            crate::api_recovery::fields(&r),
            [crate::api_recovery::pair("status", "choice")],
            "{path}"
        );
        let ok = crate::common::api(
            &app.base,
            &token,
            "GET",
            &format!("{path}?status=same"),
            None,
        )
        .await;
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
    }
    let b = app.login("verifier.nasional").await;
    for page in ["/linkage?status=bogus", "/perpetrators/pairs?status=bogus"] {
        assert_eq!(b.get(page).await.status, 422, "{page}");
    }
    assert_eq!(b.get("/perpetrators/pairs").await.status, 200);
}
