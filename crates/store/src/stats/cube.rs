//! The rollup behind the statistics (`stat_cube`): additive measures of `stat_victims`
//! summed per dimension value, province, review state and month (of the report and of the
//! exploitation). A national or provincial page sums a few thousand cube rows per
//! dimension instead of scanning every victim row; persons stay exact because only the
//! records *not* linked to others are summed here, and the linked ones (few) are counted
//! distinct from `stat_victims` at query time.
//!
//! Kept in the same transaction as the rows it sums: [`apply`] subtracts a set of rows'
//! contributions before they are replaced and adds the new ones after, so every write the
//! write guard audits, every person link and every rebuild leaves the cube equal to a full
//! recount (tested).

use super::StatDim;
use crate::Result;
use crate::core::sql::Sql;

/// The additive measures: the column of `stat_cube` and the expression that sums to it per
/// row of `stat_victims s`.
pub(crate) const MEASURES: [(&str, &str); 10] = [
    ("records", "1"),
    ("unlinked", "CASE WHEN s.person_key < 0 THEN 1 ELSE 0 END"),
    ("cases", "s.first_of_case"),
    ("children", "CASE WHEN s.child = 'child' THEN 1 ELSE 0 END"),
    (
        "children_unlinked",
        "CASE WHEN s.child = 'child' AND s.person_key < 0 THEN 1 ELSE 0 END",
    ),
    (
        "abroad",
        "CASE WHEN s.dest_country IS NOT NULL THEN 1 ELSE 0 END",
    ),
    ("open_cases", "s.case_open"),
    (
        "no_service",
        "CASE WHEN s.service = 'none' THEN 1 ELSE 0 END",
    ),
    ("awarded", "s.restitution_awarded"),
    ("paid", "s.restitution_paid"),
];

/// Index of a measure in [`MEASURES`] (and in [`Sums`]).
pub(crate) mod m {
    pub const RECORDS: usize = 0;
    pub const UNLINKED: usize = 1;
    pub const CASES: usize = 2;
    pub const CHILDREN: usize = 3;
    pub const CHILDREN_UNLINKED: usize = 4;
    pub const ABROAD: usize = 5;
    pub const OPEN: usize = 6;
    pub const NO_SERVICE: usize = 7;
    pub const AWARDED: usize = 8;
    pub const PAID: usize = 9;
}

/// The measures of a set of rows: over every row, and over cleared rows only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sums {
    pub all: [i64; MEASURES.len()],
    pub cleared: [i64; MEASURES.len()],
}

impl Sums {
    pub fn add(&mut self, o: &Sums) {
        for i in 0..MEASURES.len() {
            self.all[i] += o.all[i];
            self.cleared[i] += o.cleared[i];
        }
    }
}

/// The month of a cube row is the report's.
pub(crate) const BASIS_REPORT: i64 = 0;
/// The month of a cube row is the exploitation's (0: not known).
pub(crate) const BASIS_EXPLOITATION: i64 = 1;
/// Every month together (month 0): what a page with no period reads, a few rows per
/// province and value.
pub(crate) const BASIS_ALL_TIME: i64 = 2;

/// The pseudo-dimension of totals and trends (one value, `''`).
pub(crate) const TOTAL: &str = "all";

/// The dimensions the cube sums (villages only ever within one regency: read raw).
fn cube_dims() -> impl Iterator<Item = StatDim> {
    StatDim::ALL.into_iter()
}

/// Whether a dimension is in the cube.
pub(crate) fn in_cube(dim: Option<StatDim>) -> bool {
    dim.is_none_or(|d| cube_dims().any(|c| c == d))
}

/// The value expression (on `s`, `''` for "not recorded") and the join a dimension needs.
pub(crate) fn value_sql(dim: StatDim, t: &str) -> (String, String) {
    let (value, join) = super::query::dim_sql(dim, t);
    (format!("COALESCE({value}, '')"), join)
}

/// The rows a cube change covers.
pub(crate) enum Rows<'a> {
    Cases(&'a [i64]),
    Victim(i64),
}

