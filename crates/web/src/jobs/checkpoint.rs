//! Signs the audit chain's head while the server runs: every few minutes, when the head
//! moved, a checkpoint goes into `audit_checkpoints` and onto the end of the checkpoint
//! file outside the database (see `store::core::checkpoint`).

use std::path::{Path, PathBuf};
use std::time::Duration;
use store::Store;

#[derive(Clone, Debug)]
pub struct CheckpointConfig {
    /// The append-only file (`GUGUS_AUDIT_CHECKPOINT_FILE`).
    pub file: PathBuf,
    /// How often (`GUGUS_AUDIT_CHECKPOINT_MINUTES`).
    pub every: Duration,
}

/// One checkpoint if the head moved since the last: the table first, then the file.
pub async fn tick(store: &Store, file: &Path) -> store::Result<Option<i64>> {
    let Some(cp) = store.audit_checkpoint(false).await? else {
        return Ok(None);
    };
    store::append_checkpoint_file(file, &cp).await?;
    Ok(Some(cp.seq))
}

/// The name of the checkpoints' row in `job_leases`: with several servers on one
/// database, one of them signs the head at a time.
pub const LEASE: &str = "audit_checkpoint";

/// Runs [`tick`] every `cfg.every` until the process ends, on the node that holds the
/// [`LEASE`] (the others' passes do nothing).
pub async fn run(store: Store, cfg: CheckpointConfig) {
    let mut every = tokio::time::interval(cfg.every);
    let ttl = crate::jobs::worker::lease_time(cfg.every);
    loop {
        every.tick().await;
        match store.take_lease(LEASE, ttl).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "audit checkpoint lease failed");
                crate::http::metrics::job_run("audit_checkpoint", false);
                continue;
            }
        }
        let result = tick(&store, &cfg.file).await;
        crate::http::metrics::job_run("audit_checkpoint", result.is_ok());
        match result {
            Ok(Some(seq)) => tracing::debug!(seq, "audit checkpoint written"),
            Ok(None) => {}
            // The path is configuration, not personal data.
            Err(e) => tracing::warn!(error = %e, "audit checkpoint failed"),
        }
    }
}
