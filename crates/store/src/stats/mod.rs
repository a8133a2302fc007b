//! Statistics (issue 13): counts, trends, breakdowns and cross-tabs of the victim records
//! in the actor's scope, official (cleared records, persons counted once) beside working
//! (every record in scope). Everything reads `stat_victims` ([`facts`]) or its rollup
//! `stat_cube` ([`cube`], read through [`sums`]), narrowed to the actor's region in SQL
//! like every other read; a region filter outside the scope is "not found".

pub(crate) mod cube;
pub(crate) mod facts;
pub mod index;
pub(crate) mod memo;
pub mod network;
mod population;
pub(crate) mod query;
mod sums;

pub use population::{POPULATION_SOURCE, Population};
pub use query::{Breakdown, BreakdownRow, CrossTab, Statistics, Totals, TransitFlow, TrendPoint};

use domain::RegionCode;
use serde::Serialize;

/// A dimension the statistics group by: a column of `stat_victims`, or a tag list of the
/// case (a case has several forms of exploitation and means of control).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatDim {
    Sex,
    AgeBand,
    Child,
    Citizenship,
    Exploitation,
    MeansOfControl,
    Sector,
    Recruitment,
    Relationship,
    TraffickingStatus,
    DestCountry,
    DestProvince,
    DestRegency,
    HomeProvince,
    HomeRegency,
    Province,
    Regency,
    LegalStage,
    Service,
    ReviewState,
    /// Villages of origin (only within a regency: [`crate::Store::statistics_breakdown_in`]).
    HomeVillage,
}

impl StatDim {
    /// Every dimension, in the order the page shows them.
    pub const ALL: [StatDim; 20] = [
        StatDim::Exploitation,
        StatDim::Sex,
        StatDim::AgeBand,
        StatDim::Child,
        StatDim::Citizenship,
        StatDim::Sector,
        StatDim::Recruitment,
        StatDim::Relationship,
        StatDim::MeansOfControl,
        StatDim::TraffickingStatus,
        StatDim::DestCountry,
        StatDim::DestProvince,
        StatDim::DestRegency,
        StatDim::HomeProvince,
        StatDim::HomeRegency,
        StatDim::Province,
        StatDim::Regency,
        StatDim::LegalStage,
        StatDim::Service,
        StatDim::ReviewState,
    ];

    pub fn key(self) -> &'static str {
        match self {
            StatDim::Sex => "sex",
            StatDim::AgeBand => "age_band",
            StatDim::Child => "child",
            StatDim::Citizenship => "citizenship",
            StatDim::Exploitation => "exploitation",
            StatDim::MeansOfControl => "means_of_control",
            StatDim::Sector => "sector",
            StatDim::Recruitment => "recruitment",
            StatDim::Relationship => "relationship",
            StatDim::TraffickingStatus => "trafficking_status",
            StatDim::DestCountry => "dest_country",
            StatDim::DestProvince => "dest_province",
            StatDim::DestRegency => "dest_regency",
            StatDim::HomeProvince => "home_province",
            StatDim::HomeRegency => "home_regency",
            StatDim::Province => "province",
            StatDim::Regency => "regency",
            StatDim::LegalStage => "legal_stage",
            StatDim::Service => "service",
            StatDim::ReviewState => "review_state",
            StatDim::HomeVillage => "home_village",
        }
    }

    pub fn parse(s: &str) -> Option<StatDim> {
        StatDim::ALL
            .into_iter()
            .chain([StatDim::HomeVillage])
            .find(|d| d.key() == s)
    }

    /// The column of `stat_victims` (`None` for the tag lists).
    pub(crate) fn column(self) -> Option<&'static str> {
        Some(match self {
            StatDim::Sex => "s.sex",
            StatDim::AgeBand => "s.age_band",
            StatDim::Child => "s.child",
            StatDim::Citizenship => "s.citizenship",
            StatDim::Exploitation | StatDim::MeansOfControl => return None,
            StatDim::Sector => "s.sector",
            StatDim::Recruitment => "s.recruitment",
            StatDim::Relationship => "s.relationship",
            StatDim::TraffickingStatus => "s.trafficking_status",
            StatDim::DestCountry => "s.dest_country",
            StatDim::DestProvince => "s.dest_province",
            StatDim::DestRegency => "s.dest_regency",
            StatDim::HomeProvince => "s.home_province",
            StatDim::HomeRegency => "s.home_regency",
            StatDim::Province => "s.province_code",
            StatDim::Regency => "s.regency_code",
            StatDim::LegalStage => "s.legal_stage",
            StatDim::Service => "s.service",
            StatDim::ReviewState => "s.review_state",
            StatDim::HomeVillage => "s.home_village",
        })
    }

    /// The case's tag list this dimension reads (`stat_tags.list`, kept from `case_tags`).
    pub(crate) fn tag_list(self) -> Option<&'static str> {
        match self {
            StatDim::Exploitation => Some("exploitation"),
            StatDim::MeansOfControl => Some("means_of_control"),
            _ => None,
        }
    }

    /// The picklist whose labels name this dimension's values (`None`: regions, bands,
    /// or values named by the page).
    pub fn picklist(self) -> Option<&'static str> {
        match self {
            StatDim::Sex => Some("sex"),
            StatDim::Citizenship => Some("citizenship"),
            StatDim::Exploitation => Some("exploitation"),
            StatDim::MeansOfControl => Some("means_of_control"),
            StatDim::Sector => Some("sector"),
            StatDim::Recruitment => Some("recruitment"),
            StatDim::Relationship => Some("recruiter_relationship"),
            StatDim::TraffickingStatus => Some("trafficking_status"),
            StatDim::DestCountry => Some("country"),
            StatDim::LegalStage => Some("legal_stage"),
            _ => None,
        }
    }

    /// Whether the values are region codes.
    pub fn is_region(self) -> bool {
        matches!(
            self,
            StatDim::DestProvince
                | StatDim::DestRegency
                | StatDim::HomeProvince
                | StatDim::HomeRegency
                | StatDim::Province
                | StatDim::Regency
                | StatDim::HomeVillage
        )
    }
}

/// Which date places a record in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateBasis {
    #[default]
    Report,
    Exploitation,
}

impl DateBasis {
    pub fn key(self) -> &'static str {
        match self {
            DateBasis::Report => "report",
            DateBasis::Exploitation => "exploitation",
        }
    }
    pub fn parse(s: &str) -> Option<DateBasis> {
        match s {
            "report" => Some(DateBasis::Report),
            "exploitation" => Some(DateBasis::Exploitation),
            _ => None,
        }
    }
}

/// How a trend groups periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    #[default]
    Month,
    Quarter,
    Year,
}

impl Granularity {
    pub fn key(self) -> &'static str {
        match self {
            Granularity::Month => "month",
            Granularity::Quarter => "quarter",
            Granularity::Year => "year",
        }
    }
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "month" => Some(Granularity::Month),
            "quarter" => Some(Granularity::Quarter),
            "year" => Some(Granularity::Year),
            _ => None,
        }
    }
}

/// What to count: the page's filters (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct StatFilter {
    /// The registering region's subtree (within the actor's scope).
    pub region: Option<RegionCode>,
    /// First and last day of the period (inclusive), on the date `basis` names.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub basis: DateBasis,
    /// One review state only (`draft`, `submitted`, `returned`, `verified`, `cleared`).
    pub review: Option<domain::review::ReviewState>,
}