/// Adds `sign` × the contributions of `rows` (as `stat_victims` holds them now) to the cube.
pub(crate) async fn apply(conn: &mut sqlx::AnyConnection, rows: Rows<'_>, sign: i64) -> Result<()> {
    let mut q = Sql::new("WITH touched AS (SELECT * FROM stat_victims WHERE ");
    match rows {
        Rows::Cases(ids) => {
            q.push("case_id").in_list(ids);
        }
        Rows::Victim(id) => {
            q.push("victim_id = ").bind_int(id);
        }
    }
    q.push(") ");
    q.push(&insert_sql(sign, "touched"));
    q.build().execute(&mut *conn).await?;
    Ok(())
}

/// Rebuilds the whole cube from `stat_victims` (in the caller's transaction).
pub(crate) async fn rebuild(conn: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::query("DELETE FROM stat_cube")
        .execute(&mut *conn)
        .await?;
    let sql = insert_sql(1, "stat_victims");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// `INSERT … ON CONFLICT` adding `sign` × the sums of `source` (aliased `s`) per cube key.
fn insert_sql(sign: i64, source: &str) -> String {
    let cols: Vec<&str> = MEASURES.iter().map(|(c, _)| *c).collect();
    let sums: Vec<String> = MEASURES
        .iter()
        .map(|(_, e)| format!("CAST({sign} * SUM({e}) AS BIGINT)"))
        .collect();
    let mut parts = Vec::new();
    for (basis, month) in [
        (BASIS_REPORT, "s.reported_month"),
        (BASIS_EXPLOITATION, "s.exploited_month"),
        (BASIS_ALL_TIME, "0"),
    ] {
        let mut dims: Vec<(String, String, String)> =
            vec![(TOTAL.to_owned(), "''".to_owned(), String::new())];
        for d in cube_dims() {
            let (value, join) = value_sql(d, "t");
            dims.push((d.key().to_owned(), value, join));
        }
        for (key, value, join) in dims {
            parts.push(format!(
                "SELECT '{key}' AS dim, {basis} AS basis, COALESCE(s.province_code, '') AS province_code, \
                 s.review_state AS review_state, COALESCE({month}, 0) AS month, {value} AS value, {} \
                 FROM {source} s{join} GROUP BY 1, 2, 3, 4, 5, 6",
                sums.join(", ")
            ));
        }
    }
    let updates: Vec<String> = cols
        .iter()
        .map(|c| format!("{c} = stat_cube.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO stat_cube (dim, basis, province_code, review_state, month, value, {}) \
         SELECT * FROM ({}) x WHERE 1 = 1 \
         ON CONFLICT (dim, basis, province_code, review_state, month, value) DO UPDATE SET {}",
        cols.join(", "),
        parts.join(" UNION ALL "),
        updates.join(", ")
    )
}

#[cfg(feature = "testing")]
impl crate::Store {
    /// Every cube row that counts something, as text in key order: tests compare the cube
    /// the writes kept with one rebuilt from the rows.
    pub async fn statistics_cube_for_tests(&self) -> Result<Vec<String>> {
        use sqlx::Row;
        let cols: Vec<&str> = MEASURES.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            "SELECT dim, basis, province_code, review_state, month, value, {} FROM stat_cube \
             WHERE {} ORDER BY dim, basis, province_code, review_state, month, value",
            cols.join(", "),
            cols.iter()
                .map(|c| format!("{c} <> 0"))
                .collect::<Vec<_>>()
                .join(" OR ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut cells = vec![
                r.try_get::<String, _>(0)?,
                r.try_get::<i64, _>(1)?.to_string(),
                r.try_get::<String, _>(2)?,
                r.try_get::<String, _>(3)?,
                r.try_get::<i64, _>(4)?.to_string(),
                r.try_get::<String, _>(5)?,
            ];
            for i in 0..cols.len() {
                cells.push(r.try_get::<i64, _>(6 + i)?.to_string());
            }
            out.push(cells.join(" "));
        }
        Ok(out)
    }
}
