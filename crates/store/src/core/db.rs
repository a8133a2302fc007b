//! Connecting, migrating, and the few places where SQLite and PostgreSQL differ.

use crate::core::gate::WriteTx;
use crate::{Result, Store, StoreError};
use domain::time::Clock;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the backend from the URL scheme. An unknown scheme is an error: a typo must
    /// never create an empty database somewhere.
    pub fn from_url(url: &str) -> Result<Backend> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("");
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::Config(format!(
                "unsupported database URL scheme '{scheme}': use sqlite://PATH or postgres://USER@HOST/DB"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The connection pool's use, for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// How hard SQLite pushes each commit to the disk (PostgreSQL has its own
/// `synchronous_commit`, on by default). Both keep the database consistent after a crash
/// of the process or of the machine; they differ in what a power cut may take back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = FULL`: a commit is on the disk before it is acknowledged, so a
    /// power cut loses nothing acknowledged. Costs one flush of the write-ahead log per
    /// write (about 3 ms on the benchmark machine's disk; see docs/BENCHMARKS.md).
    #[default]
    Full,
    /// `synchronous = NORMAL`: survives a crash of the process (kill -9) but a power cut
    /// may take back the last transactions written since the last checkpoint.
    Normal,
}

impl Durability {
    pub fn parse(s: &str) -> Result<Durability> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(StoreError::Config(format!(
                "unknown SQLite synchronous setting '{other}': use full or normal"
            ))),
        }
    }

    fn pragmas(self) -> &'static str {
        match self {
            // `wal_autocheckpoint` is only a backstop: checkpoints are a background task's
            // (core/wal.rs).
            Durability::Full => {
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA wal_autocheckpoint = 8000;"
            }
            Durability::Normal => {
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA wal_autocheckpoint = 8000;"
            }
        }
    }
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Forward-only migrations, one file per dialect each.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "cases",
        sqlite: include_str!("../../migrations/sqlite/0002_cases.sql"),
        postgres: include_str!("../../migrations/postgres/0002_cases.sql"),
    },
    Migration {
        version: 3,
        name: "identity_grants",
        sqlite: include_str!("../../migrations/sqlite/0003_identity_grants.sql"),
        postgres: include_str!("../../migrations/postgres/0003_identity_grants.sql"),
    },
    Migration {
        version: 4,
        name: "route_legal",
        sqlite: include_str!("../../migrations/sqlite/0004_route_legal.sql"),
        postgres: include_str!("../../migrations/postgres/0004_route_legal.sql"),
    },
    Migration {
        version: 5,
        name: "case_region_levels",
        sqlite: include_str!("../../migrations/sqlite/0005_case_region_levels.sql"),
        postgres: include_str!("../../migrations/postgres/0005_case_region_levels.sql"),
    },
    Migration {
        version: 6,
        name: "consents",
        sqlite: include_str!("../../migrations/sqlite/0006_consents.sql"),
        postgres: include_str!("../../migrations/postgres/0006_consents.sql"),
    },
    Migration {
        version: 7,
        name: "perpetrators",
        sqlite: include_str!("../../migrations/sqlite/0007_perpetrators.sql"),
        postgres: include_str!("../../migrations/postgres/0007_perpetrators.sql"),
    },
    Migration {
        version: 8,
        name: "citizenship_closure",
        sqlite: include_str!("../../migrations/sqlite/0008_citizenship_closure.sql"),
        postgres: include_str!("../../migrations/postgres/0008_citizenship_closure.sql"),
    },
    Migration {
        version: 9,
        name: "clearing",
        sqlite: include_str!("../../migrations/sqlite/0009_clearing.sql"),
        postgres: include_str!("../../migrations/postgres/0009_clearing.sql"),
    },
    Migration {
        version: 10,
        name: "recovery",
        sqlite: include_str!("../../migrations/sqlite/0010_recovery.sql"),
        postgres: include_str!("../../migrations/postgres/0010_recovery.sql"),
    },
    Migration {
        version: 11,
        name: "api_token_limits",
        sqlite: include_str!("../../migrations/sqlite/0011_api_token_limits.sql"),
        postgres: include_str!("../../migrations/postgres/0011_api_token_limits.sql"),
    },
    Migration {
        version: 12,
        name: "audit_checkpoints",
        sqlite: include_str!("../../migrations/sqlite/0012_audit_checkpoints.sql"),
        postgres: include_str!("../../migrations/postgres/0012_audit_checkpoints.sql"),
    },
    Migration {
        version: 13,
        name: "review_chain",
        sqlite: include_str!("../../migrations/sqlite/0013_review_chain.sql"),
        postgres: include_str!("../../migrations/postgres/0013_review_chain.sql"),
    },
    Migration {
        version: 14,
        name: "grant_reason_encrypted",
        sqlite: include_str!("../../migrations/sqlite/0014_grant_reason_encrypted.sql"),
        postgres: include_str!("../../migrations/postgres/0014_grant_reason_encrypted.sql"),
    },
    Migration {
        version: 16,
        name: "after_save_queue",
        sqlite: include_str!("../../migrations/sqlite/0016_after_save_queue.sql"),
        postgres: include_str!("../../migrations/postgres/0016_after_save_queue.sql"),
    },
    Migration {
        version: 17,
        name: "perpetrator_pairs",
        sqlite: include_str!("../../migrations/sqlite/0017_perpetrator_pairs.sql"),
        postgres: include_str!("../../migrations/postgres/0017_perpetrator_pairs.sql"),
    },
    Migration {
        version: 21,
        name: "job_leases",
        sqlite: include_str!("../../migrations/sqlite/0021_job_leases.sql"),
        postgres: include_str!("../../migrations/postgres/0021_job_leases.sql"),
    },
    Migration {
        version: 22,
        name: "linkage_keys_compact",
        sqlite: include_str!("../../migrations/sqlite/0022_linkage_keys_compact.sql"),
        postgres: include_str!("../../migrations/postgres/0022_linkage_keys_compact.sql"),
    },
    Migration {
        version: 23,
        name: "page_indexes",
        sqlite: include_str!("../../migrations/sqlite/0023_page_indexes.sql"),
        postgres: include_str!("../../migrations/postgres/0023_page_indexes.sql"),
    },
    Migration {
        version: 24,
        name: "case_quality_counts",
        sqlite: include_str!("../../migrations/sqlite/0024_case_quality_counts.sql"),
        postgres: include_str!("../../migrations/postgres/0024_case_quality_counts.sql"),
    },
    Migration {
        version: 25,
        name: "review_queue_index",
        sqlite: include_str!("../../migrations/sqlite/0025_review_queue_index.sql"),
        postgres: include_str!("../../migrations/postgres/0025_review_queue_index.sql"),
    },
    Migration {
        version: 26,
        name: "lookup_tables_without_victim_index",
        sqlite: include_str!("../../migrations/sqlite/0026_lookup_tables_without_victim_index.sql"),
        postgres: include_str!(
            "../../migrations/postgres/0026_lookup_tables_without_victim_index.sql"
        ),
    },
    Migration {
        version: 27,
        name: "unit_contact",
        sqlite: include_str!("../../migrations/sqlite/0027_unit_contact.sql"),
        postgres: include_str!("../../migrations/postgres/0027_unit_contact.sql"),
    },
    Migration {
        version: 28,
        name: "statistics",
        sqlite: include_str!("../../migrations/sqlite/0028_statistics.sql"),
        postgres: include_str!("../../migrations/postgres/0028_statistics.sql"),
    },
    Migration {
        version: 29,
        name: "statistics_case_status",
        sqlite: include_str!("../../migrations/sqlite/0029_statistics_case_status.sql"),
        postgres: include_str!("../../migrations/postgres/0029_statistics_case_status.sql"),
    },
    Migration {
        version: 30,
        name: "statistics_cube",
        sqlite: include_str!("../../migrations/sqlite/0030_statistics_cube.sql"),
        postgres: include_str!("../../migrations/postgres/0030_statistics_cube.sql"),
    },
    Migration {
        version: 31,
        name: "public_snapshots",
        sqlite: include_str!("../../migrations/sqlite/0031_public_snapshots.sql"),
        postgres: include_str!("../../migrations/postgres/0031_public_snapshots.sql"),
    },
    Migration {
        version: 32,
        name: "statistics_tags",
        sqlite: include_str!("../../migrations/sqlite/0032_statistics_tags.sql"),
        postgres: include_str!("../../migrations/postgres/0032_statistics_tags.sql"),
    },
    Migration {
        version: 33,
        name: "survivor_codes",
        sqlite: include_str!("../../migrations/sqlite/0033_survivor_codes.sql"),
        postgres: include_str!("../../migrations/postgres/0033_survivor_codes.sql"),
    },
    Migration {
        version: 34,
        name: "complaints",
        sqlite: include_str!("../../migrations/sqlite/0034_complaints.sql"),
        postgres: include_str!("../../migrations/postgres/0034_complaints.sql"),
    },
    Migration {
        version: 35,
        name: "news",
        sqlite: include_str!("../../migrations/sqlite/0035_news.sql"),
        postgres: include_str!("../../migrations/postgres/0035_news.sql"),
    },
    Migration {
        version: 36,
        name: "synthetic_releases",
        sqlite: include_str!("../../migrations/sqlite/0036_synthetic_releases.sql"),
        postgres: include_str!("../../migrations/postgres/0036_synthetic_releases.sql"),
    },
];

