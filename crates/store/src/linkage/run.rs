//! The full linkage run: train on every victim, rebuild the blocking keys, propose pairs;
//! and relinking persons after a decision or a removal.

use super::*;
use crate::core::write::Maintenance;
use domain::audit::AuditAction;

/// (key, victim id) rows into `table` (`linkage_keys` or the bulk load's temporary table),
/// 400 to a statement; a row already there is left as it is.
async fn insert_keys(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    rows: &[(i64, i64)],
) -> Result<()> {
    for part in rows.chunks(400) {
        let mut q = crate::core::sql::Sql::new("INSERT INTO ");
        q.push(table).push(" (key, victim_id) VALUES ");
        for (j, (key, id)) in part.iter().enumerate() {
            if j > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind_int(*key)
                .push(", ")
                .bind_int(*id)
                .push(")");
        }
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Recomputes person identities around `seeds`: every victim connected to them through
/// "same person" decisions, or sharing their current person id, gets the smallest victim id
/// of its connected component (NULL when alone). Used after a decision, an undo, and when a
/// victim is deleted.
pub(crate) async fn relink(conn: &mut sqlx::AnyConnection, seeds: Vec<i64>) -> Result<()> {
    // Everything connected to a or b through "same" decisions (before and after).
    let mut seen: HashSet<i64> = HashSet::new();
    let mut todo = seeds.clone();
    let mut old_persons: Vec<Option<i64>> = Vec::new();
    for v in &seeds {
        old_persons.push(
            sqlx::query_scalar::<_, Option<i64>>("SELECT person_id FROM victims WHERE id = $1")
                .bind(*v)
                .fetch_optional(&mut *conn)
                .await?
                .flatten(),
        );
    }
    for p in old_persons.into_iter().flatten() {
        let members: Vec<i64> = sqlx::query_scalar("SELECT id FROM victims WHERE person_id = $1")
            .bind(p)
            .fetch_all(&mut *conn)
            .await?;
        todo.extend(members);
    }
    let mut edges: HashMap<i64, Vec<i64>> = HashMap::new();
    while let Some(v) = todo.pop() {
        if !seen.insert(v) {
            continue;
        }
        let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT victim_a, victim_b FROM linkage_pairs WHERE status = 'same' AND (victim_a = $1 OR victim_b = $1)",
            )
            .bind(v)
            .fetch_all(&mut *conn)
            .await?;
        for (x, y) in rows {
            edges.entry(x).or_default().push(y);
            edges.entry(y).or_default().push(x);
            todo.push(if x == v { y } else { x });
        }
    }
    // Connected components of the "same" graph among the touched victims.
    let mut assigned: HashSet<i64> = HashSet::new();
    for &start in &seen {
        if assigned.contains(&start) {
            continue;
        }
        let mut comp = vec![start];
        let mut stack = vec![start];
        assigned.insert(start);
        while let Some(v) = stack.pop() {
            for &w in edges.get(&v).map(Vec::as_slice).unwrap_or(&[]) {
                if assigned.insert(w) {
                    comp.push(w);
                    stack.push(w);
                }
            }
        }
        let person = if comp.len() > 1 {
            comp.iter().min().copied()
        } else {
            None
        };
        for v in comp {
            sqlx::query("UPDATE victims SET person_id = $1 WHERE id = $2")
                .bind(person)
                .bind(v)
                .execute(&mut *conn)
                .await?;
            crate::stats::facts::set_person(&mut *conn, v, person).await?;
        }
    }
    Ok(())
}

impl Store {
    /// Starts a full run record; the caller then runs [`Store::run_linkage`].
    pub async fn start_linkage_run(&self, actor: &Actor) -> Result<i64> {
        let allowed = self.allow(actor, Action::RunLinkage, &Scope::National)?;
        let running: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM linkage_runs WHERE state = 'running' AND started_at > $1",
        )
        .bind(self.now_ms() - 6 * 3_600_000)
        .fetch_one(self.pool())
        .await?;
        if running > 0 {
            return Err(StoreError::Conflict("conflict.linkage_running"));
        }
        let mut tx = self.write(allowed).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO linkage_runs (started_by, started_at, state) VALUES ($1, $2, 'running') RETURNING id",
        )
        .bind(actor.username.clone())
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        tx.audit(Event {
            action: AuditAction::LinkageRun,
            record_type: "linkage_run",
            record_id: id.to_string(),
            detail: String::new(),
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(super) async fn run_progress(
        &self,
        run: i64,
        done: i64,
        total: i64,
        state: &str,
        pairs: i64,
        msg: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE linkage_runs SET done = $1, total = $2, state = $3, pairs = $4, message = $5, \
             finished_at = CASE WHEN $3 = 'running' THEN NULL ELSE $6 END WHERE id = $7",
        )
        .bind(done)
        .bind(total)
        .bind(state.to_owned())
        .bind(pairs)
        .bind(msg.to_owned())
        .bind(self.now_ms())
        .bind(run)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The full run: decrypt every victim, train (when there are enough records), rebuild
    /// the blocking keys, score all candidate pairs and propose those above the threshold.
    /// Progress is written to the run record (steps: load, keys, scoring).
    pub async fn run_linkage(&self, run: i64) -> Result<i64> {
        let result = self.run_linkage_inner(run).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, "linkage run failed");
            let _ = self.run_progress(run, 0, 0, "failed", 0, "error").await;
        }
        result
    }

    pub(super) async fn run_linkage_inner(&self, run: i64) -> Result<i64> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM victims")
            .fetch_one(self.pool())
            .await?;
        // Progress: loading counts as the first third, keys the second, scoring the last.
        let all = total.max(1) * 3;
        let records = self.load_victim_records(Some((run, all))).await?;
        let n = records.len() as i64;
        if records.len() >= MIN_TRAIN {
            let recs = records.clone();
            let model = tokio::task::spawn_blocking(move || linkage::train(&recs))
                .await
                .map_err(|e| StoreError::Other(e.to_string()))?;
            let json =
                serde_json::to_string(&model).map_err(|e| StoreError::Other(e.to_string()))?;
            let json = self.keyring()?.encrypt("linkage_model.model", &json)?;
            let mut tx = self.maintenance(Maintenance::LinkageRun).await?;
            sqlx::query("DELETE FROM linkage_model")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO linkage_model (id, model, records, trained_at) VALUES (1, $1, $2, $3)",
            )
            .bind(json)
            .bind(n)
            .bind(self.now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        let model = self.linkage_model().await?;
        self.rebuild_keys_of(&records, Some((run, n, all))).await?;
        // Victims of the same case are different people by construction.
        let case_of: HashMap<u64, i64> =
            sqlx::query_as::<_, (i64, i64)>("SELECT id, case_id FROM victims")
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .map(|(id, case)| (id as u64, case))
                .collect();
        let m = model.clone();
        let pairs = tokio::task::spawn_blocking(move || {
            linkage::link_all(&records, &m, PROPOSE_AT, &|_, _| {})
        })
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
        let found: Vec<(i64, i64, linkage::Scored)> = pairs
            .into_iter()
            .filter(|p| case_of.get(&p.a) != case_of.get(&p.b))
            .map(|p| (p.a as i64, p.b as i64, p.scored))
            .collect();
        for chunk in found.chunks(2000) {
            self.propose_pairs(chunk, "full").await?;
        }
        let count = found.len() as i64;
        self.run_progress(run, all, all, "done", count, "").await?;
        Ok(count)
    }

    /// Every victim as the engine sees it (identities decrypted in memory), in id order, in
    /// batches of 5,000; `progress` is (run, total) for a full run's progress bar.
    pub(super) async fn load_victim_records(
        &self,
        progress: Option<(i64, i64)>,
    ) -> Result<Vec<linkage::Record>> {
        let mut records = Vec::new();
        let mut last = 0i64;
        loop {
            let rows = sqlx::query_as(victim_select!("WHERE v.id > $1 ORDER BY v.id LIMIT 5000"))
                .bind(last)
                .fetch_all(self.pool())
                .await?;
            if rows.is_empty() {
                break;
            }
            for rec in self.engine_records(rows)? {
                last = rec.id as i64;
                records.push(rec);
            }
            if let Some((run, all)) = progress {
                self.run_progress(run, records.len() as i64, all, "running", 0, "load")
                    .await?;
            }
        }
        Ok(records)
    }

    /// Recomputes every victim's blocking keys (after a key rotation).
    pub async fn rebuild_linkage_keys(&self, progress: Option<(i64, i64, i64)>) -> Result<usize> {
        let records = self.load_victim_records(None).await?;
        self.rebuild_keys_of(&records, progress).await?;
        Ok(records.len())
    }

    /// Writes the blocking keys of every victim with an id above `after` (a bulk load made
    /// with [`Store::import_cases_deferring_keys`]; those victims have none yet) in one
    /// transaction: the keys go to a temporary table in victim order, then into the key
    /// table sorted (so its tree is written front to back, not page by random page). Holds the write lock until
    /// done: for offline loads (the generator), not for a serving database. Returns the
    /// number of victims.
    pub async fn build_linkage_keys_after(&self, after: i64) -> Result<usize> {
        let mut tx = self.maintenance(Maintenance::LinkageRun).await?;
        sqlx::query(
            "CREATE TEMP TABLE linkage_keys_load (key BIGINT NOT NULL, victim_id BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let mut last = after;
        let mut victims = 0usize;
        loop {
            let rows = sqlx::query_as(victim_select!("WHERE v.id > $1 ORDER BY v.id LIMIT 5000"))
                .bind(last)
                .fetch_all(&mut *tx)
                .await?;
            if rows.is_empty() {
                break;
            }
            let mut keys: Vec<(i64, i64)> = Vec::new();
            for rec in self.engine_records(rows)? {
                last = rec.id as i64;
                victims += 1;
                keys.extend(self.keys_of(&rec)?.into_iter().map(|k| (k, rec.id as i64)));
            }
            insert_keys(&mut tx, "linkage_keys_load", &keys).await?;
        }
        for step in [
            "INSERT INTO linkage_keys (key, victim_id) \
             SELECT key, victim_id FROM linkage_keys_load ORDER BY key, victim_id",
            "DROP TABLE linkage_keys_load",
        ] {
            sqlx::query(step).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(victims)
    }

    /// Replaces every victim's blocking keys with those of `records` (a full rebuild): the
    /// table is emptied, then filled with multi-row inserts, one transaction per 2,000
    /// victims. `progress` is (run, done before, total) for a full run's progress bar.
    pub(super) async fn rebuild_keys_of(
        &self,
        records: &[linkage::Record],
        progress: Option<(i64, i64, i64)>,
    ) -> Result<()> {
        // Victims registered after the snapshot was loaded keep the keys written with them.
        let max_id = records.iter().map(|r| r.id as i64).max().unwrap_or(0);
        {
            let mut tx = self.maintenance(Maintenance::LinkageRun).await?;
            sqlx::query("DELETE FROM linkage_keys WHERE victim_id <= $1")
                .bind(max_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        for (i, chunk) in records.chunks(2000).enumerate() {
            let mut rows: Vec<(i64, i64)> = Vec::new();
            for rec in chunk {
                for key in self.keys_of(rec)? {
                    rows.push((key, rec.id as i64));
                }
            }
            let mut tx = self.maintenance(Maintenance::LinkageRun).await?;
            // Victims deleted since the snapshot are skipped (their keys would outlive them:
            // the table has no foreign key, and its rows go when a victim is removed by
            // `forget_victim_indexes`).
            if let (Some(lo), Some(hi)) = (chunk.first(), chunk.last()) {
                let alive: HashSet<i64> =
                    sqlx::query_scalar("SELECT id FROM victims WHERE id >= $1 AND id <= $2")
                        .bind(lo.id as i64)
                        .bind(hi.id as i64)
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .collect();
                rows.retain(|(_, id)| alive.contains(id));
            }
            insert_keys(&mut tx, "linkage_keys", &rows).await?;
            tx.commit().await?;
            if let Some((run, before, all)) = progress {
                let done = before + ((i + 1) * 2000).min(records.len()) as i64;
                self.run_progress(run, done, all, "running", 0, "keys")
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn linkage_runs(&self, actor: &Actor) -> Result<Vec<RunView>> {
        decide(actor, Action::LinkPersons, &actor.scope)?;
        let rows: Vec<super::records::RunRecord> = sqlx::query_as(
            "SELECT id, started_by, started_at, finished_at, state, done, total, pairs, message \
             FROM linkage_runs ORDER BY id DESC LIMIT 10",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(RunView::from).collect())
    }
}
