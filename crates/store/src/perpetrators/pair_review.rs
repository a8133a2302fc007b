//! Deciding perpetrator pairs. Only verifiers who may see both sides: each record must be
//! on a case in the verifier's scope (a national verifier sees every pair, a province
//! verifier the pairs whose both records have a case in the province); for anyone else a
//! pair is not in the list and its page is 404. Each side shows its kind, initials and its
//! cases in the verifier's scope (code, region, role); names and NIK follow the victims'
//! pair rule: national clearing officers, whose task is to compare them, and whoever has
//! identity access to one of that side's cases. Every view and decision is audited.

use super::network::relink_network;
use super::records::{PairCaseRecord, PairDetailRecord, PairListRecord, SideRecord};
use super::{PerpetratorPairRow, PerpetratorPairSide, PerpetratorPairView};
use crate::core::audit::Event;
use crate::core::sql::Sql;
use crate::linkage::ExplainLine;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, Scope, decide};
use std::collections::HashMap;

/// `AND` perpetrator `column` is on a case in `scope`.
fn push_reachable(q: &mut Sql, column: &str, scope: &Scope) {
    q.push(" AND EXISTS (SELECT 1 FROM case_perpetrators rp JOIN cases rc ON rc.id = rp.case_id WHERE rp.perpetrator_id = ")
        .push(column);
    q.scope("rc.region_code", scope);
    q.push(")");
}

fn explanation(json: &str) -> Vec<ExplainLine> {
    let lines: Vec<serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    lines
        .iter()
        .map(|l| ExplainLine {
            field: l["field"].as_str().unwrap_or("").to_owned(),
            level: l["level"].as_str().unwrap_or("").to_owned(),
            weight: l["weight"].as_f64().unwrap_or(0.0),
        })
        .collect()
}

impl Store {
    /// Pairs with `status` for the verifiers' list, most likely first: only pairs whose
    /// both records the actor reaches. Initials, kind and cases in scope; no identities.
    pub async fn perpetrator_pairs(
        &self,
        actor: &Actor,
        status: &str,
    ) -> Result<Vec<PerpetratorPairRow>> {
        decide(actor, Action::DecidePerpetratorPair, &actor.scope)?;
        let status = crate::linkage::pair_status(status)?;
        let mut q = Sql::new(
            "SELECT pp.id, pp.probability, pp.status, pp.found_at, pp.perpetrator_a, pp.perpetrator_b \
             FROM perpetrator_pairs pp WHERE pp.status = ",
        );
        q.bind_text(status);
        push_reachable(&mut q, "pp.perpetrator_a", &actor.scope);
        push_reachable(&mut q, "pp.perpetrator_b", &actor.scope);
        q.push(" ORDER BY pp.probability DESC, pp.id LIMIT 300");
        let rows = q
            .build_as::<PairListRecord>()
            .fetch_all(self.pool())
            .await?;
        let ids: Vec<i64> = rows
            .iter()
            .flat_map(|r| [r.perpetrator_a, r.perpetrator_b])
            .collect();
        let sides = self.pair_sides(actor, &ids, &[]).await?;
        let side = |id: i64| sides.get(&id).cloned().ok_or(StoreError::NotFound);
        rows.into_iter()
            .map(|r| {
                Ok(PerpetratorPairRow {
                    id: r.id,
                    probability: r.probability,
                    status: r.status,
                    found_at_ms: r.found_at,
                    a: side(r.perpetrator_a)?,
                    b: side(r.perpetrator_b)?,
                })
            })
            .collect()
    }

