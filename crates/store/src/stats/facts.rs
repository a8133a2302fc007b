//! The statistics rows (`stat_victims`): one narrow row per victim record, rebuilt for a
//! case inside every write the write guard audits for it, and for all cases when what a
//! row holds changes ([`FACTS_VERSION`]). One statement computes them from the record, on
//! both databases, for a few cases or for all.

use crate::core::sql::Sql;
use crate::{Backend, Result, Store};

/// What a row holds. Bump it when [`SELECT_ROWS`] changes: the server rebuilds every row
/// on its next start.
pub(crate) const FACTS_VERSION: i64 = 4;

/// Age in whole years at exploitation (at the report when the exploitation date is not
/// known); the age estimate when there is no birth date (the estimate is the age at report).
const AGE: &str = "CASE WHEN v.birth_date IS NOT NULL \
     THEN (COALESCE(c.exploitation_from, c.reported_on) - v.birth_date) * 100 / 36525 \
     ELSE v.age_estimate END";

/// The columns of `stat_victims`, in the order [`SELECT_ROWS`] gives them.
const COLUMNS: &str = "victim_id, case_id, person_key, province_code, regency_code, region_code, \
     review_state, reported_on, exploited_on, reported_month, exploited_month, sex, age_band, child, citizenship, home_province, \
     home_regency, home_village, dest_province, dest_regency, dest_country, sector, recruitment, \
     relationship, trafficking_status, legal_stage, service, restitution_awarded, restitution_paid, case_open, first_of_case";

/// The rows of the cases the caller's WHERE clause (on `c`) selects. Age bands are CTDC's.
fn select_rows(backend: Backend) -> String {
    let month = |col: &str| match backend {
        Backend::Sqlite => format!("CAST(strftime('%Y%m', {col} * 86400, 'unixepoch') AS INTEGER)"),
        Backend::Postgres => format!(
            "CAST(to_char(to_timestamp({col} * 86400) AT TIME ZONE 'UTC', 'YYYYMM') AS BIGINT)"
        ),
    };
    let m_rep = month("x.reported_on");
    let m_exp = month("x.exploited_on");
    format!(
        "SELECT x.victim_id, x.case_id, x.person_key, x.province_code, x.regency_code, x.region_code, \
         x.review_state, x.reported_on, x.exploited_on, {m_rep}, {m_exp}, x.sex, \
         CASE WHEN x.age IS NULL OR x.age < 0 THEN NULL WHEN x.age <= 8 THEN '0-8' \
              WHEN x.age <= 17 THEN '9-17' WHEN x.age <= 20 THEN '18-20' WHEN x.age <= 23 THEN '21-23' \
              WHEN x.age <= 26 THEN '24-26' WHEN x.age <= 29 THEN '27-29' WHEN x.age <= 38 THEN '30-38' \
              WHEN x.age <= 47 THEN '39-47' ELSE '48+' END, \
         CASE WHEN x.age IS NOT NULL AND x.age >= 0 THEN (CASE WHEN x.age < 18 THEN 'child' ELSE 'adult' END) \
              WHEN x.is_child = 1 THEN 'child' ELSE NULL END, \
         x.citizenship, \
         CASE WHEN x.home_village IS NULL THEN NULL ELSE substr(x.home_village, 1, 2) END, \
         CASE WHEN length(x.home_village) >= 5 THEN substr(x.home_village, 1, 5) ELSE NULL END, \
         x.home_village, \
         CASE WHEN x.dest_region IS NULL THEN NULL ELSE substr(x.dest_region, 1, 2) END, \
         CASE WHEN length(x.dest_region) >= 5 THEN substr(x.dest_region, 1, 5) ELSE NULL END, \
         x.dest_country, x.sector, x.recruitment, x.recruiter_relationship, x.trafficking_status, \
         x.legal_stage, COALESCE(x.plan_status, 'none'), x.awarded, x.paid, \
         CASE WHEN x.case_status = 'closed' THEN 0 ELSE 1 END, x.first_of_case \
         FROM (SELECT v.id AS victim_id, c.id AS case_id, COALESCE(v.person_id, -v.id) AS person_key, \
               c.province_code, c.regency_code, c.region_code, c.review_state, c.reported_on, \
               c.exploitation_from AS exploited_on, v.sex, {AGE} AS age, v.is_child, v.citizenship, \
               v.home_village, \
               (SELECT r.region_code FROM route_events r WHERE r.case_id = c.id AND r.kind = 'exploitation' \
                ORDER BY r.date_from, r.id LIMIT 1) AS dest_region, \
               (SELECT r.country FROM route_events r WHERE r.case_id = c.id AND r.kind = 'exploitation' \
                ORDER BY r.date_from, r.id LIMIT 1) AS dest_country, \
               CASE WHEN v.id = (SELECT MIN(v2.id) FROM victims v2 WHERE v2.case_id = c.id) THEN 1 ELSE 0 END AS first_of_case, \
               c.sector, c.recruitment, c.recruiter_relationship, c.trafficking_status, c.status AS case_status, \
               (SELECT s.stage FROM legal_stages s WHERE s.case_id = c.id ORDER BY s.happened DESC, s.id DESC LIMIT 1) AS legal_stage, \
               (SELECT p.status FROM service_plans p WHERE p.victim_id = v.id) AS plan_status, \
               CAST(COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.victim_id = v.id AND l.kind = 'award'), 0) AS BIGINT) AS awarded, \
               CAST(COALESCE((SELECT SUM(l.amount) FROM ledger_entries l WHERE l.victim_id = v.id AND l.kind = 'payment'), 0) AS BIGINT) AS paid \
               FROM victims v JOIN cases c ON c.id = v.case_id WHERE "
    )
}

