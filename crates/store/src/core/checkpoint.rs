//! Audit checkpoints (see [`domain::checkpoint`]): the head of the chain signed under the
//! instance key, kept in `audit_checkpoints` and appended to a file outside the database,
//! and the check of every checkpoint against the chain that `gugus audit verify` runs.

use crate::core::write::Maintenance;
use crate::{Result, Store, StoreError};
use domain::checkpoint::{Checkpoint, CheckpointProblem};
use domain::{Action, Actor, decide};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(sqlx::FromRow)]
struct CheckpointRecord {
    seq: i64,
    hash: String,
    at: i64,
    key_id: String,
    mac: String,
}

impl From<CheckpointRecord> for Checkpoint {
    fn from(r: CheckpointRecord) -> Self {
        Checkpoint {
            seq: r.seq,
            hash: r.hash,
            at_ms: r.at,
            key_id: r.key_id,
            mac: r.mac,
        }
    }
}

/// Checkpoints to hold the chain against, each with where it came from (for messages).
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    list: Vec<(Checkpoint, String)>,
    /// Lines that are not checkpoints (a damaged or edited file, a mistyped line).
    pub unreadable: Vec<String>,
}

impl Anchors {
    pub fn add(&mut self, cp: Checkpoint, origin: impl Into<String>) {
        self.list.push((cp, origin.into()));
    }

    /// A line given by an operator (`--checkpoint`).
    pub fn add_line(&mut self, line: &str, origin: &str) {
        match Checkpoint::parse(line) {
            Some(cp) => self.add(cp, origin),
            None => self.unreadable.push(origin.to_owned()),
        }
    }

    /// Every line of a checkpoint file; a missing file adds nothing (and says so).
    pub async fn read_file(&mut self, path: &Path) -> Result<bool> {
        let p = path.to_path_buf();
        let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(p))
            .await
            .map_err(|e| StoreError::Other(format!("reading the checkpoint file: {e}")))?;
        let text = match text {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => {
                return Err(StoreError::Config(format!(
                    "cannot read the checkpoint file {}: {e}",
                    path.display()
                )));
            }
        };
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                self.add_line(line, &format!("line {} of {}", i + 1, path.display()));
            }
        }
        Ok(true)
    }
}

/// What checking the checkpoints found.
#[derive(Debug, Clone, Default)]
pub struct AnchorReport {
    /// Checkpoints held against the chain (table, file and given lines).
    pub checked: usize,
    /// Of those, how many carry a MAC under a key not loaded (made before a key rotation):
    /// their (seq, hash) was still compared with the chain.
    pub unverifiable: usize,
    pub problems: Vec<CheckpointProblem>,
    /// The newest checkpoint whose MAC is good.
    pub newest: Option<Checkpoint>,
}

/// Appends `cp` as one line to the file (created with mode 0600), and syncs it to disk.
pub async fn append_checkpoint_file(path: &Path, cp: &Checkpoint) -> Result<()> {
    let (p, line) = (PathBuf::from(path), format!("{}\n", cp.line()));
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut o = std::fs::OpenOptions::new();
        o.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&p)?;
        f.write_all(line.as_bytes())?;
        f.sync_data()
    })
    .await
    .map_err(|e| StoreError::Other(format!("writing the checkpoint file: {e}")))?
    .map_err(|e| {
        StoreError::Config(format!(
            "cannot append to the checkpoint file {}: {e}",
            path.display()
        ))
    })
}

impl Store {
    /// Signs the chain's head now and stores the checkpoint. `None` when the trail is empty,
    /// or when the head has not moved since the newest checkpoint and `force` is false.
    pub async fn audit_checkpoint(&self, force: bool) -> Result<Option<Checkpoint>> {
        let keys = self
            .keyring
            .as_deref()
            .ok_or_else(|| StoreError::Config("no secret key loaded".into()))?;
        let mut tx = self.maintenance(Maintenance::Checkpoint).await?;
        let (seq, hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
            .fetch_one(&mut *tx)
            .await?;
        if seq == 0 || (!force && last == Some(seq)) {
            return Ok(None);
        }
        let (key_id, key) = keys.checkpoint_signer();
        let cp = Checkpoint::sign(key, key_id, seq, &hash, self.now_ms());
        sqlx::query("INSERT INTO audit_checkpoints (seq, hash, at, key_id, mac) VALUES ($1, $2, $3, $4, $5)")
            .bind(cp.seq)
            .bind(cp.hash.clone())
            .bind(cp.at_ms)
            .bind(cp.key_id.clone())
            .bind(cp.mac.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(cp))
    }

    /// The newest checkpoint, for admins to copy and keep (it holds no personal data).
    pub async fn latest_checkpoint(&self, actor: &Actor) -> Result<Option<Checkpoint>> {
        decide(actor, Action::ViewAudit, &actor.scope)?;
        let row: Option<CheckpointRecord> = sqlx::query_as(
            "SELECT seq, hash, at, key_id, mac FROM audit_checkpoints ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(Checkpoint::from))
    }

    /// The stored checkpoints, added to `anchors`.
    pub(crate) async fn stored_anchors(&self, anchors: &mut Anchors) -> Result<()> {
        let rows: Vec<CheckpointRecord> =
            sqlx::query_as("SELECT seq, hash, at, key_id, mac FROM audit_checkpoints ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        for r in rows {
            anchors.add(Checkpoint::from(r), "audit_checkpoints");
        }
        Ok(())
    }
}

/// Holds checkpoints against the chain as the verifier walks it: each must match the
/// entry it names, and none may lie beyond the chain's end or the head.
pub(crate) struct AnchorCheck<'a> {
    keys: Option<&'a crate::crypto::Keyring>,
    by_seq: HashMap<i64, Vec<usize>>,
    anchors: Anchors,
    report: AnchorReport,
}

impl<'a> AnchorCheck<'a> {
    /// Checks every MAC first: a forged checkpoint is reported and not used.
    pub(crate) fn new(anchors: Anchors, keys: Option<&'a crate::crypto::Keyring>) -> Self {
        let mut c = AnchorCheck {
            keys,
            by_seq: HashMap::new(),
            report: AnchorReport::default(),
            anchors: Anchors::default(),
        };
        for origin in &anchors.unreadable {
            c.report.problems.push(CheckpointProblem::Unreadable {
                origin: origin.clone(),
            });
        }
        for (cp, origin) in anchors.list {
            c.admit(cp, origin);
        }
        c
    }

