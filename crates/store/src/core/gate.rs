//! One writer at a time per process on SQLite. SQLite has one write lock per file; when
//! many connections ask for it at once, each one's busy handler sleeps and retries at
//! growing intervals (up to 100 ms apart) in no order, so a writer that has waited long
//! polls least often and newcomers overtake it — a review saw writes fail with "database
//! is locked" after the 10 s busy timeout with 8 concurrent writers. Writers of this
//! process queue here instead, first come first served (a `tokio` mutex is fair), holding
//! no pool connection while they wait, and only the head of the queue asks SQLite for the
//! lock — so it waits only for another process, if any. PostgreSQL locks rows, not the
//! database: no gate there.

use crate::{Result, StoreError};
use sqlx::{Any, AnyConnection, Transaction};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// How long a write waits for its turn before it is refused. Far above any single write
/// (the queue moves in milliseconds); it turns a write opened inside another write of the
/// same task (a bug that would otherwise wait forever) into an error.
const TURN_TIMEOUT: Duration = Duration::from_secs(60);

/// The queue of this process's SQLite writers (shared by every clone of the store).
#[derive(Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

/// A writer's turn: held until its transaction ends.
pub(crate) struct Turn {
    _guard: Option<OwnedMutexGuard<()>>,
}

impl WriteGate {
    pub(crate) async fn turn(&self, sqlite: bool) -> Result<Turn> {
        if !sqlite {
            return Ok(Turn { _guard: None });
        }
        match tokio::time::timeout(TURN_TIMEOUT, self.0.clone().lock_owned()).await {
            Ok(guard) => Ok(Turn {
                _guard: Some(guard),
            }),
            Err(_) => {
                tracing::error!("a write waited over a minute for its turn");
                Err(StoreError::Other(
                    "the database is busy: the write waited too long for its turn".into(),
                ))
            }
        }
    }
}

/// An open write transaction together with its turn: the turn ends when the transaction
/// is committed, rolled back or dropped. Derefs to the connection for queries.
pub(crate) struct WriteTx {
    // Field order: the transaction ends (rolls back if not committed) before the turn.
    tx: Transaction<'static, Any>,
    _turn: Turn,
}

impl WriteTx {
    pub(crate) fn new(tx: Transaction<'static, Any>, turn: Turn) -> WriteTx {
        WriteTx { tx, _turn: turn }
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
