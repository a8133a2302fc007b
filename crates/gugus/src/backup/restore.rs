//! `gugus restore` and `gugus backup verify`. Both read the whole archive (every chunk
//! authenticated) before anything is replaced or reported sound; a wrong passphrase is
//! said before anything else happens.

use super::archive::{self, Kind, Meta};
use super::{Scratch, drain, first_line, new_private_file, pg_command, sync_dir, unique};
use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use store::{Backend, Store, TargetState};

type ArchiveReader = archive::Reader<BufReader<std::fs::File>>;

fn open(file: &Path, passphrase: &str) -> Result<(Meta, ArchiveReader)> {
    let f = std::fs::File::open(file)
        .with_context(|| format!("cannot read the backup file {}", file.display()))?;
    archive::open(BufReader::new(f), passphrase)
}

fn check_kind(meta: &Meta, backend: Backend) -> Result<()> {
    match (meta.kind, backend) {
        (Kind::Sqlite, Backend::Sqlite) | (Kind::PgDump, Backend::Postgres) => Ok(()),
        (k, _) => bail!(
            "this backup holds a {}: restore it to a {} database URL",
            k.as_str(),
            if k == Kind::Sqlite {
                "sqlite://"
            } else {
                "postgres://"
            }
        ),
    }
}

/// What the restore does with the key file at `path`: nothing (same key), write it (none
/// there), or refuse a different one unless forced (then the old one is kept aside).
fn key_plan(path: &Path, key: &[u8], force: bool) -> Result<bool> {
    if !path.exists() {
        return Ok(true);
    }
    let existing = crate::config::read_key_file(path)?;
    if existing == key {
        return Ok(false);
    }
    if !force {
        bail!(
            "the key file {} holds a different key than the backup: nothing was changed (move it away, or give --force to keep it as {}.before-restore-… and install the backup's key)",
            path.display(),
            path.display()
        );
    }
    Ok(true)
}

fn install_key(path: &Path, key: &[u8]) -> Result<()> {
    if path.exists() {
        let aside = PathBuf::from(format!(
            "{}.before-restore-{}",
            path.display(),
            store::now_ms()
        ));
        std::fs::rename(path, &aside)
            .with_context(|| format!("cannot move the old key file {} aside", path.display()))?;
        eprintln!("the previous key file was kept as {}", aside.display());
    }
    let mut f = new_private_file(path)
        .with_context(|| format!("cannot write the key file {}", path.display()))?;
    use std::io::Write;
    f.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
    f.sync_all()?;
    Ok(())
}

/// Restores `file` into the database of `url` and its key into `key_path`.
pub async fn restore(
    url: &str,
    key_path: &Path,
    file: &Path,
    passphrase: &str,
    force: bool,
) -> Result<()> {
    let backend = Backend::from_url(url)?;
    let (meta, reader) = open(file, passphrase)?;
    check_kind(&meta, backend)?;
    let write_key = key_plan(key_path, &meta.instance_key, force)?;
    let state = store::core::integrity::target_state(url).await?;
    if state == TargetState::HoldsData && !force {
        bail!(
            "the target database already holds data (accounts, cases or audit entries): nothing was changed; restore refuses to replace it without --force"
        );
    }
    match backend {
        Backend::Sqlite => {
            let target = store::core::integrity::sqlite_file(url);
            let (dir, name) = super::split(&target)?;
            let partial = dir.join(format!(".{name}.restore-{}", unique()));
            let mut scratch = Scratch(vec![partial.clone()]);
            let p = partial.clone();
            tokio::task::spawn_blocking(move || unpack(reader, &p)).await??;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
            }
            std::fs::rename(&partial, &target)
                .with_context(|| format!("cannot replace {}", target.display()))?;
            scratch.0.clear();
            sync_dir(&dir);
            // The key only once the data it opens is in place.
            if write_key {
                install_key(key_path, &meta.instance_key)?;
            }
        }
        Backend::Postgres => {
            // First pass: authenticate every chunk before the target is touched.
            tokio::task::spawn_blocking(move || {
                let mut r = reader;
                std::io::copy(&mut r, &mut std::io::sink())
            })
            .await??;
            if state != TargetState::Missing {
                // A trial restore into a scratch database on the same server first: a dump
                // this server cannot load (a newer pg_dump, a missing extension, no space)
                // fails there, before the target is cleared.
                trial_pg_restore(url, file, passphrase).await?;
                store::core::integrity::clear_postgres(url).await?;
            }
            let (_, reader) = open(file, passphrase)?;
            let u = url.to_owned();
            tokio::task::spawn_blocking(move || pg_restore(&u, reader)).await??;
            if write_key {
                install_key(key_path, &meta.instance_key)?;
            }
        }
    }
    let store = Store::connect(url)
        .await?
        .with_keyring(store::crypto::Keyring::new(&meta.instance_key, None)?);
    store.analyze().await?;
    store.verify_key().await?;
    println!(
        "restored the backup of {} UTC into the {} database; key file: {}",
        domain::time::format_ms(meta.created_ms, 0),
        backend.as_str(),
        key_path.display()
    );
    Ok(())
}

