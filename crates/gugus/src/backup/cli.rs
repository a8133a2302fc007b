//! The command-line side of backups: `gugus backup --out FILE`, `gugus backup verify FILE`
//! and `gugus restore FILE`.

use crate::config;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    /// The backup file to write (never overwritten; made under a temporary name and renamed
    /// when complete).
    #[arg(long)]
    out: Option<PathBuf>,
    /// File whose first line is the backup passphrase (else GUGUS_BACKUP_PASSPHRASE).
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<BackupCmd>,
}

#[derive(clap::Subcommand)]
enum BackupCmd {
    /// Decrypt a backup, open it in a scratch place, run the integrity check, walk the audit
    /// chain and decrypt a sample identity with the key inside. A PostgreSQL backup needs
    /// --database-url naming a server to hold the scratch copy.
    Verify { file: PathBuf },
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup file.
    file: PathBuf,
    /// Replace a database that holds data, and a different existing key file (kept aside as
    /// `<key>.before-restore-<time>`).
    #[arg(long)]
    force: bool,
    /// File whose first line is the backup passphrase (else GUGUS_BACKUP_PASSPHRASE).
    #[arg(long)]
    passphrase_file: Option<PathBuf>,
}

fn key_path(explicit: Option<&Path>, url: &str) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| config::default_key_path(url))
}

pub async fn backup(url: &str, key_file: Option<&Path>, args: BackupArgs) -> Result<()> {
    let passphrase = super::passphrase(args.passphrase_file.as_deref())?;
    if let Some(BackupCmd::Verify { file }) = args.command {
        return super::verify(&file, &passphrase, Some(url), &key_path(key_file, url)).await;
    }
    let out = args
        .out
        .context("name the backup file with --out FILE (or use `gugus backup verify FILE`)")?;
    let secret = config::read_secret(key_file, url)?;
    let store = store::Store::connect(url)
        .await?
        .with_keyring(store::crypto::Keyring::new(&secret, None)?);
    // The key goes into the backup: it must be the one the identities are written with.
    store.verify_key().await?;
    let bytes = super::create(&store, url, &secret, &passphrase, &out).await?;
    store.close().await;
    println!(
        "wrote the encrypted backup {} ({bytes} bytes); keep it, and apart from it its passphrase",
        out.display()
    );
    Ok(())
}

pub async fn restore(url: &str, key_file: Option<&Path>, args: RestoreArgs) -> Result<()> {
    let passphrase = super::passphrase(args.passphrase_file.as_deref())?;
    super::restore(
        url,
        &key_path(key_file, url),
        &args.file,
        &passphrase,
        args.force,
    )
    .await
}
