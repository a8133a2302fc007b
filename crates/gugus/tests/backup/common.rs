//! Helpers of the backup tests: the binary run in a temporary directory against a test
//! database, a server process, an account with an API token, and empty restore targets.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_gugus");
pub const PASSPHRASE: &str = "kata sandi cadangan kantor";
pub const KEY_HEX: &str = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

/// A working directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "gugus-bk-{name}-{}-{}",
        std::process::id(),
        store::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// `gugus ARGS` in `dir` against `url`, key file `key` (relative to `dir`), passphrase set.
pub fn gugus(dir: &Path, url: &str, key: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .args(args)
        .env("GUGUS_DATABASE_URL", url)
        .env("GUGUS_SECRET_KEY_FILE", key)
        .env("GUGUS_BACKUP_PASSPHRASE", PASSPHRASE)
        .env_remove("GUGUS_BACKUP_DIR")
        .env_remove("GUGUS_AUDIT_CHECKPOINT_FILE")
        .env_remove("GUGUS_PREVIOUS_SECRET_KEY_FILE")
        .env("GUGUS_LOG", "warn")
        .stdin(Stdio::null());
    c
}

pub fn run(dir: &Path, url: &str, key: &str, args: &[&str]) -> Output {
    gugus(dir, url, key, args).output().unwrap()
}

pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(c: Command) -> Server {
    start_with(c, &[])
}

/// `serve` with `extra` options after it.
pub fn start_with(mut c: Command, extra: &[&str]) -> Server {
    c.args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let base = loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("server exited before listening");
        }
        if let Some(rest) = line.trim().strip_prefix("Gugus is listening on ") {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    std::thread::spawn(move || for _ in out.lines() {});
    Server { child, base }
}

/// A test database with the key file `k.key` in `dir`, a Kupang task force and one of its
/// data officers; returns the officer's API token.
pub async fn officer_token(dir: &Path, url: &str) -> String {
    std::fs::write(dir.join("k.key"), format!("{KEY_HEX}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("k.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = hex::decode(KEY_HEX).unwrap();
    let store = store::Store::connect(url)
        .await
        .unwrap()
        .with_keyring(store::crypto::Keyring::new(&key, None).unwrap());
    let system = domain::Actor::system(domain::UnitId(1));
    let unit =
        domain::unit::NewUnit::parse("GT PP-TPPO Kota Kupang", "task_force", "53.71").unwrap();
    let unit = store.create_unit(&system, &unit).await.unwrap();
    let password = "kata-sandi-uji-12345";
    let new = domain::user::NewUser::parse(
        "petugas.kupang",
        "Petugas Uji",
        "",
        &unit.0.to_string(),
        "data_officer",
        password,
    )
    .unwrap();
    store.create_user(&system, &new).await.unwrap();
    let store::LoginOutcome::Ok { token, .. } =
        store.login("petugas.kupang", password, "t").await.unwrap()
    else {
        panic!("login failed")
    };
    let actor = store.session(&token).await.unwrap().unwrap().actor;
    let t = store.create_token(&actor, "backup test").await.unwrap();
    let secret = t.secret.expose().clone();
    store.close().await;
    secret
}

/// An invented victim name for case `i` (letters only).
pub fn victim_name(i: usize) -> String {
    let tail: String = i
        .to_string()
        .bytes()
        .map(|b| char::from(b'a' + (b - b'0')))
        .collect();
    format!("Sari Korban {}{tail}", "Uji")
}

pub fn case_json(i: usize) -> String {
    let input = domain::case::CaseInput {
        channel: "police".into(),
        reported_on: "2026-03-02".into(),
        exploitation_from: "2025-06-01".into(),
        rescued_on: "2026-02-20".into(),
        chronology: "Direkrut sponsor untuk bekerja di kebun sawit.".into(),
        trafficking_status: "confirmed".into(),
        exploitation: vec!["forced_labour".into()],
        victims: vec![domain::case::VictimInput {
            name: victim_name(i),
            sex: "female".into(),
            birth_date: "1999-08-17".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    serde_json::to_string(&input).unwrap()
}

pub async fn api(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<String>,
) -> (u16, serde_json::Value) {
    let mut req = c
        .request(method, format!("{base}{path}"))
        .header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// An empty restore target: a file that does not exist yet, or a new PostgreSQL database
/// (dropped with the guard).
pub struct Target {
    pub url: String,
    pg: Option<(String, String)>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(store::core::integrity::postgres_scratch(
                    &base, &name, false,
                ))
            })
            .join();
        }
    }
}

pub async fn empty_target(dir: &Path, n: u32) -> Target {
    match store::testing::postgres_base() {
        Some(base) => {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let name = format!("gugus_t_{secs}_{}_{}", std::process::id(), 900_000 + n);
            store::core::integrity::postgres_scratch(&base, &name, true)
                .await
                .unwrap();
            Target {
                url: store::core::integrity::postgres_url_with_db(&base, &name),
                pg: Some((base, name)),
            }
        }
        None => Target {
            url: format!("sqlite://{}/restored-{n}.db", dir.display()),
            pg: None,
        },
    }
}

/// Files in `dir` (names), sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
