//! Statistics (issue 13) on SQLite or PostgreSQL: figures against a hand-computed fixture
//! (official beside working, persons counted once, rates), scope (a region outside it is
//! 404, counts of other regions never show), the kept rows against a full rebuild after a
//! sequence of edits, the drill-down, the map and the downloads.

use crate::common::{TestApp, api, sample_input, today};
use domain::case::{NewCase, NewRouteEvent, RouteEventInput};
use domain::review::ReviewState;
use serde_json::Value;
use store::CaseId;

/// A: two victims in Palangkaraya (a woman of 25 from Pahandut, a boy of 15 from Oenesu,
/// Kupang); B: a woman of 25 (draft); C and D: the same woman of 25 from Oenesu registered
/// twice in Kupang, linked as one person. A, C and D are cleared.
pub(crate) struct Fixture {
    b: CaseId,
    d: CaseId,
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let palangkaraya = app.actor("data-officer.palangkaraya").await;
    let kupang = app.actor("data-officer.kupang").await;
    let mut a = sample_input("Sri Wahyuni");
    a.victims[0].nik = "6271015708990002".into();
    a.victims[0].home_village = "62.71.01.1001".into();
    let mut boy = a.victims[0].clone();
    boy.name = "Yohanes Bria".into();
    boy.nik = "5301050101100003".into();
    boy.sex = "male".into();
    boy.birth_date = "2010-01-01".into();
    boy.home_village = "53.01.05.1001".into();
    a.victims.push(boy);
    let (a, _) = app
        .store
        .create_case(&palangkaraya, &NewCase::parse(&a, today()).unwrap())
        .await
        .unwrap();
    let mut b = sample_input("Siti Aminah");
    b.victims[0].nik = "6271014101990004".into();
    let (b, _) = app
        .store
        .create_case(&palangkaraya, &NewCase::parse(&b, today()).unwrap())
        .await
        .unwrap();
    let mut c = sample_input("Maria Goreti Seran");
    c.victims[0].home_village = "53.01.05.1001".into();
    let (c, c_code) = app
        .store
        .create_case(&kupang, &NewCase::parse(&c, today()).unwrap())
        .await
        .unwrap();
    let mut d = sample_input("Maria Seran");
    d.victims[0].home_village = "53.01.05.1001".into();
    let (d, d_code) = app
        .store
        .create_case(&kupang, &NewCase::parse(&d, today()).unwrap())
        .await
        .unwrap();
    let admin = app.actor("admin.nasional").await;
    app.store
        .import_review_states(
            &admin,
            &[
                (a, ReviewState::Cleared),
                (c, ReviewState::Cleared),
                (d, ReviewState::Cleared),
            ],
        )
        .await
        .unwrap();
    let nat = app.actor("verifier.nasional").await;
    let mut linked = 0;
    for p in app.store.linkage_pairs(&nat, "pending").await.unwrap() {
        let codes = [p.a_code.as_str(), p.b_code.as_str()];
        if codes.contains(&c_code.as_str()) && codes.contains(&d_code.as_str()) {
            app.store.decide_pair(&nat, p.id, Some(true)).await.unwrap();
            linked += 1;
        }
    }
    assert_eq!(
        linked, 1,
        "the two records of one woman are proposed as a pair"
    );
    Fixture { b, d }
}

async fn stats(app: &TestApp, user: &str, query: &str) -> (u16, Value) {
    let token = app.token(user).await;
    let r = api(
        &app.base,
        &token,
        "GET",
        &format!("/api/v1/statistics?{query}"),
        None,
    )
    .await;
    let body = if r.status == 200 {
        r.json()
    } else {
        Value::Null
    };
    (r.status, body)
}

