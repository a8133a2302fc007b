//! The public statistics (issue 14) on SQLite or PostgreSQL: snapshots count cleared
//! persons once by home region, and an attacker holding two published snapshots (as a
//! visitor downloads them) recovers no hidden cell — not from a row's margins, not from a
//! province against its regencies, not from the exact linear system of both snapshots.
//! The same attacker does recover cells when only the small ones are hidden, so the
//! attack is real.

use crate::common::{Browser, TestApp, sample_input, today};
use domain::UnitId;
use domain::case::NewCase;
use domain::review::ReviewState;
use domain::suppression::{Constraint, Options, exposed, suppress};
use std::collections::{BTreeMap, BTreeSet};

/// (registering unit, region, home village, sex, persons)
pub(crate) type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
);

pub(crate) const FIRST: &[Spec] = &[
    ("kupang", "53.01", "53.01.04.2003", "female", 30),
    ("kupang", "53.01", "53.01.04.2003", "male", 14),
    ("kupang", "53.01", "53.04.01.2001", "female", 12),
    ("kupang", "53.01", "53.04.01.2001", "male", 3),
    ("kupang", "53.01", "53.71.01.1001", "female", 2),
    ("palangkaraya", "62.71", "62.71.01.1001", "female", 20),
    ("palangkaraya", "62.71", "62.71.01.1001", "male", 25),
    ("palangkaraya", "62.71", "62.03.01.1006", "female", 4),
    ("palangkaraya", "62.71", "62.03.01.1006", "male", 9),
];

/// What the month after adds.
const SECOND: &[Spec] = &[
    ("kupang", "53.01", "53.71.01.1001", "male", 1),
    ("palangkaraya", "62.71", "62.03.01.1006", "female", 1),
    ("palangkaraya", "62.71", "62.71.01.1001", "male", 2),
];

pub(crate) async fn add_cleared(app: &TestApp, spec: &[Spec], seq: &mut usize) {
    let officer = app.actor("data-officer.nasional").await;
    let mut batch: Vec<(UnitId, Option<domain::RegionCode>, NewCase)> = Vec::new();
    for (unit, region, village, sex, n) in spec {
        for _ in 0..*n {
            *seq += 1;
            let mut input = sample_input(&format!("Korban Uji {seq}"));
            input.victims[0].nik = String::new();
            input.victims[0].sex = (*sex).into();
            input.victims[0].home_village = (*village).into();
            batch.push((
                app.units[unit],
                Some(domain::RegionCode::parse(region).unwrap()),
                NewCase::parse(&input, today()).unwrap(),
            ));
        }
    }
    let ids = app.store.import_cases(&officer, &batch).await.unwrap();
    let admin = app.actor("admin.nasional").await;
    let states: Vec<_> = ids.iter().map(|id| (*id, ReviewState::Cleared)).collect();
    app.store
        .import_review_states(&admin, &states)
        .await
        .unwrap();
}

/// A snapshot as a visitor reads it from its CSV: (region, category) → count or hidden.
type Published = BTreeMap<(String, String), Option<i64>>;

async fn download(app: &TestApp, id: i64) -> Published {
    let anon = Browser::new(&app.base);
    let r = anon.get(&format!("/data/statistik/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut out = BTreeMap::new();
    for line in r.body.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "{line}");
        let v = (!f[4].is_empty()).then(|| f[4].parse::<i64>().unwrap());
        out.insert((f[0].to_owned(), f[3].to_owned()), v);
    }
    out
}

fn parent(code: &str) -> Option<String> {
    match code {
        "" => None,
        "?" => Some(String::new()),
        c if c.len() <= 2 => Some(String::new()),
        c => Some(c.split('.').next().unwrap_or_default().to_owned()),
    }
}

