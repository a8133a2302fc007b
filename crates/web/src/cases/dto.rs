//! Bodies and query parameters of the cases API: cases with their victims, route, legal
//! track, consents and perpetrators.

use crate::http::json::Date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A victim as the API accepts it (all text, as a form would send it).
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct VictimIn {
    pub name: String,
    pub alias: String,
    /// 16 digits.
    pub nik: String,
    pub phone: String,
    /// female or male
    pub sex: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// Years, when the birth date is unknown.
    pub age_estimate: String,
    /// Village code, e.g. 53.04.01.2001
    pub home_village: String,
    pub education: String,
    pub occupation: String,
    pub disability: String,
    /// none, cpmi or pmi
    pub migrant_status: String,
    /// ISO 3166 alpha-3, default IDN.
    pub citizenship: String,
}

/// A case as the API accepts it. Picklist codes are listed at `/api/v1/picklists`.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    pub channel: String,
    /// YYYY-MM-DD
    pub reported_on: String,
    pub exploitation_from: String,
    pub rescued_on: String,
    pub chronology: String,
    /// possible, confirmed or not_trafficking
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    /// ISIC section letter
    pub sector: String,
    pub recruitment: String,
    pub recruiter_relationship: String,
    pub victims: Vec<VictimIn>,
    /// For PUT: the version that was read (the edit is refused with 409 if it changed).
    pub version: Option<i64>,
}

