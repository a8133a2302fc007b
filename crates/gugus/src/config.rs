//! Start-up configuration: the secret key file, logging, shutdown signals, and turning
//! store errors into one-line messages for the command line.

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};

/// Logs go to stderr; `GUGUS_LOG` sets the filter (default `info`). Log lines carry ids and
/// actions, never personal data.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GUGUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    // `GUGUS_LOG_FORMAT=json`: one JSON object per line, for log collectors. The fields are
    // the same as in the text format (ids, route templates), never personal data.
    if std::env::var("GUGUS_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The default key path sits next to an SQLite database, else in the working directory.
/// Whether the default key file of this database exists.
pub fn default_key_exists(db_url: &str) -> bool {
    default_key_path(db_url).exists()
}

pub fn default_key_path(db_url: &str) -> PathBuf {
    if let Some(path) = db_url
        .strip_prefix("sqlite://")
        .or_else(|| db_url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        let p = PathBuf::from(path);
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "gugus".into());
        return p.with_file_name(format!("{stem}.key"));
    }
    PathBuf::from("gugus.key")
}

/// The audit checkpoint file: as configured, else beside the key file with the key's
/// name and `.checkpoints` (`gugus.key` → `gugus.checkpoints`): off the database, with the
/// other thing an operator backs up separately.
pub fn checkpoint_path(explicit: Option<&Path>, key_file: Option<&Path>, db_url: &str) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    let key = key_file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_key_path(db_url));
    let stem = key
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gugus".into());
    key.with_file_name(format!("{stem}.checkpoints"))
}

fn parse_key(text: &str, path: &Path) -> Result<Vec<u8>> {
    let key = hex::decode(text.trim()).map_err(|_| {
        anyhow!(
            "secret key file {} must hold 64 hex characters",
            path.display()
        )
    })?;
    if key.len() != 32 {
        bail!(
            "secret key file {} must hold 64 hex characters (32 bytes), found {} bytes",
            path.display(),
            key.len()
        );
    }
    Ok(key)
}

/// Reads the instance secret. An explicitly named file must exist; the default file is
/// created (mode 0600) on first start.
pub fn load_secret(explicit: Option<&Path>, db_url: &str) -> Result<Vec<u8>> {
    store::Backend::from_url(db_url)?;
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = default_key_path(db_url);
            if !p.exists() {
                match create_key_file(&p) {
                    Ok(()) => eprintln!(
                        "created a new secret key file {}: keep a copy apart from the database (each `gugus backup` carries it, encrypted under the backup passphrase)",
                        p.display()
                    ),
                    // Another server starting at the same moment made it: use that one.
                    Err(_) if p.exists() => {}
                    Err(e) => return Err(e),
                }
            }
            p
        }
    };
    read_key_file(&path)
}

/// Reads an existing key file (never creates one); warns when others may read it.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read secret key file {}", path.display()))?;
    warn_if_readable_by_others(path);
    parse_key(&text, path)
}

/// The key decrypts every identity: a file others on the machine may read is a leak.
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "warning: the secret key file {} is readable by other users (mode {:o}); run: chmod 600 {}",
                path.display(),
                meta.permissions().mode() & 0o777,
                path.display()
            );
        }
    }
}

/// The key of a database that already holds data (and `gugus check`): it must exist, be
/// readable and valid; it is never created.
pub fn read_secret(explicit: Option<&Path>, db_url: &str) -> Result<Vec<u8>> {
    store::Backend::from_url(db_url)?;
    let path = explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| default_key_path(db_url));
    read_key_file(&path)
}

pub fn create_key_file(path: &Path) -> Result<()> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| anyhow!("random source failed: {e}"))?;
    let text = format!("{}\n", hex::encode(key));
    // Written whole under a temporary name, then linked into place (which fails if the
    // name exists): nobody ever reads a half-written key, and none is overwritten.
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = path.with_file_name(format!(
            ".{}.{}.tmp",
            name.unwrap_or_default(),
            std::process::id()
        ));
        let written = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::hard_link(&tmp, path)
        })();
        let _ = std::fs::remove_file(&tmp);
        written.with_context(|| format!("cannot create secret key file {}", path.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, text)
        .with_context(|| format!("cannot create secret key file {}", path.display()))?;
    Ok(())
}

/// Registers the SIGINT/SIGTERM handlers now (before the server announces itself, so a
/// signal sent right after start is never lost) and returns the future that completes on
/// the first of them.
pub fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing open requests");
    })
}

/// Field errors as one line (English, for the command line).
pub fn describe_invalid(i: domain::Invalid) -> anyhow::Error {
    let parts: Vec<String> =
        i.0.iter()
            .map(|f| format!("{} ({})", f.field, f.key.trim_start_matches("err.")))
            .collect();
    anyhow!("invalid input: {}", parts.join(", "))
}

pub fn describe_store(e: store::StoreError) -> anyhow::Error {
    match e {
        store::StoreError::Invalid(i) => describe_invalid(i),
        other => anyhow!(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_path_follows_the_database() {
        assert_eq!(
            default_key_path("sqlite://gugus-demo.db"),
            PathBuf::from("gugus-demo.key")
        );
        assert_eq!(
            default_key_path("sqlite:///var/lib/gugus/data.db"),
            PathBuf::from("/var/lib/gugus/data.key")
        );
        assert_eq!(
            default_key_path("postgres://u@h/db"),
            PathBuf::from("gugus.key")
        );
    }

    #[test]
    fn checkpoints_sit_beside_the_key() {
        let url = "sqlite:///var/lib/gugus/data.db";
        assert_eq!(
            checkpoint_path(None, None, url),
            PathBuf::from("/var/lib/gugus/data.checkpoints")
        );
        assert_eq!(
            checkpoint_path(None, Some(Path::new("/etc/gugus/instance.key")), url),
            PathBuf::from("/etc/gugus/instance.checkpoints")
        );
        assert_eq!(
            checkpoint_path(Some(Path::new("/srv/anchor.log")), None, url),
            PathBuf::from("/srv/anchor.log")
        );
    }
}