/// The equations a visitor can write from the published structure: each row's total is
/// the sum of its sex, age and year cells; each parent's cell the sum of its children's.
fn equations(p: &Published) -> Vec<Vec<(String, String)>> {
    let rows: BTreeSet<&String> = p.keys().map(|(r, _)| r).collect();
    let mut eqs = Vec::new();
    for r in &rows {
        let cats: Vec<&String> = p.keys().filter(|(x, _)| x == *r).map(|(_, c)| c).collect();
        for prefix in ["sex.", "age.", "year."] {
            let parts: Vec<(String, String)> = cats
                .iter()
                .filter(|c| c.starts_with(prefix))
                .map(|c| ((*r).clone(), (*c).clone()))
                .collect();
            if !parts.is_empty() {
                let mut eq = vec![((*r).clone(), "total".to_owned())];
                eq.extend(parts);
                eqs.push(eq);
            }
        }
        let children: Vec<&String> = rows
            .iter()
            .filter(|c| parent(c).as_deref() == Some(r.as_str()))
            .copied()
            .collect();
        if children.is_empty() {
            continue;
        }
        for c in &cats {
            let parts: Vec<(String, String)> = children
                .iter()
                .filter(|ch| p.contains_key(&((**ch).clone(), (*c).clone())))
                .map(|ch| ((*ch).clone(), (*c).clone()))
                .collect();
            if parts.len() == children.len() {
                let mut eq = vec![((*r).clone(), (*c).clone())];
                eq.extend(parts);
                eqs.push(eq);
            }
        }
    }
    eqs
}

/// Margins and two levels: an equation with exactly one hidden cell gives it away.
fn one_hidden(p: &Published) -> Vec<((String, String), i64)> {
    let mut out = Vec::new();
    for eq in equations(p) {
        let hidden: Vec<&(String, String)> = eq.iter().filter(|k| p[*k].is_none()).collect();
        if hidden.len() != 1 {
            continue;
        }
        let total = p[&eq[0]];
        let parts: i64 = eq[1..].iter().filter_map(|k| p[k]).sum();
        let value = match total {
            Some(t) => t - parts,
            None => parts,
        };
        out.push((hidden[0].clone(), value));
    }
    out
}

/// The exact linear attack on one or more snapshots at once: every equation of each, and
/// each cell hidden in the second tied to its earlier self (hidden or published) where it
/// did not change (the attacker guesses "unchanged" and is right; a wrong guess recovers a
/// wrong value). Returns the hidden cells the system determines.
fn linear_attack(
    snaps: &[&Published],
    unchanged: &dyn Fn(&(String, String)) -> bool,
) -> Vec<String> {
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut values = Vec::new();
    let mut constraints = Vec::new();
    let mut hidden = Vec::new();
    let key = |s: usize, k: &(String, String)| format!("{s}:{}|{}", k.0, k.1);
    for (s, p) in snaps.iter().enumerate() {
        for (k, v) in p.iter() {
            index.insert(key(s, k), values.len());
            values.push(v.unwrap_or(0));
            hidden.push(v.is_none());
        }
        for eq in equations(p) {
            let ids: Vec<usize> = eq.iter().map(|k| index[&key(s, k)]).collect();
            constraints.push(Constraint {
                total: ids[0],
                parts: ids[1..].to_vec(),
            });
        }
    }
    // Unchanged between snapshots: x(s0) = x(s1), written as x(s0) = x(s1) + 0 with a
    // published zero cell standing in for the difference.
    if snaps.len() == 2 {
        for k in snaps[0].keys() {
            // Hidden now and unchanged: tied to its earlier self, hidden or published.
            if snaps[1].get(k) == Some(&None) && unchanged(k) {
                let zero = values.len();
                values.push(0);
                hidden.push(false);
                constraints.push(Constraint {
                    total: index[&key(0, k)],
                    parts: vec![index[&key(1, k)], zero],
                });
            }
        }
    }
    let names: BTreeMap<usize, String> = index.iter().map(|(k, v)| (*v, k.clone())).collect();
    exposed(&values, &constraints, &hidden)
        .into_iter()
        .map(|i| names[&i].clone())
        .collect()
}

