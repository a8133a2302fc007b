//! The `gugus` binary as an operator uses it: start-up errors, the demo, two server
//! processes sharing one database, account commands, audit verification and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_gugus");

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

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut c = gugus(dir, args, env);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// A working directory for one test, removed (with the databases and keys made in it) when
/// the test ends.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
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
        "gugus-cli-{name}-{}-{}",
        std::process::id(),
        store::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running server; killed when dropped.
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

fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut c = gugus(dir, args, env);
    c.stdout(Stdio::piped()).stderr(Stdio::inherit());
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
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in out.lines() {});
    Server { child, base }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(body: &str) -> String {
    let m = "name=\"csrf\" value=\"";
    body[body.find(m).unwrap() + m.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Logs in through the form; returns the session cookie value.
async fn login(c: &reqwest::Client, base: &str, username: &str, password: &str) -> Option<String> {
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_of(&page).as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    if r.status().as_u16() != 303 {
        return None;
    }
    let cookie = r.headers().get("set-cookie")?.to_str().ok()?.to_owned();
    Some(
        cookie
            .split(';')
            .next()?
            .trim_start_matches("gugus_session=")
            .to_owned(),
    )
}

#[test]
fn unknown_database_scheme_is_a_one_line_error_and_creates_nothing() {
    let dir = tempdir("scheme");
    let o = run(
        &dir,
        &["migrate", "--database-url", "sqlit://gugus.db"],
        &[],
        None,
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("unsupported database URL scheme 'sqlit'"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no file may be created"
    );
    let o = run(
        &dir,
        &["serve", "--database-url", "mysql://x@y/z"],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn bad_key_files_are_one_line_errors() {
    let dir = tempdir("key");
    let o = run(
        &dir,
        &[
            "serve",
            "--secret-key-file",
            "/nonexistent/gugus.key",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("cannot read secret key file /nonexistent/gugus.key"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1);
    std::fs::write(dir.join("short.key"), "abcd").unwrap();
    let o = run(
        &dir,
        &["check", "--secret-key-file", "short.key"],
        &[],
        None,
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("must hold 64 hex characters"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn port_in_use_is_a_one_line_error() {
    let dir = tempdir("port");
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let o = run(&dir, &["serve", "--listen", &addr], &[], None);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempdir("jsonlog");
    let o = run(
        &dir,
        &["migrate"],
        &[("GUGUS_LOG_FORMAT", "json"), ("GUGUS_LOG", "info")],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|v| v["level"] == "INFO" && v["fields"]["message"] == "applied migration"),
        "{err}"
    );
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// (username suffix, usernames visible to that region's admin)
fn subtree(short: &str) -> &'static [&'static str] {
    match short {
        "nasional" => &[
            "nasional",
            "kalteng",
            "palangkaraya",
            "kotim",
            "ntt",
            "kupang",
            "belu",
        ],
        "kalteng" => &["kalteng", "palangkaraya", "kotim"],
        "ntt" => &["ntt", "kupang", "belu"],
        "palangkaraya" => &["palangkaraya"],
        "kotim" => &["kotim"],
        "kupang" => &["kupang"],
        "belu" => &["belu"],
        _ => &[],
    }
}

#[test]
fn demo_accounts_log_in_and_see_only_their_scope() {
    let rt = rt();
    let db = rt.block_on(store::testing::fresh_db());
    let dir = tempdir("demo");
    // On SQLite the demo's own default database is used, as in the README.
    let mut env: Vec<(&str, &str)> = vec![("GUGUS_LOGINS_PER_MINUTE", "1000")];
    if db.url.starts_with("postgres") {
        env.push(("GUGUS_DATABASE_URL", db.url.as_str()));
    }
    let server = start(&dir, &["demo", "--listen", "127.0.0.1:0"], &env);
    if !db.url.starts_with("postgres") {
        assert!(dir.join("gugus-demo.db").exists() && dir.join("gugus-demo.key").exists());
    }
    rt.block_on(async {
        let shorts = [
            "nasional",
            "kalteng",
            "palangkaraya",
            "kotim",
            "ntt",
            "kupang",
            "belu",
        ];
        let roles = [
            "admin",
            "data",
            "verifikator",
            "pendamping",
            "mitra",
            "analis",
            "pemantau",
        ];
        for short in shorts {
            for role in roles {
                let username = format!("{role}.{short}");
                let c = client();
                assert!(
                    login(&c, &server.base, &username, "Demo-Gugus-2026")
                        .await
                        .is_some(),
                    "{username} cannot log in"
                );
                let home = c
                    .get(format!("{}/", server.base))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let scope_ok = match short {
                    "nasional" => home.contains("<dd>Nasional</dd>"),
                    "kalteng" => home.contains("(62)"),
                    "ntt" => home.contains("(53)"),
                    "palangkaraya" => home.contains("(62.71)"),
                    "kotim" => home.contains("(62.02)"),
                    "kupang" => home.contains("(53.01)"),
                    _ => home.contains("(53.04)"),
                };
                assert!(scope_ok, "{username}: wrong scope on the home page");
                let users = c
                    .get(format!("{}/users", server.base))
                    .send()
                    .await
                    .unwrap();
                if role == "admin" {
                    let body = users.text().await.unwrap();
                    for other in shorts {
                        let visible = body.contains(&format!(">admin.{other}<"));
                        assert_eq!(
                            visible,
                            subtree(short).contains(&other),
                            "{username} seeing admin.{other}"
                        );
                    }
                } else {
                    assert_eq!(users.status().as_u16(), 403, "{username} opened /users");
                }
            }
        }
        // Referrals between Kalimantan Tengah and NTT wait on both sides, some overdue and
        // escalated; restitution is awarded and partly paid.
        for (username, want) in [
            ("data.kupang", "Rujukan masuk"),
            ("data.palangkaraya", "Rujukan masuk"),
        ] {
            let c = client();
            login(&c, &server.base, username, "Demo-Gugus-2026")
                .await
                .unwrap();
            let tasks = c
                .get(format!("{}/tasks", server.base))
                .send()
                .await
                .unwrap();
            let body = tasks.text().await.unwrap();
            assert!(body.contains(want), "{username} /tasks lacks {want}");
            assert!(
                body.contains("Lewat tenggat"),
                "{username}: nothing overdue"
            );
        }
        let c = client();
        login(&c, &server.base, "data.ntt", "Demo-Gugus-2026")
            .await
            .unwrap();
        let esc = c
            .get(format!("{}/referrals?which=escalated", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            esc.contains("/referrals/"),
            "NTT sees no escalated referral"
        );
        let rest = c
            .get(format!("{}/restitution", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            rest.contains("Kabupaten Kupang") || rest.contains("KUPANG"),
            "no restitution in NTT"
        );
        // The broker recorded in Kupang and in Palangka Raya waits for the national
        // verifier as one perpetrator pair.
        let c = client();
        login(&c, &server.base, "verifikator.nasional", "Demo-Gugus-2026")
            .await
            .unwrap();
        let pairs = c
            .get(format!("{}/perpetrators/pairs", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            pairs.contains("Kabupaten Kupang") && pairs.contains("Kota Palangkaraya"),
            "no perpetrator pair in the demo"
        );
        // The rules the demo cases break are counted, as a save would have counted them.
        let rules = c
            .get(format!("{}/rules", server.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let breaking = rules
            .split(r#"data-label="Kasus saat ini" class="num">"#)
            .skip(1)
            .filter(|s| !s.starts_with("0<"))
            .count();
        assert!(breaking > 0, "no rule counts a demo case: {rules}");
    });
    drop(server);
    // Running the demo again reuses the data.
    let o = run(&dir, &["demo", "--no-serve"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn two_server_processes_share_sessions_and_cli_manages_accounts() {
    let rt = rt();
    let db = rt.block_on(store::testing::fresh_db());
    let dir = tempdir("two");
    let env = [
        ("GUGUS_DATABASE_URL", db.url.as_str()),
        ("GUGUS_SECRET_KEY_FILE", "shared.key"),
    ];
    std::fs::write(dir.join("shared.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    let o = run(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "admin.uji",
            "--name",
            "Admin Uji",
            "--role",
            "admin",
        ],
        &env,
        Some("kata-sandi-cli-123\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "x",
            "--name",
            "",
            "--role",
            "raja",
        ],
        &env,
        Some("pendek\n"),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("username")
            && stderr(&o).contains("role")
            && stderr(&o).contains("password"),
        "{}",
        stderr(&o)
    );
    let a = start(&dir, &["serve", "--listen", "127.0.0.1:0"], &env);
    let b = start(&dir, &["serve", "--listen", "127.0.0.1:0"], &env);
    rt.block_on(async {
        let c = client();
        let session = login(&c, &a.base, "admin.uji", "kata-sandi-cli-123")
            .await
            .expect("login on server A");
        // The same cookie on server B: the session lives in the shared database.
        let plain = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = plain
            .get(format!("{}/users", b.base))
            .header("cookie", format!("gugus_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.text().await.unwrap().contains("admin.uji"));
    });
    let o = run(
        &dir,
        &["user", "disable", "--username", "admin.uji"],
        &env,
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    rt.block_on(async {
        assert!(
            login(&client(), &b.base, "admin.uji", "kata-sandi-cli-123")
                .await
                .is_none(),
            "disabled account logged in"
        );
    });
    run(
        &dir,
        &["user", "enable", "--username", "admin.uji"],
        &env,
        None,
    );
    let o = run(
        &dir,
        &["user", "passwd", "--username", "admin.uji"],
        &env,
        Some("sandi-baru-dari-cli\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    rt.block_on(async {
        assert!(
            login(&client(), &a.base, "admin.uji", "sandi-baru-dari-cli")
                .await
                .is_some()
        );
    });
    let o = run(&dir, &["user", "list"], &env, None);
    assert!(String::from_utf8_lossy(&o.stdout).contains("admin.uji"));
    let o = run(&dir, &["check"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("83762 villages"));
    // The audit chain is intact, then tampering is found and named.
    let o = run(&dir, &["audit", "verify"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("audit chain intact"));
    rt.block_on(async {
        let s = store::Store::connect(&db.url).await.unwrap();
        s.disable_audit_guard_for_tests().await.unwrap();
        s.exec_raw_for_tests("UPDATE audit_log SET actor_username = 'orang.lain' WHERE seq = 2")
            .await
            .unwrap();
        s.close().await;
    });
    let o = run(&dir, &["audit", "verify"], &env, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("entry 2 was altered"), "{}", stderr(&o));
    drop((a, b));
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_gracefully() {
    let dir = tempdir("term");
    let mut s = start(&dir, &["serve", "--listen", "127.0.0.1:0"], &[]);
    let pid = s.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(st) = s.child.try_wait().unwrap() {
            status = Some(st);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "server did not exit cleanly on SIGTERM: {status:?}"
    );
}

#[test]
fn the_wrong_key_never_starts_silently() {
    let dir = tempdir("wrongkey");
    let o = run(
        &dir,
        &["generate", "--cases", "3", "--seed", "1"],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&dir, &["check"], &[], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("a stored identity decrypts"));
    assert!(
        run(&dir, &["keys", "new", "--out", "other.key"], &[], None)
            .status
            .success()
    );
    // Another key: check and serve both refuse, in one line, naming the cause.
    for args in [
        &["check", "--secret-key-file", "other.key"][..],
        &[
            "serve",
            "--secret-key-file",
            "other.key",
            "--listen",
            "127.0.0.1:0",
        ][..],
    ] {
        let o = run(&dir, args, &[], None);
        assert!(!o.status.success(), "{args:?} started");
        assert!(
            stderr(&o).contains("does not decrypt the identities"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // The key file lost: serve refuses and creates no new key beside the data.
    std::fs::rename(dir.join("gugus.key"), dir.join("saved.key")).unwrap();
    let o = run(&dir, &["serve", "--listen", "127.0.0.1:0"], &[], None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no secret key file"), "{}", stderr(&o));
    assert!(!dir.join("gugus.key").exists(), "a fresh key was created");
    // A key file others may read is warned about.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("saved.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = run(
        &dir,
        &["check", "--secret-key-file", "saved.key"],
        &[],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("readable by other users"),
        "{}",
        stderr(&o)
    );
}
