//! The write guard. A write transaction is opened only from the proof that an access check
//! passed ([`Allowed`]), takes its time from the store's clock, and cannot commit without
//! its audit entry — so the check, the write and the audit of each write cannot drift
//! apart. The few writes no person makes (seed data, sessions, the linkage run's progress,
//! the mail queue) open [`Store::maintenance`] instead, with the reason named.

use crate::core::audit::{Event, append_at};
use crate::core::gate::WriteTx;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, Denied, Scope, decide};
use sqlx::AnyConnection;
use std::ops::{Deref, DerefMut};

/// The actor of background jobs (escalation, the mail queue): the system, never a person.
pub fn job_actor() -> Actor {
    Actor {
        user_id: None,
        username: "system:jobs".into(),
        unit_id: domain::UnitId(1),
        role: domain::Role::Admin,
        scope: Scope::National,
        origin: Some("job".into()),
    }
}

/// Proof that `actor` passed an access check. Only this module makes one.
#[must_use = "an access check's proof opens the write it allows"]
pub(crate) struct Allowed<'a> {
    actor: &'a Actor,
}

impl<'a> Allowed<'a> {
    pub(crate) fn actor(&self) -> &'a Actor {
        self.actor
    }
}

/// Why a write runs without a person's audit entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Maintenance {
    /// Reference data loaded at start-up (regions, picklists, services, rules).
    Seed,
    /// Figures derived from an audited write (the rule hits of a saved case).
    Derived,
    /// Progress and results of a linkage run (its start is audited).
    LinkageRun,
    /// Re-encrypting rows in batches during a key rotation (the rotation is audited).
    KeyRotation,
    /// A signed checkpoint of the audit chain's head (auditing it would move the head).
    Checkpoint,
    /// Encrypting free text an older version stored in plaintext, before its column was
    /// encrypted (once, at start-up with the key loaded, and before a rotation): like a
    /// migration, it changes how data is kept, not what it says.
    SealPlaintext,
    /// Taking or renewing a background job's lease (which node runs it; no data changes).
    JobLease,
    /// Rebuilding the statistics rows from the records (derived figures, like a migration).
    Statistics,
    /// Bulk fills of the benchmarks (`bench` feature only).
    #[cfg_attr(not(feature = "bench"), allow(dead_code))]
    Bench,
}

impl Store {
    /// Asks the policy table; the proof it returns opens a write.
    pub(crate) fn allow<'a>(
        &self,
        actor: &'a Actor,
        action: Action,
        scope: &Scope,
    ) -> Result<Allowed<'a>> {
        decide(actor, action, scope)?;
        Ok(Allowed { actor })
    }

    /// A proof from another domain decision (the referral rules, an account's own
    /// settings): the decision is made by `domain`, never here.
    pub(crate) fn allow_by<'a>(
        &self,
        actor: &'a Actor,
        decision: std::result::Result<(), Denied>,
    ) -> Result<Allowed<'a>> {
        decision?;
        Ok(Allowed { actor })
    }

    /// The actor acts on their own account (login, logout, second factor, own password or
    /// two-factor settings): the credential the caller just checked is the access check.
    pub(crate) fn allow_own_account<'a>(&self, actor: &'a Actor) -> Allowed<'a> {
        Allowed { actor }
    }

    /// Someone outside the staff acts with a credential the store just checked (a survivor's
    /// status code and PIN): the check is the credential, the actor names no person.
    pub(crate) fn allow_credential<'a>(&self, actor: &'a Actor) -> Allowed<'a> {
        Allowed { actor }
    }

    /// Background jobs (escalation, the mail queue) act as the system: no signed-in person
    /// may call them, whatever their role.
    pub(crate) fn allow_system<'a>(&self, actor: &'a Actor) -> Result<Allowed<'a>> {
        if actor.user_id.is_none() && actor.scope == Scope::National {
            Ok(Allowed { actor })
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// Opens the write that `allowed` permits (`BEGIN IMMEDIATE` on SQLite, so the checks
    /// made inside it see the state the write will change).
    pub(crate) async fn write<'a>(&self, allowed: Allowed<'a>) -> Result<Write<'a>> {
        Ok(Write {
            tx: self.begin_write().await?,
            actor: allowed.actor,
            now: self.now_ms(),
            clock: self.clock().clone(),
            audited: false,
            backend: self.backend(),
            cases: Vec::new(),
            figures: false,
        })
    }

    /// A write no person makes; `why` says which kind.
    /// Seed writes hold a lock until they end (SQLite: the write lock, as every write;
    /// PostgreSQL: a transaction advisory lock), so servers starting at once load the
    /// reference data one after the other and the second finds it loaded.
    pub(crate) async fn maintenance(&self, why: Maintenance) -> Result<WriteTx> {
        tracing::trace!(?why, "maintenance write");
        let mut tx = self.begin_write().await?;
        if matches!(why, Maintenance::Seed) && self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(4815162343)")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// SQLite keeps the bytes of overwritten values in the page's free space unless told
    /// to zero them: on while plaintext is replaced ([`Maintenance::SealPlaintext`]), so it
    /// does not linger in the file.
    pub(crate) async fn secure_delete(
        &self,
        conn: &mut sqlx::AnyConnection,
        on: bool,
    ) -> Result<()> {
        if self.backend() == crate::Backend::Sqlite {
            let sql = if on {
                "PRAGMA secure_delete = ON"
            } else {
                "PRAGMA secure_delete = OFF"
            };
            sqlx::raw_sql(sql).execute(&mut *conn).await?;
        }
        Ok(())
    }
}

