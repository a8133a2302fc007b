//! Candidate pairs: proposed when a case is saved, listed for clearing officers, shown
//! side by side within the viewer's rights, and decided.

use super::records::{
    CaseDuplicateRecord, KeyRecord, OfficialCountRecord, PairRecord, PairRowRecord,
    PairScopeRecord, PairSideRecord,
};
use super::*;
use crate::core::sql::Sql;
use crate::core::write::{Allowed, Maintenance};
use domain::audit::AuditAction;

impl Store {
    /// The incremental duplicate check after a case is saved: look up the victims' blocking
    /// keys (written with the victims), decrypt only the candidates, score them, and propose
    /// the pairs above the threshold. Decided pairs are never asked again. Returns how many
    /// pairs were proposed or refreshed.
    pub async fn check_duplicates(&self, case: CaseId) -> Result<usize> {
        let rows = sqlx::query_as(victim_select!("WHERE v.case_id = $1"))
            .bind(case.0)
            .fetch_all(self.pool())
            .await?;
        let mut own: HashSet<i64> = HashSet::new();
        let mut records = Vec::new();
        for rec in self.engine_records(rows)? {
            own.insert(rec.id as i64);
            let keys = self.keys_of(&rec)?;
            if !keys.is_empty() {
                records.push((rec, keys));
            }
        }
        if records.is_empty() {
            return Ok(0);
        }
        // One lookup for every key of every victim of the case.
        let all_keys: Vec<i64> = records
            .iter()
            .flat_map(|(_, keys)| keys.iter().copied())
            .collect();
        let mut q = Sql::new("SELECT key, victim_id FROM linkage_keys WHERE key");
        q.in_list(&all_keys);
        let mut by_key: HashMap<i64, Vec<i64>> = HashMap::new();
        for r in q.build_as::<KeyRecord>().fetch_all(self.pool()).await? {
            by_key.entry(r.key).or_default().push(r.victim_id);
        }
        let model = self.linkage_model().await?;
        let mut found = Vec::new();
        for (rec, keys) in &records {
            let mut candidates: BTreeSet<i64> = BTreeSet::new();
            for key in keys {
                if let Some(ids) = by_key.get(key)
                    && ids.len() as i64 <= KEY_CAP
                {
                    candidates.extend(ids.iter().filter(|i| !own.contains(i)));
                }
            }
            if candidates.is_empty() {
                continue;
            }
            let mut a = linkage::Prepared::new(rec);
            model.annotate(&mut a);
            for chunk in candidates.into_iter().collect::<Vec<_>>().chunks(200) {
                let mut q = Sql::new(victim_select!("WHERE v.id"));
                q.in_list(chunk);
                let others = q.build_as().fetch_all(self.pool()).await?;
                for other in self.engine_records(others)? {
                    let s = model.score_prepared(&a, &linkage::Prepared::new(&other));
                    if s.probability >= PROPOSE_AT {
                        found.push((rec.id as i64, other.id as i64, s));
                    }
                }
            }
        }
        let n = found.len();
        self.propose_pairs(&found, "incremental").await?;
        Ok(n)
    }

