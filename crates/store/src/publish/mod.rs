//! Public statistics (issue 14): dated monthly snapshots of the official figures (cleared
//! records, persons counted once) by home region — national, province and regency rows —
//! with every small cell and enough others suppressed that no hidden value can be
//! recomputed from the published ones ([`domain::suppression`]). The public pages read
//! snapshots only, never live figures: two live answers a day apart would isolate a
//! person. A cell hidden in one snapshot stays hidden in the next, so their difference
//! reveals nothing either.

pub mod synthetic;

use crate::core::audit::Event;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::suppression::{Constraint, Options, suppress};
use domain::{Action, Actor, Scope};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// CTDC's threshold: a count below it is never published.
pub const DEFAULT_THRESHOLD: i64 = 11;

/// The CTDC age bands (at exploitation), in order.
pub const AGE_BANDS: [&str; 9] = [
    "0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+",
];

/// The region of a row: `""` the nation, `"53"` a province, `"53.01"` a regency; `"?"` and
/// `"53.?"` the persons whose home province (regency) is not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicRow {
    pub code: String,
    /// `None` for the nation.
    pub parent: Option<String>,
    /// (category, count; `None` = suppressed). Categories: `total`, `sex.female`, `age.9-17`,
    /// `year.2025`, `form.forced_labour` (nation and provinces), `total` and `sex.*`
    /// (regencies).
    pub cells: Vec<(String, Option<i64>)>,
}

impl PublicRow {
    pub fn get(&self, category: &str) -> Option<Option<i64>> {
        self.cells
            .iter()
            .find(|(c, _)| c == category)
            .map(|(_, v)| *v)
    }
}

/// One published snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSnapshot {
    pub id: i64,
    /// Records cleared and reported up to this day (days since 1970-01-01).
    pub as_of: i64,
    /// When it was published (unix ms).
    pub published_at: i64,
    pub threshold: i64,
    pub rows: Vec<PublicRow>,
    /// How many cells are hidden.
    pub hidden: usize,
}

impl PublicSnapshot {
    pub fn row(&self, code: &str) -> Option<&PublicRow> {
        self.rows.iter().find(|r| r.code == code)
    }

    /// The rows whose parent is `code` (`""`: the provinces).
    pub fn children(&self, code: &str) -> Vec<&PublicRow> {
        self.rows
            .iter()
            .filter(|r| r.parent.as_deref() == Some(code))
            .collect()
    }

