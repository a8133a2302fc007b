//! Leases of background jobs, for several `gugus serve` nodes on one database: each job
//! (the worker, the audit checkpoints) runs on the one node holding its row in
//! `job_leases`. The holder renews it on every pass; when a node dies, its lease expires
//! and the next node to ask takes it over. Taking is a conditional `UPDATE` in a write
//! transaction, so two nodes never both hold a lease (SQLite serialises the writes; on
//! PostgreSQL the second `UPDATE` waits for the first and re-checks its condition).
//!
//! Expiry is read by each node's own clock: keep the servers' clocks synchronised (NTP);
//! a skew much smaller than the lease time does no harm. The jobs do not rely on the lease
//! alone: e-mails are claimed row by row and escalations are conditional updates, so even a
//! node that overran its lease cannot send or escalate twice.

use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use std::time::Duration;

/// A fresh name for this process: random, so two servers (or two handles in a test)
/// never share one. It names no host or person.
pub(crate) fn new_node_id() -> Result<String> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
    Ok(format!("node-{}", hex::encode(b)))
}

impl Store {
    /// This server's name in `job_leases`.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// Takes or renews the lease of `job` for this node until `ttl` from now. True when
    /// this node holds it (it may run the job); false when another node's lease is live.
    pub async fn take_lease(&self, job: &str, ttl: Duration) -> Result<bool> {
        let now = self.now_ms();
        let until = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        let mut tx = self.maintenance(Maintenance::JobLease).await?;
        sqlx::query(
            "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO NOTHING",
        )
        .bind(job)
        .bind(self.node_id())
        .bind(until)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "UPDATE job_leases SET holder = $1, expires_at = $2 \
             WHERE job = $3 AND (holder = $1 OR expires_at <= $4)",
        )
        .bind(self.node_id())
        .bind(until)
        .bind(job)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(n.rows_affected() == 1)
    }

    /// Gives the lease of `job` up if this node holds it (at shutdown), so another node
    /// takes the job over at its next pass instead of after the lease runs out.
    pub async fn release_lease(&self, job: &str) -> Result<()> {
        let mut tx = self.maintenance(Maintenance::JobLease).await?;
        sqlx::query("UPDATE job_leases SET expires_at = 0 WHERE job = $1 AND holder = $2")
            .bind(job)
            .bind(self.node_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
