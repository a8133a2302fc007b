//! Bodies and query parameters of the regions API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct RegionOut {
    /// Kemendagri code, dotted (e.g. `62.71`).
    pub code: String,
    pub parent_code: Option<String>,
    /// province, regency, district or village
    pub level: String,
    pub name: String,
    /// provinsi, kabupaten, kota, kecamatan, desa, kelurahan, desa_adat
    pub kind: String,
    /// Where it lies: the names of its district, regency and province (search results
    /// only), to tell apart places of the same name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
}

impl From<store::Region> for RegionOut {
    fn from(r: store::Region) -> Self {
        RegionOut {
            code: r.code,
            parent_code: r.parent_code,
            level: r.level.as_str().into(),
            name: r.name,
            kind: r.kind,
            place: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegionDetailOut {
    #[serde(flatten)]
    pub region: RegionOut,
    pub ancestors: Vec<RegionOut>,
    pub children: Vec<RegionOut>,
    pub attribution: &'static str,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// Name fragment or code prefix. Empty: the provinces.
    pub q: Option<String>,
    /// At most this many results (1–100, default 20).
    pub limit: Option<i64>,
}