/// Rebuilds the rows of `cases` (gone cases lose theirs) in the caller's transaction, and
/// moves the generation when they changed (returned).
pub(crate) async fn refresh(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    cases: &[i64],
) -> Result<bool> {
    let mut ids = cases.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // A write that changes nothing counted (a referral escalated, a message sent, a case
    // viewed with a grant) leaves the generation alone, so it does not throw away every
    // cached figure: the rows are compared before and after.
    let mut changed = false;
    sqlx::query(
        "CREATE TEMP TABLE IF NOT EXISTS stat_victims_new AS SELECT * FROM stat_victims WHERE 1 = 0",
    )
    .execute(&mut *conn)
    .await?;
    for chunk in ids.chunks(500) {
        lock_cases(conn, chunk).await?;
        let mut before = rows_text(conn, "stat_victims", Some(chunk)).await?;
        before.extend(tags_text(conn, "stat_tags", chunk).await?);
        // The new rows first, beside the kept ones: when they are the same (most writes
        // after the first), neither the rows nor the rollup are touched.
        sqlx::query("DELETE FROM stat_victims_new")
            .execute(&mut *conn)
            .await?;
        let mut ins = Sql::new(&format!("INSERT INTO stat_victims_new ({COLUMNS}) "));
        ins.push(&select_rows(backend)).push("c.id");
        ins.in_list(chunk).push(") x");
        ins.build().execute(&mut *conn).await?;
        let mut after = rows_text(conn, "stat_victims_new", Some(chunk)).await?;
        let rows_after = after.len();
        after.extend(tags_text(conn, "case_tags", chunk).await?);
        if after == before {
            continue;
        }
        changed = true;
        if before.iter().any(|r| !r.starts_with("tag ")) {
            super::cube::apply(conn, super::cube::Rows::Cases(chunk), -1).await?;
        }
        let mut del = Sql::new("DELETE FROM stat_victims WHERE case_id");
        del.in_list(chunk);
        del.build().execute(&mut *conn).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO stat_victims ({COLUMNS}) SELECT {COLUMNS} FROM stat_victims_new"
        )))
        .execute(&mut *conn)
        .await?;
        let mut del = Sql::new("DELETE FROM stat_tags WHERE case_id");
        del.in_list(chunk);
        del.build().execute(&mut *conn).await?;
        let mut tags = Sql::new(&format!(
            "INSERT INTO stat_tags (case_id, list, code) SELECT case_id, list, code FROM case_tags \
             WHERE list IN ({TAG_LISTS}) AND case_id"
        ));
        tags.in_list(chunk);
        tags.build().execute(&mut *conn).await?;
        if rows_after > 0 {
            super::cube::apply(conn, super::cube::Rows::Cases(chunk), 1).await?;
        }
    }
    if changed {
        bump(conn).await?;
    }
    Ok(changed)
}

/// PostgreSQL: holds the cases' rows until the write commits, so two writes of one case
/// refresh its rows and the rollup one after the other, each reading what the other
/// committed (on SQLite the write transaction already holds the database).
async fn lock_cases(conn: &mut sqlx::AnyConnection, cases: &[i64]) -> Result<()> {
    if conn.backend_name() == "PostgreSQL" {
        let mut q = Sql::new("SELECT id FROM cases WHERE id");
        q.in_list(cases).push(" ORDER BY id FOR UPDATE");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The tag lists the statistics count by.
const TAG_LISTS: &str = "'exploitation', 'means_of_control'";

/// The counted tags of `cases` in `table` (`stat_tags`, or `case_tags` for the new ones).
async fn tags_text(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    cases: &[i64],
) -> Result<Vec<String>> {
    let mut q = Sql::new(&format!(
        "SELECT case_id, list, code FROM {table} WHERE list IN ({TAG_LISTS}) AND case_id"
    ));
    q.in_list(cases).push(" ORDER BY case_id, list, code");
    let rows: Vec<(i64, String, String)> = q.build_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|(c, l, t)| format!("tag {c} {l} {t}"))
        .collect())
}

