//! Units: the organisations users belong to. The directory is visible to every user (a
//! unit must be findable to refer a victim to it); creating and editing is for admins of
//! the region above.

use super::records::UnitRecord;
use crate::core::audit::Event;
use crate::core::sql::Sql;
use crate::core::write::Allowed;
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::unit::NewUnit;
use domain::{Action, Actor, Invalid, RegionCode, Scope, UnitId, decide};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: String,
    /// `None` = national.
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub user_count: i64,
    pub contact: domain::unit::UnitContact,
}

impl Unit {
    pub fn scope(&self) -> Scope {
        Scope::from_code(
            self.region_code
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        )
    }
}

// Correlated lookups (not a join) so the plan is an index probe per unit whatever the
// planner's statistics say: a join let PostgreSQL hash all 91,599 regions for 16 units.
const UNIT_SELECT: &str = "SELECT n.id, n.name, n.kind, n.region_code, \
     n.address, n.phone, n.email, n.contact_person, \
     (SELECT r.name FROM regions r WHERE r.code = n.region_code) AS region_name, \
     (SELECT COUNT(*) FROM users u WHERE u.unit_id = n.id) AS user_count \
     FROM units n WHERE 1=1";

impl Store {
    /// The unit directory, optionally limited to a region subtree and a name fragment.
    pub async fn list_units(
        &self,
        actor: &Actor,
        within: Option<&RegionCode>,
        name: &str,
    ) -> Result<Vec<Unit>> {
        decide(actor, Action::ViewUnit, &actor.scope)?;
        let mut q = Sql::new(UNIT_SELECT);
        if let Some(code) = within {
            q.scope("n.region_code", &Scope::Region(code.clone()));
        }
        let name = crate::regions::fold(name);
        if !name.is_empty() {
            q.push(" AND LOWER(n.name) LIKE ")
                .bind_text(format!("%{}%", crate::core::sql::like_escape(&name)))
                .push(" ESCAPE '\\'");
        }
        q.push(" ORDER BY n.region_code IS NOT NULL, n.region_code, n.name LIMIT 1000");
        Ok(q.build_as::<UnitRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(Unit::from)
            .collect())
    }

    /// A page of the unit directory (optionally within a region subtree and matching a
    /// name fragment) and how many units match in all.
    pub async fn find_units(
        &self,
        actor: &Actor,
        within: Option<&RegionCode>,
        name: &str,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<Unit>, i64)> {
        decide(actor, Action::ViewUnit, &actor.scope)?;
        let name = crate::regions::fold(name);
        let filter = |q: &mut Sql| {
            if let Some(code) = within {
                q.scope("n.region_code", &Scope::Region(code.clone()));
            }
            if !name.is_empty() {
                q.push(" AND LOWER(n.name) LIKE ")
                    .bind_text(format!("%{}%", crate::core::sql::like_escape(&name)))
                    .push(" ESCAPE '\\'");
            }
        };
        let per_page = per_page.clamp(1, 200);
        let mut q = Sql::new(UNIT_SELECT);
        filter(&mut q);
        q.push(" ORDER BY n.region_code IS NOT NULL, n.region_code, n.name LIMIT ")
            .bind_int(per_page)
            .push(" OFFSET ")
            .bind_int(page.clamp(0, 100_000) * per_page);
        let rows = q
            .build_as::<UnitRecord>()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(Unit::from)
            .collect();
        let mut c = Sql::new("SELECT COUNT(*) FROM units n WHERE 1=1");
        filter(&mut c);
        let total: i64 = c.build_scalar().fetch_one(self.pool()).await?;
        Ok((rows, total))
    }

    pub async fn unit(&self, actor: &Actor, id: UnitId) -> Result<Unit> {
        let mut q = Sql::new(UNIT_SELECT);
        q.push(" AND n.id = ").bind_int(id.0);
        let unit = q
            .build_as::<UnitRecord>()
            .fetch_optional(self.pool())
            .await?
            .map(Unit::from);
        let unit = unit.ok_or(StoreError::NotFound)?;
        decide(actor, Action::ViewUnit, &unit.scope())?;
        Ok(unit)
    }

    async fn check_unit_target<'a>(&self, actor: &'a Actor, new: &NewUnit) -> Result<Allowed<'a>> {
        if let Some(code) = &new.region
            && !self.region_exists(code).await?
        {
            return Err(Invalid::one("region_code", "err.region_unknown").into());
        }
        match self.allow(
            actor,
            Action::ManageUnit,
            &Scope::from_code(new.region.clone()),
        ) {
            Err(StoreError::NotFound) => {
                Err(Invalid::one("region_code", "err.region_outside_scope").into())
            }
            other => other,
        }
    }

    pub async fn create_unit(&self, actor: &Actor, new: &NewUnit) -> Result<UnitId> {
        let allowed = self.check_unit_target(actor, new).await?;
        let mut tx = self.write(allowed).await?;
        let id: i64 = match sqlx::query_scalar(
            "INSERT INTO units (name, kind, region_code, created_at, address, phone, email, contact_person) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.name.clone())
        .bind(new.kind.as_str())
        .bind(new.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(self.now_ms())
        .bind(new.contact.address.clone())
        .bind(new.contact.phone.clone())
        .bind(new.contact.email.clone())
        .bind(new.contact.contact_person.clone())
        .fetch_one(&mut *tx)
        .await
        {
            Ok(id) => id,
            Err(e) if StoreError::is_unique_violation(&e) => return Err(Invalid::one("name", "err.duplicate").into()),
            Err(e) => return Err(e.into()),
        };
        let region = new
            .region
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default();
        let ev = Event {
            action: AuditAction::UnitCreate,
            record_type: "unit",
            record_id: id.to_string(),
            detail: format!("kind={} region={region}", new.kind.as_str()),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(UnitId(id))
    }

    pub async fn update_unit(&self, actor: &Actor, id: UnitId, new: &NewUnit) -> Result<()> {
        let current = self.unit(actor, id).await?;
        let allowed = self.allow(actor, Action::ManageUnit, &current.scope())?;
        let _target = self.check_unit_target(actor, new).await?;
        let mut tx = self.write(allowed).await?;
        let res = sqlx::query(
            "UPDATE units SET name = $1, kind = $2, region_code = $3, address = $4, phone = $5, \
                 email = $6, contact_person = $7 WHERE id = $8",
        )
        .bind(new.name.clone())
        .bind(new.kind.as_str())
        .bind(new.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(new.contact.address.clone())
        .bind(new.contact.phone.clone())
        .bind(new.contact.email.clone())
        .bind(new.contact.contact_person.clone())
        .bind(id.0)
        .execute(&mut *tx)
        .await;
        match res {
            Ok(_) => {}
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(Invalid::one("name", "err.duplicate").into());
            }
            Err(e) => return Err(e.into()),
        }
        let region = new
            .region
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default();
        let ev = Event {
            action: AuditAction::UnitUpdate,
            record_type: "unit",
            record_id: id.to_string(),
            detail: format!("kind={} region={region}", new.kind.as_str()),
        };
        tx.audit(ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Looks a unit up by exact name (for the demo loader and the CLI).
    pub async fn unit_id_by_name(&self, name: &str) -> Result<Option<UnitId>> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM units WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(self.pool())
            .await?;
        Ok(id.map(UnitId))
    }
}