/// The fixture's counts in the snapshot's shape, with only the small cells hidden.
fn naive(specs: &[&[Spec]], like: &Published) -> Published {
    truth(specs, like)
        .into_iter()
        .map(|(k, v)| (k, (v == 0 || v >= 11).then_some(v)))
        .collect()
}

/// The true counts of the fixture (every victim 25 at exploitation, reported in 2026, forced
/// labour), in the snapshot's shape.
fn truth(specs: &[&[Spec]], like: &Published) -> BTreeMap<(String, String), i64> {
    let mut truth: BTreeMap<(String, String), i64> = BTreeMap::new();
    for spec in specs {
        for (_, _, village, sex, n) in spec.iter() {
            let regency = village[..5].to_owned();
            let province = village[..2].to_owned();
            for r in [regency.clone(), province.clone(), String::new()] {
                for c in ["total".to_owned(), format!("sex.{sex}")] {
                    *truth.entry((r.clone(), c)).or_default() += *n as i64;
                }
            }
            for r in [province, String::new()] {
                for c in ["age.24-26", "year.2026", "form.forced_labour"] {
                    *truth.entry((r.clone(), c.to_owned())).or_default() += *n as i64;
                }
            }
        }
    }
    like.keys()
        .map(|k| (k.clone(), truth.get(k).copied().unwrap_or(0)))
        .collect()
}

/// The second snapshot as it would be suppressed on its own (its cells hidden before kept
/// hidden, but no audit with the first).
fn naive_second(p1: &Published, t2: &BTreeMap<(String, String), i64>) -> Published {
    let shape: Published = t2.iter().map(|(k, v)| (k.clone(), Some(*v))).collect();
    let keys: Vec<(String, String)> = shape.keys().cloned().collect();
    let idx: BTreeMap<&(String, String), usize> =
        keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
    let values: Vec<i64> = keys.iter().map(|k| t2[k]).collect();
    let constraints: Vec<Constraint> = equations(&shape)
        .iter()
        .map(|eq| Constraint {
            total: idx[&eq[0]],
            parts: eq[1..].iter().map(|k| idx[k]).collect(),
        })
        .collect();
    let forced = p1
        .iter()
        .filter(|(_, v)| v.is_none())
        .filter_map(|(k, _)| idx.get(k).copied())
        .collect();
    let hidden = suppress(
        &values,
        &constraints,
        &Options {
            threshold: 11,
            forced,
            locked: vec![],
        },
    );
    keys.iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), (!hidden[i]).then_some(values[i])))
        .collect()
}

