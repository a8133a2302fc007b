//! `TestApp::spawn()`: the real application on 127.0.0.1:0 over a private database (SQLite,
//! or PostgreSQL when GUGUS_TEST_DATABASE_URL is set) holding the fixture units and
//! accounts, and cookie-keeping browsers that pick up the CSRF token from each page like a
//! person's would.
//!
//! The fixtures are made once per test process, through the store as an operator would, into a
//! template database (on top of the region reference) that each test gets a copy of.

pub mod smtp;

use domain::time::{Clock, Zone};
use domain::unit::NewUnit;
use domain::user::NewUser;
use domain::{Actor, UnitId, UserId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;
use store::Store;
use store::testing::{Template, TestDb};
use tokio::sync::OnceCell;

pub const PASSWORD: &str = "kata-sandi-uji-99";

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub units: HashMap<&'static str, UnitId>,
    pub users: HashMap<String, UserId>,
    _db: TestDb,
}

/// (key, name, region)
const UNITS: &[(&str, &str, &str)] = &[
    ("kalteng", "GT Provinsi Kalimantan Tengah", "62"),
    ("palangkaraya", "GT Kota Palangkaraya", "62.71"),
    ("ntt", "GT Provinsi Nusa Tenggara Timur", "53"),
    ("kupang", "GT Kabupaten Kupang", "53.01"),
];

/// The template every `TestApp` copies, and the ids of what it holds.
struct Fixtures {
    template: Template,
    units: HashMap<&'static str, UnitId>,
    users: HashMap<String, UserId>,
}

static FIXTURES: OnceCell<Fixtures> = OnceCell::const_new();

/// Units under national and, in each, an admin, a data officer and a viewer (plus a
/// verifier in Kalimantan Tengah and at national level), all with [`PASSWORD`]: made by
/// the first test that needs them, copied by every test.
async fn fixtures() -> &'static Fixtures {
    FIXTURES
        .get_or_init(|| async {
            let (template, (units, users)) = Template::build(async |store: &Store| {
                let system = Actor::system(UnitId(1));
                let mut units = HashMap::new();
                units.insert("nasional", UnitId(1));
                for (key, name, region) in UNITS {
                    let id = store
                        .create_unit(
                            &system,
                            &NewUnit::parse(name, "task_force", region).unwrap(),
                        )
                        .await
                        .unwrap();
                    units.insert(*key, id);
                }
                let mut users = HashMap::new();
                for (unit_key, unit) in units.clone() {
                    // Verifiers in Kalimantan Tengah and at national level; NTT has none, so
                    // its units submit straight to national.
                    let roles: &[&str] = if matches!(unit_key, "kalteng" | "nasional") {
                        &["admin", "data_officer", "viewer", "verifier"]
                    } else {
                        &["admin", "data_officer", "viewer"]
                    };
                    for role in roles.iter().copied() {
                        let username = format!("{role}.{unit_key}").replace('_', "-");
                        let new = NewUser::parse(
                            &username,
                            "Petugas Uji",
                            "",
                            &unit.0.to_string(),
                            role,
                            PASSWORD,
                        )
                        .unwrap();
                        let id = store.create_user(&system, &new).await.unwrap();
                        users.insert(username, id);
                    }
                }
                (units, users)
            })
            .await;
            Fixtures {
                template,
                units,
                users,
            }
        })
        .await
}

thread_local! {
    /// The clock of the app this test spawned: each test runs on its own thread, and its
    /// server runs on that thread's runtime, so [`today`] reads the server's clock.
    static CLOCK: RefCell<Option<Clock>> = const { RefCell::new(None) };
}

/// The hour (UTC) test apps start at: 05:00 UTC is 12:00 WIB, 13:00 WITA and 14:00 WIT, the
/// same calendar day in every zone, so no test depends on the hour the suite runs at.
pub const DEFAULT_UTC_TIME: (i64, i64) = (5, 0);

/// Today's date at `hh:mm` UTC, in unix ms.
pub fn utc_today_at(hh: i64, mm: i64) -> i64 {
    store::now_ms().div_euclid(86_400_000) * 86_400_000 + (hh * 60 + mm) * 60_000
}