/// (official, working) of one value of one breakdown.
fn cell(s: &Value, dim: &str, value: &str) -> (i64, i64) {
    let b = s["breakdowns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["dimension"] == dim)
        .unwrap();
    b["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == value)
        .map(|r| {
            (
                r["official"].as_i64().unwrap(),
                r["working"].as_i64().unwrap(),
            )
        })
        .unwrap_or((0, 0))
}

fn totals(s: &Value, kind: &str) -> [i64; 4] {
    let t = &s[kind];
    ["cases", "victims", "persons", "children"].map(|k| t[k].as_i64().unwrap())
}

#[tokio::test]
async fn official_and_working_figures_match_a_hand_computed_fixture() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    // National: 4 cases, 5 records, 4 persons (C and D one woman), 1 child; official: A, C
    // and D, 4 records, 3 persons.
    let (status, s) = stats(&app, "verifier.nasional", "").await;
    assert_eq!(status, 200);
    assert_eq!(totals(&s, "working"), [4, 5, 4, 1], "{s}");
    assert_eq!(totals(&s, "official"), [3, 4, 3, 1], "{s}");
    // Women: A's, B, C and D are 4 records; officially A's and the one woman of C/D.
    assert_eq!(cell(&s, "sex", "female"), (2, 4));
    assert_eq!(cell(&s, "sex", "male"), (1, 1));
    assert_eq!(cell(&s, "age_band", "24-26"), (2, 4));
    assert_eq!(cell(&s, "age_band", "9-17"), (1, 1));
    assert_eq!(cell(&s, "child", "child"), (1, 1));
    assert_eq!(cell(&s, "home_province", "62"), (1, 1));
    assert_eq!(cell(&s, "home_province", "53"), (2, 3));
    assert_eq!(cell(&s, "home_regency", "53.01"), (2, 3));
    assert_eq!(cell(&s, "province", "53"), (1, 2));
    assert_eq!(cell(&s, "exploitation", "forced_labour"), (3, 5));
    assert_eq!(cell(&s, "review_state", "cleared"), (3, 4));
    assert_eq!(cell(&s, "review_state", "draft"), (0, 1));
    // The trend by year of report: all four reported in 2026.
    assert_eq!(s["trend"][0]["period"], 202603, "{s}");
    let (_, y) = stats(&app, "verifier.nasional", "by=year").await;
    assert_eq!(y["trend"][0]["period"], 2026);
    assert_eq!(y["trend"][0]["working"], 5);
    // By exploitation date (June 2025).
    let (_, e) = stats(&app, "verifier.nasional", "basis=exploitation&by=quarter").await;
    assert_eq!(e["trend"][0]["period"], 20252, "{e}");
    // A period that excludes everything.
    let (_, none) = stats(&app, "verifier.nasional", "from=2026-04-01").await;
    assert_eq!(totals(&none, "working"), [0, 0, 0, 0]);

    // Kalimantan Tengah's verifier: A and B only; NTT's cases are not counted, not even
    // as "home province 53" beyond A's boy.
    let (_, k) = stats(&app, "verifier.kalteng", "").await;
    assert_eq!(totals(&k, "working"), [2, 3, 3, 1], "{k}");
    assert_eq!(totals(&k, "official"), [1, 2, 2, 1], "{k}");
    assert_eq!(cell(&k, "home_province", "53"), (1, 1));
    assert_eq!(cell(&k, "province", "53"), (0, 0));
    // Kupang's officer: C and D, one person.
    let (_, n) = stats(&app, "data-officer.kupang", "").await;
    assert_eq!(totals(&n, "working"), [2, 2, 1, 0], "{n}");
    // A region filter inside the scope narrows; outside it is 404; a bad one is 422.
    let (_, r) = stats(&app, "verifier.nasional", "region=53").await;
    assert_eq!(totals(&r, "working"), [2, 2, 1, 0]);
    assert_eq!(stats(&app, "verifier.kalteng", "region=53").await.0, 404);
    assert_eq!(
        stats(&app, "data-officer.kupang", "region=62.71").await.0,
        404
    );
    assert_eq!(stats(&app, "verifier.kalteng", "region=6x").await.0, 422);
    assert_eq!(
        stats(&app, "verifier.kalteng", "from=2026-13-40").await.0,
        422
    );
    assert_eq!(stats(&app, "verifier.kalteng", "by=week").await.0, 422);

    // The page: both figures, labelled, and the rate per 100,000 of the home province.
    let b = app.login("verifier.nasional").await;
    let page = b.get("/statistik").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"data-k="official-persons"><strong>3</strong>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-k="working-victims">5<"#));
    let pop = store::stats::Population::get().total(Some("53")).unwrap() as f64;
    let rate = format!("{:.2}", 2.0 * 100_000.0 / pop);
    assert!(page.body.contains(&rate), "rate {rate}");
    assert!(page.body.contains("Nusa Tenggara Timur"));
    // Drill-down: the working women link lists the four cases; the official one A, C, D.
    let link = "/cases?region=&from=&to=&basis=&review=&stat=sex&val=female";
    assert!(
        page.body.contains(&link.replace('&', "&#38;")),
        "the working figure links to its cases"
    );
    let list = b.get(link).await;
    assert_eq!(list.status, 200);
    assert!(list.body.matches("TPPO-").count() >= 4);
    assert!(list.body.contains("id=\"stat-filter\""));
    let token = app.token("verifier.nasional").await;
    let cases = |q: &'static str| {
        let token = token.clone();
        let base = app.base.clone();
        async move {
            let r = api(&base, &token, "GET", &format!("/api/v1/cases?{q}"), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.json()["rows"].as_array().unwrap().len()
        }
    };
    assert_eq!(cases("stat=sex&val=female").await, 4);
    assert_eq!(cases("stat=sex&val=female&review=cleared").await, 3);
    assert_eq!(cases("stat=age_band&val=9-17").await, 1);
    assert_eq!(cases("stat=home_province&val=53").await, 3);
    assert_eq!(
        cases("stat=dest_country").await,
        4,
        "not recorded: no route yet"
    );
}

/// Every page's figures through the rollup equal those read from the rows, for whole
/// periods, periods cut mid-month, both date bases, a review state, a province and a
/// regency, by month, quarter and year.
async fn assert_rollup_agrees_with_the_rows(app: &TestApp) {
    use store::stats::{DateBasis, Granularity, StatFilter};
    let day = |y, m, d| domain::time::days_from_civil(y, m, d);
    let t = today();
    let (y, m, _) = domain::time::civil_from_days(t);
    let periods = [
        (None, None),
        (Some(t - 40), Some(t + 3)),
        (Some(day(y, m, 1)), None),
        (None, Some(t)),
        (Some(day(y - 1, 1, 1)), Some(day(y, 12, 31))),
        (Some(t), Some(t)),
    ];
    for (user, region) in [
        ("verifier.nasional", None),
        ("verifier.nasional", Some("53")),
        ("admin.kalteng", Some("62.71")),
        ("admin.kalteng", None),
    ] {
        let actor = app.actor(user).await;
        for (from, to) in periods {
            for basis in [DateBasis::Report, DateBasis::Exploitation] {
                for review in [None, Some(ReviewState::Cleared)] {
                    let f = StatFilter {
                        region: region.map(|r| domain::RegionCode::parse(r).unwrap()),
                        from,
                        to,
                        basis,
                        review,
                    };
                    for g in [Granularity::Month, Granularity::Quarter, Granularity::Year] {
                        let (cube, rows) = app
                            .store
                            .statistics_both_ways_for_tests(&actor, &f, g)
                            .await
                            .unwrap();
                        let ctx = format!("{user} {f:?} {g:?}");
                        assert_eq!(cube.official, rows.official, "{ctx}");
                        assert_eq!(cube.working, rows.working, "{ctx}");
                        assert_eq!(cube.trend, rows.trend, "{ctx}");
                        assert_eq!(cube.breakdowns, rows.breakdowns, "{ctx}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn kept_rows_agree_with_a_rebuild_after_a_sequence_of_edits() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // With two records linked as one person, before any rebuild.
    assert_rollup_agrees_with_the_rows(&app).await;
    let kept_cube = app.store.statistics_cube_for_tests().await.unwrap();
    app.store.rebuild_statistics().await.unwrap();
    assert_eq!(
        kept_cube,
        app.store.statistics_cube_for_tests().await.unwrap()
    );
    let palangkaraya = app.actor("data-officer.palangkaraya").await;
    let nat = app.actor("verifier.nasional").await;
    // B gets a second victim (with another sector), then loses it again; it gets a legal
    // stage and is exploited in Malaysia.
    let mut b = sample_input("Siti Aminah");
    b.victims[0].nik = "6271014101990004".into();
    b.sector = "A".into();
    // Its form of exploitation changes too (the rollup must take away what it counted
    // under the old one).
    b.exploitation = vec!["sexual".into()];
    let mut boy = b.victims[0].clone();
    boy.name = "Budi".into();
    boy.nik = "6271010101100005".into();
    boy.birth_date = "2012-05-05".into();
    boy.sex = "male".into();
    let mut two = b.clone();
    two.victims.push(boy);
    for (version, input) in [(1, &two), (2, &b)] {
        app.store
            .update_case(
                &palangkaraya,
                f.b,
                version,
                &NewCase::parse(input, today()).unwrap(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    app.store
        .add_legal_stage(
            &palangkaraya,
            f.b,
            "investigation",
            Some(today() - 10),
            today(),
        )
        .await
        .unwrap();
    let route = NewRouteEvent::parse(
        &RouteEventInput {
            kind: "exploitation".into(),
            country: "MYS".into(),
            city: "Kuching".into(),
            date_from: "2025-06-01".into(),
            ..Default::default()
        },
        today(),
    )
    .unwrap();
    app.store
        .add_route_event(&palangkaraya, f.b, &route)
        .await
        .unwrap();
    // D is returned to draft; the link of C and D is undone.
    let admin = app.actor("admin.nasional").await;
    app.store
        .import_review_states(&admin, &[(f.d, ReviewState::Returned)])
        .await
        .unwrap();
    for p in app.store.linkage_pairs(&nat, "same").await.unwrap() {
        app.store.decide_pair(&nat, p.id, None).await.unwrap();
    }
    let kept = app.store.statistics_rows_for_tests().await.unwrap();
    let kept_cube = app.store.statistics_cube_for_tests().await.unwrap();
    app.store.rebuild_statistics().await.unwrap();
    let rebuilt = app.store.statistics_rows_for_tests().await.unwrap();
    assert_eq!(kept, rebuilt);
    assert_eq!(
        kept_cube,
        app.store.statistics_cube_for_tests().await.unwrap(),
        "the rollup the writes kept is the one a full recount gives"
    );
    assert!(kept_cube.len() > 40, "{kept_cube:?}");
    assert_rollup_agrees_with_the_rows(&app).await;
    // And the figures say what happened.
    let (_, s) = stats(&app, "verifier.nasional", "").await;
    assert_eq!(totals(&s, "working"), [4, 5, 5, 1], "{s}");
    assert_eq!(totals(&s, "official"), [2, 3, 3, 1], "{s}");
    assert_eq!(cell(&s, "dest_country", "MYS"), (0, 1));
    assert_eq!(cell(&s, "legal_stage", "investigation"), (0, 1));
    assert_eq!(cell(&s, "sector", "A"), (0, 1));
    assert_eq!(cell(&s, "exploitation", "sexual"), (0, 1));
    assert_eq!(
        cell(&s, "exploitation", "forced_labour"),
        (3, 4),
        "B no longer counts under forced labour"
    );
    assert_eq!(
        cell(&s, "sex", "male"),
        (1, 1),
        "the boy added and removed is gone"
    );
}

#[tokio::test]
async fn the_map_draws_every_province_with_its_class_and_the_flows() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    // E: a draft in Palangkaraya, a woman from Oenesu exploited in Malaysia.
    let palangkaraya = app.actor("data-officer.palangkaraya").await;
    let mut e = sample_input("Yuliana Tefa");
    e.victims[0].nik = "5301054101980006".into();
    e.victims[0].home_village = "53.01.05.1001".into();
    let (e, _) = app
        .store
        .create_case(&palangkaraya, &NewCase::parse(&e, today()).unwrap())
        .await
        .unwrap();
    let route = NewRouteEvent::parse(
        &RouteEventInput {
            kind: "exploitation".into(),
            country: "MYS".into(),
            date_from: "2025-06-01".into(),
            ..Default::default()
        },
        today(),
    )
    .unwrap();
    app.store
        .add_route_event(&palangkaraya, e, &route)
        .await
        .unwrap();
    let transit = NewRouteEvent::parse(
        &RouteEventInput {
            kind: "transit".into(),
            region_code: "61.71".into(),
            date_from: "2025-05-20".into(),
            ..Default::default()
        },
        today(),
    )
    .unwrap();
    app.store
        .add_route_event(&palangkaraya, e, &transit)
        .await
        .unwrap();
    let b = app.login("verifier.nasional").await;
    let page = b.get("/peta?kind=working").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let svg_start = page.body.find("<svg").unwrap();
    let svg_end = svg_start + page.body[svg_start..].find("</svg>").unwrap();
    let svg = &page.body[svg_start..svg_end];
    assert_eq!(svg.matches("<path").count(), 38, "one path per province");
    // Two provinces with data: NTT (4 records) and Kalteng (1) in different classes.
    let class_of = |code: &str| {
        let i = svg.find(&format!("data-code=\"{code}\"")).unwrap();
        let tag_start = svg[..i].rfind('<').unwrap();
        let tag = &svg[tag_start..i];
        tag.split("class=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_ne!(class_of("53"), class_of("62"));
    assert_eq!(class_of("11"), "nodata");
    // Flows: E, from NTT through Kalimantan Barat, exploited in Malaysia.
    assert!(page.body.contains("id=\"flow-table\""));
    assert!(
        page.body.contains("<td>Nusa Tenggara Timur</td><td>Kalimantan Barat</td><td>Malaysia</td><td class=\"num\">1</td>"),
        "the route through transit"
    );
    assert!(page.body.contains("MYS") || page.body.contains("Malaysia"));
    // A province drills into its regencies (22 in NTT), a regency into villages of origin.
    let ntt = b.get("/peta?kind=working&focus=53").await;
    let svg = &ntt.body[ntt.body.find("<svg").unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<path").count(), 22);
    let oenesu = |n: i64| {
        format!(r#"<th scope="row">Oenesu</th><td>53.01.05.1001</td><td class="num">{n}</td>"#)
    };
    let kupang = b.get("/peta?kind=working&focus=53.01").await;
    assert!(kupang.body.contains(&oenesu(4)), "villages of origin");
    // Downloads.
    let csv = b.get("/statistik/export.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .starts_with("section,value,label,official,working\n")
    );
    assert!(csv.body.contains("total,persons,"));
    assert!(
        csv.body
            .contains("home_province,53,Nusa Tenggara Timur,2,4"),
        "{}",
        csv.body
    );
    let xlsx = b.get("/statistik/export.xlsx").await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.body.starts_with("PK"), "a workbook is a zip");
    assert!(
        xlsx.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let chart = b.get("/statistik/chart.svg?dim=sex").await;
    assert!(chart.body.starts_with("<svg") && chart.body.contains("<style>"));
    let map = b.get("/peta/map.svg").await;
    assert_eq!(map.body.matches("<path").count(), 38);
    // Bad input is named; a focus outside the reader's scope shows none of its figures.
    assert_eq!(b.get("/peta?measure=elsewhere").await.status, 422);
    // Kalimantan Tengah's verifier sees Oenesu only through A's boy and E, its own records.
    let k = app.login("verifier.kalteng").await;
    let other = k.get("/peta?kind=working&focus=53.01").await;
    assert_eq!(other.status, 200);
    assert!(other.body.contains(&oenesu(2)), "{}", other.body);
}

/// The network: a broker in Palangkaraya's cases A and B, recorded again by Kupang for its
/// case C and decided to be one perpetrator; a recruiter of B alone. Kalimantan Tengah's verifier sees A, B and both of its
/// perpetrators, never C; initials and codes only, never names.
#[tokio::test]
async fn the_perpetrator_network_links_cases_within_scope_without_names() {
    let app = TestApp::spawn().await;
    let palangkaraya = app.actor("data-officer.palangkaraya").await;
    let kupang = app.actor("data-officer.kupang").await;
    let mk = |name: &str, nik: &str| store::NewPerpetrator::parse("person", name, "", nik).unwrap();
    let case = |who: &domain::Actor, name: &str| {
        let who = who.clone();
        let mut i = sample_input(name);
        i.victims[0].home_village = "53.01.05.1001".into();
        let app = &app;
        async move {
            app.store
                .create_case(&who, &NewCase::parse(&i, today()).unwrap())
                .await
                .unwrap()
                .0
        }
    };
    let a = case(&palangkaraya, "Sri Wahyuni").await;
    let b = case(&palangkaraya, "Siti Aminah").await;
    let c = case(&kupang, "Maria Seran").await;
    let broker = app
        .store
        .add_perpetrator(
            &palangkaraya,
            a,
            &mk("Markus Lado", "5301011203780001"),
            "broker",
        )
        .await
        .unwrap();
    app.store
        .link_perpetrator(&palangkaraya, b, broker, "broker")
        .await
        .unwrap();
    app.store
        .add_perpetrator(&palangkaraya, b, &mk("Yosef Tani", ""), "recruiter")
        .await
        .unwrap();
    let nat = app.actor("verifier.nasional").await;
    // Kupang records the same broker for C; the national verifier decides the two
    // records are one perpetrator (one node of the network).
    app.store
        .add_perpetrator(
            &kupang,
            c,
            &mk("Markus Ladu", "5301011203780001"),
            "recruiter",
        )
        .await
        .unwrap();
    let pairs = app.store.perpetrator_pairs(&nat, "pending").await.unwrap();
    assert_eq!(pairs.len(), 1);
    app.store
        .decide_perpetrator_pair(&nat, pairs[0].id, Some(true))
        .await
        .unwrap();
    let k = app.actor("verifier.kalteng").await;
    let net = app
        .store
        .perpetrator_network(&k, Some(broker))
        .await
        .unwrap();
    assert_eq!(net.perpetrators.len(), 2);
    let mut cases: Vec<i64> = net.cases.iter().map(|x| x.id).collect();
    cases.sort();
    assert_eq!(cases, vec![a.0, b.0], "C is outside Kalimantan Tengah");
    let full = app
        .store
        .perpetrator_network(&nat, Some(broker))
        .await
        .unwrap();
    assert_eq!(full.cases.len(), 3);
    // Without a seed: the perpetrators with more than one case.
    assert_eq!(
        app.store
            .perpetrator_network(&k, None)
            .await
            .unwrap()
            .perpetrators
            .len(),
        2
    );
    // The page: a graph and its table, initials, no names; from Kupang the broker's
    // network around a perpetrator Kupang cannot see is 404.
    let b_page = app.login("verifier.kalteng").await;
    let page = b_page.get(&format!("/jaringan?perpetrator={broker}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("network-svg") && page.body.contains("id=\"network-table\""));
    assert!(
        page.body.contains("M. L.") && !page.body.contains("Markus"),
        "no names"
    );
    assert_eq!(page.body.matches("class=\"case-node\"").count(), 2);
    let yosef = net.perpetrators.iter().find(|p| p.id != broker).unwrap().id;
    let kupang_b = app.login("data-officer.kupang").await;
    assert_eq!(
        kupang_b
            .get(&format!("/jaringan?perpetrator={yosef}"))
            .await
            .status,
        404
    );
    assert_eq!(kupang_b.get("/jaringan?perpetrator=x").await.status, 422);
}

/// An analyst's main page is the statistics; everyone else still lands at home, and an
/// analyst on the way to another page goes there.
#[tokio::test]
async fn an_analyst_lands_on_the_statistics() {
    let app = TestApp::spawn().await;
    let sys = domain::Actor::system(domain::UnitId(1));
    let new = domain::user::NewUser::parse(
        "analis.nasional",
        "Analis Uji",
        "",
        "1",
        "analyst",
        crate::common::PASSWORD,
    )
    .unwrap();
    app.store.create_user(&sys, &new).await.unwrap();
    let land = |user: &'static str, next: &'static str| {
        let app = &app;
        async move {
            let b = app.browser();
            b.get("/login").await;
            let r = b
                .post_form(
                    "/login",
                    &[
                        ("username", user),
                        ("password", crate::common::PASSWORD),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}", r.body);
            r.location()
        }
    };
    assert_eq!(land("analis.nasional", "/").await, "/statistik");
    assert_eq!(land("analis.nasional", "/peta").await, "/peta");
    assert_eq!(land("verifier.nasional", "/").await, "/");
}
