//! Perpetrators: persons and organisations (recruitment companies, brokers, employers,
//! transporters …) shared by every case they appear in, with a role per case. A
//! perpetrator follows the case rules: visible only through a linked case in the actor's
//! scope, and their identity (name, alias, NIK — encrypted) shown only when the actor has
//! identity access to at least one of those cases (the owning unit, or an unexpired
//! break-the-glass grant), otherwise initials only. Searches match identity fields only on
//! perpetrators whose identity the actor may see, so a search never confirms a hidden one.
//!
//! Seeing one network across regions is served by pairs, never by open search: after a
//! perpetrator is recorded it is compared with the perpetrators of other cases (`pairs`),
//! and verifiers who may see both sides decide "same" / "different" (`network` links the
//! records decided to be one). One one-way edge: the comparison uses the linkage feature's
//! model (`Store::linkage_model`), the one the victims' duplicate check uses.

use crate::core::audit::Event;
use crate::core::blind::name_tokens;
use crate::core::ids::CaseId;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::{Action, Actor, Invalid, decide};
use records::{PerpetratorCaseRecord, PerpetratorLinkRecord, PerpetratorRecord};
use serde::Serialize;

mod network;
mod pair_review;
mod pairs;
mod records;

#[derive(Debug, Clone, Default)]
pub struct NewPerpetrator {
    /// person or organisation
    pub kind: String,
    pub name: String,
    pub alias: Option<String>,
    pub nik: Option<domain::nik::Nik>,
}

