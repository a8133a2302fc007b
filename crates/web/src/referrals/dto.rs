//! Request bodies and query parameters of the referrals API.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReferralIn {
    /// The receiving unit (any region, any agency; not the caller's own).
    pub to_unit: Option<i64>,
    /// service (default: deliver one service) or takeover (the follow-up moves to the receiver)
    pub kind: String,
    /// Required for kind service.
    pub service_code: String,
    /// What the receiver may see besides initials, sex and age: identity, contact, case_facts, services, legal
    pub shared: Vec<String>,
    /// consent (an active referral consent must be recorded) or a legal exception from the `referral_basis` picklist
    pub basis: String,
    /// Required (10+ characters) with a legal exception.
    pub basis_note: String,
    pub message: String,
    /// YYYY-MM-DD, default: today + the service's default days.
    pub due_on: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ReferralsQuery {
    /// incoming (default), outgoing, or escalated (overdue referrals touching the caller's region)
    pub which: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct ReferralActionIn {
    /// accept, decline (reason required), deliver (receiver); withdraw (sender, while sent or accepted); close (either side, once delivered)
    pub op: String,
    pub reason: String,
}

#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(default)]
pub struct MessageIn {
    pub body: String,
}
