//! Rows of the reference tables (regions, units, picklists) as this folder's queries
//! select them, mapped by column name.

use super::Region;
use super::picklists::PicklistItem;
use super::units::Unit;
use crate::StoreError;
use domain::{RegionLevel, UnitId};

#[derive(sqlx::FromRow)]
pub(super) struct RegionRecord {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: i64,
    pub name: String,
    pub kind: String,
}

impl TryFrom<RegionRecord> for Region {
    type Error = StoreError;
    fn try_from(r: RegionRecord) -> Result<Self, StoreError> {
        Ok(Region {
            code: r.code,
            parent_code: r.parent_code,
            level: RegionLevel::from_depth(r.level)
                .ok_or_else(|| StoreError::Other("bad region level".into()))?,
            name: r.name,
            kind: r.kind,
        })
    }
}

/// A unit with its region's name and how many users it has (the columns of `UNIT_SELECT`).
#[derive(sqlx::FromRow)]
pub(super) struct UnitRecord {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub user_count: i64,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_person: Option<String>,
}

impl From<UnitRecord> for Unit {
    fn from(r: UnitRecord) -> Self {
        Unit {
            id: UnitId(r.id),
            name: r.name,
            kind: r.kind,
            region_code: r.region_code,
            region_name: r.region_name,
            user_count: r.user_count,
            contact: domain::unit::UnitContact {
                address: r.address,
                phone: r.phone,
                email: r.email,
                contact_person: r.contact_person,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct PicklistRecord {
    pub list: String,
    pub code: String,
    pub htcds: String,
    pub label_id: String,
    pub label_en: String,
}

impl From<PicklistRecord> for PicklistItem {
    fn from(r: PicklistRecord) -> Self {
        PicklistItem {
            list: r.list,
            code: r.code,
            htcds: r.htcds,
            label_id: r.label_id,
            label_en: r.label_en,
        }
    }
}
