//! The roles a Gugus account can hold. A user has exactly one role, in one unit.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::DataOfficer,
        Role::Verifier,
        Role::CaseWorker,
        Role::PartnerOfficer,
        Role::Analyst,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DataOfficer => "data_officer",
            Role::Verifier => "verifier",
            Role::CaseWorker => "case_worker",
            Role::PartnerOfficer => "partner_officer",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

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
