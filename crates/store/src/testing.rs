//! Fresh databases for tests, on SQLite or on the PostgreSQL named by
//! `GUGUS_TEST_DATABASE_URL`.
//!
//! Building a database from nothing is slow (the 91k-region reference; argon2 for every
//! account), so a test process builds what its tests share once, as a *template*, and every
//! test gets a private copy of it: a file copy on SQLite, `CREATE DATABASE … TEMPLATE …` on
//! PostgreSQL (which needs no open connection to the template). [`fresh_db`] copies the
//! region template (migrated, regions and picklists loaded); [`Template::build`] makes a
//! further template from that one holding a suite's own fixtures.
//!
//! Every name carries its creation time: `gugus_t_<unix seconds>_<pid>_<n>` for a test's
//! database, `gugus_tpl_…` for a template. A test's database is removed when its [`TestDb`]
//! is dropped; templates live as long as their process. A small reaper process (`sh`, and
//! `psql` on PostgreSQL) removes both when the end of the test process closes its pipe,
//! however the process ends (a panic, Ctrl-C, a kill). What is left anyway (the reaper could
//! not start, the machine stopped) is removed by a later run once it is older than
//! [`MAX_AGE_SECS`], so two runs on one server never drop each other's databases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::Store;
use sqlx::{Connection, Executor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use tokio::sync::OnceCell;

static REGIONS: OnceCell<Template> = OnceCell::const_new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Test databases and templates older than this are someone's leftovers: no test run lasts
/// this long.
pub const MAX_AGE_SECS: u64 = 3 * 3600;

/// Creation times before this are not times: older versions of this module put the
/// process id where the time is now.
const EARLIEST_SECS: u64 = 1_600_000_000;

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

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `gugus_<kind>_<created, unix seconds>_<pid>_<n>`; `kind` is `t` (a test's database) or
/// `tpl` (a template).
fn db_name(kind: &str) -> String {
    format!(
        "gugus_{kind}_{}_{}_{}",
        now_secs(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The creation time (unix seconds) in a name made by [`db_name`]; `None` for any other
/// name, including those of older versions of this module, which cannot be dated.
fn created_at(name: &str) -> Option<u64> {
    let mut parts = name.strip_prefix("gugus_")?.split('_');
    let (kind, secs, pid, n) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !matches!(kind, "t" | "tpl") {
        return None;
    }
    pid.parse::<u32>().ok()?;
    n.parse::<u64>().ok()?;
    secs.parse::<u64>().ok().filter(|&s| s >= EARLIEST_SECS)
}

/// Whether a database or file of this name was made more than [`MAX_AGE_SECS`] before `now`.
fn is_stale(name: &str, now: u64) -> bool {
    created_at(name).is_some_and(|created| now.saturating_sub(created) > MAX_AGE_SECS)
}

/// The instance secret used by tests (never used outside tests).
pub const TEST_SECRET: [u8; 32] = [42; 32];

/// Keys for personal fields derived from [`TEST_SECRET`].
pub fn test_keyring() -> crate::core::crypto::Keyring {
    crate::core::crypto::Keyring::new(&TEST_SECRET, None).unwrap()
}

fn sqlite_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{name}.db"))
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

async fn admin_connection(base: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(base)
        .await
        .expect("connect to GUGUS_TEST_DATABASE_URL")
}

/// A private database that is deleted when dropped.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    file: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            remove_sqlite(f);
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

/// A database that tests copy. Built once per test process (keep it in a `static`) and
/// removed when the process ends.
pub struct Template {
    /// The database's name on PostgreSQL, the file's path on SQLite.
    source: Source,
}

enum Source {
    Postgres(String),
    File(PathBuf),
}

impl Template {
    /// A new template that starts as a copy of the region template: `fill` gets a store on
    /// it (with [`test_keyring`] and the default policy) and returns what the tests need to
    /// know about the data it made (ids, say), which `build` hands back with the template.
    pub async fn build<T>(fill: impl AsyncFnOnce(&Store) -> T) -> (Template, T) {
        let regions = regions().await;
        let template = Template::create(Some(regions)).await;
        let store = Store::connect(&template.url())
            .await
            .unwrap()
            .with_keyring(test_keyring());
        let out = fill(&store).await;
        template.freeze(store).await;
        (template, out)
    }

    /// A fresh, private copy of this template.
    pub async fn fresh_db(&self) -> TestDb {
        let name = db_name("t");
        match &self.source {
            Source::Postgres(template) => {
                let base = postgres_base().expect("GUGUS_TEST_DATABASE_URL is gone");
                remove_at_exit(&format!("pg {name}"));
                let mut admin = admin_connection(&base).await;
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
            Source::File(template) => {
                let path = sqlite_path(&name);
                remove_at_exit(&format!("file {}", path.display()));
                std::fs::copy(template, &path).unwrap();
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    pg_name: None,
                    file: Some(path),
                }
            }
        }
    }

    /// An empty database (`from` None) or a copy of `from`. Like a test's database, it is
    /// handed to the reaper before it exists, so that it cannot outlive this process.
    async fn create(from: Option<&Template>) -> Template {
        let name = db_name("tpl");
        match postgres_base() {
            Some(base) => {
                remove_at_exit(&format!("pg {name}"));
                let sql = match from {
                    Some(Template {
                        source: Source::Postgres(from),
                    }) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{from}\""),
                    _ => format!("CREATE DATABASE \"{name}\""),
                };
                let mut admin = admin_connection(&base).await;
                admin.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
                Template {
                    source: Source::Postgres(name),
                }
            }
            None => {
                let path = sqlite_path(&name);
                remove_at_exit(&format!("file {}", path.display()));
                if let Some(Template {
                    source: Source::File(from),
                }) = from
                {
                    std::fs::copy(from, &path).unwrap();
                }
                Template {
                    source: Source::File(path),
                }
            }
        }
    }

    fn url(&self) -> String {
        match &self.source {
            Source::Postgres(name) => with_db(&postgres_base().unwrap_or_default(), name),
            Source::File(path) => format!("sqlite://{}", path.display()),
        }
    }

    /// Closes the store that filled the template: on SQLite everything is moved into the
    /// main file first, since only that file is copied.
    async fn freeze(&self, store: Store) {
        if let Source::File(_) = self.source {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(store.pool())
                .await
                .unwrap();
        }
        store.close().await;
    }
}

/// The region template of this process: migrated, with the region reference and the
/// picklists. Built by the first test that asks, after removing other runs' leftovers.
async fn regions() -> &'static Template {
    REGIONS
        .get_or_init(|| async {
            remove_stale().await;
            let template = Template::create(None).await;
            let store = Store::connect(&template.url()).await.unwrap();
            store.ensure_regions().await.unwrap();
            store.ensure_picklists().await.unwrap();
            template.freeze(store).await;
            template
        })
        .await
}

/// A database that does not exist yet (SQLite: no file) or is empty (PostgreSQL), removed
/// when dropped: what a first start sees.
pub async fn empty_db() -> TestDb {
    let name = db_name("t");
    match postgres_base() {
        Some(base) => {
            remove_at_exit(&format!("pg {name}"));
            let mut admin = admin_connection(&base).await;
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                .await
                .unwrap();
            TestDb {
                url: with_db(&base, &name),
                pg_name: Some(name),
                file: None,
            }
        }
        None => {
            let path = sqlite_path(&name);
            remove_at_exit(&format!("file {}", path.display()));
            TestDb {
                url: format!("sqlite://{}", path.display()),
                pg_name: None,
                file: Some(path),
            }
        }
    }
}

/// The database's own integrity check: `PRAGMA quick_check` on SQLite ("ok" when sound);
/// on PostgreSQL amcheck's `bt_index_check` over every B-tree index of the public schema
/// ("ok" when none complains).
pub async fn integrity_check(url: &str) -> String {
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(url).await.unwrap();
    if url.starts_with("sqlite") {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
            .fetch_all(&mut c)
            .await
            .unwrap();
        return rows.join("; ");
    }
    c.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT bt_index_check(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = 'public' AND a.amname = 'btree') t",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert!(n > 0, "no index checked");
    "ok".into()
}

/// A fresh, migrated database with the full region reference.
pub async fn fresh_db() -> TestDb {
    regions().await.fresh_db().await
}

/// Removes test databases (or files) and templates made more than [`MAX_AGE_SECS`] ago:
/// what a killed run or a stopped machine left behind. Younger ones may belong to a run
/// going on beside this one, and names that carry no time are not ours to judge.
async fn remove_stale() {
    let now = now_secs();
    match postgres_base() {
        Some(base) => {
            let mut c = admin_connection(&base).await;
            let names: Vec<String> = sqlx::query_scalar(
                "SELECT datname FROM pg_database WHERE datname LIKE 'gugus\\_t%'",
            )
            .fetch_all(&mut c)
            .await
            .unwrap_or_default();
            for name in names.iter().filter(|n| is_stale(n, now)) {
                let _ = c
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .await;
            }
        }
        None => {
            let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
                return;
            };
            for entry in entries.flatten() {
                let file = entry.file_name();
                let Some(stem) = file.to_str().and_then(|f| f.strip_suffix(".db")) else {
                    continue;
                };
                if is_stale(stem, now) {
                    remove_sqlite(&entry.path());
                }
            }
        }
    }
}

/// The reaper: `sh` collects lines `pg <database>` and `file <path>` until its standard
/// input closes, which happens when this process ends, however it ends, then removes them.
/// It ignores the signals a Ctrl-C or a kill of the test run sends its process group.
const REAPER: &str = r#"trap '' HUP INT TERM
list=$(cat)
url=$1
shift
while read -r kind name; do
  case $kind in
    file) rm -f -- "$name" "$name-wal" "$name-shm" ;;
    pg) set -- "$@" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" ;;
  esac
