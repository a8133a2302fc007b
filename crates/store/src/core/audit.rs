//! The audit trail: every write and every view of personal data, appended in the same
//! transaction as the change it records, hash-chained through the single-row `audit_head`.
//! Updating the head first serialises appenders on both backends (a row lock on
//! PostgreSQL, the write lock on SQLite), so two servers never fork the chain.

use crate::core::checkpoint::{AnchorCheck, AnchorReport, Anchors};
use crate::core::sql::{Arg, Sql};
use crate::{Result, Store};
use domain::audit::{AuditAction, ChainError, ChainVerifier, Entry, entry_hash};
use domain::{Action, Actor, Scope, decide};
use sqlx::AnyConnection;

/// What happened, to which record. `detail` holds ids and codes, never personal data.
pub(crate) struct Event<'a> {
    pub action: AuditAction,
    pub record_type: &'a str,
    pub record_id: String,
    pub detail: String,
}

/// Appends `ev`. Its time is read from the store's clock after the head row is locked, so
/// on both databases entries are in time order as they are in sequence order. Returns its
/// sequence number.
pub(crate) async fn append_at(
    conn: &mut AnyConnection,
    actor: &Actor,
    clock: &domain::time::Clock,
    ev: Event<'_>,
) -> Result<i64> {
    append_many(conn, clock, &[(actor, ev)]).await
}

