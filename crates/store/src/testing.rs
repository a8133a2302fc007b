//! Fresh databases for tests, on SQLite or on the PostgreSQL named by
//! `GUGUS_TEST_DATABASE_URL`. The region reference is loaded once per test process into a
//! template that every test copies, so each test starts from a complete, private database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::Store;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The PostgreSQL server URL to test against, if any.
pub fn postgres_base() -> Option<String> {
    std::env::var("GUGUS_TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

fn with_db(base: &str, db: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (base, String::new()),
    };
    let cut = head
        .rfind('/')
        .filter(|&i| i > head.find("://").map(|j| j + 2).unwrap_or(0))
        .unwrap_or(head.len());
    format!("{}/{db}{query}", &head[..cut])
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The instance secret used by tests (never used outside tests).
pub const TEST_SECRET: [u8; 32] = [42; 32];

/// Keys for personal fields derived from [`TEST_SECRET`].
pub fn test_keyring() -> crate::core::crypto::Keyring {
    crate::core::crypto::Keyring::new(&TEST_SECRET, None).unwrap()
}

/// A private database that is deleted when dropped.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    file: Option<std::path::PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
        if let (Some(name), Some(base)) = (self.pg_name.clone(), postgres_base()) {
            // Drop from a separate thread: Drop cannot await, and the test's runtime may be gone.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = sqlx::AnyConnection::connect(&base).await {
                        let _ = c
                            .execute(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            )))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

async fn build_template() -> String {
    sqlx::any::install_default_drivers();
    match postgres_base() {
        Some(base) => {
            drop_stale_databases(&base).await;
            let name = unique("gugus_tpl");
            let mut admin = sqlx::AnyConnection::connect(&base)
                .await
                .expect("connect to GUGUS_TEST_DATABASE_URL");
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .await
                .unwrap();
            let store = Store::connect(&with_db(&base, &name)).await.unwrap();
            store.ensure_regions().await.unwrap();
            store.ensure_picklists().await.unwrap();
            store.close().await;
            name
        }
        None => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("gugus_tpl")));
            let store = Store::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            store.ensure_regions().await.unwrap();
            store.ensure_picklists().await.unwrap();
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .unwrap();
            store.close().await;
            path.display().to_string()
        }
    }
}

/// A fresh, migrated database with the full region reference.
pub async fn fresh_db() -> TestDb {
    let template = TEMPLATE.get_or_init(build_template).await.clone();
    match postgres_base() {
        Some(base) => {
            let name = unique("gugus_t");
            let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                )))
                .await
                .unwrap();
            TestDb {
                url: with_db(&base, &name),
                pg_name: Some(name),
                file: None,
            }
        }
        None => {
            let path = std::env::temp_dir().join(format!("{}.db", unique("gugus_t")));
            std::fs::copy(&template, &path).unwrap();
            TestDb {
                url: format!("sqlite://{}", path.display()),
                pg_name: None,
                file: Some(path),
            }
        }
    }
}

/// Drops test databases more than an hour old: templates are kept for the life of a test
/// process (no async teardown exists), and a killed run leaves its databases behind.
async fn drop_stale_databases(base: &str) {
    let Ok(mut c) = sqlx::AnyConnection::connect(base).await else {
        return;
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'gugus\\_t%'")
            .fetch_all(&mut c)
            .await
            .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    for n in names {
        let created: u64 = n
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if now.saturating_sub(created) > 3600 {
            let _ = c
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{n}\" WITH (FORCE)"
                )))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn swaps_database_name() {
        assert_eq!(
            super::with_db("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_db("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::with_db("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
