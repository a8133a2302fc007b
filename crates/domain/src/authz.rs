//! Authorization, decided in one pure function. The store calls [`decide`] before every
//! read or write and applies the actor's region scope in its SQL; handlers never decide.
//!
//! Two outcomes of a refusal: `Forbidden` when the role may never do the action
//! (the page exists, the user may not use it: 403), and `NotFound` when the role may act
//! but not on this record, e.g. a record outside the actor's region (404, so the record's
//! existence does not leak).

use crate::ids::{UnitId, UserId};
use crate::region::RegionCode;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Where a user's authority reaches, or where a record lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    National,
    Region(RegionCode),
}

impl Scope {
    pub fn from_code(code: Option<RegionCode>) -> Scope {
        match code {
            Some(c) => Scope::Region(c),
            None => Scope::National,
        }
    }
    pub fn region(&self) -> Option<&RegionCode> {
        match self {
            Scope::National => None,
            Scope::Region(c) => Some(c),
        }
    }
    /// True when `other` lies inside this scope.
    pub fn contains(&self, other: &Scope) -> bool {
        match (self, other) {
            (Scope::National, _) => true,
            (Scope::Region(_), Scope::National) => false,
            (Scope::Region(a), Scope::Region(b)) => a.contains(b),
        }
    }
}

/// Who is acting. Built by the web layer from a session or API token, or by the CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the command line (system) actor.
    pub user_id: Option<UserId>,
    pub username: String,
    pub unit_id: UnitId,
    pub role: Role,
    pub scope: Scope,
    /// Where the request came from (IP address), for the audit trail.
    pub origin: Option<String>,
}

impl Actor {
    /// The operator at the command line: a national administrator.
    pub fn system(unit_id: UnitId) -> Actor {
        Actor {
            user_id: None,
            username: "system:cli".into(),
            unit_id,
            role: Role::Admin,
            scope: Scope::National,
            origin: Some("cli".into()),
        }
    }
}

crate::str_enum::str_enum! {
    /// How a target relates to the actor's scope.
    #[strum(serialize_all = "snake_case")]
    pub enum Relation {
        /// The target is at the actor's own level (same region, or both national).
        Same,
        /// The target lies inside the actor's region.
        Below,
        /// The target lies in a region above the actor's (including national).
        Above,
        /// The target lies in an unrelated region.
        Outside,
    }
}

impl Relation {
    pub fn of(actor: &Scope, target: &Scope) -> Relation {
        if actor == target {
            Relation::Same
        } else if actor.contains(target) {
            Relation::Below
        } else if target.contains(actor) {
            Relation::Above
        } else {
            Relation::Outside
        }
    }
}

crate::str_enum::str_enum! {
    /// Everything a user can try to do. Each later module adds its actions here, so the
    /// golden policy table grows with the product.
    #[strum(serialize_all = "snake_case")]
    pub enum Action {
        /// Browse and search the region reference.
        ViewRegions,
        /// See a unit in the directory (needed to pick a partner for a referral).
        ViewUnit,
        /// Create or edit a unit.
        ManageUnit,
        /// See a staff account (name, e-mail, role).
        ViewUser,
        /// Create, disable or reset the password of an account.
        ManageUser,
        /// Read the audit trail of actors in the scope.
        ViewAudit,
        /// Change instance-wide settings (e.g. requiring two-factor login).
        ManageSettings,
        /// See a case record without identities (code, dates, picklists, victims' initials).
        ViewCase,
        /// See victims' identities (names, NIK, contact, chronology) of a case.
        ViewIdentity,
        /// Register a case or change one.
        EditCase,
        /// Submit the unit's case for review.
        SubmitCase,
        /// Verify (or return) a case submitted by a unit below.
        VerifyCase,
        /// Clear a verified case for official statistics (national level only), or return it.
        ClearCase,
        /// Close and reopen monthly reporting periods.
        ManagePeriods,
        /// See data-quality figures and validation rules.
        ViewQuality,
        /// Decide whether two victim records are the same person (and undo it).
        LinkPersons,
        /// Start a full record-linkage run over all records.
        RunLinkage,
        /// Plan and record a victim's services, send referrals, keep the restitution ledger.
        ManageServices,
        /// Decide whether two perpetrator records are one perpetrator (and undo it); only
        /// on pairs whose both records have a case in the actor's scope (checked in store).
        DecidePerpetratorPair,
        /// See aggregate statistics, maps and the vulnerability index of the scope (never
        /// identities; a perpetrator network shows names only with `ViewIdentity`).
        ViewStatistics,
        /// Import indicator values for the vulnerability index (regions in the subtree).
        ImportIndicators,
        /// Change the vulnerability index's method (a new version; national admins).
        ManageIndexMethod,
        /// Read the public's complaints that reached the task force of a region in the
        /// subtree, and triage them: open a case, attach to a case, refer on, close.
        HandleComplaints,
        /// Write the unit's news articles and send them for review (target: the unit's
        /// region; the store also requires the actor's own unit for an existing article).
        WriteNews,
        /// Publish, return or take down articles of units in the subtree — never one the
        /// actor sent for review (four eyes, checked in the store).
        PublishNews,
    }
}

