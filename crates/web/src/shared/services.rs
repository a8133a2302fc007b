//! Services of a victim's plan as both the plan and a take-over referral handle them: the
//! label of a service type, the service form and the API body for a new service.

use crate::http::i18n::Locale;
use domain::value;
use serde::{Deserialize, Serialize};
use store::{NewService, StoreError};
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

/// The service form as typed (shared by the plan and a take-over referral).
#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub(crate) struct ServiceForm {
    pub(crate) service_code: String,
    pub(crate) unit_id: String,
    pub(crate) requested_on: String,
    pub(crate) due_on: String,
}

impl ServiceForm {
    /// The new service, or every malformed field (a unit id, a day).
    pub(crate) fn parse(&self) -> Result<NewService, StoreError> {
        let mut errs = domain::Invalid::default();
        let s = NewService {
            service_code: self.service_code.trim().to_owned(),
            unit_id: errs.take(value::opt_id("unit_id", &self.unit_id)).flatten(),
            requested_on: errs
                .take(value::opt_day("requested_on", &self.requested_on))
                .flatten(),
            due_on: errs.take(value::opt_day("due_on", &self.due_on)).flatten(),
        };
        crate::shared::forms::checked(errs, s)
    }
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
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
