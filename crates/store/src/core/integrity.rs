//! What backups and restores need from the database itself: a consistent SQLite copy
//! (`VACUUM INTO`, which reads one snapshot while writers go on), the integrity check, and
//! a look at a restore target without migrating it. The archive format and `pg_dump` live
//! in the binary; this is only the part that speaks SQL.

use crate::{Backend, Result, Store, StoreError};
use sqlx::{AnyConnection, Connection, Executor, Row};
use std::path::Path;

/// What `gugus check` and `gugus backup verify` report.
#[derive(Debug, Clone)]
pub struct IntegrityReport {
    /// Whether the check found nothing wrong.
    pub ok: bool,
    /// What was checked, e.g. "PRAGMA quick_check".
    pub method: String,
    /// The check's own words when something is wrong (no personal data: page and index
    /// names only).
    pub detail: String,
}

/// A restore target before anything is written to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// No database file, or a database without tables.
    Missing,
    /// Tables, but no account, case or audit entry (e.g. after `gugus migrate`).
    Empty,
    /// Accounts, cases or audit entries: replacing it needs `--force`.
    HoldsData,
}

impl Store {
    /// Writes a consistent copy of this SQLite database to `path` (which must not exist).
    /// `VACUUM INTO` reads one snapshot, so writers in other connections and processes go
    /// on meanwhile.
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config("VACUUM INTO is SQLite only".into()));
        }
        let path = path
            .to_str()
            .ok_or_else(|| StoreError::Config("the backup path is not valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(self.pool())
            .await
            .map_err(|e| {
                let code = e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .map(|c| c.into_owned());
                match code.as_deref() {
                    Some("13") => StoreError::Other("the disk is full".into()),
                    Some("14") => StoreError::Other(
                        "cannot create a file in that directory (read-only or missing?)".into(),
                    ),
                    _ => StoreError::Db(e),
                }
            })?;
        Ok(())
    }

    /// `PRAGMA quick_check` (or the full `integrity_check`) on SQLite; on PostgreSQL the
    /// `amcheck` B-tree check of every index when the extension is installed, else a read of
    /// every table of the schema (which finds unreadable pages and checksum failures).
    pub async fn integrity_check(&self, full: bool) -> Result<IntegrityReport> {
        let mut conn = self.pool().acquire().await?;
        match self.backend {
            Backend::Sqlite => sqlite_check(&mut conn, full).await,
            Backend::Postgres => postgres_check(&mut conn).await,
        }
    }
}

async fn sqlite_check(conn: &mut AnyConnection, full: bool) -> Result<IntegrityReport> {
    let pragma = if full {
        "PRAGMA integrity_check"
    } else {
        "PRAGMA quick_check"
    };
    let rows: Vec<String> = sqlx::query_scalar(pragma).fetch_all(&mut *conn).await?;
    let fk: Vec<sqlx::any::AnyRow> = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&mut *conn)
        .await?;
    let ok = rows.len() == 1 && rows[0] == "ok" && fk.is_empty();
    let mut detail: Vec<String> = rows.into_iter().filter(|r| r != "ok").take(5).collect();
    if !fk.is_empty() {
        detail.push(format!("{} rows break a foreign key", fk.len()));
    }
    Ok(IntegrityReport {
        ok,
        method: format!("{pragma}, PRAGMA foreign_key_check"),
        detail: detail.join("; "),
    })
}

async fn postgres_check(conn: &mut AnyConnection) -> Result<IntegrityReport> {
    let amcheck: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
            .fetch_optional(&mut *conn)
            .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut problems = Vec::new();
    for t in &tables {
        let sql = format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\""));
        if let Err(e) = conn.execute(sqlx::AssertSqlSafe(sql)).await {
            problems.push(format!("table {t}: {e}"));
        }
    }
    let mut method = format!("read every row of the {} tables", tables.len());
    let available: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'")
            .fetch_optional(&mut *conn)
            .await?;
    if amcheck.is_some() {
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam \
             WHERE n.nspname = current_schema() AND a.amname = 'btree' ORDER BY 1",
        )
        .fetch_all(&mut *conn)
        .await?;
        for ix in &indexes {
            let sql = format!(
                "SELECT 1 FROM (SELECT bt_index_check('\"{}\"'::regclass)) s",
                ix.replace('"', "\"\"").replace('\'', "''")
            );
            if let Err(e) = conn.execute(sqlx::AssertSqlSafe(sql)).await {
                problems.push(format!("index {ix}: {e}"));
            }
        }
        method.push_str(&format!(
            ", amcheck bt_index_check on {} indexes",
            indexes.len()
        ));
    } else if available.is_some() {
        method.push_str(
            "; indexes not checked: run CREATE EXTENSION amcheck as a superuser to check them too",
        );
    } else {
        method.push_str("; indexes not checked (the amcheck extension is not available)");
    }
    Ok(IntegrityReport {
        ok: problems.is_empty(),
        method,
        detail: problems.into_iter().take(5).collect::<Vec<_>>().join("; "),
    })
}