#[tokio::test]
async fn suppressed_cells_survive_margins_levels_and_differences() {
    let app = TestApp::spawn().await;
    let mut seq = 0;
    add_cleared(&app, FIRST, &mut seq).await;
    let admin = app.actor("admin.nasional").await;
    let s1 = app
        .store
        .publish_snapshot(&admin, today() - 1, 11)
        .await
        .unwrap();
    add_cleared(&app, SECOND, &mut seq).await;
    let s2 = app
        .store
        .publish_snapshot(&admin, today(), 11)
        .await
        .unwrap();
    let (p1, p2) = (download(&app, s1).await, download(&app, s2).await);

    // What is published is right: cleared persons by home region.
    let at = |p: &Published, r: &str, c: &str| p[&(r.to_owned(), c.to_owned())];
    for (p, specs) in [(&p1, &[FIRST][..]), (&p2, &[FIRST, SECOND][..])] {
        let truth = truth(specs, p);
        for (k, v) in p.iter() {
            if let Some(v) = v {
                assert_eq!(*v, truth[k], "{k:?}");
            }
        }
    }
    assert_eq!(at(&p1, "", "total"), Some(119));
    assert_eq!(at(&p1, "53.71", "total"), None, "2 persons: hidden");
    assert_eq!(at(&p1, "53.04", "sex.male"), None, "3 persons: hidden");
    assert_eq!(at(&p1, "62.03", "sex.female"), None, "4 persons: hidden");
    assert_eq!(at(&p1, "11.01", "total"), Some(0), "zeros are published");
    let hidden = |p: &Published| p.values().filter(|v| v.is_none()).count();
    eprintln!(
        "hidden cells: {} of {} in the first snapshot, {} of {} in the second",
        hidden(&p1),
        p1.len(),
        hidden(&p2),
        p2.len()
    );

    // Every cell hidden in the first snapshot stays hidden in the second.
    for (k, v) in &p1 {
        if v.is_none() {
            assert_eq!(p2.get(k), Some(&None), "{k:?} hidden, then shown");
        }
    }
    // Margins and two levels, in each snapshot.
    assert_eq!(one_hidden(&p1), vec![]);
    assert_eq!(one_hidden(&p2), vec![]);
    // The exact linear system of each snapshot, and of both at once.
    let (t1, t2) = (truth(&[FIRST], &p1), truth(&[FIRST, SECOND], &p2));
    let unchanged = |k: &(String, String)| t1.get(k) == t2.get(k);
    assert_eq!(linear_attack(&[&p1], &unchanged), Vec::<String>::new());
    assert_eq!(linear_attack(&[&p2], &unchanged), Vec::<String>::new());
    assert_eq!(linear_attack(&[&p1, &p2], &unchanged), Vec::<String>::new());
    // Without the joint audit, the second snapshot alone (each hidden cell kept hidden)
    // leaks the new person of Kota Kupang by difference: the attack finds that.
    let alone = naive_second(&p1, &t2);
    assert!(
        linear_attack(&[&p1, &alone], &unchanged)
            .iter()
            .any(|k| k.starts_with("1:")),
        "the difference attack is real"
    );

    // The attack is real: with only the small cells hidden it recovers them.
    let weak = naive(&[FIRST], &p1);
    let recovered = one_hidden(&weak);
    assert!(
        recovered
            .iter()
            .any(|(k, v)| k == &("53.04".to_owned(), "sex.male".to_owned()) && *v == 3),
        "{recovered:?}"
    );
    assert!(!linear_attack(&[&weak], &unchanged).is_empty());
}