/// Decrypts the whole copy into a new file and syncs it.
fn unpack(mut reader: ArchiveReader, path: &Path) -> Result<()> {
    let mut f =
        new_private_file(path).with_context(|| format!("cannot write {}", path.display()))?;
    std::io::copy(&mut reader, &mut f)?;
    f.sync_all()?;
    Ok(())
}

fn pg_restore(url: &str, mut reader: impl Read) -> Result<()> {
    let mut child = pg_command("pg_restore", url)
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run pg_restore (install the PostgreSQL client): {e}"))?;
    let errors = drain(child.stderr.take());
    let copied = match child.stdin.take() {
        Some(mut stdin) => std::io::copy(&mut reader, &mut stdin).map(|_| ()),
        None => Ok(()),
    };
    let status = child.wait()?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        bail!("pg_restore failed: {}", first_line(&stderr));
    }
    copied.context("cannot read the backup file")?;
    Ok(())
}

/// Opens the copy in a scratch place (a temporary file; a scratch database on the
/// PostgreSQL server of `url`), runs the full integrity check, walks the audit chain and
/// decrypts a sample identity with the key inside. Says whether that key is the one in
/// `key_path` (the key the restore would be used with).
pub async fn verify(
    file: &Path,
    passphrase: &str,
    url: Option<&str>,
    key_path: &Path,
) -> Result<()> {
    let (meta, reader) = open(file, passphrase)?;
    println!(
        "backup: {} made {} UTC by Gugus {}",
        meta.kind.as_str(),
        domain::time::format_ms(meta.created_ms, 0),
        meta.gugus_version
    );
    let result = match meta.kind {
        Kind::Sqlite => {
            let dir = std::env::temp_dir().join(format!("gugus-verify-{}", unique()));
            std::fs::create_dir_all(&dir)?;
            let path = dir.join("copy.db");
            let p = path.clone();
            let r = async {
                tokio::task::spawn_blocking(move || unpack(reader, &p)).await??;
                check_copy(&format!("sqlite://{}", path.display()), &meta).await
            }
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            r
        }
        Kind::PgDump => {
            let server = url.filter(|u| Backend::from_url(u).ok() == Some(Backend::Postgres));
            let Some(server) = server else {
                bail!(
                    "verifying a PostgreSQL backup needs a PostgreSQL server for a scratch copy: give --database-url postgres://…"
                );
            };
            let name = format!("gugus_verify_{}", unique().replace('-', "_"));
            store::core::integrity::postgres_scratch(server, &name, true).await?;
            let scratch = store::core::integrity::postgres_url_with_db(server, &name);
            let s = scratch.clone();
            let r = async {
                tokio::task::spawn_blocking(move || pg_restore(&s, reader)).await??;
                check_copy(&scratch, &meta).await
            }
            .await;
            let _ = store::core::integrity::postgres_scratch(server, &name, false).await;
            r
        }
    };
    result?;
    match crate::config::read_key_file(key_path) {
        Ok(k) if k == meta.instance_key => {
            println!("key: the backup's key is the one in {}", key_path.display())
        }
        Ok(_) => println!(
            "key: note: {} holds a different key; a restore would refuse it without --force",
            key_path.display()
        ),
        Err(_) => println!(
            "key: no key file at {}; a restore writes the backup's key there",
            key_path.display()
        ),
    }
    println!("backup verified: ok");
    Ok(())
}

async fn check_copy(url: &str, meta: &Meta) -> Result<()> {
    let store = Store::connect(url)
        .await?
        .with_keyring(store::crypto::Keyring::new(&meta.instance_key, None)?);
    let mut faults = Vec::new();
    let integrity = store.integrity_check(true).await?;
    if integrity.ok {
        println!("integrity: ok ({})", integrity.method);
    } else {
        faults.push(format!(
            "integrity check failed ({}): {}",
            integrity.method, integrity.detail
        ));
    }
    let audit = store.audit_verify_with(store::Anchors::default()).await?;
    if audit.is_intact() {
        println!("audit chain: intact, {} entries verified", audit.checked);
    } else {
        faults.push(format!(
            "audit chain broken after {} good entries",
            audit.checked
        ));
    }
    match store.verify_key().await {
        Ok(true) => println!("identities: a sample decrypts with the key in the backup"),
        Ok(false) => println!("identities: none stored yet"),
        Err(e) => faults.push(e.to_string()),
    }
    println!("cases: {}", store.count_cases().await?);
    store.close().await;
    if !faults.is_empty() {
        bail!("the backup is not sound: {}", faults.join("; "));
    }
    Ok(())
}

/// Loads the dump into a scratch database beside the target and drops it again; an error
/// here leaves the target untouched.
async fn trial_pg_restore(url: &str, file: &Path, passphrase: &str) -> Result<()> {
    let name = format!("gugus_restore_trial_{}", unique().replace('-', "_"));
    store::core::integrity::postgres_scratch(url, &name, true).await?;
    let scratch = store::core::integrity::postgres_url_with_db(url, &name);
    let r = async {
        let (_, reader) = open(file, passphrase)?;
        tokio::task::spawn_blocking(move || pg_restore(&scratch, reader)).await??;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let _ = store::core::integrity::postgres_scratch(url, &name, false).await;
    r.context("the backup could not be loaded into a scratch database: nothing was changed")
}