impl Action {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The role may never do this: 403.
    #[error("forbidden")]
    Forbidden,
    /// Not visible to this actor: 404.
    #[error("not found")]
    NotFound,
}

/// Which relations a role may act on, per action. `None` = the role may never do it.
fn allowed(role: Role, action: Action) -> Option<&'static [Relation]> {
    use Action::*;
    use Relation::*;
    const ANY: &[Relation] = &[Same, Below, Above, Outside];
    const OWN_SUBTREE: &[Relation] = &[Same, Below];
    const OWN_LEVEL: &[Relation] = &[Same];
    match (action, role) {
        (ViewRegions, _) => Some(ANY),
        (ViewUnit, _) => Some(ANY),
        (ManageUnit | ViewUser | ManageUser | ViewAudit, Role::Admin) => Some(OWN_SUBTREE),
        (ManageSettings, Role::Admin) => Some(OWN_LEVEL),
        // Cases: every role sees cases in its subtree, without identities (code and
        // initials); identities only for roles whose work needs them (partner officers will
        // get them through an open referral); entering data for the roles that do it.
        // News editors work on the public site, not on cases.
        (ViewCase, Role::Editor) => None,
        (ViewCase, _) => Some(OWN_SUBTREE),
        (ViewIdentity, Role::Admin | Role::DataOfficer | Role::Verifier | Role::CaseWorker) => {
            Some(OWN_SUBTREE)
        }
        (EditCase, Role::Admin | Role::DataOfficer | Role::CaseWorker) => Some(OWN_SUBTREE),
        // Recovery: the people who follow victims; receiving units act through an open
        // referral (`recovery::referral_side`), not through this table.
        (ManageServices, Role::Admin | Role::DataOfficer | Role::CaseWorker) => Some(OWN_SUBTREE),
        // Review: the unit's data officer submits; a verifier above checks; clearing is the
        // national verifiers' (checked in `decide`); periods and linkage belong to verifiers.
        (SubmitCase, Role::DataOfficer) => Some(OWN_SUBTREE),
        (VerifyCase | ClearCase | ManagePeriods | LinkPersons, Role::Verifier) => Some(OWN_SUBTREE),
        // Perpetrator pairs: verifiers who may see both sides (a national verifier sees
        // every pair; a province verifier those with both records in the province).
        (DecidePerpetratorPair, Role::Verifier) => Some(OWN_SUBTREE),
        (ViewQuality, Role::Admin | Role::DataOfficer | Role::Verifier | Role::Analyst) => {
            Some(OWN_SUBTREE)
        }
        (RunLinkage, Role::Admin | Role::Verifier) => Some(OWN_LEVEL),
        (ViewStatistics, _) => Some(OWN_SUBTREE),
        (ImportIndicators, Role::Admin) => Some(OWN_SUBTREE),
        (ManageIndexMethod, Role::Admin) => Some(OWN_LEVEL),
        // Complaints from the public: the intake officers of the task force they reached
        // (data officers, case workers; admins), not verifiers, analysts or viewers.
        (HandleComplaints, Role::Admin | Role::DataOfficer | Role::CaseWorker) => Some(OWN_SUBTREE),
        // News: the unit's editors (public relations, *humas*) write; editors and admins of
        // the unit's region or above publish what someone else sent.
        (WriteNews, Role::Editor | Role::Admin) => Some(OWN_LEVEL),
        (PublishNews, Role::Editor | Role::Admin) => Some(OWN_SUBTREE),
        _ => None,
    }
}

/// The one decision. `target` is where the record lives; for actions that are not
/// about a record (listing, settings) pass the actor's own scope or `Scope::National`.
pub fn decide(actor: &Actor, action: Action, target: &Scope) -> Result<(), Denied> {
    let relations = allowed(actor.role, action).ok_or(Denied::Forbidden)?;
    if matches!(action, Action::ManageSettings | Action::ManageIndexMethod)
        && *target != Scope::National
    {
        return Err(Denied::NotFound);
    }
    // Clearing and full linkage runs are national tasks: a regional verifier never does them.
    if matches!(action, Action::ClearCase | Action::RunLinkage) && actor.scope != Scope::National {
        return Err(Denied::Forbidden);
    }
    // Verification is the province's step (national clears: four eyes, never both; a
    // regency's verifier has no step of its own — its units' submissions go to the
    // province). Which records a provincial verifier may take is `review::refusal`'s.
    if action == Action::VerifyCase
        && actor.scope.region().map(RegionCode::level) != Some(crate::RegionLevel::Province)
    {
        return Err(Denied::Forbidden);
    }
    if relations.contains(&Relation::of(&actor.scope, target)) {
        Ok(())
    } else {
        Err(Denied::NotFound)
    }
}

