//! SQLite's write-ahead log is copied back into the database file (a checkpoint) by a
//! background task, not by the save that happens to cross the log's size limit: with every
//! save appending ~100 pages (a case with three victims and their ~50 linkage keys), the
//! default limit of 1,000 pages made every seventh or eighth save pay for a checkpoint —
//! the slowest 1% of inserts took ~25 ms instead of ~8 (docs/BENCHMARKS.md).
//!
//! The task runs a `PASSIVE` checkpoint every 50 ms: it never waits for a reader
//! or a writer, copies what no reader still needs, and SQLite starts the log again from
//! its beginning once all of it has been copied, so the file stays small. Each connection
//! keeps an automatic checkpoint at a larger limit (8,000 pages, 32 MiB: the pragmas in
//! `db.rs`) in case the task falls behind. A checkpoint changes nothing a reader sees and loses nothing: a crash
//! during one leaves the log in place, and SQLite replays it on the next open.

use sqlx::AnyPool;
use std::sync::Weak;
use std::time::Duration;

/// How often the task checkpoints.
const PERIOD: Duration = Duration::from_millis(50);

/// Starts the task; it ends when the pool is closed or the last handle of the store that
/// owns `alive` is dropped.
pub(crate) fn spawn_checkpointer(pool: AnyPool, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 || pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
                && !pool.is_closed()
            {
                tracing::warn!(error = %e, "background WAL checkpoint failed");
            }
        }
    });
}
