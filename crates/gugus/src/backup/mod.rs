//! Backups: `gugus backup`, `gugus restore`, `gugus backup verify` and the scheduled
//! backups of `gugus serve`. One encrypted file ([`archive`]) holds a consistent copy of the
//! database (SQLite: `VACUUM INTO`; PostgreSQL: `pg_dump -Fc`) and the instance key, so the
//! file and its passphrase bring an office back.

pub mod archive;
pub mod cli;
mod restore;
pub mod schedule;

use anyhow::{Context, Result, anyhow, bail};
use archive::{Kind, Meta};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use store::{Backend, Store};

pub use restore::{restore, verify};

/// Files removed when dropped unless kept: no half-written file outlives a failed backup.
struct Scratch(Vec<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The directory of `out` (`.` for a bare name) and its file name.
fn split(out: &Path) -> Result<(PathBuf, String)> {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} does not name a file", out.display()))?
        .to_owned();
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

fn unique() -> String {
    format!("{}-{}", std::process::id(), store::now_ms())
}

/// Writes an encrypted, consistent copy of the database to `out` and returns its size.
/// The copy is made and sealed under a hidden temporary name in the same directory,
/// synced, and only then renamed to `out`: a backup file either is whole or does not exist.
pub async fn create(
    store: &Store,
    url: &str,
    instance_key: &[u8],
    passphrase: &str,
    out: &Path,
) -> Result<u64> {
    let (dir, name) = split(out)?;
    if passphrase.chars().count() < archive::MIN_PASSPHRASE {
        bail!(
            "the backup passphrase must have at least {} characters",
            archive::MIN_PASSPHRASE
        );
    }
    if out.exists() {
        bail!("{} exists already: choose a new file name", out.display());
    }
    if !dir.is_dir() {
        bail!(
            "cannot write the backup to {}: no such directory",
            out.display()
        );
    }
    remove_stale_leftovers(&dir);
    let partial = dir.join(format!(".{name}.partial-{}", unique()));
    let mut scratch = Scratch(vec![partial.clone()]);
    let kind = match store.backend() {
        Backend::Sqlite => Kind::Sqlite,
        Backend::Postgres => Kind::PgDump,
    };
    let meta = Meta {
        kind,
        instance_key: instance_key.to_vec(),
        created_ms: store::now_ms(),
        gugus_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let pass = passphrase.to_owned();
    let sealed = partial.clone();
    let written = match kind {
        Kind::Sqlite => {
            let plain = dir.join(format!(".{name}.copy-{}", unique()));
            // SQLite may leave the copy's rollback journal behind when the disk fills.
            for suffix in ["", "-journal", "-wal", "-shm"] {
                scratch
                    .0
                    .push(PathBuf::from(format!("{}{suffix}", plain.display())));
            }
            // Created empty first, so the unencrypted copy is never readable by others
            // (VACUUM INTO fills an empty file and SQLite keeps its mode for the journal).
            new_private_file(&plain)
                .with_context(|| format!("cannot write the backup to {}", out.display()))?;
            store
                .vacuum_into(&plain)
                .await
                .map_err(|e| anyhow!("cannot write the backup to {}: {e}", out.display()))?;
            tokio::task::spawn_blocking(move || {
                let mut src = std::fs::File::open(&plain)?;
                seal_into(&sealed, &pass, &meta, |w| Ok(std::io::copy(&mut src, w)?))
            })
            .await?
        }
        Kind::PgDump => {
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || {
                seal_into(&sealed, &pass, &meta, |w| pg_dump(&url, w))
            })
            .await?
        }
    }
    .with_context(|| format!("cannot write the backup to {}", out.display()))?;
    std::fs::rename(&partial, out)
        .with_context(|| format!("cannot write the backup to {}", out.display()))?;
    scratch.0.retain(|p| p != &partial);
    sync_dir(&dir);
    Ok(written)
}

/// Creates `path` (never an existing file), lets `fill` write the plaintext through the
/// encrypting writer, seals the end and syncs the file. Returns the file's size.
fn seal_into(
    path: &Path,
    passphrase: &str,
    meta: &Meta,
    fill: impl FnOnce(&mut archive::Writer<std::io::BufWriter<std::fs::File>>) -> Result<u64>,
) -> Result<u64> {
    let file = new_private_file(path)?;
    let mut w = archive::Writer::new(std::io::BufWriter::new(file), passphrase, meta)?;
    fill(&mut w)?;
    let file = w
        .finish()?
        .into_inner()
        .map_err(|e| anyhow!("{}", e.error()))?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// A new file only the owner may read (mode 0600 on Unix).
pub(crate) fn new_private_file(path: &Path) -> Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    Ok(o.open(path)?)
}

/// Makes a rename durable (the directory entry), where the platform allows.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Streams `pg_dump -Fc` (one consistent snapshot, while writers go on) into `w`.
fn pg_dump(url: &str, w: &mut impl Write) -> Result<u64> {
    let mut child = pg_command("pg_dump", url)
        .args(["--format=custom", "--no-owner", "--no-privileges"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow!("cannot run pg_dump (install the PostgreSQL client): {e}"))?;
    let errors = drain(child.stderr.take());
    let copied = match child.stdout.take() {
        Some(mut out) => std::io::copy(&mut out, w),
        None => Ok(0),
    };
    let status = child.wait()?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        bail!("pg_dump failed: {}", first_line(&stderr));
    }
    Ok(copied?)
}

/// `pg_dump` / `pg_restore` for the database of `url`. A password in the URL goes to the
/// child in `PGPASSWORD`, never on its command line (which every local user can read).
pub(crate) fn pg_command(program: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut c = Command::new(program);
    c.arg("--dbname").arg(url);
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    c
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret` decoded).
fn split_password(url: &str) -> (String, Option<String>) {
    let (Some(s), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_owned(), None);
    };
    if at < s {
        return (url.to_owned(), None);
    }
    match url[s + 3..at].split_once(':') {
        Some((user, pass)) => (
            format!("{}{user}{}", &url[..s + 3], &url[at..]),
            Some(percent_decode(pass)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a child's stderr on a thread so a chatty child never blocks on a full pipe.
pub(crate) fn drain(
    pipe: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut s);
        }
        s
    })
}

pub(crate) fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_owned()
}

/// The backup passphrase: the file named (its first line), else `GUGUS_BACKUP_PASSPHRASE`.
pub fn passphrase(file: Option<&Path>) -> Result<String> {
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the passphrase file {}", f.display()))?;
        let line = text.lines().next().unwrap_or("").to_owned();
        if line.is_empty() {
            bail!("the passphrase file {} is empty", f.display());
        }
        return Ok(line);
    }
    match std::env::var("GUGUS_BACKUP_PASSPHRASE") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => bail!("no backup passphrase: set GUGUS_BACKUP_PASSPHRASE or give --passphrase-file"),
    }
}

/// A backup killed mid-way (kill -9, a power cut) leaves its hidden working files — the
/// unencrypted SQLite copy among them — in the backup directory, where no drop guard ran.
/// Each backup removes such leftovers older than an hour (a backup still running elsewhere
/// touches its files far more often than that).
fn remove_stale_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let hour = std::time::Duration::from_secs(3600);
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with('.') && (name.contains(".copy-") || name.contains(".partial-"));
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > hour);
        if ours && old {
            match std::fs::remove_file(e.path()) {
                Ok(()) => {
                    tracing::warn!(file = %name, "removed a leftover of an interrupted backup")
                }
                Err(err) => {
                    tracing::warn!(file = %name, error = %err, "cannot remove a leftover of an interrupted backup")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_leave_the_command_line() {
        assert_eq!(
            split_password("postgres://gugus:p%40ss:w@db.local:5432/gugus"),
            (
                "postgres://gugus@db.local:5432/gugus".to_owned(),
                Some("p@ss:w".to_owned())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1/x"),
            ("postgres://postgres@127.0.0.1/x".to_owned(), None)
        );
    }
}
