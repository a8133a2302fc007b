//! Scheduled backups in `gugus serve` (off unless `GUGUS_BACKUP_DIR` is set): one every
//! `GUGUS_BACKUP_EVERY_HOURS`, counted from the newest backup already in the directory (so
//! restarts neither skip nor repeat one), keeping the newest `GUGUS_BACKUP_KEEP`.
//! Several servers on one database take turns by a lease ([`LEASE`]): a backup that is due
//! is made by one node, in its own directory; the others skip that period.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::Store;

const PREFIX: &str = "gugus-";
const SUFFIX: &str = ".gugus-backup";

#[derive(clap::Args, Clone)]
pub struct ScheduleArgs {
    /// Directory for scheduled backups; unset: no scheduled backups. The passphrase comes
    /// from GUGUS_BACKUP_PASSPHRASE or --backup-passphrase-file.
    #[arg(long, env = "GUGUS_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Hours between scheduled backups (fractions allowed).
    #[arg(long, env = "GUGUS_BACKUP_EVERY_HOURS", default_value_t = 24.0)]
    pub backup_every_hours: f64,
    /// How many scheduled backups to keep (the oldest are deleted after a new one is made).
    #[arg(long, env = "GUGUS_BACKUP_KEEP", default_value_t = 7)]
    pub backup_keep: usize,
    /// File whose first line is the backup passphrase (else GUGUS_BACKUP_PASSPHRASE).
    #[arg(long, env = "GUGUS_BACKUP_PASSPHRASE_FILE")]
    pub backup_passphrase_file: Option<PathBuf>,
}

pub struct Schedule {
    dir: PathBuf,
    every: Duration,
    keep: usize,
    passphrase: String,
    url: String,
    key: Vec<u8>,
}

impl Schedule {
    /// `None` when scheduled backups are off; an error for a half-made configuration, so a
    /// server never runs believing it is backed up when it is not.
    pub fn from_args(a: &ScheduleArgs, url: &str, key: &[u8]) -> Result<Option<Schedule>> {
        let Some(dir) = a.backup_dir.clone() else {
            return Ok(None);
        };
        if !dir.is_dir() {
            bail!("GUGUS_BACKUP_DIR {} is not a directory", dir.display());
        }
        if !(a.backup_every_hours.is_finite() && a.backup_every_hours > 0.0) {
            bail!("GUGUS_BACKUP_EVERY_HOURS must be a positive number of hours");
        }
        if store::Backend::from_url(url)? == store::Backend::Postgres {
            let found = std::process::Command::new("pg_dump")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                bail!(
                    "scheduled backups of PostgreSQL need pg_dump (the postgresql-client package)"
                );
            }
        }
        let passphrase = super::passphrase(a.backup_passphrase_file.as_deref())?;
        if passphrase.chars().count() < super::archive::MIN_PASSPHRASE {
            bail!(
                "the backup passphrase must have at least {} characters",
                super::archive::MIN_PASSPHRASE
            );
        }
        Ok(Some(Schedule {
            dir,
            every: Duration::from_secs_f64(a.backup_every_hours * 3600.0),
            keep: a.backup_keep.max(1),
            passphrase,
            url: url.to_owned(),
            key: key.to_vec(),
        }))
    }
}

/// The scheduled backups' row in `job_leases`.
pub const LEASE: &str = "scheduled_backup";

/// Runs for the life of the server.
pub async fn run(store: Store, s: Schedule) {
    loop {
        tokio::time::sleep(next_due(&s.dir, s.every)).await;
        // Held for one period: another node asking within it skips its backup.
        match store.take_lease(LEASE, s.every).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("scheduled backup made by another node");
                tokio::time::sleep(s.every).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduled backup lease failed");
                tokio::time::sleep(s.every.min(Duration::from_secs(600))).await;
                continue;
            }
        }
        let name = format!("{PREFIX}{}{SUFFIX}", stamp(store::now_ms()));
        let path = s.dir.join(&name);
        match super::create(&store, &s.url, &s.key, &s.passphrase, &path).await {
            Ok(bytes) => {
                tracing::info!(file = %name, bytes, "scheduled backup written");
                prune(&s.dir, s.keep);
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "scheduled backup failed");
                // Try again later, not in a tight loop.
                tokio::time::sleep(s.every.min(Duration::from_secs(600))).await;
            }
        }
    }
}

/// Our backups in `dir`, oldest first (the names sort by time).
fn ours(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    v.sort();
    v
}

fn next_due(dir: &Path, every: Duration) -> Duration {
    let newest = ours(dir)
        .last()
        .and_then(|p| std::fs::metadata(p).ok())
        .and_then(|m| m.modified().ok());
    match newest {
        Some(t) => every.saturating_sub(t.elapsed().unwrap_or_default()),
        None => Duration::ZERO,
    }
}

fn prune(dir: &Path, keep: usize) {
    let all = ours(dir);
    let extra = all.len().saturating_sub(keep);
    for p in &all[..extra] {
        if let Err(e) = std::fs::remove_file(p) {
            tracing::warn!(error = %e, "cannot delete an old scheduled backup");
        }
    }
}

/// `20261207T063512.123Z` (UTC): sortable, unique per millisecond.
fn stamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = domain::time::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}.{:03}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_by_time() {
        assert_eq!(stamp(0), "19700101T000000.000Z");
        assert_eq!(stamp(1_796_625_312_123), "20261207T063512.123Z");
    }
}