impl NewPerpetrator {
    pub fn parse(
        kind: &str,
        name: &str,
        alias: &str,
        nik: &str,
    ) -> Result<NewPerpetrator, Invalid> {
        let mut errs = Invalid::default();
        let name = domain::validation::required_text(&mut errs, "perp_name", name, 150);
        let nik = if nik.trim().is_empty() {
            None
        } else {
            let n = domain::nik::Nik::parse(nik);
            if n.is_none() {
                errs.push("perp_nik", "err.nik");
            }
            n
        };
        if !matches!(kind.trim(), "person" | "organisation") {
            errs.push("perp_kind", "err.choice");
        }
        let alias = Some(alias.trim().to_owned()).filter(|a| !a.is_empty());
        errs.into_result(NewPerpetrator {
            kind: kind.trim().to_owned(),
            name,
            alias,
            nik,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorLink {
    pub perpetrator_id: i64,
    pub kind: String,
    pub initials: String,
    pub name: Option<String>,
    pub role: String,
    /// On a case page, when the perpetrator was decided to be one with records elsewhere:
    /// how many of the network's cases lie outside the viewer's scope, and where.
    pub elsewhere: Option<Elsewhere>,
}

/// The cases of a perpetrator's network outside the viewer's scope: a count and province
/// names only, never codes or identities.
#[derive(Debug, Clone, Serialize)]
pub struct Elsewhere {
    pub cases: i64,
    pub regions: Vec<String>,
}

/// A case of one side of a perpetrator pair, as the pair shows it (only cases in the
/// viewer's scope).
#[derive(Debug, Clone, Serialize)]
pub struct PairCase {
    pub case_id: CaseId,
    pub code: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub role: String,
}

/// One side of a perpetrator pair. Names and NIK only where the viewer may see them.
#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorPairSide {
    pub perpetrator_id: i64,
    pub kind: String,
    pub initials: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    /// Set once the record was decided to be one with others.
    pub network_id: Option<i64>,
    pub cases: Vec<PairCase>,
}

impl PerpetratorPairSide {
    /// The region names of its cases, each once, in order ("—" when none is named).
    pub fn regions(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for c in &self.cases {
            let n = c.region_name.as_deref().unwrap_or("—");
            if !names.contains(&n) {
                names.push(n);
            }
        }
        names.join(", ")
    }
}

/// A perpetrator pair in the verifiers' list (initials, kind, regions and case codes).
#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorPairRow {
    pub id: i64,
    pub probability: f64,
    pub status: String,
    pub found_at_ms: i64,
    pub a: PerpetratorPairSide,
    pub b: PerpetratorPairSide,
}

/// A perpetrator pair side by side with the comparison's explanation.
#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorPairView {
    pub id: i64,
    pub probability: f64,
    pub weight: f64,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub explanation: Vec<crate::linkage::ExplainLine>,
    pub a: PerpetratorPairSide,
    pub b: PerpetratorPairSide,
}

impl PerpetratorPairView {
    pub fn percent(&self) -> String {
        format!("{:.1}%", self.probability * 100.0)
    }
}

impl PerpetratorPairRow {
    pub fn percent(&self) -> String {
        format!("{:.0}%", self.probability * 100.0)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorCase {
    pub case_id: CaseId,
    pub code: String,
    pub reported_on: i64,
    pub role: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PerpetratorView {
    pub id: i64,
    pub kind: String,
    pub initials: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    /// The cases this actor may see, newest first.
    pub cases: Vec<PerpetratorCase>,
}

impl Store {
    /// Links of a case to its perpetrators (names only for identity roles).
    pub(crate) async fn case_perpetrators(
        &self,
        id: CaseId,
        identities: bool,
    ) -> Result<Vec<PerpetratorLink>> {
        let rows: Vec<PerpetratorLinkRecord> = sqlx::query_as(
            "SELECT p.id, p.kind, p.initials, p.name_enc, cp.role FROM case_perpetrators cp JOIN perpetrators p ON p.id = cp.perpetrator_id \
             WHERE cp.case_id = $1 ORDER BY p.id, cp.role",
        )
        .bind(id.0)
        .fetch_all(self.pool())
        .await?;
        let k = if identities {
            Some(self.keyring()?)
        } else {
            None
        };
        rows.into_iter().map(|r| r.into_link(k)).collect()
    }

    /// `AND EXISTS` a case linked to perpetrator `p.id` (or the bound id `perpetrator`) in
    /// the actor's scope, and, when `identities`, one whose identities the actor may see:
    /// owned by the actor's unit or opened to them by an unexpired break-the-glass grant
    /// (the rule of `identity_access`, whose role check the callers make first).
    fn push_visible_case(
        &self,
        q: &mut Sql,
        actor: &Actor,
        perpetrator: Option<i64>,
        identities: bool,
    ) {
        q.push(" AND EXISTS (SELECT 1 FROM case_perpetrators vp JOIN cases c ON c.id = vp.case_id WHERE vp.perpetrator_id = ");
        match perpetrator {
            Some(id) => {
                q.bind_int(id);
            }
            None => {
                q.push("p.id");
            }
        }
        q.scope("c.region_code", &actor.scope);
        if identities {
            q.push(" AND (c.unit_id = ").bind_int(actor.unit_id.0);
            if let Some(user) = actor.user_id {
                q.push(" OR EXISTS (SELECT 1 FROM identity_grants g WHERE g.case_id = c.id AND g.user_id = ")
                    .bind_int(user.0)
                    .push(" AND g.expires_at > ")
                    .bind_int(self.now_ms())
                    .push(")");
            }
            q.push(")");
        }
        q.push(")");
    }

    /// Whether perpetrator `id` is visible to the actor (`Ok(false)`: not at all) and whether
    /// their identity is (`Ok(true)` only with both), read through `conn`.
    async fn perpetrator_access(
        &self,
        conn: &mut sqlx::AnyConnection,
        actor: &Actor,
        id: i64,
    ) -> Result<(bool, bool)> {
        let mut q = Sql::new("SELECT COUNT(*) FROM perpetrators p WHERE p.id = ");
        q.bind_int(id);
        self.push_visible_case(&mut q, actor, Some(id), false);
        let visible: i64 = q.build_scalar().fetch_one(&mut *conn).await?;
        if visible == 0 {
            return Ok((false, false));
        }
        if decide(actor, Action::ViewIdentity, &actor.scope).is_err() {
            return Ok((true, false));
        }
        let mut q = Sql::new("SELECT COUNT(*) FROM perpetrators p WHERE p.id = ");
        q.bind_int(id);
        self.push_visible_case(&mut q, actor, Some(id), true);
        let identities: i64 = q.build_scalar().fetch_one(&mut *conn).await?;
        Ok((true, identities > 0))
    }

    /// Existing perpetrators with the same NIK or the same name words, among those whose
    /// identity the actor may see (a search on identity fields must not confirm a hidden
    /// identity). Audited by kind, never with the terms.
    pub async fn find_perpetrators(
        &self,
        actor: &Actor,
        name: &str,
        nik: Option<&domain::nik::Nik>,
    ) -> Result<Vec<PerpetratorLink>> {
        decide(actor, Action::ViewIdentity, &actor.scope)?;
        let k = self.keyring()?;
        let search_kind = if nik.is_some() { "nik" } else { "name" };
        let mut q =
            Sql::new("SELECT p.id, p.kind, p.initials, p.name_enc FROM perpetrators p WHERE ");
        let mut empty = false;
        if let Some(n) = nik {
            q.push("p.nik_index = ")
                .bind_text(k.blind_index("nik", n.as_str()));
        } else {
            let tokens = name_tokens(name);
            empty = tokens.is_empty();
            q.push("1=1");
            for t in tokens {
                q.push(" AND EXISTS (SELECT 1 FROM perpetrator_name_tokens nt WHERE nt.perpetrator_id = p.id AND nt.token = ")
                    .bind_text(k.blind_index("perp_name", &t))
                    .push(")");
            }
        }
        self.push_visible_case(&mut q, actor, None, true);
        q.push(" ORDER BY p.id LIMIT 10");
        let found = if empty {
            Vec::new()
        } else {
            q.build_as::<PerpetratorLinkRecord>()
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .map(|r| r.into_link(Some(k)))
                .collect::<Result<Vec<_>>>()?
        };
        // What was searched for is personal data: record the kind of search, never the value.
        let ev = Event {
            action: AuditAction::PerpetratorSearch,
            record_type: "perpetrator",
            record_id: String::new(),
            detail: format!("by={search_kind} hits={}", found.len()),
        };
        self.audit(actor, ev).await?;
        Ok(found)
    }

    /// Records a new perpetrator and links them to the case in `role`.
    pub async fn add_perpetrator(
        &self,
        actor: &Actor,
        case: CaseId,
        p: &NewPerpetrator,
        role: &str,
    ) -> Result<i64> {
        self.case_access(actor, case, Action::EditCase).await?;
        let allowed = self.allow(actor, Action::ViewIdentity, &actor.scope)?;
        if !self.picklists().await?.has("perpetrator_role", role) {
            return Err(Invalid::one("perp_role", "err.choice").into());
        }
        let k = self.keyring()?;
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, case).await?;
        self.check_editable_in(&mut tx, case).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO perpetrators (kind, name_enc, alias_enc, nik_enc, nik_index, initials, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(p.kind.clone())
        .bind(k.encrypt("perpetrators.name", &p.name)?)
        .bind(k.encrypt_opt("perpetrators.alias", p.alias.as_deref())?)
        .bind(k.encrypt_opt("perpetrators.nik", p.nik.as_ref().map(|n| n.as_str()))?)
        .bind(p.nik.as_ref().map(|n| k.blind_index("nik", n.as_str())))
        .bind(domain::case::initials(&p.name))
        .bind(actor.user_id.map(|u| u.0))
        .bind(self.now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let mut tokens = name_tokens(&p.name);
        if let Some(a) = &p.alias {
            tokens.extend(name_tokens(a));
        }
        tokens.sort();
        tokens.dedup();
        for t in tokens {
            sqlx::query("INSERT INTO perpetrator_name_tokens (token, perpetrator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(k.blind_index("perp_name", &t))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO case_perpetrators (case_id, perpetrator_id, role) VALUES ($1, $2, $3)",
        )
        .bind(case.0)
        .bind(id)
        .bind(role.to_owned())
        .execute(&mut *tx)
        .await?;
        let ev = Event {
            action: AuditAction::CasePerpetratorAdd,
            record_type: "case",
            record_id: case.to_string(),
            detail: format!("perpetrator={id} role={role}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        self.after_perpetrator_saved(id).await;
        Ok(id)
    }

    /// Links an existing perpetrator to the case in `role`.
    pub async fn link_perpetrator(
        &self,
        actor: &Actor,
        case: CaseId,
        perpetrator: i64,
        role: &str,
    ) -> Result<()> {
        self.case_access(actor, case, Action::EditCase).await?;
        let allowed = self.allow(actor, Action::ViewIdentity, &actor.scope)?;
        if !self.picklists().await?.has("perpetrator_role", role) {
            return Err(Invalid::one("perp_role", "err.choice").into());
        }
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, case).await?;
        self.check_editable_in(&mut tx, case).await?;
        // Only a perpetrator the actor may see (404 like an unknown id), and only one whose
        // identity they may see: the link makes it theirs to read through their own case.
        match self.perpetrator_access(&mut tx, actor, perpetrator).await? {
            (false, _) => return Err(StoreError::NotFound),
            (true, false) => return Err(StoreError::Forbidden),
            (true, true) => {}
        }
        sqlx::query("INSERT INTO case_perpetrators (case_id, perpetrator_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(case.0)
            .bind(perpetrator)
            .bind(role.to_owned())
            .execute(&mut *tx)
            .await?;
        let ev = Event {
            action: AuditAction::CasePerpetratorLink,
            record_type: "case",
            record_id: case.to_string(),
            detail: format!("perpetrator={perpetrator} role={role}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn unlink_perpetrator(
        &self,
        actor: &Actor,
        case: CaseId,
        perpetrator: i64,
    ) -> Result<()> {
        let allowed = self.case_allow(actor, case, Action::EditCase).await?;
        let mut tx = self.write(allowed).await?;
        self.lock_case(&mut tx, case).await?;
        self.check_editable_in(&mut tx, case).await?;
        let n =
            sqlx::query("DELETE FROM case_perpetrators WHERE case_id = $1 AND perpetrator_id = $2")
                .bind(case.0)
                .bind(perpetrator)
                .execute(&mut *tx)
                .await?;
        if n.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ev = Event {
            action: AuditAction::CasePerpetratorUnlink,
            record_type: "case",
            record_id: case.to_string(),
            detail: format!("perpetrator={perpetrator}"),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A perpetrator with the cases of theirs the actor may see; 404 when none is visible.
    pub async fn perpetrator(&self, actor: &Actor, id: i64) -> Result<PerpetratorView> {
        decide(actor, Action::ViewCase, &actor.scope)?;
        let mut q = Sql::new(
            "SELECT c.id, c.code, c.reported_on, cp.role FROM case_perpetrators cp JOIN cases c ON c.id = cp.case_id WHERE cp.perpetrator_id = ",
        );
        q.bind_int(id);
        q.scope("c.region_code", &actor.scope);
        q.push(" ORDER BY c.reported_on DESC, c.id DESC LIMIT 500");
        let cases: Vec<PerpetratorCase> = q
            .build_as::<PerpetratorCaseRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(PerpetratorCase::from)
            .collect();
        if cases.is_empty() {
            return Err(StoreError::NotFound);
        }
        let r: PerpetratorRecord = sqlx::query_as(
            "SELECT kind, initials, name_enc, alias_enc, nik_enc FROM perpetrators WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let mut conn = self.pool().acquire().await?;
        let (_, identities) = self.perpetrator_access(&mut conn, actor, id).await?;
        drop(conn);
        let k = if identities {
            Some(self.keyring()?)
        } else {
            None
        };
        let dec = |col: &str, v: Option<String>| -> Result<Option<String>> {
            match (k, v) {
                (Some(k), Some(v)) => Ok(Some(k.decrypt(col, &v)?)),
                _ => Ok(None),
            }
        };
        let view = PerpetratorView {
            id,
            kind: r.kind,
            initials: r.initials,
            name: dec("perpetrators.name", r.name_enc)?,
            alias: dec("perpetrators.alias", r.alias_enc)?,
            nik: dec("perpetrators.nik", r.nik_enc)?,
            cases,
        };
        let action = if identities {
            AuditAction::PerpetratorIdentityView
        } else {
            AuditAction::PerpetratorView
        };
        self.audit(
            actor,
            Event {
                action,
                record_type: "perpetrator",
                record_id: id.to_string(),
                detail: String::new(),
            },
        )
        .await?;
        Ok(view)
    }
}