    /// The two records of pair `id` and its status, when the actor may decide it: 403 for
    /// roles that never do, 404 when either record is on no case in the actor's scope.
    async fn reach_pair(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        id: i64,
    ) -> Result<(i64, i64, String)> {
        decide(actor, Action::DecidePerpetratorPair, &actor.scope)?;
        let mut q = Sql::new(
            "SELECT pp.perpetrator_a, pp.perpetrator_b, pp.status FROM perpetrator_pairs pp WHERE pp.id = ",
        );
        q.bind_int(id);
        push_reachable(&mut q, "pp.perpetrator_a", &actor.scope);
        push_reachable(&mut q, "pp.perpetrator_b", &actor.scope);
        q.build_as::<(i64, i64, String)>()
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Checks that the actor may decide pair `id` (before a request body is looked at).
    pub async fn perpetrator_pair_access(&self, actor: &Actor, id: i64) -> Result<()> {
        let mut conn = self.pool().acquire().await?;
        self.reach_pair(&mut conn, actor, id).await.map(|_| ())
    }

    /// Whether the actor sees the identity of pair side `perpetrator`: national clearing
    /// officers do (comparing them is their task), others as on the perpetrator's page.
    async fn pair_side_identities(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        perpetrator: i64,
    ) -> Result<bool> {
        if decide(actor, Action::ClearCase, &actor.scope).is_ok() {
            return Ok(true);
        }
        Ok(self.perpetrator_access(conn, actor, perpetrator).await?.1)
    }

    /// Sides by perpetrator id, with their cases in the actor's scope; identities of the
    /// ids in `reveal` decrypted.
    async fn pair_sides(
        &self,
        actor: &Actor,
        ids: &[i64],
        reveal: &[i64],
    ) -> Result<HashMap<i64, PerpetratorPairSide>> {
        let mut sides = HashMap::new();
        if ids.is_empty() {
            return Ok(sides);
        }
        let k = if reveal.is_empty() {
            None
        } else {
            Some(self.keyring()?)
        };
        let mut q = Sql::new(
            "SELECT id, kind, initials, name_enc, alias_enc, nik_enc, network_id FROM perpetrators WHERE id",
        );
        q.in_list(ids);
        for r in q.build_as::<SideRecord>().fetch_all(self.pool()).await? {
            let id = r.id;
            sides.insert(id, r.into_side(k.filter(|_| reveal.contains(&id)))?);
        }
        let mut q = Sql::new(
            "SELECT cp.perpetrator_id, c.id AS case_id, c.code, c.region_code, r.name AS region_name, cp.role \
             FROM case_perpetrators cp JOIN cases c ON c.id = cp.case_id LEFT JOIN regions r ON r.code = c.region_code \
             WHERE cp.perpetrator_id",
        );
        q.in_list(ids);
        q.scope("c.region_code", &actor.scope);
        q.push(" ORDER BY c.reported_on DESC, c.id DESC, cp.role LIMIT 5000");
        for r in q
            .build_as::<PairCaseRecord>()
            .fetch_all(self.pool())
            .await?
        {
            if let Some(s) = sides.get_mut(&r.perpetrator_id) {
                s.cases.push(r.into());
            }
        }
        Ok(sides)
    }

    /// One pair side by side with the explanation; the view is audited, as an identity
    /// view when names were shown on either side.
    pub async fn perpetrator_pair(&self, actor: &Actor, id: i64) -> Result<PerpetratorPairView> {
        let mut conn = self.pool().acquire().await?;
        let (a, b, _) = self.reach_pair(&mut conn, actor, id).await?;
        let mut reveal = Vec::new();
        for side in [a, b] {
            if self.pair_side_identities(&mut conn, actor, side).await? {
                reveal.push(side);
            }
        }
        let r: PairDetailRecord = sqlx::query_as(
            "SELECT probability, weight, status, decided_by, decided_at, explanation FROM perpetrator_pairs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        drop(conn);
        let mut sides = self.pair_sides(actor, &[a, b], &reveal).await?;
        let (Some(side_a), Some(side_b)) = (sides.remove(&a), sides.remove(&b)) else {
            return Err(StoreError::NotFound);
        };
        let view = PerpetratorPairView {
            id,
            probability: r.probability,
            weight: r.weight,
            status: r.status,
            decided_by: r.decided_by,
            decided_at_ms: r.decided_at,
            explanation: explanation(&r.explanation),
            a: side_a,
            b: side_b,
        };
        let shown: Vec<String> = reveal.iter().map(i64::to_string).collect();
        let ev = Event {
            action: if reveal.is_empty() {
                AuditAction::PerpetratorPairView
            } else {
                AuditAction::PerpetratorPairIdentityView
            },
            record_type: "perpetrator_pair",
            record_id: id.to_string(),
            detail: format!("perpetrators={a},{b} identities={}", shown.join(",")),
        };
        self.audit(actor, ev).await?;
        Ok(view)
    }

    /// Decides pair `id`: `Some(true)` one perpetrator, `Some(false)` different ones,
    /// `None` undoes the decision. Network ids are recomputed from the "same" decisions.
    pub async fn decide_perpetrator_pair(
        &self,
        actor: &Actor,
        id: i64,
        same: Option<bool>,
    ) -> Result<()> {
        let allowed = self.allow(actor, Action::DecidePerpetratorPair, &actor.scope)?;
        let mut w = self.write(allowed).await?;
        // Network ids are recomputed from every "same" link: on PostgreSQL (read committed)
        // two decisions at once (A=B, B=C) would each miss the other's link, so decisions
        // take turns. SQLite's writes already do.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(4815162344)")
                .execute(&mut *w)
                .await?;
        }
        let (a, b, status) = self.reach_pair(&mut w, actor, id).await?;
        if same.is_some() && status != "pending" {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        if same.is_none() && status == "pending" {
            return Err(StoreError::Conflict("conflict.pair_not_decided"));
        }
        let (new_status, action) = match same {
            Some(true) => ("same", AuditAction::PerpetratorPairSame),
            Some(false) => ("different", AuditAction::PerpetratorPairDifferent),
            None => ("pending", AuditAction::PerpetratorPairUndo),
        };
        let now = w.now_ms();
        // Conditional on the status read, so two verifiers deciding at once cannot both win.
        let res = sqlx::query(
            "UPDATE perpetrator_pairs SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = $5",
        )
        .bind(new_status)
        .bind(same.map(|_| actor.username.clone()))
        .bind(same.map(|_| now))
        .bind(id)
        .bind(status)
        .execute(&mut *w)
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict("conflict.pair_decided"));
        }
        relink_network(&mut w, vec![a, b]).await?;
        w.audit(Event {
            action,
            record_type: "perpetrator_pair",
            record_id: id.to_string(),
            detail: format!("perpetrators={a},{b}"),
        })
        .await?;
        w.commit().await
    }
}