/// Today in WIB by the clock of this test's app (the day the server checks dates against
/// for Kalimantan Tengah and national staff; at the hours tests run at, NTT's WITA day is
/// the same).
pub fn today() -> i64 {
    CLOCK.with(|c| {
        c.borrow()
            .as_ref()
            .map(|c| c.today(Zone::Wib))
            .unwrap_or_else(|| Clock::system().today(Zone::Wib))
    })
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_at_utc(DEFAULT_UTC_TIME.0, DEFAULT_UTC_TIME.1).await
    }

    /// The application with its clock set to today `hh:mm` UTC (time goes on from there).
    pub async fn spawn_at_utc(hh: i64, mm: i64) -> TestApp {
        let app = Self::spawn_with(
            web::WebConfig {
                secret: vec![7; 32],
                ..Default::default()
            },
            None,
        )
        .await;
        app.store.clock().set_now_ms(utc_today_at(hh, mm));
        app
    }

    /// The application with this configuration, and this policy for its store (the
    /// fixtures are the same for every policy).
    pub async fn spawn_with(config: web::WebConfig, policy: Option<store::AuthPolicy>) -> TestApp {
        Self::spawn_limited(config, policy, web::ServeLimits::default()).await
    }

    /// The application served within these connection limits.
    pub async fn spawn_limited(
        config: web::WebConfig,
        policy: Option<store::AuthPolicy>,
        limits: web::ServeLimits,
    ) -> TestApp {
        let fixtures = fixtures().await;
        let db = fixtures.template.fresh_db().await;
        let clock = Clock::system();
        clock.set_now_ms(utc_today_at(DEFAULT_UTC_TIME.0, DEFAULT_UTC_TIME.1));
        CLOCK.with(|c| *c.borrow_mut() = Some(clock.clone()));
        let mut store = Store::connect(&db.url)
            .await
            .unwrap()
            .with_keyring(store::testing::test_keyring())
            .with_clock(clock);
        if let Some(p) = policy {
            store = store.with_policy(p);
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let app = web::app(store.clone(), config);
        tokio::spawn(web::serve_with(
            listener,
            app,
            limits,
            std::future::pending(),
        ));
        TestApp {
            base,
            store,
            units: fixtures.units.clone(),
            users: fixtures.users.clone(),
            _db: db,
        }
    }

    /// The database this app runs on, for a second server (node) on the same data.
    pub fn db_url(&self) -> &str {
        &self._db.url
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser logged in as `username` (fixture password).
    pub async fn login(&self, username: &str) -> Browser {
        let b = self.browser();
        b.get("/login").await;
        let r = b
            .post_form(
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "login of {username} failed: {}", r.body);
        // The CSRF token is bound to the new session: pick it up from a page, as a browser would.
        b.get("/account").await;
        b
    }

    pub fn user(&self, username: &str) -> UserId {
        self.users[username]
    }

    /// The actor of a fixture account (as the store sees it after login).
    pub async fn actor(&self, username: &str) -> Actor {
        let store::LoginOutcome::Ok { token, .. } =
            self.store.login(username, PASSWORD, "t").await.unwrap()
        else {
            panic!("login of {username} failed")
        };
        self.store.session(&token).await.unwrap().unwrap().actor
    }

    /// A case registered by `username` with one victim called `name` (the sample case):
    /// the case and the victim's id.
    pub async fn case_with_victim(&self, username: &str, name: &str) -> (store::CaseId, i64) {
        let actor = self.actor(username).await;
        let (case, _) = self
            .store
            .create_case(&actor, &sample_case(name))
            .await
            .unwrap();
        let victim = self.store.case(&actor, case).await.unwrap().victims[0].id;
        (case, victim)
    }

    /// An API token of a fixture account.
    pub async fn token(&self, username: &str) -> String {
        let actor = self.actor(username).await;
        self.store
            .create_token(&actor, "test")
            .await
            .unwrap()
            .secret
            .expose()
            .clone()
    }
}

pub struct Resp {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A person at a browser: keeps cookies and the latest CSRF token seen on a page.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: Mutex<String>,
}

fn extract_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    body.find(marker).map(|i| {
        body[i + marker.len()..]
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    })
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: base.to_owned(),
            csrf: Mutex::new(String::new()),
        }
    }

    async fn finish(&self, r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        if let Some(t) = extract_csrf(&body) {
            *self.csrf.lock().unwrap() = t;
        }
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send().await.unwrap()).await
    }

    /// Submits a form with the CSRF token from the last page, as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf.lock().unwrap().clone();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw_form(path, &all).await
    }

    /// Submits exactly these fields (no CSRF token added).
    pub async fn post_raw_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Submits exactly these fields with these extra headers (no CSRF token added).
    pub async fn post_raw_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send().await.unwrap()).await
    }

    /// Sends JSON with the session's CSRF header (a script in the page would do this).
    pub async fn send_json(&self, method: &str, path: &str, body: &serde_json::Value) -> Resp {
        let token = self.csrf.lock().unwrap().clone();
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = self
            .client
            .request(m, format!("{}{path}", self.base))
            .header("x-csrf-token", token)
            .json(body)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }
}

/// A bare API client with a bearer token.
pub async fn api(base: &str, token: &str, method: &str, path: &str, body: Option<&str>) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = client
        .request(m, format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    Resp {
        status,
        body: r.text().await.unwrap(),
        headers,
    }
}

/// A valid case with one victim (synthetic data).
pub fn sample_input(name: &str) -> domain::case::CaseInput {
    domain::case::CaseInput {
        channel: "police".into(),
        reported_on: "2026-03-02".into(),
        exploitation_from: "2025-06-01".into(),
        rescued_on: "2026-02-20".into(),
        chronology: "Direkrut sponsor untuk bekerja di kebun sawit.".into(),
        trafficking_status: "confirmed".into(),
        exploitation: vec!["forced_labour".into()],
        victims: vec![domain::case::VictimInput {
            name: name.into(),
            nik: "5301055708990001".into(),
            sex: "female".into(),
            birth_date: "1999-08-17".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn sample_case(name: &str) -> domain::case::NewCase {
    domain::case::NewCase::parse(&sample_input(name), today()).unwrap()
}

/// Percent-encodes a form key or value (everything but unreserved characters).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a page holds right after `marker` up to the next `end` (a field's value, an
/// element's text); panics naming the marker when the page has none.
pub fn after(body: &str, marker: &str, end: char) -> String {
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} on the page: {body}"))
        + marker.len();
    body[at..][..body[at..].find(end).unwrap()].to_owned()
}

/// The text of the element with id `id` (`id="{id}">text<`).
pub fn text_of(body: &str, id: &str) -> String {
    after(body, &format!("id=\"{id}\">"), '<')
}