done <<EOF
$list
EOF
if [ $# -gt 0 ]; then exec psql "$url" -Xq "$@"; fi
"#;

/// Has the reaper remove this (a line for [`REAPER`]) when the process ends, if it is
/// still there. Without `sh` (or `psql`) it stays until a later run finds it stale.
fn remove_at_exit(line: &str) {
    static PIPE: OnceLock<Option<Mutex<(Child, ChildStdin)>>> = OnceLock::new();
    let pipe = PIPE.get_or_init(|| {
        let mut child = Command::new("sh")
            .args(["-c", REAPER, "gugus-test-reaper"])
            .arg(postgres_base().unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        Some(Mutex::new((child, stdin)))
    });
    if let Some(pipe) = pipe {
        let mut pipe = pipe.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(pipe.1, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_database_name() {
        assert_eq!(
            with_db("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_db("postgres://u@h/postgres?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_db("postgres://u@h", "x"), "postgres://u@h/x");
    }

    #[test]
    fn names_carry_their_creation_time() {
        let before = now_secs();
        for kind in ["t", "tpl"] {
            let name = db_name(kind);
            assert!(name.starts_with(&format!("gugus_{kind}_")), "{name}");
            let created = created_at(&name).unwrap();
            assert!(created >= before && created <= now_secs(), "{name}");
        }
        assert_eq!(created_at("gugus_t_1796613054_4711_3"), Some(1_796_613_054));
        assert_eq!(
            created_at("gugus_tpl_1796613054_4711_0"),
            Some(1_796_613_054)
        );
        // Names of older versions held the process id where the time is now.
        assert_eq!(created_at("gugus_tpl_22531_163115770_0"), None);
        assert_eq!(created_at("gugus_t_4711_999999999_12"), None);
        for other in [
            "gugus",
            "gugus_t",
            "gugus_t_1796613054",
            "gugus_t_1796613054_4711",
            "gugus_t_1796613054_4711_3_9",
            "gugus_x_1796613054_4711_3",
            "gugus_t_17966l3054_4711_3",
            "gugus_t_1796613054_pid_3",
            "gugus_demo",
            "postgres",
        ] {
            assert_eq!(created_at(other), None, "{other}");
        }
    }

    #[test]
    fn only_old_dated_names_are_stale() {
        let now = 1_796_613_054;
        let made = |secs_ago: u64| format!("gugus_t_{}_4711_0", now - secs_ago);
        assert!(!is_stale(&made(0), now));
        assert!(!is_stale(&made(MAX_AGE_SECS), now));
        assert!(is_stale(&made(MAX_AGE_SECS + 1), now));
        assert!(is_stale(&format!("gugus_tpl_{}_1_0", now - 86_400), now));
        // A run starting beside another on the same server leaves its databases alone,
        // even if the clocks differ a little.
        assert!(!is_stale(&format!("gugus_t_{}_4711_0", now + 60), now));
        assert!(!is_stale("gugus_tpl_22531_163115770_0", now));
        assert!(!is_stale("postgres", now));
    }
}
