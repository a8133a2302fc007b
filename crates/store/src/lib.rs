//! Gugus storage: the only door to data. Every public method that touches records takes
//! the acting [`domain::Actor`], asks [`domain::decide`] and applies the actor's region
//! scope in SQL, so no caller can forget a check. One code path serves SQLite and
//! PostgreSQL through sqlx's `Any` driver; the few differences live in [`db`].

mod accounts;
mod admin;
#[cfg(feature = "bench")]
mod bench_support;
mod cases;
pub mod complaints;
pub mod core;
mod linkage;
pub mod news;
mod notifications;
mod perpetrators;
pub mod publish;
mod recovery;
mod referrals;
mod regions;
mod review;
pub mod stats;

pub use crate::core::access::IdentityAccess;
pub use crate::core::audit::{AuditAbout, AuditFilter, AuditRow, VerifyReport};
pub use crate::core::checkpoint::{AnchorReport, Anchors, append_checkpoint_file};
pub use crate::core::crypto;
pub use crate::core::db::{Backend, Durability, PoolStats};
pub use crate::core::error::{RuleHit, StoreError};
pub use crate::core::ids::CaseId;
pub use crate::core::integrity::{IntegrityReport, TargetState};
pub use crate::core::write::job_actor;
pub use accounts::auth::{AuthPolicy, LoginOutcome, SessionInfo, TotpSetup};
pub use accounts::tokens::{ApiToken, NewToken, TokenAuth};
pub use accounts::users::{UserFilter, UserOnly, UserPage, UserRow};
pub use admin::rotate::RotateStats;
pub use cases::parts::{ConsentView, LegalView, NewConsent, RouteEventView, StageView};
pub use cases::{
    AccessEntry, AccessLog, AccessLogFilter, CASE_COUNT_CAP, CaseEvent, CaseFilter, CasePage,
    CasePageData, CaseRow, CaseSort, CaseView, Grant, SimilarVictim, VictimView,
};
pub use linkage::{
    CaseDuplicate, ExplainLine, OfficialCount, PROPOSE_AT, PairRow, PairSide, PairView, RunView,
    pair_status,
};
pub use notifications::{Notification, NotificationPage, PendingMail};
pub use perpetrators::{
    Elsewhere, NewPerpetrator, PairCase, PerpetratorCase, PerpetratorLink, PerpetratorPairRow,
    PerpetratorPairSide, PerpetratorPairView, PerpetratorView,
};
pub use recovery::{
    CodeState, IssuedCode, StatusOutcome, SurvivorMoney, SurvivorReferral, SurvivorService,
    SurvivorStatus,
};
pub use recovery::{
    EVIDENCE_MAX, EvidenceMeta, LedgerLine, LedgerTotalRow, LedgerView, NeedView, NewLedgerEntry,
    NewService, PlanSummary, PlanView, RecoveryDashboard, RecoveryEvent, ServiceType,
    ServiceUpdate, ServiceView, TaskRow, TasksView, evidence_type,
};
pub use referrals::{MessageView, NewReferral, ReferralRow, ReferralView, SharedVictim};
pub use regions::picklists::{PicklistItem, Picklists};
pub use regions::units::Unit;
pub use regions::{ATTRIBUTION, LoadStats, Region, RegionDetail, RegionMatch};
pub use review::quality::QualityRow;
pub use review::{AfterSaveStats, HomeWork, QueuePass};
pub use review::{
    FieldNote, PeriodView, QueueFilter, QueueItem, ReviewInfo, ReviewRequest, ReviewStep, RuleInfo,
    month_of,
};

#[cfg(feature = "testing")]
pub mod testing;

use domain::time::{Clock, Zone};
use sqlx::AnyPool;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    policy: AuthPolicy,
    keyring: Option<std::sync::Arc<crypto::Keyring>>,
    model_cache: linkage::ModelCache,
    quality_cache: review::quality::QualityCache,
    figures_cache: review::home::FiguresCache,
    stats_memo: std::sync::Arc<stats::memo::Memo<std::sync::Arc<stats::Statistics>>>,
    breakdown_memo: std::sync::Arc<stats::memo::Memo<std::sync::Arc<stats::Breakdown>>>,
    cross_memo: std::sync::Arc<stats::memo::Memo<std::sync::Arc<stats::CrossTab>>>,
    transit_memo: std::sync::Arc<stats::memo::Memo<std::sync::Arc<Vec<stats::TransitFlow>>>>,
    index_memo: std::sync::Arc<stats::memo::Memo<std::sync::Arc<stats::index::IndexView>>>,
    picklists_memo: crate::core::memo::Memo<Picklists>,
    audit_batch: crate::core::audit_batch::AuditBatch,
    rules_memo: crate::core::memo::Memo<Vec<domain::rules::Rule>>,
    service_types_memo: crate::core::memo::Memo<Vec<ServiceType>>,
    /// The provinces and regencies a complaint may name (the complaint form's list).
    complaint_places_memo: crate::core::memo::Memo<Vec<(String, String, String)>>,
    after_save: std::sync::Arc<review::AfterSaveCounters>,
    write_gate: crate::core::gate::WriteGate,
    clock: Clock,
    /// This server's name in `job_leases` (random per process; see [`Store::node_id`]).
    node: std::sync::Arc<str>,
    /// Held by every handle of this store; background tasks stop when it is gone.
    alive: std::sync::Arc<()>,
}

