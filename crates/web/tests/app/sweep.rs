//! The endpoint sweep: every route the application serves is called as an anonymous
//! visitor, as a user of the wrong role and as an admin of the wrong region, and must
//! answer as its access class says. A route added to the application but not to the table
//! below fails this test, so no route ships unchecked.

use crate::common::{self, Browser, TestApp, api};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// Open to anyone (login, assets, health, the API description).
    Public,
    /// Any logged-in user.
    User,
    /// Roles with the action (admins); others get 403.
    Admin,
    /// Admins, and only for records in their subtree; others' records are 404.
    AdminScoped,
    /// National admins only (regional admins get 404).
    NationalAdmin,
    /// The user's own record (another user's is 404).
    Own,
    /// Any role with the right, only for records in the user's subtree (others' are 404).
    Scoped,
}
use Access::*;

/// (method, route, access, concrete path; `{ntt_user}` etc. are filled from fixtures)
const TABLE: &[(&str, &str, Access, &str)] = &[
    ("GET", "/static/{file}", Public, "/static/gugus.css"),
    ("GET", "/healthz", Public, "/healthz"),
    ("GET", "/login", Public, "/login"),
    ("POST", "/login", Public, "/login"),
    ("GET", "/login/totp", Public, "/login/totp"),
    ("POST", "/login/totp", Public, "/login/totp"),
    ("POST", "/logout", Public, "/logout"),
    ("GET", "/lang/{code}", Public, "/lang/en"),
    ("GET", "/", User, "/"),
    ("GET", "/regions", User, "/regions"),
    ("GET", "/regions/{code}", User, "/regions/53.04"),
    ("GET", "/units", User, "/units"),
    ("POST", "/units", Admin, "/units"),
    ("GET", "/units/new", Admin, "/units/new"),
    ("GET", "/units/{id}", User, "/units/{ntt_unit}"),
    ("POST", "/units/{id}", AdminScoped, "/units/{ntt_unit}"),
    (
        "GET",
        "/units/{id}/edit",
        AdminScoped,
        "/units/{ntt_unit}/edit",
    ),
    ("GET", "/users", Admin, "/users"),
    ("POST", "/users", Admin, "/users"),
    ("GET", "/users/new", Admin, "/users/new"),
    ("GET", "/users/{id}", AdminScoped, "/users/{ntt_user}"),
    (
        "POST",
        "/users/{id}/password",
        AdminScoped,
        "/users/{ntt_user}/password",
    ),
    (
        "POST",
        "/users/{id}/disable",
        AdminScoped,
        "/users/{ntt_user}/disable",
    ),
    (
        "POST",
        "/users/{id}/enable",
        AdminScoped,
        "/users/{ntt_user}/enable",
    ),
    ("GET", "/cases", User, "/cases"),
    ("POST", "/cases", Admin, "/cases"),
    ("GET", "/cases/new", Admin, "/cases/new"),
    ("GET", "/cases/{id}", Scoped, "/cases/{ntt_case}"),
    ("POST", "/cases/{id}", Scoped, "/cases/{ntt_case}"),
    ("GET", "/cases/{id}/edit", Scoped, "/cases/{ntt_case}/edit"),
    (
        "POST",
        "/cases/{id}/break-glass",
        Scoped,
        "/cases/{ntt_case}/break-glass",
    ),
    (
        "POST",
        "/cases/{id}/route",
        Scoped,
        "/cases/{ntt_case}/route",
    ),
    (
        "POST",
        "/cases/{id}/route/{event}/delete",
        Scoped,
        "/cases/{ntt_case}/route/1/delete",
    ),
    (
        "POST",
        "/cases/{id}/legal",
        Scoped,
        "/cases/{ntt_case}/legal",
    ),
    (
        "POST",
        "/cases/{id}/stages",
        Scoped,
        "/cases/{ntt_case}/stages",
    ),
    (
        "POST",
        "/cases/{id}/stages/{stage}/delete",
        Scoped,
        "/cases/{ntt_case}/stages/1/delete",
    ),
    (
        "POST",
        "/cases/{id}/consents",
        Scoped,
        "/cases/{ntt_case}/consents",
    ),
    (
        "POST",
        "/cases/{id}/consents/{consent}/withdraw",
        Scoped,
        "/cases/{ntt_case}/consents/1/withdraw",
    ),
    (
        "POST",
        "/cases/{id}/perpetrators",
        Scoped,
        "/cases/{ntt_case}/perpetrators",
    ),
    (
        "POST",
        "/cases/{id}/perpetrators/{perpetrator}/link",
        Scoped,
        "/cases/{ntt_case}/perpetrators/1/link",
    ),
    (
        "POST",
        "/cases/{id}/perpetrators/{perpetrator}/unlink",
        Scoped,
        "/cases/{ntt_case}/perpetrators/1/unlink",
    ),
    (
        "GET",
        "/perpetrators/{id}",
        Scoped,
        "/perpetrators/{ntt_perp}",
    ),
    // Perpetrator pairs: verifiers only (a viewer gets 403); pair 1 is out of reach.
    ("GET", "/perpetrators/pairs", Admin, "/perpetrators/pairs"),
    (
        "GET",
        "/perpetrators/pairs/{id}",
        Admin,
        "/perpetrators/pairs/1",
    ),
    (
        "POST",
        "/perpetrators/pairs/{id}/decide",
        Admin,
        "/perpetrators/pairs/1/decide",
    ),
    (
        "GET",
        "/api/v1/perpetrators/pairs",
        Admin,
        "/api/v1/perpetrators/pairs",
    ),
    (
        "GET",
        "/api/v1/perpetrators/pairs/{id}",
        Admin,
        "/api/v1/perpetrators/pairs/1",
    ),
    (
        "POST",
        "/api/v1/perpetrators/pairs/{id}/decision",
        Admin,
        "/api/v1/perpetrators/pairs/1/decision",
    ),
    (
        "POST",
        "/cases/{id}/status",
        Scoped,
        "/cases/{ntt_case}/status",
    ),
    ("GET", "/audit", Admin, "/audit"),
    (
        "GET",
        "/cases/{id}/access-log",
        Scoped,
        "/cases/{ntt_case}/access-log",
    ),
    (
        "GET",
        "/api/v1/cases/{id}/access-log",
        Scoped,
        "/api/v1/cases/{ntt_case}/access-log",
    ),
    ("GET", "/account", User, "/account"),
    ("POST", "/account/password", User, "/account/password"),
    ("GET", "/account/totp", User, "/account/totp"),
    ("POST", "/account/totp", User, "/account/totp"),
    (
        "POST",
        "/account/totp/disable",
        User,
        "/account/totp/disable",
    ),
    ("POST", "/account/tokens", User, "/account/tokens"),
    (
        "POST",
        "/account/tokens/{id}/revoke",
        Own,
        "/account/tokens/{ntt_token}/revoke",
    ),
    ("GET", "/admin/settings", NationalAdmin, "/admin/settings"),
    ("POST", "/admin/settings", NationalAdmin, "/admin/settings"),
    (
        "GET",
        "/api/v1/openapi.json",
        Public,
        "/api/v1/openapi.json",
    ),
    ("GET", "/api/v1/regions", User, "/api/v1/regions?q=belu"),
    (
        "GET",
        "/api/v1/regions/{code}",
        User,
        "/api/v1/regions/53.04",
    ),
    ("GET", "/api/v1/units", User, "/api/v1/units"),
    ("POST", "/api/v1/units", Admin, "/api/v1/units"),
    (
        "GET",
        "/api/v1/units/{id}",
        User,
        "/api/v1/units/{ntt_unit}",
    ),
    (
        "PUT",
        "/api/v1/units/{id}",
        AdminScoped,
        "/api/v1/units/{ntt_unit}",
    ),
    ("GET", "/api/v1/users", Admin, "/api/v1/users"),
    ("POST", "/api/v1/users", Admin, "/api/v1/users"),
    (
        "GET",
        "/api/v1/users/{id}",
        AdminScoped,
        "/api/v1/users/{ntt_user}",
    ),
    ("GET", "/api/v1/me", User, "/api/v1/me"),
    ("GET", "/api/v1/tokens", User, "/api/v1/tokens"),
    ("POST", "/api/v1/tokens", User, "/api/v1/tokens"),
    (
        "POST",
        "/api/v1/tokens/{id}/revoke",
        Own,
        "/api/v1/tokens/{ntt_token}/revoke",
    ),
    ("GET", "/api/v1/audit", Admin, "/api/v1/audit"),
    (
        "GET",
        "/api/v1/audit/checkpoint",
        Admin,
        "/api/v1/audit/checkpoint",
    ),
    ("GET", "/api/v1/cases", User, "/api/v1/cases"),
    ("POST", "/api/v1/cases", Admin, "/api/v1/cases"),
    (
        "GET",
        "/api/v1/cases/{id}",
        Scoped,
        "/api/v1/cases/{ntt_case}",
    ),
    (
        "PUT",
        "/api/v1/cases/{id}",
        Scoped,
        "/api/v1/cases/{ntt_case}",
    ),
    ("GET", "/api/v1/picklists", User, "/api/v1/picklists"),
    (
        "POST",
        "/api/v1/cases/{id}/route-events",
        Scoped,
        "/api/v1/cases/{ntt_case}/route-events",
    ),
    (
        "PUT",
        "/api/v1/cases/{id}/legal",
        Scoped,
        "/api/v1/cases/{ntt_case}/legal",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/legal-stages",
        Scoped,
        "/api/v1/cases/{ntt_case}/legal-stages",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/status",
        Scoped,
        "/api/v1/cases/{ntt_case}/status",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/consents",
        Scoped,
        "/api/v1/cases/{ntt_case}/consents",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/perpetrators",
        Scoped,
        "/api/v1/cases/{ntt_case}/perpetrators",
    ),
    (
        "GET",
        "/api/v1/perpetrators",
        User,
        "/api/v1/perpetrators?name=calo",
    ),
    (
        "GET",
        "/api/v1/perpetrators/{id}",
        Scoped,
        "/api/v1/perpetrators/{ntt_perp}",
    ),
    (
        "POST",
        "/cases/{id}/review",
        Scoped,
        "/cases/{ntt_case}/review",
    ),
    ("GET", "/review", User, "/review"),
    ("GET", "/periods", Admin, "/periods"),
    ("POST", "/periods", Admin, "/periods"),
    ("GET", "/rules", Admin, "/rules"),
    ("GET", "/quality", Admin, "/quality"),
    ("GET", "/linkage", Admin, "/linkage"),
    ("POST", "/linkage/run", Admin, "/linkage/run"),
    ("GET", "/linkage/{id}", Admin, "/linkage/1"),
    ("POST", "/linkage/{id}/decide", Admin, "/linkage/1/decide"),
    (
        "GET",
        "/api/v1/cases/{id}/review",
        Scoped,
        "/api/v1/cases/{ntt_case}/review",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/review",
        Scoped,
        "/api/v1/cases/{ntt_case}/review",
    ),
    ("GET", "/api/v1/review-queue", User, "/api/v1/review-queue"),
    ("GET", "/api/v1/rules", Admin, "/api/v1/rules"),
    ("GET", "/api/v1/periods", Admin, "/api/v1/periods"),
    ("POST", "/api/v1/periods", Admin, "/api/v1/periods"),
    ("GET", "/api/v1/quality", Admin, "/api/v1/quality"),
    (
        "GET",
        "/api/v1/statistics/official",
        User,
        "/api/v1/statistics/official",
    ),
    (
        "GET",
        "/api/v1/linkage/pairs",
        Admin,
        "/api/v1/linkage/pairs",
    ),
    (
        "GET",
        "/api/v1/linkage/pairs/{id}",
        Admin,
        "/api/v1/linkage/pairs/1",
    ),
    (
        "POST",
        "/api/v1/linkage/pairs/{id}/decision",
        Admin,
        "/api/v1/linkage/pairs/1/decision",
    ),
    ("GET", "/api/v1/linkage/runs", Admin, "/api/v1/linkage/runs"),
    (
        "POST",
        "/api/v1/linkage/runs",
        Admin,
        "/api/v1/linkage/runs",
    ),
    (
        "GET",
        "/victims/{id}/plan",
        Scoped,
        "/victims/{ntt_victim}/plan",
    ),
    (
        "POST",
        "/victims/{id}/needs",
        Scoped,
        "/victims/{ntt_victim}/needs",
    ),
    (
        "POST",
        "/victims/{id}/needs/{need}/explain",
        Scoped,
        "/victims/{ntt_victim}/needs/1/explain",
    ),
    (
        "POST",
        "/victims/{id}/services",
        Scoped,
        "/victims/{ntt_victim}/services",
    ),
    (
        "POST",
        "/victims/{id}/plan/close",
        Scoped,
        "/victims/{ntt_victim}/plan/close",
    ),
    (
        "POST",
        "/victims/{id}/plan/reopen",
        Scoped,
        "/victims/{ntt_victim}/plan/reopen",
    ),
    (
        "POST",
        "/victims/{id}/ledger",
        Scoped,
        "/victims/{ntt_victim}/ledger",
    ),
    (
        "POST",
        "/victims/{id}/referrals",
        Scoped,
        "/victims/{ntt_victim}/referrals",
    ),
    ("POST", "/services/{id}", Scoped, "/services/{ntt_service}"),
    (
        "POST",
        "/services/{id}/evidence",
        Scoped,
        "/services/{ntt_service}/evidence",
    ),
    ("GET", "/evidence/{id}", Scoped, "/evidence/{ntt_evidence}"),
    ("GET", "/referrals", User, "/referrals"),
    (
        "GET",
        "/referrals/{id}",
        Scoped,
        "/referrals/{ntt_referral}",
    ),
    (
        "POST",
        "/referrals/{id}/act",
        Scoped,
        "/referrals/{ntt_referral}/act",
    ),
    (
        "POST",
        "/referrals/{id}/messages",
        Scoped,
        "/referrals/{ntt_referral}/messages",
    ),
    ("GET", "/tasks", User, "/tasks"),
    ("GET", "/notifications", User, "/notifications"),
    ("POST", "/notifications/read", User, "/notifications/read"),
    ("GET", "/restitution", User, "/restitution"),
    (
        "GET",
        "/api/v1/service-types",
        User,
        "/api/v1/service-types",
    ),
    (
        "GET",
        "/api/v1/victims/{id}/plan",
        Scoped,
        "/api/v1/victims/{ntt_victim}/plan",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/needs",
        Scoped,
        "/api/v1/victims/{ntt_victim}/needs",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/needs/{need}/explanation",
        Scoped,
        "/api/v1/victims/{ntt_victim}/needs/1/explanation",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/services",
        Scoped,
        "/api/v1/victims/{ntt_victim}/services",
    ),
    (
        "POST",
        "/api/v1/services/{id}",
        Scoped,
        "/api/v1/services/{ntt_service}",
    ),
    (
        "POST",
        "/api/v1/services/{id}/evidence",
        Scoped,
        "/api/v1/services/{ntt_service}/evidence",
    ),
    (
        "GET",
        "/api/v1/evidence/{id}",
        Scoped,
        "/api/v1/evidence/{ntt_evidence}",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/plan/close",
        Scoped,
        "/api/v1/victims/{ntt_victim}/plan/close",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/plan/reopen",
        Scoped,
        "/api/v1/victims/{ntt_victim}/plan/reopen",
    ),
    (
        "POST",
        "/api/v1/victims/{id}/ledger",
        Scoped,
        "/api/v1/victims/{ntt_victim}/ledger",
    ),
    (
        "GET",
        "/api/v1/cases/{id}/recovery",
        Scoped,
        "/api/v1/cases/{ntt_case}/recovery",
    ),
    ("GET", "/api/v1/restitution", User, "/api/v1/restitution"),
    ("GET", "/api/v1/tasks", User, "/api/v1/tasks"),
    (
        "POST",
        "/api/v1/victims/{id}/referrals",
        Scoped,
        "/api/v1/victims/{ntt_victim}/referrals",
    ),
    ("GET", "/api/v1/referrals", User, "/api/v1/referrals"),
    (
        "GET",
        "/api/v1/referrals/{id}",
        Scoped,
        "/api/v1/referrals/{ntt_referral}",
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/actions",
        Scoped,
        "/api/v1/referrals/{ntt_referral}/actions",
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/messages",
        Scoped,
        "/api/v1/referrals/{ntt_referral}/messages",
    ),
    (
        "GET",
        "/api/v1/notifications",
        User,
        "/api/v1/notifications",
    ),
    (
        "POST",
        "/api/v1/notifications/read",
        User,
        "/api/v1/notifications/read",
    ),
    (
        "POST",
        "/referrals/{id}/services",
        Scoped,
        "/referrals/{ntt_referral}/services",
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/services",
        Scoped,
        "/api/v1/referrals/{ntt_referral}/services",
    ),
];