#[tokio::test]
async fn the_public_pages_show_the_snapshot_to_a_visitor() {
    let app = TestApp::spawn().await;
    let mut seq = 0;
    add_cleared(&app, FIRST, &mut seq).await;
    let anon = Browser::new(&app.base);
    // Before anything is published the pages say so; a visitor is not sent to log in.
    let home = anon.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Belum ada potret"), "{}", home.body);
    assert!(home.body.contains("href=\"/login\""));
    assert!(home.body.contains("SAPA 129"));
    let admin = app.actor("admin.nasional").await;
    let id = app
        .store
        .publish_snapshot(&admin, today(), 11)
        .await
        .unwrap();
    let home = anon.get("/").await;
    assert!(home.body.contains("<dd>119</dd>"), "{}", home.body);
    let page = anon.get("/statistik-publik").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Nusa Tenggara Timur"), "{}", page.body);
    assert!(page.body.contains("href=\"/statistik-publik?wilayah=53\""));
    let ntt = anon.get("/statistik-publik?wilayah=53").await;
    assert_eq!(ntt.status, 200);
    assert!(ntt.body.contains("Kupang"), "{}", ntt.body);
    assert!(ntt.body.contains(">—<"), "hidden cells are marked");
    // The maps: an image of their own beside the table, the legend in the page; the
    // provinces for Indonesia, NTT's regencies for NTT, hidden counts drawn as no figure.
    assert!(
        page.body
            .contains("<img src=\"/statistik-publik/peta.svg?wilayah=\"")
    );
    assert!(
        ntt.body
            .contains("<img src=\"/statistik-publik/peta.svg?wilayah=53\"")
    );
    assert!(ntt.body.contains("class=\"map-legend\""));
    let map = anon.get("/statistik-publik/peta.svg?wilayah=").await;
    assert_eq!(map.status, 200);
    assert_eq!(map.headers["content-type"], "image/svg+xml");
    assert!(map.body.contains("<style>") && map.body.contains("data-code=\"53\""));
    let map = anon.get("/statistik-publik/peta.svg?wilayah=53").await;
    assert!(map.body.contains("data-code=\"53.01\""), "{}", map.body);
    assert!(
        !map.body.contains("data-code=\"62.71\""),
        "only NTT's regencies"
    );
    assert!(
        map.body.contains("class=\"nodata\""),
        "hidden counts have no rate"
    );
    assert_eq!(
        anon.get("/statistik-publik/peta.svg?wilayah=53.01")
            .await
            .status,
        404
    );
    // Live figures are never shown: a new cleared person changes nothing until the next
    // snapshot.
    add_cleared(&app, SECOND, &mut seq).await;
    let again = anon.get("/").await;
    assert!(again.body.contains("<dd>119</dd>"));
    // A regency has no table of its own, an unknown snapshot is 404, and so is nonsense.
    assert_eq!(
        anon.get("/statistik-publik?wilayah=53.01").await.status,
        404
    );
    assert_eq!(
        anon.get("/statistik-publik?potret=999999").await.status,
        404
    );
    assert_eq!(anon.get("/statistik-publik?potret=abc").await.status, 404);
    assert_eq!(anon.get("/data/statistik/999999").await.status, 404);
    let data = anon.get("/data").await;
    assert!(data.body.contains(&format!("/data/statistik/{id}")));
    // A browser that holds the page revalidates it: 304 without the body while it is the
    // same, the page again once it changed. Personal pages carry no validator.
    let tag = page.headers["etag"].to_str().unwrap().to_owned();
    let r = anon
        .get_with("/statistik-publik", &[("if-none-match", &tag)])
        .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = anon
        .get_with("/statistik-publik?wilayah=53", &[("if-none-match", &tag)])
        .await;
    assert_eq!(r.status, 200, "another page, another tag");
    let r = anon.get("/status").await;
    assert!(r.headers.get("etag").is_none());
    assert_eq!(r.headers["cache-control"], "no-store");
    // Gzipped for a browser that accepts it (the same page once unpacked); a page with a
    // form's token never (BREACH).
    let gz = |path: &str| {
        anon.client
            .get(format!("{}{path}", app.base))
            .header("accept-encoding", "gzip")
            .send()
    };
    let z = gz("/statistik-publik").await.unwrap();
    assert_eq!(z.headers()["content-encoding"], "gzip");
    assert!(z.headers()["etag"].to_str().unwrap().ends_with("-gz\""));
    let packed = z.bytes().await.unwrap();
    let mut plain = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&packed[..]), &mut plain)
        .unwrap();
    assert_eq!(plain, page.body);
    assert!(
        packed.len() * 3 < plain.len(),
        "{} of {}",
        packed.len(),
        plain.len()
    );
    let css = gz("/static/gugus.css").await.unwrap();
    assert_eq!(css.headers()["content-encoding"], "gzip");
    for personal in ["/status", "/pengaduan"] {
        let r = gz(personal).await.unwrap();
        assert!(r.headers().get("content-encoding").is_none(), "{personal}");
    }
    // A logged-in user still gets the application's home page at `/`.
    let officer = app.login("data-officer.kupang").await;
    let own = officer.get("/").await;
    assert!(!own.body.contains("Belum ada potret") && !own.body.contains("<dd>119</dd>"));
}

