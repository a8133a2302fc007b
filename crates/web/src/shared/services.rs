//! Services of a victim's plan as both the plan and a take-over referral handle them: the
//! label of a service type, the service form and the API body for a new service.

use crate::http::i18n::Locale;
use crate::shared::forms::{Fields, day_field, field};
use serde::{Deserialize, Serialize};
use store::NewService;
use utoipa::ToSchema;

/// A service's label in the page's language (the code itself when unknown).
pub(crate) fn service_label(types: &[store::ServiceType], code: &str, lang: &str) -> String {
    if code == "takeover" {
        return Locale::parse(lang)
            .unwrap_or(Locale::Id)
            .t("referral.kind.takeover")
            .to_owned();
    }
    types
        .iter()
        .find(|t| t.code == code)
        .map(|t| t.label(lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The service form's fields (shared by the plan and a take-over referral).
pub(crate) fn new_service(f: &Fields, errs: &mut domain::Invalid) -> NewService {
    NewService {
        service_code: field(f, "service_code").trim().to_owned(),
        unit_id: field(f, "unit_id").trim().parse().ok(),
        requested_on: day_field(f, "requested_on", errs),
        due_on: day_field(f, "due_on", errs),
    }
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ServiceIn {
    pub service_code: String,
    /// The unit responsible for the service: a unit whose region contains the case's (a unit
    /// elsewhere is asked with a referral); through a take-over referral, the receiving unit
    /// or a unit of its region.
    pub unit_id: Option<i64>,
    /// YYYY-MM-DD, default today.
    pub requested_on: String,
    /// YYYY-MM-DD, default: requested + the service's default days.
    pub due_on: String,
}