/// An open write transaction of one actor. It derefs to the connection for queries.
pub(crate) struct Write<'a> {
    tx: WriteTx,
    actor: &'a Actor,
    now: i64,
    clock: domain::time::Clock,
    audited: bool,
    backend: crate::Backend,
    /// Cases this write audited (or said it touched): their statistics rows are rebuilt
    /// before it commits.
    cases: Vec<i64>,
    /// Whether it changed something the statistics count without a case of its own (a
    /// perpetrator or person link).
    figures: bool,
}

impl<'a> Write<'a> {
    pub(crate) fn actor(&self) -> &'a Actor {
        self.actor
    }

    /// The time of this write (one instant for every row and the audit entry).
    pub(crate) fn now_ms(&self) -> i64 {
        self.now
    }

    /// Appends the audit entry of this write (in the same transaction).
    pub(crate) async fn audit(&mut self, ev: Event<'_>) -> Result<i64> {
        // Transit events are counted from the route (the index's transit component), not
        // from the statistics rows: a route change always moves the generation.
        if matches!(
            ev.action,
            AuditAction::CaseRouteAdd | AuditAction::CaseRouteDelete
        ) {
            self.figures = true;
        }
        match ev.record_type {
            "case" => self.cases.extend(ev.record_id.parse::<i64>().ok()),
            "perpetrator" | "perpetrator_pair" | "linkage_pair" => self.figures = true,
            _ => {}
        }
        let seq = append_at(&mut self.tx, self.actor, &self.clock, ev).await?;
        self.audited = true;
        Ok(seq)
    }

    /// Cases a batch write changed (its one audit entry names none).
    pub(crate) fn touch_cases(&mut self, ids: impl IntoIterator<Item = i64>) {
        self.cases.extend(ids);
    }

    /// Commits; a write without an audit entry is refused and rolled back. The statistics
    /// rows of the cases it touched are rebuilt first, in the same transaction.
    pub(crate) async fn commit(mut self) -> Result<()> {
        if !self.audited {
            tracing::error!("write without an audit entry refused");
            return Err(StoreError::Other("write without an audit entry".into()));
        }
        let mut bumped = false;
        if !self.cases.is_empty() {
            bumped = crate::stats::facts::refresh(&mut self.tx, self.backend, &self.cases).await?;
        }
        if self.figures && !bumped {
            crate::stats::facts::bump(&mut self.tx).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for Write<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}