#[tokio::test]
async fn the_public_listener_serves_no_internal_route() {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let site = web::public_app(
        app.store.clone(),
        web::WebConfig {
            secret: vec![7; 32],
            ..Default::default()
        },
    );
    tokio::spawn(web::serve(listener, site, std::future::pending()));
    let anon = Browser::new(&base);
    for path in [
        "/",
        "/statistik-publik",
        "/data",
        "/data.json",
        "/data.jsonld",
        "/status",
        "/pengaduan",
        "/pengaduan/status",
        "/berita",
        "/berita/feed.xml",
        "/sitemap.xml",
        "/healthz",
        "/static/gugus.css",
    ] {
        let r = anon.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        // No way into the application from here: it is not served on this address.
        assert!(
            !r.body.contains("href=\"/login\""),
            "{path} links the login"
        );
    }
    // The language switch works here too.
    let r = anon.get("/lang/en?next=/pengaduan").await;
    assert_eq!(r.status, 303);
    assert!(
        anon.get("/pengaduan")
            .await
            .body
            .contains("Report suspected trafficking")
    );
    // Every internal route, with an API token of the application or without.
    let bearer = format!("Bearer {}", app.token("data-officer.kupang").await);
    for route in web::route_table().into_iter().filter(|(m, _)| *m == "GET") {
        let path = route
            .1
            .replace("{id}", "1")
            .replace("{code}", "53")
            .replace("{file}", "x");
        if [
            "/",
            "/statistik-publik",
            "/data",
            "/data.json",
            "/data.jsonld",
            "/status",
            "/pengaduan",
            "/pengaduan/status",
            "/healthz",
        ]
        .contains(&path.as_str())
            || path.starts_with("/data/statistik/")
            || path.starts_with("/statistik-publik/")
            || path.starts_with("/berita")
            || path == "/sitemap.xml"
            || path.starts_with("/lang/")
            || path.starts_with("/static/")
        {
            continue;
        }
        assert_eq!(
            anon.get(&path).await.status,
            404,
            "{path} on the public listener"
        );
        let r = anon.get_with(&path, &[("authorization", &bearer)]).await;
        assert_eq!(r.status, 404, "{path} with a token on the public listener");
    }
    assert_eq!(anon.get("/login").await.status, 404);
}