impl From<CaseIn> for domain::case::CaseInput {
    fn from(c: CaseIn) -> Self {
        domain::case::CaseInput {
            channel: c.channel,
            reported_on: c.reported_on,
            exploitation_from: c.exploitation_from,
            rescued_on: c.rescued_on,
            chronology: c.chronology,
            trafficking_status: c.trafficking_status,
            exploitation: c.exploitation,
            means_of_control: c.means_of_control,
            sector: c.sector,
            recruitment: c.recruitment,
            recruiter_relationship: c.recruiter_relationship,
            victims: c
                .victims
                .into_iter()
                .map(|v| domain::case::VictimInput {
                    name: v.name,
                    alias: v.alias,
                    nik: v.nik,
                    phone: v.phone,
                    sex: v.sex,
                    birth_date: v.birth_date,
                    age_estimate: v.age_estimate,
                    home_village: v.home_village,
                    education: v.education,
                    occupation: v.occupation,
                    disability: v.disability,
                    migrant_status: v.migrant_status,
                    citizenship: v.citizenship,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VictimOut {
    pub id: i64,
    pub initials: String,
    /// Null unless the caller's role may see identities.
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    pub phone: Option<String>,
    pub sex: String,
    pub birth_date: Option<Date>,
    pub age_estimate: Option<i64>,
    pub is_child: bool,
    pub home_village: Option<String>,
    pub education: Option<String>,
    pub occupation: Option<String>,
    pub disability: Option<String>,
    pub migrant_status: Option<String>,
    pub citizenship: String,
    pub nik_warnings: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseOut {
    pub id: i64,
    pub code: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: Option<String>,
    pub channel: String,
    pub reported_on: Date,
    pub exploitation_from: Option<Date>,
    pub rescued_on: Option<Date>,
    /// Null unless the caller's role may see identities.
    pub chronology: Option<String>,
    pub trafficking_status: String,
    pub exploitation: Vec<String>,
    pub means_of_control: Vec<String>,
    pub sector: Option<String>,
    pub recruitment: Option<String>,
    pub recruiter_relationship: Option<String>,
    pub status: String,
    pub close_reason: Option<String>,
    pub version: i64,
    pub identities_visible: bool,
    pub victims: Vec<VictimOut>,
    pub route: Vec<RouteEventOut>,
    pub legal: LegalOut,
    pub consents: Vec<ConsentOut>,
    pub perpetrators: Vec<PerpetratorLinkOut>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentOut {
    pub id: i64,
    pub victim_id: i64,
    /// data_recording, services, referral, law_enforcement, media, research
    pub scope: String,
    /// victim, parent, guardian, companion
    pub given_by: String,
    pub given_on: Date,
    pub withdrawn_on: Option<Date>,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorLinkOut {
    pub perpetrator_id: i64,
    /// person or organisation
    pub kind: String,
    pub initials: String,
    /// Null unless the caller's role may see identities.
    pub name: Option<String>,
    pub role: String,
    /// When the perpetrator was decided to be one with records elsewhere: the network's
    /// cases outside the caller's scope (a count and province names only).
    pub elsewhere: Option<PerpetratorElsewhereOut>,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorElsewhereOut {
    pub cases: i64,
    pub regions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RouteEventOut {
    pub id: i64,
    /// recruitment, departure, transit, exploitation, detection, return
    pub kind: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    /// ISO 3166 alpha-3
    pub country: Option<String>,
    pub city: Option<String>,
    pub date_from: Option<Date>,
    pub date_to: Option<Date>,
}

#[derive(Serialize, ToSchema)]
pub struct StageOut {
    pub id: i64,
    /// report, inquiry, investigation, p21, prosecution, verdict, final, appeal
    pub stage: String,
    pub happened: Date,
}

#[derive(Serialize, ToSchema)]
pub struct LegalOut {
    pub police_report_no: Option<String>,
    pub police_unit: Option<String>,
    /// Articles of UU 21/2007 charged.
    pub articles: Vec<u32>,
    pub sentence_months: Option<i64>,
    /// Rupiah.
    pub restitution_ordered: Option<i64>,
    pub stages: Vec<StageOut>,
}

impl From<store::CaseView> for CaseOut {
    fn from(c: store::CaseView) -> Self {
        let day = Date;
        CaseOut {
            id: c.id.0,
            code: c.code,
            unit_id: c.unit_id.0,
            unit_name: c.unit_name,
            region_code: c.region_code,
            channel: c.channel,
            reported_on: day(c.reported_on),
            exploitation_from: c.exploitation_from.map(day),
            rescued_on: c.rescued_on.map(day),
            chronology: c.chronology,
            trafficking_status: c.trafficking_status,
            exploitation: c.exploitation,
            means_of_control: c.means_of_control,
            sector: c.sector,
            recruitment: c.recruitment,
            recruiter_relationship: c.recruiter_relationship,
            status: c.status,
            close_reason: c.close_reason,
            version: c.version,
            identities_visible: c.identities_visible,
            route: c
                .route
                .into_iter()
                .map(|e| RouteEventOut {
                    id: e.id,
                    kind: e.kind,
                    region_code: e.region_code,
                    region_name: e.region_name,
                    country: e.country,
                    city: e.city,
                    date_from: e.date_from.map(day),
                    date_to: e.date_to.map(day),
                })
                .collect(),
            legal: LegalOut {
                police_report_no: c.legal.police_report_no,
                police_unit: c.legal.police_unit,
                articles: c.legal.articles,
                sentence_months: c.legal.sentence_months,
                restitution_ordered: c.legal.restitution_ordered,
                stages: c
                    .legal
                    .stages
                    .into_iter()
                    .map(|s| StageOut {
                        id: s.id,
                        stage: s.stage,
                        happened: day(s.happened),
                    })
                    .collect(),
            },
            consents: c
                .consents
                .into_iter()
                .map(|k| ConsentOut {
                    id: k.id,
                    victim_id: k.victim_id,
                    scope: k.scope,
                    given_by: k.given_by,
                    given_on: day(k.given_on),
                    withdrawn_on: k.withdrawn_on.map(day),
                })
                .collect(),
            perpetrators: c
                .perpetrators
                .into_iter()
                .map(PerpetratorLinkOut::from)
                .collect(),
            victims: c
                .victims
                .into_iter()
                .map(|v| VictimOut {
                    id: v.id,
                    initials: v.initials,
                    name: v.name,
                    alias: v.alias,
                    nik: v.nik,
                    phone: v.phone,
                    sex: v.sex,
                    birth_date: v.birth_date.map(day),
                    age_estimate: v.age_estimate,
                    is_child: v.is_child,
                    home_village: v.home_village,
                    education: v.education,
                    occupation: v.occupation,
                    disability: v.disability,
                    migrant_status: v.migrant_status,
                    citizenship: v.citizenship,
                    nik_warnings: v.nik_warnings,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseRowOut {
    pub id: i64,
    pub code: String,
    pub reported_on: Date,
    pub region_code: Option<String>,
    pub trafficking_status: String,
    pub status: String,
    /// Review stage: draft, submitted, returned, verified or cleared.
    pub review_state: String,
    pub victims: i64,
    /// Victims' initials, e.g. "Y. T., M. B."
    pub initials: String,
}

#[derive(Serialize, ToSchema)]
pub struct CasePageOut {
    pub rows: Vec<CaseRowOut>,
    /// Another page follows.
    pub more: bool,
    /// How many cases match, counted up to 10,000 (10,001 means more than that).
    pub total: i64,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct CaseParams {
    /// Region subtree (code).
    pub region: String,
    /// Reported from (YYYY-MM-DD).
    pub from: String,
    /// Reported until (YYYY-MM-DD).
    pub to: String,
    pub exploitation: String,
    pub status: String,
    pub trafficking_status: String,
    pub channel: String,
    /// female or male (any victim)
    pub sex: String,
    /// child or adult (any victim)
    pub child: String,
    /// Review stage: draft, submitted, returned, verified or cleared.
    pub review: String,
    /// Drill-down from the statistics: a dimension (see `/api/v1/statistics/breakdown`) …
    pub stat: String,
    /// … and its value (empty: not recorded).
    pub val: String,
    /// `exploitation`: `from`/`to` are on the exploitation date.
    pub basis: String,
    /// Case code prefix; NIK or name for roles that see identities.
    pub q: String,
    /// newest (default), oldest or code
    pub sort: String,
    /// From 0.
    pub page: i64,
    /// 1–200, default 50.
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PicklistOut {
    pub list: String,
    pub code: String,
    /// The HTCDS v2.0 value this code maps to (empty when HTCDS has none).
    pub htcds: String,
    pub label_id: String,
    pub label_en: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct RouteEventIn {
    /// recruitment, departure, transit, exploitation, detection, return
    pub kind: String,
    /// An Indonesian region code, or leave empty and give a country.
    pub region_code: String,
    /// ISO 3166 alpha-3 (see the `country` picklist).
    pub country: String,
    pub city: String,
    pub date_from: String,
    pub date_to: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct LegalIn {
    pub police_report_no: String,
    pub police_unit: String,
    /// e.g. "2, 4, 10"
    pub articles: String,
    pub sentence_months: String,
    /// Rupiah, digits with or without thousands dots.
    pub restitution_ordered: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct StageIn {
    pub stage: String,
    /// YYYY-MM-DD
    pub happened: String,
}

impl From<store::PerpetratorLink> for PerpetratorLinkOut {
    fn from(p: store::PerpetratorLink) -> Self {
        PerpetratorLinkOut {
            perpetrator_id: p.perpetrator_id,
            kind: p.kind,
            initials: p.initials,
            name: p.name,
            role: p.role,
            elsewhere: p.elsewhere.map(|e| PerpetratorElsewhereOut {
                cases: e.cases,
                regions: e.regions,
            }),
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct StatusIn {
    /// open or closed
    pub status: String,
    /// Required to close: recovered, referred, not_trafficking, duplicate, other
    pub close_reason: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    pub victim_id: i64,
    pub scope: String,
    pub given_by: String,
    /// YYYY-MM-DD
    pub given_on: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct PerpetratorIn {
    /// Link this existing perpetrator (find them with GET /api/v1/perpetrators) …
    pub perpetrator_id: Option<i64>,
    /// … or record a new one: person or organisation
    pub kind: String,
    pub name: String,
    pub alias: String,
    pub nik: String,
    /// recruiter, broker, p3mi, transporter, harbourer, employer, financier, official, other
    pub role: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PerpetratorQuery {
    /// Name words (all must match).
    pub name: String,
    /// Or an exact NIK.
    pub nik: String,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorCaseOut {
    pub case_id: i64,
    pub code: String,
    pub reported_on: Date,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct PerpetratorOut {
    pub id: i64,
    pub kind: String,
    pub initials: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    /// The cases in the caller's scope.
    pub cases: Vec<PerpetratorCaseOut>,
}
