//! Bodies of the perpetrator-pair API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct PerpetratorPairsQuery {
    /// pending (default), same or different
    pub status: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct PerpetratorPairDecisionIn {
    /// same, different or undo
    pub decision: String,
}

/// A case one side of a pair appears in (only cases in the caller's scope).
#[derive(Serialize, ToSchema)]
pub struct PerpetratorPairCaseOut {
    pub case_id: i64,
    pub code: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub role: String,
}

/// One side of a perpetrator pair (identity fields null without identity access).
#[derive(Serialize, ToSchema)]
pub struct PerpetratorPairSideOut {
    pub perpetrator_id: i64,
    /// person or organisation
    pub kind: String,
    pub initials: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub nik: Option<String>,
    /// Shared by the records decided to be one perpetrator.
    pub network_id: Option<i64>,
    pub cases: Vec<PerpetratorPairCaseOut>,
}

impl From<store::PerpetratorPairSide> for PerpetratorPairSideOut {
    fn from(s: store::PerpetratorPairSide) -> Self {
        PerpetratorPairSideOut {
            perpetrator_id: s.perpetrator_id,
            kind: s.kind,
            initials: s.initials,
            name: s.name,
            alias: s.alias,
            nik: s.nik,
            network_id: s.network_id,
            cases: s
                .cases
                .into_iter()
                .map(|c| PerpetratorPairCaseOut {
                    case_id: c.case_id.0,
                    code: c.code,
                    region_code: c.region_code,
                    region_name: c.region_name,
                    role: c.role,
                })
                .collect(),
        }
    }
}

/// A proposed or decided pair of perpetrator records (no identities).
#[derive(Serialize, ToSchema)]
pub struct PerpetratorPairRowOut {
    pub id: i64,
    /// Match probability, 0–1.
    pub probability: f64,
    /// pending, same or different
    pub status: String,
    pub found_at_ms: i64,
    pub a: PerpetratorPairSideOut,
    pub b: PerpetratorPairSideOut,
}

impl From<store::PerpetratorPairRow> for PerpetratorPairRowOut {
    fn from(p: store::PerpetratorPairRow) -> Self {
        PerpetratorPairRowOut {
            id: p.id,
            probability: p.probability,
            status: p.status,
            found_at_ms: p.found_at_ms,
            a: p.a.into(),
            b: p.b.into(),
        }
    }
}

/// How one field compared, and its weight in the score (bits).
#[derive(Serialize, ToSchema)]
pub struct PerpetratorExplainLineOut {
    pub field: String,
    pub level: String,
    pub weight: f64,
}

/// Both records of a perpetrator pair and the explanation of its score.
#[derive(Serialize, ToSchema)]
pub struct PerpetratorPairOut {
    pub id: i64,
    pub probability: f64,
    pub weight: f64,
    /// pending, same or different
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at_ms: Option<i64>,
    pub explanation: Vec<PerpetratorExplainLineOut>,
    pub a: PerpetratorPairSideOut,
    pub b: PerpetratorPairSideOut,
}

impl From<store::PerpetratorPairView> for PerpetratorPairOut {
    fn from(p: store::PerpetratorPairView) -> Self {
        PerpetratorPairOut {
            id: p.id,
            probability: p.probability,
            weight: p.weight,
            status: p.status,
            decided_by: p.decided_by,
            decided_at_ms: p.decided_at_ms,
            explanation: p
                .explanation
                .into_iter()
                .map(|e| PerpetratorExplainLineOut {
                    field: e.field,
                    level: e.level,
                    weight: e.weight,
                })
                .collect(),
            a: p.a.into(),
            b: p.b.into(),
        }
    }
}
