//! Bodies and query parameters of the units API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct UnitOut {
    pub id: i64,
    pub name: String,
    pub kind: String,
    /// Absent for national units.
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub user_count: i64,
}

impl From<store::Unit> for UnitOut {
    fn from(u: store::Unit) -> Self {
        UnitOut {
            id: u.id.0,
            name: u.name,
            kind: u.kind,
            region_code: u.region_code,
            region_name: u.region_name,
            user_count: u.user_count,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    pub name: String,
    /// task_force, service_unit, police, prosecutor, social_affairs, health, manpower, migrant_agency, immigration, ngo, other
    pub kind: String,
    /// Empty or absent for a national unit.
    pub region_code: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Name fragment.
    pub q: Option<String>,
    /// Only units inside this region.
    pub region: Option<String>,
}