/// Milliseconds since the Unix epoch by the system clock, for code that has no store (the
/// command line, logs). Everything that decides with time asks [`Store::now_ms`] or
/// [`Store::today`], which read the store's [`Clock`].
pub fn now_ms() -> i64 {
    Clock::system().now_ms()
}

/// 32 random bytes as hex: session ids, API tokens, CSRF pre-session ids.
pub fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| StoreError::Other(format!("random source failed: {e}")))?;
    Ok(hex::encode(b))
}

/// SHA-256 of a bearer secret, as stored (never the secret itself).
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Store {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// The clock every decision with time reads (tests move it; clones share it).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Uses `clock` instead of the system clock (tests: a clock shared with the test).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Milliseconds since the Unix epoch, by the store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Today in the time zone of the actor's region (WIB for national staff and the
    /// system): the one "today" that dates are checked and deadlines counted against.
    pub fn today(&self, actor: &domain::Actor) -> domain::case::Day {
        self.clock.today(Zone::of_scope(
            actor.scope.region().map(domain::RegionCode::as_str),
        ))
    }

    pub fn with_policy(mut self, policy: AuthPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Loads the keys for personal fields (from the instance secret).
    pub fn with_keyring(mut self, keyring: crypto::Keyring) -> Self {
        self.keyring = Some(std::sync::Arc::new(keyring));
        self
    }

    /// Checks the database answers (for `gugus check` and `/healthz?deep`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool once the duplicate checks running now have ended.
    pub async fn close(&self) {
        self.duplicates_settled().await;
        self.pool.close().await;
    }
}

/// An open transaction holding locks for a test ([`Store::hold_for_tests`]).
#[cfg(feature = "testing")]
pub struct HeldForTests(sqlx::Transaction<'static, sqlx::Any>);

#[cfg(feature = "testing")]
impl HeldForTests {
    /// Ends the transaction (rolled back) and frees its locks.
    pub async fn release(self) -> Result<()> {
        self.0.rollback().await?;
        Ok(())
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Runs SQL as a database operator could, bypassing the store (tamper tests only).
    pub async fn exec_raw_for_tests(&self, sql: &'static str) -> Result<u64> {
        Ok(sqlx::query(sql).execute(&self.pool).await?.rows_affected())
    }

    /// Runs a script of several statements (triggers that simulate failures in tests).
    pub async fn exec_script_for_tests(&self, sql: &str) -> Result<()> {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Runs `sql` in a transaction that stays open (holding its locks) until the returned
    /// handle is released: another session's writes waiting on a lock, in tests.
    pub async fn hold_for_tests(&self, sql: &str) -> Result<HeldForTests> {
        let mut tx = self.pool.begin().await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut *tx)
            .await?;
        Ok(HeldForTests(tx))
    }

    /// Removes the append-only guard on the audit log, as an attacker with DBA rights could.
    pub async fn disable_audit_guard_for_tests(&self) -> Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            Backend::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log;",
        };
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Every row of a table as text, as someone reading the database file would see it.
    pub async fn dump_table_for_tests(&self, table: &'static str) -> Result<String> {
        use sqlx::{Row, ValueRef};
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(&self.pool)
            .await?;
        let mut out = String::new();
        for r in rows {
            for i in 0..r.columns().len() {
                if r.try_get_raw(i).map(|v| v.is_null()).unwrap_or(true) {
                    continue;
                }
                if let Ok(s) = r.try_get::<String, _>(i) {
                    out.push_str(&s);
                } else if let Ok(n) = r.try_get::<i64, _>(i) {
                    out.push_str(&n.to_string());
                }
                out.push('|');
            }
            out.push('\n');
        }
        Ok(out)
    }
}
