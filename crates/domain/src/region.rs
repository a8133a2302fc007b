//! Kemendagri region codes (`62`, `62.71`, `62.71.01`, `62.71.01.1001`) and the
//! subtree arithmetic that regional scope is built on.

use serde::{Deserialize, Serialize};
use std::fmt;

crate::str_enum::str_enum! {
    /// The four administrative levels below the nation.
    #[derive(PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum RegionLevel {
        Province = 1,
        Regency = 2,
        District = 3,
        Village = 4,
    }
}

impl RegionLevel {
    pub fn from_depth(depth: i64) -> Option<Self> {
        match depth {
            1 => Some(Self::Province),
            2 => Some(Self::Regency),
            3 => Some(Self::District),
            4 => Some(Self::Village),
            _ => None,
        }
    }
    pub fn depth(self) -> i64 {
        self as i64
    }
}

/// A syntactically valid dotted Kemendagri code. Whether the region exists is a
/// question for the store.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a region code (expected e.g. 62, 62.71, 62.71.01 or 62.71.01.1001)")]
pub struct BadRegionCode;

const SEGMENT_LEN: [usize; 4] = [2, 2, 2, 4];

/// A province or regency typed into a public form (a complaint's place, an article's
/// region): `None` when empty, `err.region_not_found` on `field` for anything else that is not
/// a province or regency code (whether it exists is the store's check).
pub fn opt_place(field: &str, s: &str) -> Result<Option<RegionCode>, crate::FieldError> {
    match s.trim() {
        "" => Ok(None),
        r => match RegionCode::parse(r) {
            Ok(c) if matches!(c.level(), RegionLevel::Province | RegionLevel::Regency) => {
                Ok(Some(c))
            }
            _ => Err(crate::FieldError::new(field, "err.region_not_found")),
        },
    }
}

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, BadRegionCode> {
        let s = s.trim();
        let parts: Vec<&str> = s.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return Err(BadRegionCode);
        }
        for (part, len) in parts.iter().zip(SEGMENT_LEN) {
            if part.len() != len || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadRegionCode);
            }
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For literals inside this crate that the unit tests prove valid.
    pub(crate) fn trusted(s: &'static str) -> Self {
        Self(s.to_owned())
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.matches('.').count() {
            0 => RegionLevel::Province,
            1 => RegionLevel::Regency,
            2 => RegionLevel::District,
            _ => RegionLevel::Village,
        }
    }

    pub fn parent(&self) -> Option<RegionCode> {
        self.0
            .rfind('.')
            .map(|i| RegionCode(self.0[..i].to_owned()))
    }

    /// The province this code lies in.
    pub fn province(&self) -> RegionCode {
        RegionCode(self.0[..2].to_owned())
    }

    /// True when `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0 == self.0
            || (other.0.len() > self.0.len()
                && other.0.starts_with(&self.0)
                && other.0.as_bytes()[self.0.len()] == b'.')
    }

    /// Half-open range `[lo, hi)` of codes in this subtree, for an index range scan:
    /// every descendant is `self` followed by `.`, and `/` is the byte after `.`.
    pub fn subtree_bounds(&self) -> (String, String) {
        (self.0.clone(), format!("{}/", self.0))
    }

    /// The 6-digit undotted district prefix used in NIK numbers, for district or village codes.
    pub fn nik_prefix(&self) -> Option<String> {
        if self.level() >= RegionLevel::District {
            Some(self.0[..8].replace('.', ""))
        } else {
            None
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = BadRegionCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn parses_all_levels_and_rejects_garbage() {
        assert_eq!(rc("62").level(), RegionLevel::Province);
        assert_eq!(rc("62.71").level(), RegionLevel::Regency);
        assert_eq!(rc("62.71.01").level(), RegionLevel::District);
        assert_eq!(rc("62.71.01.1001").level(), RegionLevel::Village);
        for bad in [
            "",
            "6",
            "620",
            "62.7",
            "62.71.1",
            "62.71.01.101",
            "62.71.01.1001.1",
            "ab",
            "62-71",
            "62.71.",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn containment_respects_segment_boundaries() {
        assert!(rc("62").contains(&rc("62")));
        assert!(rc("62").contains(&rc("62.71.01.1001")));
        assert!(rc("62.71").contains(&rc("62.71.01")));
        assert!(!rc("62.71").contains(&rc("62.72")));
        assert!(!rc("62.71").contains(&rc("62")));
        assert!(!rc("53").contains(&rc("62.71")));
    }

    #[test]
    fn subtree_bounds_cover_exactly_the_subtree() {
        let (lo, hi) = rc("62.71").subtree_bounds();
        for inside in ["62.71", "62.71.01", "62.71.99.2999"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["62.70.01", "62.72", "62", "63"] {
            assert!(
                !(outside >= lo.as_str() && outside < hi.as_str()),
                "{outside}"
            );
        }
    }

    #[test]
    fn parent_province_and_nik_prefix() {
        assert_eq!(rc("62.71.01.1001").parent(), Some(rc("62.71.01")));
        assert_eq!(rc("62").parent(), None);
        assert_eq!(rc("62.71.01").province(), rc("62"));
        assert_eq!(rc("62.71.01.1001").nik_prefix().as_deref(), Some("627101"));
        assert_eq!(rc("62.71").nik_prefix(), None);
    }
}
