//! The JSON API under `/api/v1` as one document. Each feature serves its own API routes
//! (`<feature>/api.rs`, bodies in `<feature>/dto.rs`) with the same store calls as its
//! pages; this module only assembles the OpenAPI document from the features' parts
//! (utoipa annotations on the handlers, never written by hand) and serves it. The bodies
//! are re-exported here so `web::api::…` keeps naming them.

use crate::Routes;
use crate::http::error::WebError;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use crate::accounts::dto::{UserIn, UserOut};
pub use crate::audit::dto::{AuditOut, AuditParams};
pub use crate::cases::dto::{
    CaseIn, CaseOut, CasePageOut, CaseParams, CaseRowOut, ConsentIn, ConsentOut, LegalIn, LegalOut,
    PerpetratorCaseOut, PerpetratorIn, PerpetratorLinkOut, PerpetratorOut, PerpetratorQuery,
    PicklistOut, RouteEventIn, RouteEventOut, StageIn, StageOut, StatusIn, VictimIn, VictimOut,
};
pub use crate::http::extract::JsonBody;
pub use crate::regions::dto::{RegionDetailOut, RegionOut, RegionQuery};
pub use crate::units::dto::{UnitIn, UnitOut, UnitQuery};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add("/api/v1/openapi.json", &["GET"], get(openapi_json))
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document's frame: description, bearer authentication and the tags in the order
/// they are shown. Each feature documents its own paths and bodies ([`openapi`] merges
/// them).
#[derive(OpenApi)]
#[openapi(
    info(title = "Gugus API", version = "1", description = "Gugus: integrated information system of Indonesia's anti-trafficking task forces. Authenticate with `Authorization: Bearer gug_…` (create a token under My account). Errors: `{\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"code\", \"message\"}]}}`."),
    modifiers(&BearerAuth),
    tags((name = "regions", description = "Kemendagri region reference"), (name = "units", description = "Organisations"), (name = "users", description = "Accounts"), (name = "audit", description = "Audit trail"), (name = "cases", description = "TPPO cases and victims"))
)]
pub struct ApiDoc;

/// The OpenAPI 3 document as JSON.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::regions::RegionsDoc::openapi());
    doc.merge(crate::units::UnitsDoc::openapi());
    doc.merge(crate::accounts::AccountsDoc::openapi());
    doc.merge(crate::audit::AuditDoc::openapi());
    doc.merge(crate::cases::CasesDoc::openapi());
    doc.merge(crate::review::ClearingDoc::openapi());
    doc.merge(crate::recovery::RecoveryDoc::openapi());
    doc.merge(crate::referrals::ReferralsDoc::openapi());
    doc.merge(crate::notifications::NotificationsDoc::openapi());
    doc
}

async fn openapi_json() -> Response {
    match openapi().to_json() {
        Ok(s) => ([(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => WebError::Internal.into_response(),
    }
}