/// Appends several entries in order with three statements whatever their number: the head
/// moves by all of them at once (locking it), their hashes chain in memory, one multi-row
/// insert writes them, and the head takes the last hash. One instant for all, read after
/// the head is locked. Used by every write (one entry) and the group commit of views.
/// Returns the last sequence number.
pub(crate) async fn append_many(
    conn: &mut AnyConnection,
    clock: &domain::time::Clock,
    entries: &[(&Actor, Event<'_>)],
) -> Result<i64> {
    if entries.is_empty() {
        return Err(crate::StoreError::Other("no audit entry to append".into()));
    }
    let (last, mut prev): (i64, String) =
        sqlx::query_as("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
            .bind(entries.len() as i64)
            .fetch_one(&mut *conn)
            .await?;
    let at = clock.now_ms();
    let first = last - entries.len() as i64 + 1;
    let mut q = Sql::new(
        "INSERT INTO audit_log (seq, at, actor_user_id, actor_username, actor_region, origin, action, record_type, record_id, detail, prev_hash, hash) VALUES ",
    );
    for (i, (actor, ev)) in entries.iter().enumerate() {
        let seq = first + i as i64;
        let region = actor
            .scope
            .region()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default();
        let origin = actor.origin.clone().unwrap_or_default();
        let actor_id = actor.user_id.map(|u| u.0);
        let hash = entry_hash(
            &prev,
            seq,
            at,
            actor_id,
            &actor.username,
            &region,
            &origin,
            ev.action.as_str(),
            ev.record_type,
            &ev.record_id,
            &ev.detail,
        );
        if i > 0 {
            q.push(", ");
        }
        q.push("(")
            .bind_int(seq)
            .push(", ")
            .bind_int(at)
            .push(", ")
            .bind(Arg::Int(actor_id))
            .push(", ")
            .bind_text(actor.username.clone())
            .push(", ")
            .bind_text(region)
            .push(", ")
            .bind_text(origin)
            .push(", ")
            .bind_text(ev.action.as_str())
            .push(", ")
            .bind_text(ev.record_type)
            .push(", ")
            .bind_text(ev.record_id.clone())
            .push(", ")
            .bind_text(ev.detail.clone())
            .push(", ")
            .bind_text(prev.clone())
            .push(", ")
            .bind_text(hash.clone())
            .push(")");
        prev = hash;
    }
    q.build().execute(&mut *conn).await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(prev)
        .execute(&mut *conn)
        .await?;
    Ok(last)
}

/// Whose entries the trail shows: what the admin's region did, or what was done to the
/// admin's region's records (by anyone, or by others only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuditAbout {
    /// Entries made by actors of the admin's region (and below).
    #[default]
    OurActors,
    /// Entries about the records of the admin's region (its cases, and duplicate pairs
    /// with their victims), whoever made them: referral partners, the province, national.
    OurRecords,
    /// [`AuditAbout::OurRecords`] made by actors outside the admin's region only.
    OurRecordsByOthers,
}

impl AuditAbout {
    /// The query parameter's values: "", `ours`, `ours_by_others`.
    pub fn parse(s: &str) -> Option<AuditAbout> {
        match s.trim() {
            "" => Some(AuditAbout::OurActors),
            "ours" => Some(AuditAbout::OurRecords),
            "ours_by_others" => Some(AuditAbout::OurRecordsByOthers),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub about: AuditAbout,
    pub username: Option<String>,
    pub action: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    /// Inclusive bounds in unix ms.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Show entries with `seq` below this (for paging backwards).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// An audit entry as stored, without its hashes.
#[derive(sqlx::FromRow)]
struct AuditRecord {
    seq: i64,
    at: i64,
    actor_user_id: Option<i64>,
    actor_username: String,
    actor_region: String,
    origin: String,
    action: String,
    record_type: String,
    record_id: String,
    detail: String,
}

impl From<AuditRecord> for AuditRow {
    fn from(r: AuditRecord) -> Self {
        AuditRow {
            seq: r.seq,
            at_ms: r.at,
            actor_user_id: r.actor_user_id,
            actor_username: r.actor_username,
            actor_region: r.actor_region,
            origin: r.origin,
            action: r.action,
            record_type: r.record_type,
            record_id: r.record_id,
            detail: r.detail,
        }
    }
}

/// An audit entry with the hashes that chain it.
#[derive(sqlx::FromRow)]
struct ChainRecord {
    #[sqlx(flatten)]
    entry: AuditRecord,
    prev_hash: String,
    hash: String,
}

impl From<ChainRecord> for Entry {
    fn from(r: ChainRecord) -> Self {
        let e = r.entry;
        Entry {
            seq: e.seq,
            at_ms: e.at,
            actor_user_id: e.actor_user_id,
            actor_username: e.actor_username,
            actor_region: e.actor_region,
            origin: e.origin,
            action: e.action,
            record_type: e.record_type,
            record_id: e.record_id,
            detail: e.detail,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: String,
    pub actor_region: String,
    pub origin: String,
    pub action: String,
    pub record_type: String,
    pub record_id: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub checked: i64,
    pub error: Option<ChainError>,
    /// The checkpoints held against the chain (the stored ones and any given).
    pub anchors: AnchorReport,
}

impl VerifyReport {
    /// Neither the chain nor any checkpoint shows a fault.
    pub fn is_intact(&self) -> bool {
        self.error.is_none() && self.anchors.problems.is_empty()
    }
}

/// `AND` the entry is about a case in `scope`, about a duplicate pair with a victim of one,
/// or about a complaint from the public waiting in (or decided by) a queue in `scope`.
fn about_our_records(q: &mut Sql, scope: &Scope) {
    if *scope == Scope::National {
        q.push(
            " AND ((record_type = 'case' AND record_id <> '') OR record_type = 'linkage_pair' \
             OR record_type = 'complaint')",
        );
        return;
    }
    q.push(
        " AND ((record_type = 'complaint' AND record_id IN (SELECT CAST(k.id AS TEXT) FROM complaints k WHERE 1=1",
    );
    q.scope("k.intake_region", scope);
    q.push(")) OR");
    q.push(
        " (record_type = 'case' AND record_id IN (SELECT CAST(c.id AS TEXT) FROM cases c WHERE 1=1",
    );
    q.scope("c.region_code", scope);
    q.push(
        ")) OR (record_type = 'linkage_pair' AND record_id IN (SELECT CAST(p.id AS TEXT) FROM linkage_pairs p \
         JOIN victims v ON v.id = p.victim_a OR v.id = p.victim_b JOIN cases c ON c.id = v.case_id WHERE 1=1",
    );
    q.scope("c.region_code", scope);
    q.push(")))");
}

impl Store {
    /// The trail, newest first: by default what actors inside the admin's scope did; with
    /// [`AuditFilter::about`], what was done to the records in the admin's scope.
    pub async fn audit_list(&self, actor: &Actor, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        decide(actor, Action::ViewAudit, &actor.scope)?;
        let mut q = Sql::new(
            "SELECT seq, at, actor_user_id, actor_username, actor_region, origin, action, record_type, record_id, detail FROM audit_log WHERE 1=1",
        );
        match f.about {
            AuditAbout::OurActors => {
                q.scope("actor_region", &actor.scope);
            }
            AuditAbout::OurRecords => about_our_records(&mut q, &actor.scope),
            AuditAbout::OurRecordsByOthers => {
                about_our_records(&mut q, &actor.scope);
                match &actor.scope {
                    Scope::Region(code) => {
                        let (lo, hi) = code.subtree_bounds();
                        q.push(" AND NOT (actor_region >= ")
                            .bind_text(lo)
                            .push(" AND actor_region < ")
                            .bind_text(hi)
                            .push(")");
                    }
                    // Every actor is inside the national scope.
                    Scope::National => {
                        q.push(" AND 1 = 0");
                    }
                }
            }
        }
        if let Some(u) = f.username.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND actor_username = ")
                .bind_text(u.trim().to_lowercase());
        }
        if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND action = ").bind_text(a.trim());
        }
        if let Some(t) = f.record_type.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND record_type = ").bind_text(t.trim());
        }
        if let Some(r) = f.record_id.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND record_id = ").bind_text(r.trim());
        }
        if let Some(v) = f.from_ms {
            q.push(" AND at >= ").bind_int(v);
        }
        if let Some(v) = f.to_ms {
            q.push(" AND at <= ").bind_int(v);
        }
        if let Some(v) = f.before_seq {
            q.push(" AND seq < ").bind_int(v);
        }
        q.push(" ORDER BY seq DESC LIMIT ")
            .bind(Arg::Int(Some(f.limit.clamp(1, 500))));
        let rows = q.build_as::<AuditRecord>().fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(AuditRow::from)
            .map(|mut r| {
                // Who, when and what of staff outside the admin's region; not where from.
                let by = crate::core::access::scope_of(Some(r.actor_region.clone()));
                if !actor.scope.contains(&by) {
                    r.origin.clear();
                }
                r
            })
            .collect())
    }

    /// Walks the whole chain against the stored checkpoints.
    pub async fn audit_verify(&self) -> Result<VerifyReport> {
        self.audit_verify_with(Anchors::default()).await
    }

    /// Walks the whole chain (for `gugus audit verify`), in pages so memory stays flat, and
    /// holds it against every stored checkpoint and those in `anchors` (the checkpoint file,
    /// lines admins kept). MACs are checked with the store's keys.
    pub async fn audit_verify_with(&self, mut anchors: Anchors) -> Result<VerifyReport> {
        self.stored_anchors(&mut anchors).await?;
        let mut check = AnchorCheck::new(anchors, self.keyring.as_deref());
        let head_seq: i64 = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        let mut v = ChainVerifier::default();
        let mut last = 0i64;
        loop {
            let rows: Vec<ChainRecord> = sqlx::query_as(
                "SELECT seq, at, actor_user_id, actor_username, actor_region, origin, action, record_type, record_id, detail, prev_hash, hash \
                 FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000",
            )
            .bind(last)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in rows {
                let e = Entry::from(r);
                if let Err(error) = v.check(&e) {
                    return Ok(VerifyReport {
                        checked: v.checked(),
                        error: Some(error),
                        anchors: check.into_report(),
                    });
                }
                check.entry(e.seq, &e.hash);
                last = e.seq;
            }
        }
        let error = v.finish(head_seq).err();
        Ok(VerifyReport {
            checked: v.checked(),
            error,
            anchors: check.finish(v.checked(), head_seq),
        })
    }
}
