//! Bad input: an unwritable path and a full disk fail with one clear line and leave no
//! file named like a backup; a restore onto a database holding data, or over a different
//! key, refuses unless forced; a wrong passphrase says so before anything is replaced.

use crate::common::*;
use std::path::Path;
use std::process::Command;

/// A small tmpfs mounted at `path` (root only); unmounted when dropped.
struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount_tmpfs(path: &Path, opts: &str) -> Option<Mount> {
    std::fs::create_dir_all(path).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
        .arg(path)
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(Mount(path.to_path_buf()))
    } else {
        None
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A backup to `out` fails with one line naming the path, and `dir` is left as it was.
fn refused_cleanly(d: &Path, url: &str, out_path: &Path, dir: &Path, why: &str) {
    let before = if dir.is_dir() {
        listing(dir)
    } else {
        Vec::new()
    };
    let o = run(
        d,
        url,
        "k.key",
        &["backup", "--out", out_path.to_str().unwrap()],
    );
    assert!(!o.status.success(), "{why}: the backup must fail");
    let e = err(&o);
    assert_eq!(e.trim().lines().count(), 1, "{why}: one line: {e}");
    assert!(e.contains("cannot write the backup to"), "{why}: {e}");
    if dir.is_dir() {
        assert_eq!(listing(dir), before, "{why}: nothing is left behind");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_paths_and_a_full_disk_leave_no_backup_file() {
    let db = store::testing::fresh_db().await;
    let dir = tempdir("unwritable");
    let d = dir.0.clone();
    officer_token(&d, &db.url).await;

    let gone = d.join("no-such-dir");
    refused_cleanly(
        &d,
        &db.url,
        &gone.join("x.gugus-backup"),
        &gone,
        "missing directory",
    );

    // Read-only: a read-only mount when root (permissions do not stop root), else mode 0555.
    let ro = d.join("read-only");
    let _ro_mount = if is_root() {
        mount_tmpfs(&ro, "ro,size=64k")
    } else {
        std::fs::create_dir_all(&ro).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        None
    };
    if ro.is_dir() && (!is_root() || _ro_mount.is_some()) {
        refused_cleanly(
            &d,
            &db.url,
            &ro.join("x.gugus-backup"),
            &ro,
            "read-only directory",
        );
    } else {
        eprintln!("note: cannot make a read-only directory here (root without mount): skipped");
    }

    // A full disk: a 256 KiB tmpfs is far smaller than the copy (the region reference alone).
    let full = d.join("full");
    match mount_tmpfs(&full, "size=256k") {
        Some(_m) => refused_cleanly(
            &d,
            &db.url,
            &full.join("x.gugus-backup"),
            &full,
            "full disk",
        ),
        None => eprintln!("note: cannot mount a tmpfs here: the full-disk case is skipped"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_refuse_data_a_different_key_and_a_wrong_passphrase() {
    let db = store::testing::fresh_db().await;
    let dir = tempdir("refuse");
    let d = dir.0.clone();
    let token = officer_token(&d, &db.url).await;
    let o = run(&d, &db.url, "k.key", &["backup", "--out", "a.gugus-backup"]);
    assert!(o.status.success(), "{}", err(&o));
    // One more account after the backup: a restore would lose it.
    let server = start(gugus(&d, &db.url, "k.key", &[]));
    let c = reqwest::Client::new();
    let (status, body) = api(
        &c,
        &server.base,
        &token,
        reqwest::Method::POST,
        "/api/v1/cases",
        Some(case_json(7)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let case = body["id"].as_i64().unwrap();
    drop(server);

    // A wrong passphrase is said first, whatever else is wrong.
    let mut cmd = gugus(
        &d,
        &db.url,
        "k.key",
        &["restore", "a.gugus-backup", "--force"],
    );
    cmd.env("GUGUS_BACKUP_PASSPHRASE", "bukan kata sandinya");
    let o = cmd.output().unwrap();
    assert!(!o.status.success());
    assert!(err(&o).contains("wrong backup passphrase"), "{}", err(&o));
    assert!(err(&o).contains("nothing was changed"), "{}", err(&o));
    let mut cmd = gugus(
        &d,
        &db.url,
        "k.key",
        &["backup", "verify", "a.gugus-backup"],
    );
    cmd.env("GUGUS_BACKUP_PASSPHRASE", "bukan kata sandinya");
    assert!(err(&cmd.output().unwrap()).contains("wrong backup passphrase"));

    // The database holds data: refused without --force.
    let o = run(&d, &db.url, "k.key", &["restore", "a.gugus-backup"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("already holds data"), "{}", err(&o));

    // A different key file where the restore would put the key: refused without --force.
    std::fs::write(d.join("other.key"), format!("{}\n", "ab".repeat(32))).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(d.join("other.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let target = empty_target(&d, 2).await;
    let o = run(&d, &target.url, "other.key", &["restore", "a.gugus-backup"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("holds a different key"), "{}", err(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("other.key")).unwrap().trim(),
        "ab".repeat(32)
    );

    // A cut file is found out before anything is replaced, even when forced.
    let whole = std::fs::read(d.join("a.gugus-backup")).unwrap();
    std::fs::write(d.join("cut.gugus-backup"), &whole[..whole.len() - 100]).unwrap();
    let o = run(
        &d,
        &db.url,
        "k.key",
        &["restore", "cut.gugus-backup", "--force"],
    );
    assert!(!o.status.success());
    assert!(err(&o).contains("cut short"), "{}", err(&o));

    // Nothing was replaced: the case written after the backup is still served.
    let server = start(gugus(&d, &db.url, "k.key", &[]));
    let (status, _) = api(
        &c,
        &server.base,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "the refused restores changed nothing");
    drop(server);

    // Forced: the backup's state comes back (the later case is gone), same key kept.
    let o = run(
        &d,
        &db.url,
        "k.key",
        &["restore", "a.gugus-backup", "--force"],
    );
    assert!(o.status.success(), "{}", err(&o));
    let server = start(gugus(&d, &db.url, "k.key", &[]));
    let (status, _) = api(
        &c,
        &server.base,
        &token,
        reqwest::Method::GET,
        &format!("/api/v1/cases/{case}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "the database is the backup's again");
    drop(server);

    // Forced over a different key: the old key is kept aside, the backup's installed.
    let o = run(
        &d,
        &target.url,
        "other.key",
        &["restore", "a.gugus-backup", "--force"],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        std::fs::read_to_string(d.join("other.key")).unwrap().trim(),
        KEY_HEX
    );
    assert!(
        listing(&d)
            .iter()
            .any(|n| n.starts_with("other.key.before-restore-"))
    );
}