/// Removes the password from a URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Store {
    /// Opens the database named by `url` (creating an SQLite file if needed) and applies
    /// pending migrations; SQLite commits with the default [`Durability`].
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_with(url, Durability::default()).await
    }

    /// [`Store::connect`] with SQLite's durability chosen (ignored on PostgreSQL).
    pub async fn connect_with(url: &str, durability: Durability) -> Result<Store> {
        let backend = Backend::from_url(url)?;
        sqlx::any::install_default_drivers();
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("invalid database URL {}: {e}", redact(&url))))?
            .disable_statement_logging();
        let pool_opts = match backend {
            Backend::Sqlite => {
                // No ping before each use: an SQLite connection is a file handle that does
                // not go stale, and the ping is a round trip to the connection's worker
                // thread for every query (PostgreSQL keeps it: a server restart or a
                // failover leaves dead connections that the ping replaces unseen).
                AnyPoolOptions::new()
                    .max_connections(8)
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            conn.execute(durability.pragmas()).await?;
                            Ok(())
                        })
                    })
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(16),
        };
        let pool = pool_opts
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect_with(opts)
            .await
            .map_err(|e| {
                StoreError::Config(format!("cannot open database {}: {e}", redact(&url)))
            })?;
        let store = Store {
            pool,
            backend,
            policy: crate::AuthPolicy::default(),
            keyring: None,
            model_cache: Default::default(),
            quality_cache: Default::default(),
            figures_cache: Default::default(),
            stats_memo: Default::default(),
            breakdown_memo: Default::default(),
            cross_memo: Default::default(),
            index_memo: Default::default(),
            transit_memo: Default::default(),
            picklists_memo: Default::default(),
            audit_batch: Default::default(),
            rules_memo: Default::default(),
            service_types_memo: Default::default(),
            complaint_places_memo: Default::default(),
            after_save: Default::default(),
            write_gate: Default::default(),
            clock: Clock::system(),
            node: crate::core::lease::new_node_id()?.into(),
            alive: Default::default(),
        };
        store.migrate().await?;
        if backend == Backend::Sqlite {
            crate::core::wal::spawn_checkpointer(
                store.pool.clone(),
                std::sync::Arc::downgrade(&store.alive),
            );
        }
        Ok(store)
    }

    /// Applies pending migrations, each in its own transaction. Two servers starting at once
    /// on a fresh database both come up: on PostgreSQL an advisory lock keeps them from
    /// migrating at once, on SQLite each migration is checked and applied under the write
    /// lock.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            conn.execute("SELECT pg_advisory_lock(4815162342)").await?;
        }
        let result = async {
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
            let mut applied = Vec::new();
            // A plain read first: a start with nothing to migrate takes no write lock.
            let done_before: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
                .fetch_all(&mut *conn)
                .await?;
            for m in MIGRATIONS {
                if done_before.contains(&m.version) {
                    continue;
                }
                // SQLite: the write lock first, then the question whether the migration is
                // still pending, so a second server starting at the same time waits and
                // then skips it (PostgreSQL: the advisory lock above).
                let mut tx = match self.backend {
                    Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
                    Backend::Postgres => conn.begin().await?,
                };
                let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *tx)
                    .await?;
                if done.is_some() {
                    tx.rollback().await?;
                    continue;
                }
                let sql = match self.backend {
                    Backend::Sqlite => m.sqlite,
                    Backend::Postgres => m.postgres,
                };
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version)
                    .bind(m.name)
                    .bind(self.now_ms())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "applied migration");
                applied.push(m.version);
            }
            Ok::<_, StoreError>(applied)
        }
        .await;
        if self.backend == Backend::Postgres {
            conn.execute("SELECT pg_advisory_unlock(4815162342)")
                .await?;
            // Migrations can add columns and indexes to large tables: plan with fresh statistics.
            if result.as_ref().is_ok_and(|applied| !applied.is_empty()) {
                conn.execute("ANALYZE").await?;
            }
        }
        result
    }

    /// Migrations this binary knows that the database has not applied (0 = current). An
    /// error means the database cannot be reached (`/readyz`).
    pub async fn pending_migrations(&self) -> Result<usize> {
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?;
        Ok(MIGRATIONS
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count())
    }

    /// View and search audit entries appended by group commit so far, and the
    /// transactions that appended them (their ratio is the mean batch).
    pub fn audit_batch_counts(&self) -> (u64, u64) {
        self.audit_batch.counts()
    }

    /// The connection pool now: (open, idle, most allowed).
    pub fn pool_stats(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }

    /// Refreshes the planner's statistics after bulk changes (PostgreSQL plans badly on a
    /// million rows it has no statistics for; SQLite's `optimize` is cheap and incremental).
    pub async fn analyze(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => sqlx::raw_sql("ANALYZE").execute(&self.pool).await?,
            Backend::Sqlite => sqlx::raw_sql("PRAGMA optimize").execute(&self.pool).await?,
        };
        Ok(())
    }

    /// A transaction that will write. SQLite takes the write lock up front so two writers
    /// wait for each other (busy_timeout) instead of failing on a lock upgrade.
    /// Only through [`crate::core::write`]: a write opened from an access check, or a named
    /// maintenance write.
    /// On SQLite the writers of this process first queue for their turn
    /// ([`crate::core::gate`]), so none fails on a busy lock under load.
    pub(in crate::core) async fn begin_write(&self) -> Result<WriteTx> {
        let turn = self
            .write_gate
            .turn(self.backend == Backend::Sqlite)
            .await?;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx::new(tx, turn))
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The query plan for a region-subtree query, so tests can prove it uses an index.
    pub async fn explain_region_subtree(&self, code: &domain::RegionCode) -> Result<String> {
        let (lo, hi) = code.subtree_bounds();
        let sql = match self.backend {
            Backend::Sqlite => {
                "EXPLAIN QUERY PLAN SELECT code FROM regions WHERE code >= $1 AND code < $2"
            }
            Backend::Postgres => "EXPLAIN SELECT code FROM regions WHERE code >= $1 AND code < $2",
        };
        let rows = sqlx::query(sql)
            .bind(lo)
            .bind(hi)
            .fetch_all(&self.pool)
            .await?;
        let mut out = String::new();
        for r in rows {
            use sqlx::Row;
            let line: String = match self.backend {
                Backend::Sqlite => r.try_get("detail")?,
                Backend::Postgres => r.try_get(0)?,
            };
            out.push_str(&line);
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        assert_eq!(
            Backend::from_url("sqlite://gugus.db").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("sqlit://gugus.db").is_err());
        assert!(Backend::from_url("gugus.db").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
