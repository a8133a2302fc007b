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
    info(title = "Gugus API", version = "1", description = "Gugus: integrated information system of Indonesia's anti-trafficking task forces. Authenticate with `Authorization: Bearer gug_…` (create a token under My account; it lives 90 days unless the instance sets another lifetime, and a read-only token may only GET). An expired or revoked token is refused with 401 and the code `token_expired` or `token_revoked`. Errors: `{\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"code\", \"message\"}]}}`."),
    modifiers(&BearerAuth),
    tags((name = "regions", description = "Kemendagri region reference"), (name = "units", description = "Organisations"), (name = "users", description = "Accounts"), (name = "audit", description = "Audit trail"), (name = "cases", description = "TPPO cases and victims"), (name = "news", description = "The news desk (articles on the public site)"))
)]
pub struct ApiDoc;

/// The OpenAPI 3 document as JSON.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::regions::RegionsDoc::openapi());
    doc.merge(crate::units::UnitsDoc::openapi());
    doc.merge(crate::news::NewsDoc::openapi());
    doc.merge(crate::accounts::AccountsDoc::openapi());
    doc.merge(crate::audit::AuditDoc::openapi());
    doc.merge(crate::cases::CasesDoc::openapi());
    doc.merge(crate::review::ClearingDoc::openapi());
    doc.merge(crate::stats::StatisticsDoc::openapi());
    doc.merge(crate::perpetrators::PerpetratorPairsDoc::openapi());
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use serde_json::{Value, json};
    use std::collections::HashSet;

    /// What is wrong with one schema of a body, if anything: an object with no properties
    /// (`body = Object`), a map of anything or a schema that admits any value (both stand
    /// for an untyped `serde_json::Value`).
    fn untyped(s: &Value) -> Option<&'static str> {
        let Some(o) = s.as_object() else {
            return (s != &json!(false)).then_some("a schema that admits any value");
        };
        let shaped = [
            "$ref",
            "type",
            "allOf",
            "oneOf",
            "anyOf",
            "items",
            "properties",
            "enum",
            "const",
        ];
        if !shaped.iter().any(|k| o.contains_key(*k)) {
            return Some("a schema that admits any value");
        }
        let is_object = match &s["type"] {
            Value::String(t) => t == "object",
            Value::Array(ts) => ts.iter().any(|t| t == "object"),
            _ => false,
        };
        let has_properties = s["properties"].as_object().is_some_and(|p| !p.is_empty());
        match s.get("additionalProperties") {
            Some(Value::Bool(true)) => Some("a map of any values"),
            Some(Value::Object(m)) if m.is_empty() => Some("a map of any values"),
            Some(_) => None,
            None if is_object && !has_properties => Some("an object without properties"),
            None => None,
        }
    }

    /// Walks a body's schema through references, properties, items and compositions.
    fn walk(s: &Value, doc: &Value, at: &str, seen: &mut HashSet<String>, bad: &mut Vec<String>) {
        if let Some(r) = s["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            if seen.insert(name.to_owned()) {
                match doc["components"]["schemas"].get(name) {
                    Some(t) => walk(t, doc, &format!("{at} → {name}"), seen, bad),
                    None => bad.push(format!("{at}: {r} is not in the document")),
                }
            }
            return;
        }
        if let Some(why) = untyped(s) {
            bad.push(format!("{at}: {why}"));
        }
        if let Some(props) = s["properties"].as_object() {
            for (k, p) in props {
                walk(p, doc, &format!("{at}.{k}"), seen, bad);
            }
        }
        for k in ["items", "additionalProperties"] {
            if s[k].is_object() {
                walk(&s[k], doc, &format!("{at}[]"), seen, bad);
            }
        }
        for k in ["allOf", "oneOf", "anyOf"] {
            for p in s[k].as_array().into_iter().flatten() {
                walk(p, doc, at, seen, bad);
            }
        }
    }

    /// Every body the document describes, as (where, schema).
    fn bodies(doc: &Value) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let mut contents = vec![("request".to_owned(), &op["requestBody"]["content"])];
                for (status, r) in op["responses"].as_object().into_iter().flatten() {
                    contents.push((status.clone(), &r["content"]));
                }
                for (which, content) in contents {
                    for (ctype, media) in content.as_object().into_iter().flatten() {
                        let at = format!("{} {path} {which} ({ctype})", method.to_uppercase());
                        out.push((at, &media["schema"]));
                    }
                }
            }
        }
        out
    }

    fn untyped_bodies(doc: &Value) -> Vec<String> {
        let mut bad = Vec::new();
        for (at, schema) in bodies(doc) {
            walk(schema, doc, &at, &mut HashSet::new(), &mut bad);
        }
        bad
    }

    #[test]
    fn every_body_in_the_document_is_typed() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        assert!(bodies(&doc).len() > 40, "the walk found the bodies");
        let bad = untyped_bodies(&doc);
        assert!(bad.is_empty(), "untyped bodies:\n{}", bad.join("\n"));
        // Days are documented as dates.
        let date = &doc["components"]["schemas"]["Date"];
        assert_eq!(
            (&date["type"], &date["format"]),
            (&json!("string"), &json!("date"))
        );
    }

    #[test]
    fn the_walk_catches_untyped_bodies() {
        let body = |schema: Value| {
            json!({"paths": {"/x": {"get": {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}}},
                   "components": {"schemas": {"Loose": {"type": "object"}, "Row": {"type": "object", "properties": {"extra": {}}}}}})
        };
        for schema in [
            json!({"type": "object"}),
            json!({}),
            json!({"type": "object", "additionalProperties": true}),
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Loose"}}),
            json!({"$ref": "#/components/schemas/Row"}),
            json!({"$ref": "#/components/schemas/Missing"}),
        ] {
            assert_eq!(untyped_bodies(&body(schema.clone())).len(), 1, "{schema}");
        }
        for schema in [
            json!({"type": "object", "properties": {"id": {"type": "integer"}}}),
            json!({"type": "object", "additionalProperties": {"type": "string"}}),
            json!({"type": ["string", "null"], "format": "date"}),
        ] {
            assert!(untyped_bodies(&body(schema.clone())).is_empty(), "{schema}");
        }
    }
}
