//! `gugus audit verify` and `gugus audit checkpoint`: the hash chain walked and held
//! against every checkpoint (the table, the checkpoint file, lines an admin kept), and a
//! checkpoint made on demand and printed for safekeeping.

use crate::config;
use anyhow::{Result, bail};
use std::path::Path;
use store::{Anchors, Store};

/// The keys that check checkpoint MACs. Without a key file (a database never served, or
/// an auditor without the key) the chain and the checkpoints' positions are still
/// checked, and the missing MAC check is said out loud.
pub fn keyring_for_verify(
    key_file: Option<&Path>,
    db_url: &str,
    previous: Option<Vec<u8>>,
) -> Result<Option<store::crypto::Keyring>> {
    let path = key_file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| config::default_key_path(db_url));
    if !path.exists() {
        eprintln!(
            "note: no secret key file {}: checkpoint MACs cannot be checked (forgeries go unseen)",
            path.display()
        );
        return Ok(None);
    }
    let secret = config::read_secret(key_file, db_url)?;
    Ok(Some(store::crypto::Keyring::new(
        &secret,
        previous.as_deref(),
    )?))
}

/// Makes a checkpoint now (table and file) and prints its line on standard output.
pub async fn checkpoint(store: &Store, file: &Path) -> Result<()> {
    let Some(cp) = store.audit_checkpoint(true).await? else {
        bail!("the audit trail is empty: there is nothing to checkpoint yet");
    };
    store::append_checkpoint_file(file, &cp).await?;
    eprintln!(
        "checkpoint of seq {} at {} stored in the database and appended to {}; keep this line outside Gugus:",
        cp.seq,
        cp.when(),
        file.display()
    );
    println!("{}", cp.line());
    Ok(())
}

/// Verifies the chain against the table, the file and the `lines` given; exit 1 (an
/// error) naming every fault found.
pub async fn verify(store: &Store, file: &Path, lines: &[String]) -> Result<()> {
    let mut anchors = Anchors::default();
    let file_found = anchors.read_file(file).await?;
    for (i, line) in lines.iter().enumerate() {
        anchors.add_line(line, &format!("--checkpoint no. {}", i + 1));
    }
    let report = store.audit_verify_with(anchors).await?;
    let a = &report.anchors;
    if !file_found {
        eprintln!(
            "note: no checkpoint file at {} (set GUGUS_AUDIT_CHECKPOINT_FILE if it is elsewhere)",
            file.display()
        );
    }
    if a.unverifiable > 0 {
        eprintln!(
            "note: {} checkpoints were made under a key not loaded here (before a key rotation?): compared with the chain, their MACs not checked; pass the old key with --previous-key-file to check them",
            a.unverifiable
        );
    }
    if report.is_intact() {
        let newest = a
            .newest
            .as_ref()
            .map(|c| format!("; newest: seq {} of {}", c.seq, c.when()))
            .unwrap_or_default();
        println!(
            "audit chain intact: {} entries verified, {} checkpoints hold{newest}",
            report.checked, a.checked
        );
        return Ok(());
    }
    let mut faults: Vec<String> = Vec::new();
    if let Some(e) = &report.error {
        faults.push(format!(
            "audit chain broken after {} good entries: {e}",
            report.checked
        ));
    }
    faults.extend(a.problems.iter().map(ToString::to_string));
    bail!("{}", faults.join("\n"))
}
