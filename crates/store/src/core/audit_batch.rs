//! Group commit for entries that write nothing else (a view of a record, a search).
//!
//! Every page that shows personal data appends an audit entry before it answers: one write
//! transaction per view, each waiting for the write lock and, on SQLite with
//! `synchronous = FULL`, for its own sync to disk. Views arriving together are appended in
//! one transaction instead: a caller queues its entry, and whoever finds no batch being
//! written takes every queued entry, appends them in order (each its own sequence number
//! and hash, as before) and commits once. Every caller still waits until its own entry is
//! committed — a view is never answered before it is on record — and a failed batch fails
//! every view in it.
//!
//! The batch is written by a task of its own, so a request dropped half-way (a client that
//! went away) never leaves the others' entries unwritten.

use crate::core::audit::{Event, append_many};
use crate::{Result, Store, StoreError};
use domain::Actor;
use domain::audit::AuditAction;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// At most this many entries per transaction (a burst beyond it waits for the next one).
const MAX_BATCH: usize = 256;

/// An [`Event`] that owns its text, to wait in the queue.
pub(crate) struct QueuedEvent {
    actor: Actor,
    action: AuditAction,
    record_type: String,
    record_id: String,
    detail: String,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

#[derive(Clone, Default)]
pub(crate) struct AuditBatch {
    queue: Arc<Mutex<Vec<QueuedEvent>>>,
    /// Held by the caller that is writing a batch.
    leader: Arc<tokio::sync::Mutex<()>>,
    /// Entries and transactions so far (for the benchmarks and `/metrics`).
    stats: Arc<Mutex<(u64, u64)>>,
}

impl AuditBatch {
    fn push(&self, e: QueuedEvent) -> Result<()> {
        self.queue
            .lock()
            .map_err(|_| StoreError::Other("audit queue poisoned".into()))?
            .push(e);
        Ok(())
    }

    fn take(&self) -> Vec<QueuedEvent> {
        match self.queue.lock() {
            Ok(mut q) => {
                let n = q.len().min(MAX_BATCH);
                q.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// (entries appended, transactions committed) by this process.
    pub(crate) fn counts(&self) -> (u64, u64) {
        self.stats.lock().map(|s| *s).unwrap_or_default()
    }
}

impl Store {
    /// Records an event that writes nothing else (a view of personal data, a search) and
    /// returns once it is committed, in a transaction shared with the views that arrived at
    /// the same time. The view itself was checked by the read that calls this.
    pub(crate) async fn audit(&self, actor: &Actor, ev: Event<'_>) -> Result<()> {
        let (done, mut answer) = oneshot::channel();
        self.audit_batch.push(QueuedEvent {
            actor: actor.clone(),
            action: ev.action,
            record_type: ev.record_type.to_owned(),
            record_id: ev.record_id,
            detail: ev.detail,
            done,
        })?;
        loop {
            tokio::select! {
                biased;
                r = &mut answer => {
                    return match r {
                        Ok(Ok(())) => Ok(()),
                        Ok(Err(e)) => Err(StoreError::Other(format!("audit entry not written: {e}"))),
                        Err(_) => Err(StoreError::Other("audit entry not written".into())),
                    };
                }
                turn = self.audit_batch.leader.clone().lock_owned() => {
                    let batch = self.audit_batch.take();
                    if !batch.is_empty() {
                        let store = self.clone();
                        // Its own task: finishes (and answers everyone) even if this
                        // request is dropped.
                        let job = tokio::spawn(async move {
                            let _turn = turn;
                            store.write_audit_batch(batch).await;
                        });
                        let _ = job.await;
                    }
                }
            }
        }
    }

    async fn write_audit_batch(&self, batch: Vec<QueuedEvent>) {
        let n = batch.len() as u64;
        let result = async {
            let mut tx = self.begin_write().await?;
            let entries: Vec<(&Actor, Event<'_>)> = batch
                .iter()
                .map(|e| {
                    (
                        &e.actor,
                        Event {
                            action: e.action,
                            record_type: &e.record_type,
                            record_id: e.record_id.clone(),
                            detail: e.detail.clone(),
                        },
                    )
                })
                .collect();
            append_many(&mut tx, self.clock(), &entries).await?;
            tx.commit().await
        }
        .await;
        if result.is_ok()
            && let Ok(mut s) = self.audit_batch.stats.lock()
        {
            s.0 += n;
            s.1 += 1;
        }
        let answer = result.map_err(|e| e.to_string());
        if let Err(e) = &answer {
            tracing::error!(error = %e, entries = n, "audit batch failed");
        }
        for e in batch {
            let _ = e.done.send(answer.clone());
        }
    }
}
