//! The endpoint sweep: every route the application serves is called as an anonymous
//! visitor, as a user of the wrong role and as an admin of the wrong region, and must
//! answer as its access class says. A route added to the application but not to the table
//! in `table.rs` fails this test, so no route ships unchecked.

mod table;

use crate::common::{self, Browser, TestApp, api};
use std::collections::BTreeSet;
use table::*;

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

/// Every page URL that only takes a form answers a GET (a reload of a page shown again
/// after a refusal, a bookmark, the history) by sending the browser to the nearest page
/// above it, never with "method not allowed"; the JSON API keeps its 405.
#[tokio::test]
async fn a_form_url_opened_as_a_page_leads_to_its_record() {
    let app = TestApp::spawn().await;
    let officer = app.login("data-officer.palangkaraya").await;
    let table = web::route_table();
    let gets: BTreeSet<&str> = table
        .iter()
        .filter(|(m, _)| *m == "GET")
        .map(|(_, p)| *p)
        .collect();
    let concrete = |template: &str| {
        template
            .split('/')
            .map(|s| if s.starts_with('{') { "7" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut walked = 0;
    for (method, path) in &table {
        if *method != "POST" || gets.contains(path) {
            continue;
        }
        let r = officer.get(&concrete(path)).await;
        if path.starts_with("/api/") {
            assert_eq!(r.status, 405, "GET {path}");
            continue;
        }
        assert_eq!(
            r.status, 303,
            "GET {path} should lead to a page: {}",
            r.body
        );
        // The target is the nearest page above: a prefix of the path that serves GET.
        let to = r.location();
        let segments: Vec<&str> = path.split('/').collect();
        let above = (1..segments.len())
            .rev()
            .map(|n| segments[..n].join("/"))
            .map(|p| if p.is_empty() { "/".to_owned() } else { p })
            .find(|p| gets.contains(p.as_str()))
            .unwrap();
        assert_eq!(to, concrete(&above), "GET {path}");
        walked += 1;
    }
    // The walk covers the case page's small forms, the plan's and the referrals'.
    assert!(walked > 30, "only {walked} form URLs walked");
    let r = officer.get("/cases/7/route/3/delete").await;
    assert_eq!(r.location(), "/cases/7");
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
    // A complaint from the public that reached the task force of Kabupaten Kupang (NTT).
    let complaint = domain::complaint::NewComplaint::parse(
        &domain::complaint::ComplaintInput {
            what: "Pengaduan uji sapuan.".into(),
            region: "53.01".into(),
            ..Default::default()
        },
        day,
    )
    .unwrap();
    app.store
        .submit_complaint(
            &complaint,
            &[store::complaints::Attachment {
                bytes: b"%PDF-1.4 uji sapuan",
            }],
            false,
            None,
        )
        .await
        .unwrap();
    let kupang_officer = app.actor("data-officer.kupang").await;
    let ntt_complaint_id = app
        .store
        .complaint_queue(&kupang_officer, true, 1)
        .await
        .unwrap()
        .rows[0]
        .id;
    let ntt_complaint_file = app
        .store
        .complaint(&kupang_officer, ntt_complaint_id)
        .await
        .unwrap()
        .files[0]
        .id
        .to_string();
    let ntt_complaint = ntt_complaint_id.to_string();
    // A published article of Kabupaten Kupang's task force (its editor writes, its admin
    // publishes).
    let (ntt_news_id, ntt_news_slug) = crate::news::published_article(&app, "kupang").await;
    let ntt_news = ntt_news_id.to_string();
    let fill = |p: &str| {
        p.replace("{ntt_complaint_file}", &ntt_complaint_file)
            .replace("{ntt_news_slug}", &ntt_news_slug)
            .replace("{ntt_news}", &ntt_news)
            .replace("{ntt_complaint}", &ntt_complaint)
            .replace("{ntt_perp}", &ntt_perp)
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
            Public | Operator if demanded_login => failures.push(format!(
                "{method} {route}: public route demanded login ({})",
                r.status
            )),
            Public => {}
            // The sweep's clients are on loopback: monitoring answers them without a session.
            Operator if r.status != 200 => failures.push(format!(
                "{method} {route}: loopback monitoring got {}",
                r.status
            )),
            Operator => {}
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
