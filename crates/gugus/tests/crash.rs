//! The real `gugus serve` process under stress: killed with SIGKILL under concurrent API
//! writes and restarted (every acknowledged case is there and decrypts, the database's
//! integrity check and the audit chain pass), and two servers starting at the same instant
//! on a fresh database (both come up). On SQLite and (with GUGUS_TEST_DATABASE_URL)
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_gugus");
const PASSWORD: &str = "kata-sandi-uji-123";

fn gugus(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .args(args)
        .env_remove("GUGUS_DATABASE_URL")
        .env_remove("GUGUS_SECRET_KEY_FILE")
        .env("GUGUS_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    gugus(dir, args, env).stdin(Stdio::null()).output().unwrap()
}

/// A working directory for one test, removed when the test ends.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "gugus-crash-{name}-{}-{}",
        std::process::id(),
        store::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// A running server; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path, env: &[(&str, &str)]) -> Child {
    let mut c = gugus(dir, &["serve", "--listen", "127.0.0.1:0"], env);
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    c.spawn().unwrap()
}

/// Waits for the server to announce its address; its stderr is returned if it exits first.
fn listening(mut child: Child) -> Result<Server, String> {
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let o = child.wait_with_output().unwrap();
            return Err(String::from_utf8_lossy(&o.stderr).into_owned());
        }
        if let Some(rest) = line.trim().strip_prefix("Gugus is listening on ") {
            let base = rest.trim_end_matches('/').to_owned();
            // Keep draining both pipes so the server never blocks on a full one.
            std::thread::spawn(move || for _ in out.lines() {});
            let err = BufReader::new(child.stderr.take().unwrap());
            std::thread::spawn(move || for _ in err.lines() {});
            return Ok(Server { child, base });
        }
    }
}

fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
    listening(spawn(dir, env)).unwrap_or_else(|e| panic!("server exited before listening: {e}"))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A data officer in Kupang and an API token of theirs, made in-process on `url` with the
/// test key.
async fn officer_token(url: &str) -> String {
    use domain::{Actor, UnitId};
    let s = store::Store::connect(url)
        .await
        .unwrap()
        .with_keyring(store::testing::test_keyring());
    let system = Actor::system(UnitId(1));
    let unit = s
        .create_unit(
            &system,
            &domain::unit::NewUnit::parse("GT Kabupaten Kupang", "task_force", "53.01").unwrap(),
        )
        .await
        .unwrap();
    let new = domain::user::NewUser::parse(
        "petugas.kupang",
        "Petugas Uji",
        "",
        &unit.0.to_string(),
        "data_officer",
        PASSWORD,
    )
    .unwrap();
    s.create_user(&system, &new).await.unwrap();
    let store::LoginOutcome::Ok { token, .. } =
        s.login("petugas.kupang", PASSWORD, "t").await.unwrap()
    else {
        panic!("login failed")
    };
    let actor = s.session(&token).await.unwrap().unwrap().actor;
    let secret = s
        .create_token(&actor, "crash")
        .await
        .unwrap()
        .secret
        .expose()
        .clone();
    s.close().await;
    secret
}

fn case_body(name: &str) -> String {
    serde_json::json!({
        "channel": "police",
        "reported_on": "2026-03-02",
        "exploitation_from": "2025-06-01",
        "rescued_on": "2026-02-20",
        "chronology": "Direkrut sponsor untuk bekerja di kebun sawit.",
        "trafficking_status": "confirmed",
        "exploitation": ["forced_labour"],
        "victims": [{"name": name, "nik": "5301055708990001", "sex": "female", "birth_date": "1999-08-17"}],
    })
    .to_string()
}

/// (case id, victim name) of every case the server acknowledged with 201.
type Acked = Arc<Mutex<Vec<(i64, String)>>>;

/// Creates cases until the server is gone; a refusal while it runs is recorded.
async fn writer(base: String, token: String, w: usize, acked: Acked, refused: Acked) {
    let c = reqwest::Client::new();
    for i in 0.. {
        let name = format!("Korban Uji {w} {i}");
        let sent = c
            .post(format!("{base}/api/v1/cases"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(case_body(&name))
            .send()
            .await;
        let Ok(r) = sent else { return };
        let status = r.status().as_u16();
        let Ok(body) = r.text().await else { return };
        if status == 201 {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            acked
                .lock()
                .unwrap()
                .push((v["id"].as_i64().unwrap(), name));
        } else {
            refused.lock().unwrap().push((status as i64, body));
        }
    }
}

#[cfg(unix)]
#[test]
fn sigkill_under_writes_loses_no_acknowledged_case() {
    let rt = rt();
    let db = rt.block_on(store::testing::fresh_db());
    let dir = tempdir("kill");
    let token = rt.block_on(officer_token(&db.url));
    std::fs::write(dir.join("gugus.key"), format!("{}\n", "2a".repeat(32))).unwrap();
    let env = [
        ("GUGUS_DATABASE_URL", db.url.as_str()),
        ("GUGUS_SECRET_KEY_FILE", "gugus.key"),
    ];
    let mut server = start(&dir, &env);
    let acked: Acked = Default::default();
    let refused: Acked = Default::default();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..6 {
            tasks.push(tokio::spawn(writer(
                server.base.clone(),
                token.clone(),
                w,
                acked.clone(),
                refused.clone(),
            )));
        }
        // A few seconds of load, then the kill while requests are in flight.
        while acked.lock().unwrap().len() < 40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        server.child.kill().unwrap();
        for t in tasks {
            t.await.unwrap();
        }
    });
    server.child.wait().unwrap();
    assert!(
        refused.lock().unwrap().is_empty(),
        "refused before the kill: {:?}",
        refused.lock().unwrap()
    );
    let acked = acked.lock().unwrap().clone();
    let server = start(&dir, &env);
    rt.block_on(async {
        let c = reqwest::Client::new();
        for (id, name) in &acked {
            let r = c
                .get(format!("{}/api/v1/cases/{id}", server.base))
                .header("authorization", format!("Bearer {token}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "acknowledged case {id} lost");
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["victims"][0]["name"].as_str(), Some(name.as_str()));
        }
    });
    drop(server);
    assert_eq!(rt.block_on(store::testing::integrity_check(&db.url)), "ok");
    let o = run(&dir, &["audit", "verify"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit chain intact"));
}

#[test]
fn two_servers_starting_at_once_on_a_fresh_database_both_come_up() {
    let rt = rt();
    let db = rt.block_on(store::testing::empty_db());
    let dir = tempdir("start");
    // The database and, as on a first start, the default key file are made by the servers
    // themselves (on SQLite in the working directory beside the database).
    let url = if db.url.starts_with("postgres") {
        db.url.clone()
    } else {
        "sqlite://gugus.db".to_owned()
    };
    let env = [("GUGUS_DATABASE_URL", url.as_str())];
    let a = spawn(&dir, &env);
    let b = spawn(&dir, &env);
    let (a, b) = (listening(a), listening(b));
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => panic!(
            "a server did not come up: {:?} / {:?}",
            a.err().unwrap_or_default(),
            b.err().unwrap_or_default()
        ),
    };
    rt.block_on(async {
        for s in [&a, &b] {
            let r = reqwest::get(format!("{}/healthz", s.base)).await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
        }
    });
    drop((a, b));
    let o = run(&dir, &["check"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("83762 villages"));
}
