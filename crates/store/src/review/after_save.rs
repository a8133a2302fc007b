//! The steps that follow a committed case save: its rule hits and the incremental duplicate
//! check. The rule hits are recorded before the save returns (the page that follows shows
//! the warnings); the duplicate check runs right after, beside the response — it reads
//! thousands of candidate identities and was half of a save's time — and every read of
//! proposed pairs first waits for the checks running at that moment ([`PendingChecks`]), so
//! the officer's next page and a verifier's list still show what the save found.
//! The save itself is already committed, so a failure here is not a failed save —
//! but it must not be lost either. Each step is retried a few times when the database says
//! the failure is passing (a deadlock or a serialisation failure on PostgreSQL, a busy
//! database on SQLite); a case whose steps still fail is queued in `after_save_queue`, and
//! the background worker runs the steps again until they succeed. Every retry, queueing and
//! recovery is counted ([`AfterSaveStats`]) and logged with the case id only.

use crate::core::ids::CaseId;
use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a read of pairs waits for running checks before it answers anyway (a check
/// takes milliseconds; this only bounds a stuck one).
const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// Attempts of one step before the case is queued.
const ATTEMPTS: u32 = 4;

/// Cases the worker takes from the queue in one pass.
const QUEUE_BATCH: i64 = 50;

/// Counters since the process started.
#[derive(Debug, Default)]
pub(crate) struct AfterSaveCounters {
    retried: AtomicU64,
    queued: AtomicU64,
    recovered: AtomicU64,
    pending: PendingChecks,
}

/// The duplicate checks running now, by case (a case saved twice in quick succession has
/// two), and a signal each time one ends.
#[derive(Debug, Default)]
pub(crate) struct PendingChecks {
    running: Mutex<HashMap<i64, u32>>,
    ended: tokio::sync::Notify,
}

impl PendingChecks {
    fn start(&self, case: i64) {
        if let Ok(mut m) = self.running.lock() {
            *m.entry(case).or_default() += 1;
        }
    }

    fn end(&self, case: i64) {
        if let Ok(mut m) = self.running.lock()
            && let Some(n) = m.get_mut(&case)
        {
            *n -= 1;
            if *n == 0 {
                m.remove(&case);
            }
        }
        self.ended.notify_waiters();
    }

    fn running(&self) -> Vec<i64> {
        self.running
            .lock()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Waits until none of `cases` is being checked (checks started later are not waited
    /// for), or [`SETTLE_WAIT`] has passed.
    async fn wait_for(&self, cases: &[i64]) {
        if cases.is_empty() {
            return;
        }
        let deadline = tokio::time::Instant::now() + SETTLE_WAIT;
        loop {
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let busy = self
                .running
                .lock()
                .map(|m| cases.iter().any(|c| m.contains_key(c)))
                .unwrap_or(false);
            if !busy {
                return;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                tracing::warn!("a duplicate check is still running; answering without it");
                return;
            }
        }
    }
}

/// What the after-save steps went through since the process started, and the queue now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AfterSaveStats {
    /// Steps that failed transiently and were run again at once.
    pub retried: u64,
    /// Cases queued because their steps still failed.
    pub queued: u64,
    /// Queued cases whose steps the worker has since completed.
    pub recovered: u64,
    /// Cases waiting in the queue now.
    pub waiting: i64,
}

/// What one pass over the queue did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct QueuePass {
    pub done: usize,
    pub failed: usize,
}

/// True for an error that running the same statements again may not meet.
fn transient(e: &StoreError) -> bool {
    let StoreError::Db(sqlx::Error::Database(d)) = e else {
        return matches!(
            e,
            StoreError::Db(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_))
        );
    };
    let code = d.code();
    let code = code.as_deref().unwrap_or("");
    // PostgreSQL: deadlock_detected, serialization_failure, lock_not_available.
    // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
    matches!(
        code,
        "40P01" | "40001" | "55P03" | "5" | "6" | "261" | "517" | "262"
    ) || d.message().contains("database is locked")
}

impl Store {
    /// Runs the after-save steps of a case whose save has committed: the rule hits now, the
    /// duplicate check beside the response. Never fails the save: what cannot be done is
    /// queued for the worker.
    pub(crate) async fn after_case_saved(&self, id: CaseId) -> Result<()> {
        let rules = self.rules_step(id).await;
        self.settled_or_queued(id, rules).await;
        self.after_save.pending.start(id.0);
        let store = self.clone();
        tokio::spawn(async move {
            let checked = store.duplicates_step(id).await;
            store.settled_or_queued(id, checked).await;
            store.after_save.pending.end(id.0);
        });
        Ok(())
    }

