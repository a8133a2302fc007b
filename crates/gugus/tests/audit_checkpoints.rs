//! The audit trail cannot be shortened unseen (issue 11, item 12): signed checkpoints in
//! the database, in the checkpoint file and in a line an admin kept catch the attack of
//! someone with database rights who drops the triggers, deletes the newest entries and
//! moves `audit_head` back; a forged checkpoint is named; an untouched trail verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gugus");

/// A working directory removed when the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "gugus-cp-{name}-{}-{}",
        std::process::id(),
        store::now_ms()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// `gugus ARGS` in `dir` against `url` with the key file `k.key`.
fn gugus(dir: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .env("GUGUS_DATABASE_URL", url)
        .env("GUGUS_SECRET_KEY_FILE", "k.key")
        .env_remove("GUGUS_AUDIT_CHECKPOINT_FILE")
        .env_remove("GUGUS_PREVIOUS_SECRET_KEY_FILE")
        .env("GUGUS_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An account added from the command line: one more audit entry.
fn add_user(dir: &Path, url: &str, username: &str) {
    let o = gugus(
        dir,
        url,
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            "Petugas Uji",
            "--role",
            "viewer",
        ],
        Some("kata-sandi-uji-12345\n"),
    );
    assert!(o.status.success(), "{}", err(&o));
}

/// `gugus audit checkpoint`: the line it prints.
fn checkpoint(dir: &Path, url: &str) -> String {
    let o = gugus(dir, url, &["audit", "checkpoint"], None);
    assert!(o.status.success(), "{}", err(&o));
    let line = out(&o).trim().to_owned();
    assert!(line.starts_with("gugus-audit-checkpoint v1 seq="), "{line}");
    line
}

fn verify(dir: &Path, url: &str, lines: &[&str]) -> Output {
    let mut args = vec!["audit", "verify"];
    for l in lines {
        args.extend(["--checkpoint", l]);
    }
    gugus(dir, url, &args, None)
}

fn seq_of(line: &str) -> i64 {
    line.split(' ')
        .find_map(|w| w.strip_prefix("seq="))
        .unwrap()
        .parse()
        .unwrap()
}

/// A trail of a few entries with two checkpoints (table and file): (dir, db, lines).
fn setup(name: &str) -> (TempDir, store::testing::TestDb, String, String) {
    let db = rt().block_on(store::testing::fresh_db());
    let dir = tempdir(name);
    std::fs::write(dir.0.join("k.key"), format!("{}\n", "cd".repeat(32))).unwrap();
    add_user(&dir.0, &db.url, "satu.uji");
    let first = checkpoint(&dir.0, &db.url);
    add_user(&dir.0, &db.url, "dua.uji");
    add_user(&dir.0, &db.url, "tiga.uji");
    let second = checkpoint(&dir.0, &db.url);
    assert!(seq_of(&second) > seq_of(&first));
    (dir, db, first, second)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// As an attacker with database rights and no key: drop the append-only triggers, delete
/// the two newest entries and move the head back to the entry left newest.
fn shorten_the_trail(url: &str) {
    rt().block_on(async {
        let s = store::Store::connect(url).await.unwrap();
        s.disable_audit_guard_for_tests().await.unwrap();
        s.exec_raw_for_tests(
            "DELETE FROM audit_log WHERE seq > (SELECT MAX(seq) - 2 FROM audit_log)",
        )
        .await
        .unwrap();
        s.exec_raw_for_tests(
            "UPDATE audit_head SET seq = (SELECT MAX(seq) FROM audit_log), \
             hash = (SELECT hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)) WHERE id = 1",
        )
        .await
        .unwrap();
        s.close().await;
    });
}

/// The attacker also deletes the stored checkpoints that saw the deleted entries.
fn delete_newer_checkpoints(url: &str) {
    rt().block_on(async {
        let s = store::Store::connect(url).await.unwrap();
        let drop = if s.backend() == store::Backend::Postgres {
            "DROP TRIGGER audit_checkpoints_no_change ON audit_checkpoints"
        } else {
            "DROP TRIGGER audit_checkpoints_no_delete"
        };
        s.exec_raw_for_tests(drop).await.unwrap();
        let n = s
            .exec_raw_for_tests(
                "DELETE FROM audit_checkpoints WHERE seq > (SELECT seq FROM audit_head)",
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        s.close().await;
    });
}

#[test]
fn an_untouched_trail_with_checkpoints_verifies() {
    let (dir, db, first, second) = setup("intact");
    let file = std::fs::read_to_string(dir.0.join("k.checkpoints")).unwrap();
    assert_eq!(file.lines().collect::<Vec<_>>(), [&first, &second]);
    let o = verify(&dir.0, &db.url, &[&first, &second]);
    assert!(o.status.success(), "{}", err(&o));
    // Two in the table, two in the file, two given.
    assert!(out(&o).contains("6 checkpoints hold"), "{}", out(&o));
    assert!(
        out(&o).contains(&format!("newest: seq {}", seq_of(&second))),
        "{}",
        out(&o)
    );
}

#[test]
fn a_forged_checkpoint_is_reported() {
    let (dir, db, _, second) = setup("forged");
    // A later sequence number claimed without the key: the MAC no longer fits.
    let seq = seq_of(&second);
    let forged = second.replace(&format!("seq={seq}"), &format!("seq={}", seq + 50));
    let o = verify(&dir.0, &db.url, &[&forged]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains(&format!(
            "(--checkpoint no. 1) is forged: its MAC does not match (it claims seq {})",
            seq + 50
        )),
        "{}",
        err(&o)
    );
    // The same in the file, and a line that is no checkpoint at all.
    let path = dir.0.join("k.checkpoints");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("{forged}\nnot a checkpoint\n"));
    std::fs::write(&path, text).unwrap();
    let o = verify(&dir.0, &db.url, &[]);
    assert!(!o.status.success());
    assert!(err(&o).contains("(line 3 of "), "{}", err(&o));
    assert!(err(&o).contains("is forged"), "{}", err(&o));
    assert!(
        err(&o).contains("line 4 of ") && err(&o).contains("is not a checkpoint line"),
        "{}",
        err(&o)
    );
}

#[test]
fn deleting_the_newest_entries_and_moving_the_head_back_is_caught() {
    let (dir, db, first, second) = setup("shortened");
    let seen = seq_of(&second);
    // Before the checkpoints existed, this attack passed `gugus audit verify`.
    shorten_the_trail(&db.url);
    let o = verify(&dir.0, &db.url, &[]);
    assert!(!o.status.success(), "the shortened trail verified");
    assert!(
        err(&o).contains(&format!(
            "audit trail ends at seq {} but the checkpoint of ",
            seen - 2
        )) && err(&o).contains(&format!("(audit_checkpoints) saw seq {seen}")),
        "{}",
        err(&o)
    );
    // The attacker removes the checkpoints in the table too: the file outside the
    // database still holds the newest one.
    delete_newer_checkpoints(&db.url);
    let o = verify(&dir.0, &db.url, &[]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains(&format!("saw seq {seen}")) && err(&o).contains("(line 2 of "),
        "{}",
        err(&o)
    );
    // Without the file, the line an admin kept is enough; a line from before the deleted
    // entries still holds.
    std::fs::remove_file(dir.0.join("k.checkpoints")).unwrap();
    let o = verify(&dir.0, &db.url, &[&second]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains(&format!("(--checkpoint no. 1) saw seq {seen}")),
        "{}",
        err(&o)
    );
    let o = verify(&dir.0, &db.url, &[&first]);
    assert!(o.status.success(), "{}", err(&o));
}
