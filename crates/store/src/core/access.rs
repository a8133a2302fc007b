//! Access helpers that several features ask before they read or write: who may see a
//! case's identities, and the case, owner and scope behind a victim.

use crate::core::ids::CaseId;
use crate::{Result, Store, StoreError};
use domain::{Action, Actor, RegionCode, Scope, UnitId, decide};
use sqlx::AnyConnection;

/// How a viewer stands towards a case's identities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityAccess {
    /// The role never sees identities.
    Never,
    /// Outside the owning unit: possible by breaking the glass.
    BreakGlass,
    Granted,
}

impl Store {
    /// Identities belong to the unit that registered the case. Others whose role sees
    /// identities, within scope, must break the glass (a written reason, audited, shown to
    /// the owning unit), which opens them for a few hours.
    pub(crate) async fn identity_access(
        &self,
        actor: &Actor,
        id: CaseId,
        owner: UnitId,
        scope: &Scope,
    ) -> Result<IdentityAccess> {
        if decide(actor, Action::ViewIdentity, scope).is_err() {
            return Ok(IdentityAccess::Never);
        }
        if actor.unit_id == owner {
            return Ok(IdentityAccess::Granted);
        }
        let Some(user) = actor.user_id else {
            return Ok(IdentityAccess::BreakGlass);
        };
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM identity_grants WHERE case_id = $1 AND user_id = $2 AND expires_at > $3")
            .bind(id.0)
            .bind(user.0)
            .bind(self.now_ms())
            .fetch_one(self.pool())
            .await?;
        Ok(if n > 0 {
            IdentityAccess::Granted
        } else {
            IdentityAccess::BreakGlass
        })
    }

    /// The victim's case, its scope and owner (404 when there is no such victim).
    pub(crate) async fn victim_case(&self, victim: i64) -> Result<VictimCase> {
        let (case_id, initials, code, unit_id, region): (i64, String, String, i64, Option<String>) =
            sqlx::query_as(
                "SELECT v.case_id, v.initials, c.code, c.unit_id, c.region_code FROM victims v JOIN cases c ON c.id = v.case_id WHERE v.id = $1",
            )
            .bind(victim)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(VictimCase {
            case_id: CaseId(case_id),
            case_code: code,
            owner: UnitId(unit_id),
            scope: Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok())),
            initials,
        })
    }

    /// Where a unit is (`None` when there is no such unit).
    pub(crate) async fn unit_scope(&self, id: i64) -> Result<Option<Scope>> {
        let r: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_code FROM units WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(r.map(scope_of))
    }

    /// Locks a case row for the write (PostgreSQL; on SQLite the write transaction already
    /// holds the database), so the checks made inside the write stay true until it commits.
    pub(crate) async fn lock_case(&self, conn: &mut AnyConnection, id: CaseId) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Serialises writers of one victim's recovery records: a row lock on PostgreSQL; on
    /// SQLite the write transaction (`BEGIN IMMEDIATE`) already holds the database.
    pub(crate) async fn lock_victim(&self, conn: &mut AnyConnection, victim: i64) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT id FROM victims WHERE id = $1 FOR UPDATE")
                .bind(victim)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

/// The case, owner and scope behind a victim.
pub(crate) struct VictimCase {
    pub case_id: CaseId,
    pub case_code: String,
    pub owner: UnitId,
    pub scope: Scope,
    pub initials: String,
}

/// The scope of an optional region code.
pub(crate) fn scope_of(region: Option<String>) -> Scope {
    Scope::from_code(region.as_deref().and_then(|c| RegionCode::parse(c).ok()))
}