    async fn settled_or_queued(&self, id: CaseId, step: Result<()>) {
        if let Err(e) = step {
            self.after_save.queued.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, case = id.0, "after-save steps failed; queued for the worker");
            if let Err(q) = self.queue_after_save(id).await {
                // Even the queue refused: the full linkage run and the submission's rule
                // check still cover the case; say so loudly.
                tracing::error!(error = %q, case = id.0, "after-save queue write failed");
            }
        }
    }

    /// Waits for the duplicate checks running now (not for those started later), so that
    /// a read of proposed pairs sees what a save just found.
    pub(crate) async fn duplicates_settled(&self) {
        let running = self.after_save.pending.running();
        self.after_save.pending.wait_for(&running).await;
    }

    /// Waits for every duplicate check running now (benchmarks time a save without the
    /// previous save's check beside it).
    pub async fn after_save_settled(&self) {
        self.duplicates_settled().await;
    }

    /// Both steps, each retried on a transient failure (the worker's pass over the queue).
    async fn after_save_steps(&self, id: CaseId) -> Result<()> {
        self.rules_step(id).await?;
        self.duplicates_step(id).await
    }

    async fn rules_step(&self, id: CaseId) -> Result<()> {
        self.retrying(id, "rules", || async {
            let hits = self.hits_now(id).await?;
            self.record_rule_hits(id, &hits).await
        })
        .await
    }

    async fn duplicates_step(&self, id: CaseId) -> Result<()> {
        self.retrying(id, "duplicates", || async {
            self.check_duplicates(id).await.map(|_| ())
        })
        .await
    }

    async fn retrying<F, Fut>(&self, id: CaseId, step: &'static str, mut run: F) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<()>>,
    {
        let mut attempt = 1;
        loop {
            match run().await {
                Err(e) if attempt < ATTEMPTS && transient(&e) => {
                    self.after_save.retried.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, case = id.0, step, attempt, "after-save step retried");
                    // Back off a little longer each time, spread by the case id so two
                    // writers that met once do not meet again in step.
                    let ms = 15 * u64::from(attempt) + (id.0.unsigned_abs() % 17);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn queue_after_save(&self, id: CaseId) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.maintenance(Maintenance::Derived).await?;
        sqlx::query(
            "INSERT INTO after_save_queue (case_id, attempts, queued_at, last_try_at) VALUES ($1, 1, $2, $2) \
             ON CONFLICT (case_id) DO UPDATE SET attempts = after_save_queue.attempts + 1, last_try_at = excluded.last_try_at",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One pass of the worker over the queue, oldest first: a case whose steps now succeed
    /// leaves the queue; one that fails again stays, its attempts counted.
    pub async fn run_after_save_queue(&self) -> Result<QueuePass> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT case_id FROM after_save_queue ORDER BY last_try_at, case_id LIMIT $1",
        )
        .bind(QUEUE_BATCH)
        .fetch_all(self.pool())
        .await?;
        let mut pass = QueuePass::default();
        for id in ids.into_iter().map(CaseId) {
            match self.after_save_steps(id).await {
                Ok(()) => {
                    let mut tx = self.maintenance(Maintenance::Derived).await?;
                    sqlx::query("DELETE FROM after_save_queue WHERE case_id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    self.after_save.recovered.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(case = id.0, "queued after-save steps done");
                    pass.done += 1;
                }
                Err(e) => {
                    tracing::warn!(error = %e, case = id.0, "queued after-save steps failed again");
                    self.queue_after_save(id).await?;
                    pass.failed += 1;
                }
            }
        }
        Ok(pass)
    }

    /// The counters since start and the cases waiting now (for the logs and `gugus check`).
    pub async fn after_save_stats(&self) -> Result<AfterSaveStats> {
        self.duplicates_settled().await;
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM after_save_queue")
            .fetch_one(self.pool())
            .await?;
        let c = &self.after_save;
        Ok(AfterSaveStats {
            retried: c.retried.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            recovered: c.recovered.load(Ordering::Relaxed),
            waiting,
        })
    }
}