#[tokio::test]
async fn the_open_data_catalogue_is_what_ckan_harvests() {
    let app = TestApp::spawn().await;
    let admin = app.actor("admin.nasional").await;
    let unit = app.store.unit(&admin, UnitId(1)).await.unwrap();
    app.store
        .update_unit(
            &admin,
            UnitId(1),
            &domain::unit::NewUnit {
                name: unit.name.clone(),
                kind: domain::unit::UnitKind::TaskForce,
                region: None,
                contact: domain::unit::UnitContact {
                    email: Some("data@gugus.example.go.id".into()),
                    ..Default::default()
                },
            },
        )
        .await
        .unwrap();
    let mut seq = 0;
    add_cleared(&app, FIRST, &mut seq).await;
    let first = app
        .store
        .publish_snapshot(&admin, today() - 31, 11)
        .await
        .unwrap();
    let second = app
        .store
        .publish_snapshot(&admin, today(), 11)
        .await
        .unwrap();
    let anon = Browser::new(&app.base);
    let r = anon.get("/data.json").await;
    assert_eq!(r.status, 200);
    let c: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    // DCAT-US 1.1 (Project Open Data), what ckanext-dcat's dcat_json harvester reads: the
    // catalogue's required fields, then each dataset's and each distribution's.
    assert_eq!(
        c["conformsTo"],
        "https://project-open-data.cio.gov/v1.1/schema"
    );
    assert_eq!(c["@type"], "dcat:Catalog");
    let datasets = c["dataset"].as_array().unwrap();
    assert_eq!(datasets.len(), 1);
    let d = &datasets[0];
    for field in [
        "title",
        "description",
        "modified",
        "identifier",
        "accessLevel",
        "license",
    ] {
        assert!(
            d[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}: {d}"
        );
    }
    assert!(d["keyword"].as_array().is_some_and(|k| !k.is_empty()));
    assert!(
        d["publisher"]["name"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(d["contactPoint"]["fn"].as_str().is_some());
    assert_eq!(
        d["contactPoint"]["hasEmail"],
        "mailto:data@gugus.example.go.id"
    );
    assert_eq!(d["accessLevel"], "public");
    assert_eq!(d["license"], "https://creativecommons.org/licenses/by/4.0/");
    assert_eq!(d["modified"], domain::case::format_day(today()));
    assert_eq!(d["accrualPeriodicity"], "R/P1M");
    let dist = d["distribution"].as_array().unwrap();
    assert_eq!(dist.len(), 2);
    for (x, id) in dist.iter().zip([second, first]) {
        let url = x["downloadURL"].as_str().unwrap();
        assert!(url.starts_with("http://") && url.ends_with(&format!("/data/statistik/{id}")));
        assert_eq!(x["mediaType"], "text/csv");
        // Every link in the catalogue answers.
        let path = &url[url.find("/data/").unwrap()..];
        assert_eq!(anon.get(path).await.status, 200, "{path}");
    }

    // The same in DCAT-AP as JSON-LD (ckanext-dcat's RDF harvester): its context inline,
    // the catalogue, dataset and distributions with what DCAT-AP requires of each
    // (catalogue: title, description, publisher, dataset; dataset: title, description;
    // distribution: access URL) and what CKAN maps (identifier, dates, licence, contact).
    let r = anon.get("/data.jsonld").await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/ld+json")
    );
    let c: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(c["@context"]["dcat"], "http://www.w3.org/ns/dcat#");
    assert_eq!(c["@context"]["dct"], "http://purl.org/dc/terms/");
    assert_eq!(c["@type"], "dcat:Catalog");
    for field in ["dct:title", "dct:description"] {
        assert!(
            c[field]["@value"].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    assert!(c["dct:publisher"]["foaf:name"].as_str().is_some());
    let d = &c["dcat:dataset"][0];
    assert_eq!(d["@type"], "dcat:Dataset");
    assert!(
        d["dct:title"]["@value"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        d["dct:description"]["@value"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(
        d["dct:modified"]["@value"],
        domain::case::format_day(today())
    );
    assert_eq!(d["dct:modified"]["@type"], "xsd:date");
    assert_eq!(
        d["dct:license"]["@id"],
        "https://creativecommons.org/licenses/by/4.0/"
    );
    assert_eq!(
        d["dcat:contactPoint"]["vcard:hasEmail"]["@id"],
        "mailto:data@gugus.example.go.id"
    );
    assert_eq!(d["dct:identifier"], d["@id"]);
    let dist = d["dcat:distribution"].as_array().unwrap();
    assert_eq!(dist.len(), 2);
    for (x, id) in dist.iter().zip([second, first]) {
        assert_eq!(x["@type"], "dcat:Distribution");
        assert!(x["dcat:accessURL"]["@id"].as_str().is_some());
        let url = x["dcat:downloadURL"]["@id"].as_str().unwrap();
        assert!(url.ends_with(&format!("/data/statistik/{id}")));
        assert_eq!(x["@id"], url);
    }
    // Every prefix used is declared in the context.
    let text = r.body.clone();
    for prefix in ["dcat:", "dct:", "foaf:", "vcard:", "xsd:"] {
        assert!(text.contains(prefix));
    }
    for used in text.split('"').filter(|t| {
        t.len() < 40
            && t.contains(':')
            && !t.contains("//")
            && !t.contains(' ')
            && !t.starts_with("mailto")
    }) {
        let prefix = used.split(':').next().unwrap();
        assert!(
            c["@context"][prefix].is_string(),
            "{used}: prefix {prefix} not in the context"
        );
    }
}