/// The rows of `table` (of `cases`, or all) as text, in victim order.
async fn rows_text(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    cases: Option<&[i64]>,
) -> Result<Vec<String>> {
    use sqlx::{Column, Row};
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM {table}"));
    if let Some(c) = cases {
        q.push(" WHERE case_id").in_list(c);
    }
    q.push(" ORDER BY victim_id");
    let rows = q.build().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut cells = Vec::new();
        for (i, c) in r.columns().iter().enumerate() {
            let v = match r.try_get::<Option<i64>, _>(i) {
                Ok(v) => format!("{v:?}"),
                Err(_) => format!("{:?}", r.try_get::<Option<String>, _>(i)?),
            };
            cells.push(format!("{}={v}", c.name()));
        }
        out.push(cells.join(" "));
    }
    Ok(out)
}

/// Moves the generation (cached figures computed before are stale).
pub(crate) async fn bump(conn: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::query("UPDATE stat_meta SET generation = generation + 1 WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Takes a victim record about to be deleted out of the statistics (its row, and its part
/// of the rollup, which the cascade of the delete would leave behind).
pub(crate) async fn forget_victim(conn: &mut sqlx::AnyConnection, victim: i64) -> Result<()> {
    super::cube::apply(conn, super::cube::Rows::Victim(victim), -1).await?;
    sqlx::query("DELETE FROM stat_victims WHERE victim_id = $1")
        .bind(victim)
        .execute(&mut *conn)
        .await?;
    // The case's refresh compares rows before and after, and this one is gone before.
    bump(conn).await
}

/// The person key of victims whose person link changed (after a linkage decision).
pub(crate) async fn set_person(
    conn: &mut sqlx::AnyConnection,
    victim: i64,
    person: Option<i64>,
) -> Result<()> {
    let key = person.unwrap_or(-victim);
    let case: Option<i64> = sqlx::query_scalar("SELECT case_id FROM victims WHERE id = $1")
        .bind(victim)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(c) = case {
        lock_cases(conn, &[c]).await?;
    }
    let now: Option<i64> =
        sqlx::query_scalar("SELECT person_key FROM stat_victims WHERE victim_id = $1")
            .bind(victim)
            .fetch_optional(&mut *conn)
            .await?;
    if now.is_none_or(|k| k == key) {
        return Ok(());
    }
    // The rollup sums records not linked to others: move the record's part across.
    super::cube::apply(conn, super::cube::Rows::Victim(victim), -1).await?;
    sqlx::query("UPDATE stat_victims SET person_key = $1 WHERE victim_id = $2")
        .bind(key)
        .bind(victim)
        .execute(&mut *conn)
        .await?;
    super::cube::apply(conn, super::cube::Rows::Victim(victim), 1).await?;
    Ok(())
}

impl Store {
    /// Rebuilds every row when the stored version is older than [`FACTS_VERSION`] (first
    /// start after the upgrade), in batches of case ids. Returns how many cases it read.
    pub async fn ensure_statistics(&self) -> Result<i64> {
        let version: i64 = sqlx::query_scalar("SELECT version FROM stat_meta WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        if version >= FACTS_VERSION {
            return Ok(0);
        }
        self.rebuild_statistics().await
    }

    /// Rebuilds every row (also `gugus stats rebuild`, and the check that compares the
    /// kept rows with a full recount).
    pub async fn rebuild_statistics(&self) -> Result<i64> {
        let why = crate::core::write::Maintenance::Statistics;
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM cases")
            .fetch_one(self.pool())
            .await?;
        let max = max.unwrap_or(0);
        let step = 20_000;
        let mut from = 0;
        while from < max {
            // Each batch replaces its own range, so a write of a case meanwhile (the
            // command may run beside a server) is never counted twice.
            let mut tx = self.maintenance(why).await?;
            sqlx::query("DELETE FROM stat_victims WHERE case_id > $1 AND case_id <= $2")
                .bind(from)
                .bind(from + step)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM stat_tags WHERE case_id > $1 AND case_id <= $2")
                .bind(from)
                .bind(from + step)
                .execute(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO stat_tags (case_id, list, code) SELECT case_id, list, code FROM case_tags \
                 WHERE list IN ({TAG_LISTS}) AND case_id > $1 AND case_id <= $2"
            )))
            .bind(from)
            .bind(from + step)
            .execute(&mut *tx)
            .await?;
            let mut ins = Sql::new(&format!("INSERT INTO stat_victims ({COLUMNS}) "));
            ins.push(&select_rows(self.backend()))
                .push("c.id > ")
                .bind_int(from)
                .push(" AND c.id <= ")
                .bind_int(from + step)
                .push(") x");
            ins.build().execute(&mut *tx).await?;
            tx.commit().await?;
            from += step;
        }
        let mut tx = self.maintenance(why).await?;
        super::cube::rebuild(&mut tx).await?;
        sqlx::query("UPDATE stat_meta SET version = $1, generation = generation + 1 WHERE id = 1")
            .bind(FACTS_VERSION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(max)
    }
}

#[cfg(feature = "testing")]
impl Store {
    /// Every statistics row as text, in victim order: tests compare the rows the writes
    /// kept with a rebuild from the records.
    pub async fn statistics_rows_for_tests(&self) -> Result<Vec<String>> {
        let mut conn = self.pool().acquire().await?;
        rows_text(&mut conn, "stat_victims", None).await
    }
}