    pub(super) async fn propose_pairs(
        &self,
        found: &[(i64, i64, linkage::Scored)],
        source: &str,
    ) -> Result<()> {
        if found.is_empty() {
            return Ok(());
        }
        // Rows are written in one order (smallest pair first), so two writers proposing
        // overlapping pairs lock them in the same order and cannot deadlock on each other.
        let mut ordered: Vec<(i64, i64, &linkage::Scored)> = found
            .iter()
            .map(|(x, y, s)| if x < y { (*x, *y, s) } else { (*y, *x, s) })
            .collect();
        ordered.sort_by_key(|(a, b, _)| (*a, *b));
        ordered.dedup_by_key(|(a, b, _)| (*a, *b));
        let now = self.now_ms();
        let mut tx = self.maintenance(Maintenance::LinkageRun).await?;
        for (a, b, s) in ordered {
            sqlx::query(
                "INSERT INTO linkage_pairs (victim_a, victim_b, probability, weight, explanation, status, source, found_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) ON CONFLICT (victim_a, victim_b) DO UPDATE SET \
                 probability = excluded.probability, weight = excluded.weight, explanation = excluded.explanation \
                 WHERE linkage_pairs.status = 'pending'",
            )
            .bind(a)
            .bind(b)
            .bind(s.probability)
            .bind(if s.weight.is_finite() { s.weight } else { -99.0 })
            .bind(explain_json(s))
            .bind(source.to_owned())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Pairs touching the case's victims, for its page.
    pub async fn case_duplicates(&self, actor: &Actor, case: CaseId) -> Result<Vec<CaseDuplicate>> {
        let scope = self.case_scope(case).await?;
        self.case_duplicates_in(actor, case, &scope).await
    }

    /// [`Store::case_duplicates`] with the case's scope already read.
    pub(crate) async fn case_duplicates_in(
        &self,
        actor: &Actor,
        case: CaseId,
        scope: &Scope,
    ) -> Result<Vec<CaseDuplicate>> {
        decide(actor, Action::ViewCase, scope)?;
        // Only for those who work with identities (the data officer, verifiers): that a
        // victim is also on record elsewhere is itself sensitive.
        if decide(actor, Action::ViewIdentity, scope).is_err() {
            return Ok(Vec::new());
        }
        // A save that just committed may still be checking (its pairs may touch this
        // case whichever case was saved).
        self.duplicates_settled().await;
        let rows: Vec<CaseDuplicateRecord> = sqlx::query_as(
            "SELECT p.id, p.probability, p.status, v.position, \
             o.initials AS o_initials, oc.id AS o_case, oc.code AS o_code, oc.region_code AS o_region \
             FROM linkage_pairs p \
             JOIN victims v ON (v.id = p.victim_a OR v.id = p.victim_b) AND v.case_id = $1 \
             JOIN victims o ON o.id = CASE WHEN p.victim_a = v.id THEN p.victim_b ELSE p.victim_a END \
             JOIN cases oc ON oc.id = o.case_id \
             WHERE p.status <> 'different' ORDER BY v.position, p.probability DESC LIMIT 50",
        )
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let other_scope = Scope::from_code(
                    r.o_region
                        .as_deref()
                        .and_then(|c| RegionCode::parse(c).ok()),
                );
                // Outside the actor's scope: only that the person may be on record elsewhere.
                let hidden = decide(actor, Action::ViewCase, &other_scope).is_err();
                r.into_view(hidden)
            })
            .collect())
    }

    /// Pairs for the clearing officers' queue: both records inside the actor's scope,
    /// most likely first.
    pub async fn linkage_pairs(&self, actor: &Actor, status: &str) -> Result<Vec<PairRow>> {
        decide(actor, Action::LinkPersons, &actor.scope)?;
        let status = pair_status(status)?;
        self.duplicates_settled().await;
        let mut q = crate::core::sql::Sql::new(
            "SELECT p.id, p.probability, p.status, p.found_at, \
             ca.code AS a_code, ca.region_code AS a_region, va.initials AS a_initials, \
             cb.code AS b_code, cb.region_code AS b_region, vb.initials AS b_initials \
             FROM linkage_pairs p JOIN victims va ON va.id = p.victim_a JOIN cases ca ON ca.id = va.case_id \
             JOIN victims vb ON vb.id = p.victim_b JOIN cases cb ON cb.id = vb.case_id WHERE p.status = ",
        );
        q.bind_text(status);
        if actor.scope != Scope::National {
            q.scope("ca.region_code", &actor.scope);
            q.scope("cb.region_code", &actor.scope);
        }
        q.push(" ORDER BY p.probability DESC, p.id LIMIT 300");
        let rows = q.build_as::<PairRowRecord>().fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(PairRow::from).collect())
    }

    /// Both victims of a pair, checked against the actor's scope (404 when either is outside).
    pub(super) async fn pair_victims<'a>(
        &self,
        actor: &'a Actor,
        id: i64,
    ) -> Result<(Allowed<'a>, i64, i64, String)> {
        let allowed = self.allow(actor, Action::LinkPersons, &actor.scope)?;
        let r: PairScopeRecord = sqlx::query_as(
            "SELECT p.victim_a, p.victim_b, p.status, ca.region_code AS ra, cb.region_code AS rb \
             FROM linkage_pairs p JOIN victims va ON va.id = p.victim_a JOIN cases ca ON ca.id = va.case_id \
             JOIN victims vb ON vb.id = p.victim_b JOIN cases cb ON cb.id = vb.case_id WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        for region in [&r.ra, &r.rb] {
            let scope = Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok()));
            decide(actor, Action::LinkPersons, &scope)?;
        }
        Ok((allowed, r.victim_a, r.victim_b, r.status))
    }

    /// Checks that the actor may decide this pair (403 for roles that never do, 404 when
    /// either record is out of scope), before a request body is looked at.
    pub async fn pair_access(&self, actor: &Actor, id: i64) -> Result<()> {
        self.pair_victims(actor, id).await.map(|_| ())
    }

    /// One side of a pair. Identities are shown when the actor may see them on that case
    /// (own unit, or a break-the-glass grant), and to national clearing officers, whose
    /// task is to compare them (every view is audited as `linkage.view_pair`); provincial
    /// verifiers of another unit's case see initials.
    pub(super) async fn pair_side(&self, actor: &Actor, victim: i64) -> Result<PairSide> {
        let r: PairSideRecord = sqlx::query_as(
            "SELECT v.case_id, v.initials, v.name_enc, v.nik_enc, v.sex, v.birth_date, v.age_estimate, \
             v.home_village, v.person_id, c.code, c.region_code, c.review_state, c.unit_id, n.name AS unit_name \
             FROM victims v JOIN cases c ON c.id = v.case_id JOIN units n ON n.id = c.unit_id WHERE v.id = $1",
        )
        .bind(victim)
        .fetch_one(self.pool())
        .await?;
        let k = self.keyring()?;
        let scope = Scope::from_code(
            r.region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        );
        let owner = domain::UnitId(r.unit_id);
        let identities = decide(actor, Action::ClearCase, &scope).is_ok()
            || self
                .identity_access(actor, CaseId(r.case_id), owner, &scope)
                .await?
                == crate::core::access::IdentityAccess::Granted;
        r.into_view(victim, identities.then_some(k))
    }

    /// One pair side by side with the explanation. Comparing identities is the clearing
    /// officer's job, so names and NIK are shown, and the view is audited.
    pub async fn linkage_pair(&self, actor: &Actor, id: i64) -> Result<PairView> {
        let (_, a, b, _) = self.pair_victims(actor, id).await?;
        let r: PairRecord = sqlx::query_as(
            "SELECT probability, weight, status, source, decided_by, decided_at, explanation \
             FROM linkage_pairs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        let lines: Vec<serde_json::Value> =
            serde_json::from_str(&r.explanation).unwrap_or_default();
        let view = PairView {
            id,
            probability: r.probability,
            weight: r.weight,
            status: r.status,
            source: r.source,
            decided_by: r.decided_by,
            decided_at_ms: r.decided_at,
            explanation: lines
                .iter()
                .map(|l| ExplainLine {
                    field: l["field"].as_str().unwrap_or("").to_owned(),
                    level: l["level"].as_str().unwrap_or("").to_owned(),
                    weight: l["weight"].as_f64().unwrap_or(0.0),
                })
                .collect(),
            a: self.pair_side(actor, a).await?,
            b: self.pair_side(actor, b).await?,
        };
        self.audit(
            actor,
            Event {
                action: AuditAction::LinkageViewPair,
                record_type: "linkage_pair",
                record_id: id.to_string(),
                detail: format!("victims={a},{b}"),
            },
        )
        .await?;
        Ok(view)
    }

    /// Decides a pair: `Some(true)` same person, `Some(false)` different people, `None`
    /// undoes the decision. Person identities are recomputed from the "same" decisions.
    pub async fn decide_pair(&self, actor: &Actor, id: i64, same: Option<bool>) -> Result<()> {
        let (allowed, a, b, status) = self.pair_victims(actor, id).await?;
        let new_status = match same {
            Some(true) => "same",
            Some(false) => "different",
            None => "pending",
        };
        if same.is_some() && status != "pending" {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        if same.is_none() && status == "pending" {
            return Err(StoreError::Conflict("conflict.pair_not_decided"));
        }
        let mut tx = self.write(allowed).await?;
        let res = sqlx::query(
            "UPDATE linkage_pairs SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(new_status)
        .bind(same.map(|_| actor.username.clone()))
        .bind(same.map(|_| self.now_ms()))
        .bind(id)
        .bind(status.clone())
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        relink(&mut tx, vec![a, b]).await?;
        tx.audit(Event {
            action: match same {
                Some(true) => AuditAction::LinkageSame,
                Some(false) => AuditAction::LinkageDifferent,
                None => AuditAction::LinkageUndo,
            },
            record_type: "linkage_pair",
            record_id: id.to_string(),
            detail: format!("victims={a},{b}"),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cleared cases, their victim records, and the unique persons among them, in scope.
    pub async fn official_count(&self, actor: &Actor) -> Result<OfficialCount> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = crate::core::sql::Sql::new(
            "SELECT COUNT(DISTINCT c.id) AS cases, COUNT(v.id) AS victims, \
             COUNT(DISTINCT COALESCE(v.person_id, v.id)) AS persons \
             FROM cases c LEFT JOIN victims v ON v.case_id = c.id WHERE c.review_state = 'cleared'",
        );
        if actor.scope != Scope::National {
            q.scope("c.region_code", &actor.scope);
        }
        let r = q
            .build_as::<OfficialCountRecord>()
            .fetch_one(self.pool())
            .await?;
        Ok(r.into())
    }
}

/// The decision a pair list is filtered by (victim and perpetrator pairs alike): empty is
/// the pending ones; a word that names no decision is an error naming the filter, never
/// the pending list shown as if it were the answer.
pub fn pair_status(s: &str) -> Result<&'static str> {
    match s.trim() {
        "" | "pending" => Ok("pending"),
        "same" => Ok("same"),
        "different" => Ok("different"),
        _ => Err(domain::Invalid::one("status", "err.choice").into()),
    }
}