    fn admit(&mut self, cp: Checkpoint, origin: String) {
        match self.keys.and_then(|k| k.checkpoint_key(&cp.key_id)) {
            Some(key) if !cp.mac_ok(key) => {
                self.report.problems.push(CheckpointProblem::Forged {
                    seq: cp.seq,
                    when: cp.when(),
                    origin,
                });
                return;
            }
            Some(_) => {
                if self.report.newest.as_ref().is_none_or(|n| n.seq < cp.seq) {
                    self.report.newest = Some(cp.clone());
                }
            }
            None => self.report.unverifiable += 1,
        }
        self.report.checked += 1;
        self.by_seq
            .entry(cp.seq)
            .or_default()
            .push(self.anchors.list.len());
        self.anchors.list.push((cp, origin));
    }

    /// An entry of the chain, in order: does every checkpoint of its seq match it?
    pub(crate) fn entry(&mut self, seq: i64, hash: &str) {
        for &i in self.by_seq.get(&seq).into_iter().flatten() {
            let (cp, origin) = &self.anchors.list[i];
            if cp.hash != hash {
                self.report.problems.push(CheckpointProblem::Rewritten {
                    seq,
                    when: cp.when(),
                    origin: origin.clone(),
                });
            }
        }
    }

    /// The report so far, when the chain broke before its end (the break is the news).
    pub(crate) fn into_report(self) -> AnchorReport {
        self.report
    }

    /// The chain's end (`last` entries intact) and the head: no checkpoint beyond them.
    /// Only the newest checkpoint past each is named.
    pub(crate) fn finish(mut self, last: i64, head: i64) -> AnchorReport {
        let beyond = |limit: i64| {
            self.anchors
                .list
                .iter()
                .filter(|(cp, _)| cp.seq > limit)
                .max_by_key(|(cp, _)| (cp.seq, cp.at_ms))
                .cloned()
        };
        if let Some((cp, origin)) = beyond(last) {
            self.report.problems.push(CheckpointProblem::Truncated {
                last,
                seq: cp.seq,
                when: cp.when(),
                origin,
            });
        }
        if let Some((cp, origin)) = beyond(head).filter(|_| head < last) {
            self.report.problems.push(CheckpointProblem::HeadBehind {
                head,
                seq: cp.seq,
                when: cp.when(),
                origin,
            });
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::crypto::Keyring;

    fn anchors(keys: &Keyring, cps: &[(i64, &str)]) -> Anchors {
        let (id, key) = keys.checkpoint_signer();
        let mut a = Anchors::default();
        for (seq, hash) in cps {
            a.add(Checkpoint::sign(key, id, *seq, hash, 1_000 * seq), "t");
        }
        a
    }

    #[test]
    fn a_rewritten_entry_a_head_moved_back_and_a_foreign_key_are_told_apart() {
        let keys = Keyring::new(&[5; 32], None).unwrap();
        // Entry 2 no longer has the hash the checkpoint saw.
        let mut c = AnchorCheck::new(anchors(&keys, &[(2, "aa")]), Some(&keys));
        c.entry(1, "00");
        c.entry(2, "bb");
        let r = c.finish(2, 2);
        assert!(matches!(
            r.problems[..],
            [CheckpointProblem::Rewritten { seq: 2, .. }]
        ));
        // The chain goes on but the head was moved back before a checkpoint.
        let mut c = AnchorCheck::new(anchors(&keys, &[(3, "cc")]), Some(&keys));
        c.entry(3, "cc");
        let r = c.finish(3, 1);
        assert!(matches!(
            r.problems[..],
            [CheckpointProblem::HeadBehind {
                head: 1,
                seq: 3,
                ..
            }]
        ));
        // Made under a key not loaded: still held against the chain, counted as such.
        let other = Keyring::new(&[6; 32], None).unwrap();
        let c = AnchorCheck::new(anchors(&other, &[(9, "dd")]), Some(&keys));
        let r = c.finish(4, 4);
        assert_eq!(r.unverifiable, 1);
        assert!(matches!(
            r.problems[..],
            [CheckpointProblem::Truncated {
                last: 4,
                seq: 9,
                ..
            }]
        ));
    }
}
