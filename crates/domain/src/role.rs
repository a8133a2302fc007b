//! The roles a Gugus account can hold. A user has exactly one role, in one unit.

use serde::{Deserialize, Serialize};

crate::str_enum::str_enum! {
    #[derive(PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum Role {
        /// Manages units, accounts and settings within the unit's region subtree.
        Admin,
        /// Enters and submits case data for the unit.
        DataOfficer,
        /// Verifies and clears data submitted by units below.
        Verifier,
        /// Follows victims through services.
        CaseWorker,
        /// Works in a partner agency that receives referrals.
        PartnerOfficer,
        /// Sees aggregates only, never identities.
        Analyst,
        /// Read-only access to non-identifying information.
        Viewer,
        /// Writes and publishes the unit's news on the public site (public relations,
        /// *humas*); sees no case, only the aggregate statistics.
        Editor,
    }
}

impl Role {
    /// Roles whose work needs victims' identities (used by the "require 2FA" setting).
    pub fn sees_identities(self) -> bool {
        matches!(
            self,
            Role::Admin
                | Role::DataOfficer
                | Role::Verifier
                | Role::CaseWorker
                | Role::PartnerOfficer
        )
    }
}