#[test]
fn every_route_is_in_the_sweep_table() {
    let served: BTreeSet<(&str, &str)> = web::route_table().into_iter().collect();
    let listed: BTreeSet<(&str, &str)> = TABLE.iter().map(|(m, p, ..)| (*m, *p)).collect();
    let unlisted: Vec<_> = served.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&served).collect();
    assert!(
        unlisted.is_empty(),
        "routes missing from the sweep table (add them with their access class): {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "sweep table lists routes the app no longer serves: {stale:?}"
    );
}

async fn call(b: &Browser, method: &str, path: &str) -> common::Resp {
    match method {
        "GET" => b.get(path).await,
        _ if path.starts_with("/api/") => b.send_json(method, path, &serde_json::json!({})).await,
        _ => b.post_form(path, &[]).await,
    }
}

async fn call_token(base: &str, token: &str, method: &str, path: &str) -> common::Resp {
    let body = if method == "GET" { None } else { Some("{}") };
    api(base, token, method, path, body).await
}

#[tokio::test]
async fn every_route_answers_as_its_access_class_says() {
    let app = TestApp::spawn().await;
    let ntt_user = app.user("viewer.kupang").to_string();
    let ntt_unit = app.units["kupang"].to_string();
    let ntt_token_owner = app
        .store
        .login("viewer.kupang", common::PASSWORD, "t")
        .await
        .unwrap();
    let store::LoginOutcome::Ok { token: t, .. } = ntt_token_owner else {
        panic!()
    };
    let ntt_actor = app.store.session(&t).await.unwrap().unwrap().actor;
    let ntt_token = app
        .store
        .create_token(&ntt_actor, "milik NTT")
        .await
        .unwrap()
        .id
        .0
        .to_string();
    let store::LoginOutcome::Ok { token: t, .. } = app
        .store
        .login("data-officer.kupang", common::PASSWORD, "t")
        .await
        .unwrap()
    else {
        panic!()
    };
    let officer = app.store.session(&t).await.unwrap().unwrap().actor;
    let ntt_case = app
        .store
        .create_case(&officer, &common::sample_case("Korban Sapuan"))
        .await
        .unwrap()
        .0
        .to_string();
    let ntt_perp = app
        .store
        .add_perpetrator(
            &officer,
            store::CaseId(ntt_case.parse().unwrap()),
            &store::NewPerpetrator::parse("person", "Calo Uji", "", "").unwrap(),
            "broker",
        )
        .await
        .unwrap()
        .to_string();
    // Recovery records of the NTT case: a victim, a service with evidence, a referral.
    let ntt_victim_id = app
        .store
        .case(&officer, store::CaseId(ntt_case.parse().unwrap()))
        .await
        .unwrap()
        .victims[0]
        .id;
    let ntt_victim = ntt_victim_id.to_string();
    let day = crate::common::today();
    let service_id = app
        .store
        .add_service(
            &officer,
            ntt_victim_id,
            &store::NewService {
                service_code: "shelter".into(),
                unit_id: Some(app.units["kupang"].0),
                ..Default::default()
            },
            day,
        )
        .await
        .unwrap();
    let ntt_service = service_id.to_string();
    let ntt_evidence = app
        .store
        .add_evidence(&officer, service_id, "bukti.pdf", b"%PDF-1.4 sapuan")
        .await
        .unwrap()
        .to_string();
    let ntt_referral = app
        .store
        .send_referral(
            &officer,
            ntt_victim_id,
            &store::NewReferral {
                to_unit: Some(app.units["ntt"].0),
                kind: "takeover".into(),
                basis: "vital_interest".into(),
                basis_note: "Keselamatan korban terancam (uji sapuan).".into(),
                ..Default::default()
            },
            day,
        )
        .await
        .unwrap()
        .to_string();
    let fill = |p: &str| {
        p.replace("{ntt_perp}", &ntt_perp)
            .replace("{ntt_victim}", &ntt_victim)
            .replace("{ntt_service}", &ntt_service)
            .replace("{ntt_evidence}", &ntt_evidence)
            .replace("{ntt_referral}", &ntt_referral)
            .replace("{ntt_case}", &ntt_case)
            .replace("{ntt_user}", &ntt_user)
            .replace("{ntt_unit}", &ntt_unit)
            .replace("{ntt_token}", &ntt_token)
    };

    let viewer = app.login("viewer.kalteng").await;
    let admin = app.login("admin.kalteng").await;
    let viewer_token = app.token("viewer.kalteng").await;
    let admin_token = app.token("admin.kalteng").await;

    let mut failures = Vec::new();
    for (method, route, access, sample) in TABLE {
        let path = fill(sample);
        let api_route = route.starts_with("/api/");
        // 1. Anonymous.
        let anon = Browser::new(&app.base);
        anon.get("/login").await; // a pre-session CSRF token, so we test authentication, not CSRF
        let r = call(&anon, method, &path).await;
        let refused = if api_route {
            r.status == 401
        } else {
            r.status == 303 && r.location().starts_with("/login")
        };
        let demanded_login = (api_route && r.status == 401)
            || (r.status == 303 && r.location().starts_with("/login?next"));
        match access {
            Public if demanded_login => failures.push(format!(
                "{method} {route}: public route demanded login ({})",
                r.status
            )),
            Public => {}
            _ if !refused => failures.push(format!(
                "{method} {route}: anonymous got {} {}",
                r.status,
                r.location()
            )),
            _ => {}
        }
        // 2. Wrong role: a viewer in the same province.
        if matches!(access, Admin | AdminScoped | NationalAdmin) {
            let status = if api_route {
                call_token(&app.base, &viewer_token, method, &path)
                    .await
                    .status
            } else {
                call(&viewer, method, &path).await.status
            };
            if status != 403 {
                failures.push(format!(
                    "{method} {route}: viewer got {status}, expected 403"
                ));
            }
        }
        // 3. Wrong region: an admin of Kalimantan Tengah on NTT records / national settings.
        if matches!(access, AdminScoped | NationalAdmin | Own | Scoped) {
            let status = if api_route {
                call_token(&app.base, &admin_token, method, &path)
                    .await
                    .status
            } else {
                call(&admin, method, &path).await.status
            };
            if status != 404 {
                failures.push(format!(
                    "{method} {route}: admin of another region got {status}, expected 404"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access failures:\n{}",
        failures.join("\n")
    );
}
