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
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_person: Option<String>,
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
            address: u.contact.address,
            phone: u.contact.phone,
            email: u.contact.email,
            contact_person: u.contact.contact_person,
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
    pub address: String,
    /// Digits, spaces and `+ - ( )`, 6–20 digits.
    pub phone: String,
    pub email: String,
    pub contact_person: String,
}

impl UnitIn {
    /// The same reading as the page form's.
    pub(crate) fn parse(self) -> Result<domain::unit::NewUnit, domain::Invalid> {
        super::pages::UnitForm {
            name: self.name,
            kind: self.kind,
            region_code: self.region_code,
            address: self.address,
            phone: self.phone,
            email: self.email,
            contact_person: self.contact_person,
        }
        .parse()
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Name fragment.
    pub q: Option<String>,
    /// Only units inside this region.
    pub region: Option<String>,
}