/// Looks at a restore target without creating or migrating anything.
pub async fn target_state(url: &str) -> Result<TargetState> {
    let backend = Backend::from_url(url)?;
    if backend == Backend::Sqlite {
        let path = sqlite_file(url);
        match std::fs::metadata(&path) {
            Err(_) => return Ok(TargetState::Missing),
            Ok(m) if m.len() == 0 => return Ok(TargetState::Missing),
            Ok(_) => {}
        }
    }
    let mut conn = raw_connect(url).await?;
    let tables_sql = match backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        Backend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()"
        }
    };
    let tables: Vec<String> = sqlx::query_scalar(tables_sql).fetch_all(&mut conn).await?;
    if tables.is_empty() {
        return Ok(TargetState::Missing);
    }
    for t in ["users", "cases", "audit_log"] {
        if !tables.iter().any(|x| x == t) {
            continue;
        }
        let sql = format!("SELECT 1 FROM {t} LIMIT 1");
        let row = conn.fetch_optional(sqlx::AssertSqlSafe(sql)).await?;
        if row.is_some() {
            return Ok(TargetState::HoldsData);
        }
    }
    Ok(TargetState::Empty)
}

/// Drops every table and function of the PostgreSQL schema a restore will fill, so
/// `pg_restore` starts from nothing. Only after the archive has been read and
/// authenticated in full.
pub async fn clear_postgres(url: &str) -> Result<()> {
    let mut conn = raw_connect(url).await?;
    let rows = sqlx::query(
        "SELECT 'DROP TABLE IF EXISTS \"' || tablename || '\" CASCADE' FROM pg_tables \
         WHERE schemaname = current_schema() \
         UNION ALL SELECT 'DROP FUNCTION IF EXISTS \"' || p.proname || '\" CASCADE' \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = current_schema() \
         UNION ALL SELECT 'DROP SEQUENCE IF EXISTS \"' || sequencename || '\" CASCADE' \
         FROM pg_sequences WHERE schemaname = current_schema()",
    )
    .fetch_all(&mut conn)
    .await?;
    let mut tx = conn.begin().await?;
    for r in rows {
        let stmt: String = r.try_get(0)?;
        tx.execute(sqlx::AssertSqlSafe(stmt)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates (`create = true`) or drops a PostgreSQL database on the server of `url`, for
/// `gugus backup verify`'s scratch copy.
pub async fn postgres_scratch(url: &str, name: &str, create: bool) -> Result<()> {
    let mut conn = raw_connect(url).await?;
    let sql = if create {
        format!("CREATE DATABASE \"{name}\"")
    } else {
        format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
    };
    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
    Ok(())
}

/// The same server as `url`, database `db`.
pub fn postgres_url_with_db(url: &str, db: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (url, String::new()),
    };
    let start = head.find("://").map(|i| i + 3).unwrap_or(0);
    let cut = head[start..]
        .find('/')
        .map(|i| start + i)
        .unwrap_or(head.len());
    format!("{}/{db}{query}", &head[..cut])
}

/// The file of an `sqlite://PATH?…` URL.
pub fn sqlite_file(url: &str) -> std::path::PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

async fn raw_connect(url: &str) -> Result<AnyConnection> {
    use sqlx::ConnectOptions;
    use std::str::FromStr;
    sqlx::any::install_default_drivers();
    let opts = sqlx::any::AnyConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("invalid database URL: {e}")))?
        .disable_statement_logging();
    opts.connect()
        .await
        .map_err(|e| StoreError::Config(format!("cannot open the database: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            postgres_url_with_db("postgres://u@h:5432/db?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            postgres_url_with_db("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/g.db?mode=rwc"),
            std::path::PathBuf::from("/var/lib/g.db")
        );
    }
}
