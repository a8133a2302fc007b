//! Units: the organisations people work in (a task force, a UPTD PPA service unit, a police
//! office, an NGO …), each at a region or at the national level.

use crate::region::RegionCode;
use crate::validation::{Invalid, required_text};
use crate::value::text;

crate::str_enum::str_enum! {
    #[strum(serialize_all = "snake_case")]
    pub enum UnitKind {
        TaskForce,
        ServiceUnit,
        Police,
        Prosecutor,
        SocialAffairs,
        Health,
        Manpower,
        MigrantAgency,
        Immigration,
        Ngo,
        Other,
    }
}

impl UnitKind {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUnit {
    pub name: String,
    pub kind: UnitKind,
    /// `None` = a national unit.
    pub region: Option<RegionCode>,
}

impl NewUnit {
    /// Parses raw input; an empty region means national. Whether the region exists is
    /// checked by the store (it reports `region_code` as a field error too).
    pub fn parse(name: &str, kind: &str, region: &str) -> Result<NewUnit, Invalid> {
        let mut errs = Invalid::default();
        let name = required_text(&mut errs, "name", name, text::NAME_MAX);
        let kind = UnitKind::parse(kind);
        if kind.is_none() {
            errs.push("kind", "err.choice");
        }
        let region = if region.trim().is_empty() {
            None
        } else {
            let r = RegionCode::parse(region).ok();
            if r.is_none() {
                errs.push("region_code", "err.region_code");
            }
            r
        };
        match kind {
            Some(kind) if errs.is_empty() => Ok(NewUnit { name, kind, region }),
            _ => Err(errs),
        }
    }
}