    /// The categories of a prefix (`sex`, `age`, `year`, `form`) in the nation's row, in
    /// the order published.
    pub fn categories(&self, prefix: &str) -> Vec<String> {
        let p = format!("{prefix}.");
        self.rows
            .first()
            .map(|r| {
                r.cells
                    .iter()
                    .filter(|(c, _)| c.starts_with(&p))
                    .map(|(c, _)| c.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A snapshot in a list.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotInfo {
    pub id: i64,
    pub as_of: i64,
    pub published_at: i64,
}

/// The counts behind a snapshot before suppression: (region row, category) → persons.
struct Counts {
    rows: Vec<(String, Option<String>, Vec<String>)>,
    values: HashMap<(String, String), i64>,
}

/// The cells of a snapshot's rows, numbered from `offset`, and their equations: each row's
/// total is the sum of each of its breakdowns (sex, age, year); each category of a parent
/// row is the sum of its children's.
fn structure(
    rows: &[(String, Option<String>, Vec<String>)],
    offset: usize,
) -> (HashMap<(String, String), usize>, Vec<Constraint>) {
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (code, _, cats) in rows {
        for c in cats {
            let next = offset + index.len();
            index.insert((code.clone(), c.clone()), next);
        }
    }
    let mut constraints = Vec::new();
    for (code, _, cats) in rows {
        let Some(&total) = index.get(&(code.clone(), "total".to_owned())) else {
            continue;
        };
        for prefix in ["sex.", "age.", "year."] {
            let parts: Vec<usize> = cats
                .iter()
                .filter(|c| c.starts_with(prefix))
                .map(|c| index[&(code.clone(), c.clone())])
                .collect();
            if !parts.is_empty() {
                constraints.push(Constraint { total, parts });
            }
        }
    }
    for (code, _, cats) in rows {
        let children: Vec<&String> = rows
            .iter()
            .filter(|(_, parent, _)| parent.as_ref() == Some(code))
            .map(|(c, _, _)| c)
            .collect();
        if children.is_empty() {
            continue;
        }
        for c in cats {
            let parts: Vec<usize> = children
                .iter()
                .filter_map(|child| index.get(&((*child).clone(), c.clone())).copied())
                .collect();
            if parts.len() == children.len() {
                constraints.push(Constraint {
                    total: index[&(code.clone(), c.clone())],
                    parts,
                });
            }
        }
    }
    (index, constraints)
}

fn bucket(code: Option<String>, unknown: &str) -> String {
    code.unwrap_or_else(|| unknown.to_owned())
}

impl Store {
    /// Counts the persons of cleared records reported up to `as_of`, by home region and
    /// category. A person linked across records counts once, with the attributes of their
    /// first record.
    async fn public_counts(&self, as_of: i64) -> Result<Counts> {
        const ONCE: &str = "s.review_state = 'cleared' AND s.reported_on <= $1 \
             AND (s.person_key < 0 OR s.victim_id = (SELECT MIN(o.victim_id) FROM stat_victims o \
             WHERE o.person_key = s.person_key AND o.review_state = 'cleared' AND o.reported_on <= $1))";
        let facts = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.home_province, s.home_regency, s.sex, s.age_band, s.reported_month / 100, COUNT(*) \
             FROM stat_victims s WHERE {ONCE} GROUP BY 1, 2, 3, 4, 5"
        )))
        .bind(as_of)
        .fetch_all(self.pool())
        .await?;
        let forms = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.home_province, s.home_regency, t.code, COUNT(*) FROM stat_victims s \
             JOIN stat_tags t ON t.case_id = s.case_id AND t.list = 'exploitation' \
             WHERE {ONCE} GROUP BY 1, 2, 3"
        )))
        .bind(as_of)
        .fetch_all(self.pool())
        .await?;
        let provinces: Vec<String> =
            sqlx::query_scalar("SELECT code FROM regions WHERE length(code) = 2 ORDER BY code")
                .fetch_all(self.pool())
                .await?;
        let regencies: Vec<String> =
            sqlx::query_scalar("SELECT code FROM regions WHERE length(code) = 5 ORDER BY code")
                .fetch_all(self.pool())
                .await?;
        let mut values: HashMap<(String, String), i64> = HashMap::new();
        let mut sexes = BTreeSet::new();
        let mut years = BTreeSet::new();
        let mut form_codes = BTreeSet::new();
        // Nation and province rows get every category, regency rows the total and sex.
        let add = |values: &mut HashMap<(String, String), i64>,
                   province: &str,
                   regency: &str,
                   cat: String,
                   n: i64| {
            *values.entry((String::new(), cat.clone())).or_default() += n;
            *values
                .entry((province.to_owned(), cat.clone()))
                .or_default() += n;
            if cat == "total" || cat.starts_with("sex.") {
                *values.entry((regency.to_owned(), cat)).or_default() += n;
            }
        };
        for r in &facts {
            let province = bucket(r.try_get(0)?, "?");
            let regency = match r.try_get::<Option<String>, _>(1)? {
                Some(c) => c,
                None if province == "?" => "?.?".into(),
                None => format!("{province}.?"),
            };
            let sex: String = r.try_get(2)?;
            let age = bucket(r.try_get(3)?, "?");
            let year: i64 = r.try_get::<Option<i64>, _>(4)?.unwrap_or(0);
            let n: i64 = r.try_get(5)?;
            sexes.insert(sex.clone());
            years.insert(year);
            for cat in [
                "total".to_owned(),
                format!("sex.{sex}"),
                format!("age.{age}"),
                format!("year.{year}"),
            ] {
                add(&mut values, &province, &regency, cat, n);
            }
        }
        for r in &forms {
            let province = bucket(r.try_get(0)?, "?");
            let code: String = r.try_get(2)?;
            let n: i64 = r.try_get(3)?;
            form_codes.insert(code.clone());
            let cat = format!("form.{code}");
            *values.entry((String::new(), cat.clone())).or_default() += n;
            *values.entry((province, cat)).or_default() += n;
        }
        let mut detailed: Vec<String> = vec!["total".into()];
        detailed.extend(sexes.iter().map(|s| format!("sex.{s}")));
        let regency_cats = detailed.clone();
        detailed.extend(
            AGE_BANDS
                .iter()
                .map(|a| format!("age.{a}"))
                .chain(["age.?".to_owned()]),
        );
        detailed.extend(years.iter().map(|y| format!("year.{y}")));
        detailed.extend(form_codes.iter().map(|f| format!("form.{f}")));
        let mut rows = vec![(String::new(), None, detailed.clone())];
        for p in provinces.iter().cloned().chain(["?".to_owned()]) {
            rows.push((p, Some(String::new()), detailed.clone()));
        }
        for p in provinces.iter().cloned().chain(["?".to_owned()]) {
            let inside: Vec<String> = regencies
                .iter()
                .filter(|r| r.starts_with(&format!("{p}.")))
                .cloned()
                .chain([format!("{p}.?")])
                .collect();
            for r in inside {
                rows.push((r, Some(p.clone()), regency_cats.clone()));
            }
        }
        Ok(Counts { rows, values })
    }

    /// Computes and publishes the snapshot of the figures as of `as_of` (a day): suppressed
    /// so nothing hidden can be recomputed, with the cells hidden in the previous snapshot
    /// hidden again.
    pub async fn publish_snapshot(&self, actor: &Actor, as_of: i64, threshold: i64) -> Result<i64> {
        let allowed = self.allow(actor, Action::ManageSettings, &Scope::National)?;
        if threshold < 2 {
            return Err(StoreError::Other("the threshold must be at least 2".into()));
        }
        let counts = self.public_counts(as_of).await?;
        let (index, constraints) = structure(&counts.rows, 0);
        let mut values = vec![0; index.len()];
        for (k, i) in &index {
            values[*i] = counts.values.get(k).copied().unwrap_or(0);
        }
        // The previous snapshot is public: its published cells are known to everyone, and
        // a cell it hid stays hidden. Its equations are audited with this one's, and every
        // cell hidden in both whose count did not change is tied to its earlier self (an
        // attacker comparing the two would guess "unchanged", and be right there), so no
        // difference between the two recovers a hidden value.
        let previous = self.public_snapshot(None).await?;
        let earlier_hidden: HashMap<String, i64> = match &previous {
            Some(p) => {
                let json: Option<String> =
                    sqlx::query_scalar("SELECT hidden FROM public_snapshots WHERE id = $1")
                        .bind(p.id)
                        .fetch_optional(self.pool())
                        .await?;
                json.and_then(|j| serde_json::from_str(&j).ok())
                    .unwrap_or_default()
            }
            None => HashMap::new(),
        };
        let mut forced = Vec::new();
        let mut locked = Vec::new();
        let mut all_values = values.clone();
        let mut all_constraints = constraints;
        if let Some(prev) = &previous {
            let rows: Vec<(String, Option<String>, Vec<String>)> = prev
                .rows
                .iter()
                .map(|r| {
                    let cats = r.cells.iter().map(|(c, _)| c.clone()).collect();
                    (r.code.clone(), r.parent.clone(), cats)
                })
                .collect();
            let (before, before_constraints) = structure(&rows, all_values.len());
            all_values.resize(all_values.len() + before.len(), 0);
            all_constraints.extend(before_constraints);
            for r in &prev.rows {
                for (c, v) in &r.cells {
                    let key = (r.code.clone(), c.clone());
                    let i = before[&key];
                    match v {
                        Some(v) => {
                            all_values[i] = *v;
                            locked.push(i);
                            // Published before with the count it has now: hiding it now
                            // would hide nothing (anyone can read last month's), so it is
                            // never chosen to hide another.
                            if let Some(&now) = index.get(&key)
                                && values[now] == *v
                            {
                                locked.push(now);
                            }
                        }
                        None => {
                            let was = earlier_hidden.get(&format!("{}|{c}", r.code)).copied();
                            all_values[i] = was.unwrap_or(1);
                            forced.push(i);
                            let Some(&now) = index.get(&key) else {
                                continue;
                            };
                            // Hidden again (kept from one snapshot to the next).
                            forced.push(now);
                            if was == Some(values[now]) {
                                // Unchanged: before = now + 0.
                                let zero = all_values.len();
                                all_values.push(0);
                                locked.push(zero);
                                all_constraints.push(Constraint {
                                    total: i,
                                    parts: vec![now, zero],
                                });
                            }
                        }
                    }
                }
            }
        }
        let (hidden, exposed) = tokio::task::spawn_blocking(move || {
            let hidden = suppress(
                &all_values,
                &all_constraints,
                &Options {
                    threshold,
                    forced,
                    locked,
                },
            );
            let exposed = domain::suppression::exposed(&all_values, &all_constraints, &hidden);
            (hidden, exposed)
        })
        .await
        .map_err(|e| StoreError::Other(format!("suppression: {e}")))?;
        // No pattern could protect every hidden cell (the equations pin one): publish nothing
        // rather than a table that gives a small count away.
        if !exposed.is_empty() {
            return Err(StoreError::Other(format!(
                "the snapshot as of {as_of} would expose {} hidden cells; not published",
                exposed.len()
            )));
        }
        let mut rows = Vec::with_capacity(counts.rows.len());
        let mut hidden_keys: std::collections::BTreeMap<String, i64> = Default::default();
        for (code, parent, cats) in &counts.rows {
            let mut cells = Vec::with_capacity(cats.len());
            for c in cats {
                let i = index[&(code.clone(), c.clone())];
                if hidden[i] {
                    hidden_keys.insert(format!("{code}|{c}"), values[i]);
                    cells.push((c.clone(), None));
                } else {
                    cells.push((c.clone(), Some(values[i])));
                }
            }
            rows.push(PublicRow {
                code: code.clone(),
                parent: parent.clone(),
                cells,
            });
        }
        let tables = serde_json::to_string(&rows)
            .map_err(|e| StoreError::Other(format!("snapshot: {e}")))?;
        let hidden_json = serde_json::to_string(&hidden_keys)
            .map_err(|e| StoreError::Other(format!("snapshot: {e}")))?;
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO public_snapshots (as_of, published_at, threshold, tables, hidden) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(as_of)
        .bind(now)
        .bind(threshold)
        .bind(tables)
        .bind(hidden_json)
        .fetch_one(&mut *w)
        .await?;
        w.audit(Event {
            action: AuditAction::PublicSnapshot,
            record_type: "public_snapshot",
            record_id: id.to_string(),
            detail: format!(
                "as_of={as_of} threshold={threshold} hidden={}",
                hidden_keys.len()
            ),
        })
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Publishes the snapshot of the month that ended before `today` unless it exists (the
    /// worker's monthly step). Returns the new snapshot's id.
    pub async fn publish_due_snapshot(
        &self,
        actor: &Actor,
        today: i64,
        threshold: i64,
    ) -> Result<Option<i64>> {
        let (y, m, _) = domain::time::civil_from_days(today);
        let as_of = domain::time::days_from_civil(y, m, 1) - 1;
        let have: Option<i64> =
            sqlx::query_scalar("SELECT id FROM public_snapshots WHERE as_of = $1")
                .bind(as_of)
                .fetch_optional(self.pool())
                .await?;
        if have.is_some() {
            return Ok(None);
        }
        Ok(Some(self.publish_snapshot(actor, as_of, threshold).await?))
    }

    /// A published snapshot (`None`: the newest). Public: no actor.
    pub async fn public_snapshot(&self, id: Option<i64>) -> Result<Option<PublicSnapshot>> {
        let sql = "SELECT id, as_of, published_at, threshold, tables FROM public_snapshots";
        let row = match id {
            Some(id) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{sql} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await?
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{sql} ORDER BY as_of DESC, id DESC LIMIT 1"
                )))
                .fetch_optional(self.pool())
                .await?
            }
        };
        let Some(r) = row else { return Ok(None) };
        let rows: Vec<PublicRow> = serde_json::from_str(&r.try_get::<String, _>(4)?)
            .map_err(|e| StoreError::Other(format!("snapshot: {e}")))?;
        let hidden = rows
            .iter()
            .flat_map(|r| r.cells.iter())
            .filter(|(_, v)| v.is_none())
            .count();
        Ok(Some(PublicSnapshot {
            id: r.try_get(0)?,
            as_of: r.try_get(1)?,
            published_at: r.try_get(2)?,
            threshold: r.try_get(3)?,
            rows,
            hidden,
        }))
    }

    /// Who publishes (the national unit's name) and its e-mail address, for the open data
    /// catalogue. Public: no actor.
    pub async fn public_contact(&self) -> Result<(String, Option<String>)> {
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT name, email FROM units WHERE id = 1")
                .fetch_optional(self.pool())
                .await?;
        let (name, email) = row.unwrap_or_else(|| ("Gugus Tugas PP-TPPO".into(), None));
        Ok((name, email.filter(|e| !e.trim().is_empty())))
    }

    /// Every published snapshot, newest first (at most 240: twenty years).
    pub async fn public_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT id, as_of, published_at FROM public_snapshots ORDER BY as_of DESC, id DESC LIMIT 240",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, as_of, published_at)| SnapshotInfo {
                id,
                as_of,
                published_at,
            })
            .collect())
    }
}