/// May the role perform the action at all (somewhere)? Used to build navigation.
pub fn role_may(role: Role, action: Action) -> bool {
    allowed(role, action).is_some()
}

/// The full role × relation × action table as text, compared with a committed golden
/// file by the test suite so every policy change is reviewed as a diff.
pub fn policy_table() -> String {
    let regional = Scope::Region(RegionCode::trusted("62.71"));
    let targets: [(&str, Scope); 5] = [
        ("same", regional.clone()),
        ("below", Scope::Region(RegionCode::trusted("62.71.01"))),
        ("above", Scope::Region(RegionCode::trusted("62"))),
        ("national", Scope::National),
        ("outside", Scope::Region(RegionCode::trusted("53.01"))),
    ];
    let mut out = String::from(
        "# role × actor level × target × action → decision (regenerate: UPDATE_GOLDEN=1)\n",
    );
    for role in Role::ALL {
        for (level, scope) in [("national", Scope::National), ("regency", regional.clone())] {
            let actor = Actor {
                user_id: Some(UserId(1)),
                username: "t".into(),
                unit_id: UnitId(1),
                role,
                scope,
                origin: None,
            };
            for (tname, target) in &targets {
                if level == "national" && matches!(*tname, "above" | "outside") {
                    continue;
                }
                for action in Action::ALL {
                    let d = match decide(&actor, action, target) {
                        Ok(()) => "allow",
                        Err(Denied::Forbidden) => "403",
                        Err(Denied::NotFound) => "404",
                    };
                    out.push_str(&format!(
                        "{:<16} {:<9} {:<9} {:<16} {}\n",
                        role.as_str(),
                        level,
                        tname,
                        action.as_str(),
                        d
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            user_id: Some(UserId(1)),
            username: "t".into(),
            unit_id: UnitId(1),
            role,
            scope,
            origin: None,
        }
    }
    fn region(s: &str) -> Scope {
        Scope::Region(RegionCode::parse(s).unwrap())
    }

    #[test]
    fn admins_manage_only_their_subtree() {
        let a = actor(Role::Admin, region("62"));
        assert_eq!(decide(&a, Action::ManageUser, &region("62.71")), Ok(()));
        assert_eq!(decide(&a, Action::ManageUser, &region("62")), Ok(()));
        assert_eq!(
            decide(&a, Action::ManageUser, &region("53.01")),
            Err(Denied::NotFound)
        );
        assert_eq!(
            decide(&a, Action::ManageUser, &Scope::National),
            Err(Denied::NotFound)
        );
        let n = actor(Role::Admin, Scope::National);
        assert_eq!(decide(&n, Action::ManageUser, &region("53.01")), Ok(()));
    }

    #[test]
    fn other_roles_cannot_manage_accounts() {
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            let a = actor(role, Scope::National);
            assert_eq!(
                decide(&a, Action::ManageUser, &Scope::National),
                Err(Denied::Forbidden)
            );
            assert_eq!(
                decide(&a, Action::ViewAudit, &Scope::National),
                Err(Denied::Forbidden)
            );
        }
    }

    #[test]
    fn settings_are_national_only() {
        assert_eq!(
            decide(
                &actor(Role::Admin, Scope::National),
                Action::ManageSettings,
                &Scope::National
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                &actor(Role::Admin, region("62")),
                Action::ManageSettings,
                &Scope::National
            ),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn only_a_provincial_verifier_verifies() {
        let p = actor(Role::Verifier, region("62"));
        assert_eq!(decide(&p, Action::VerifyCase, &region("62.71")), Ok(()));
        for scope in [region("62.71"), region("62.71.01"), Scope::National] {
            assert_eq!(
                decide(
                    &actor(Role::Verifier, scope),
                    Action::VerifyCase,
                    &region("62.71.01")
                ),
                Err(Denied::Forbidden)
            );
        }
    }

    #[test]
    fn relations() {
        assert_eq!(Relation::of(&region("62"), &region("62")), Relation::Same);
        assert_eq!(
            Relation::of(&region("62"), &region("62.71")),
            Relation::Below
        );
        assert_eq!(
            Relation::of(&region("62.71"), &region("62")),
            Relation::Above
        );
        assert_eq!(
            Relation::of(&region("62.71"), &Scope::National),
            Relation::Above
        );
        assert_eq!(
            Relation::of(&region("62.71"), &region("53")),
            Relation::Outside
        );
        assert_eq!(
            Relation::of(&Scope::National, &region("53")),
            Relation::Below
        );
    }
}
