//! The review workflow of a case record: draft → submitted (by the unit's data officer) →
//! verified (by a verifier of the province above) → cleared (by a national clearing officer).
//! Only cleared records count in official statistics. A reviewer can return a record to its
//! unit with notes; the unit corrects and submits again. Review is always the level above
//! and never the submitting unit ([`refusal`]): a provincial unit, a unit whose province has
//! no verifier and a national unit submit straight to national, where clearing also
//! verifies; a regency's own verifier has no review step.

use crate::ids::UnitId;
use crate::{Action, RegionCode, RegionLevel, Scope};
use serde::Serialize;

crate::str_enum::str_enum! {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReviewState {
        Draft,
        Submitted,
        Returned,
        Verified,
        Cleared,
    }
}

impl ReviewState {
    /// The unit may change the record only while it holds it.
    pub fn editable(self) -> bool {
        matches!(self, ReviewState::Draft | ReviewState::Returned)
    }
}

crate::str_enum::str_enum! {
    /// Who reviews a submitted record first.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReviewLevel {
        Province,
        National,
    }
}

impl ReviewLevel {}

crate::str_enum::str_enum! {
    /// The level of the unit that took a review step, stored with the step (the case shows
    /// who actually acted, not who was expected to).
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ActingLevel {
        National,
        Province,
        Regency,
        District,
        Village,
    }
}

impl ActingLevel {
    /// The level of a unit (or an actor) at `scope`.
    pub fn of(scope: &Scope) -> ActingLevel {
        match scope.region().map(RegionCode::level) {
            None => ActingLevel::National,
            Some(RegionLevel::Province) => ActingLevel::Province,
            Some(RegionLevel::Regency) => ActingLevel::Regency,
            Some(RegionLevel::District) => ActingLevel::District,
            Some(RegionLevel::Village) => ActingLevel::Village,
        }
    }
}

/// A record waiting longer than this many days in a review queue is overdue: shown as such
/// in the queue and on the reviewer's home page, and filtered by "overdue only". (No
/// regulation sets the figure; two weeks is what the task forces' monthly reporting cycle
/// leaves for two levels of review.)
pub const REVIEW_DUE_DAYS: i64 = 14;

/// Where a submission goes first: a unit below a province that has an active verifier goes
/// to that province; a provincial unit (nobody at its own level reviews it), a unit in a
/// province without a verifier and a national unit go straight to national.
pub fn first_review_level(unit: &Scope, province_has_verifier: bool) -> ReviewLevel {
    match unit.region().map(RegionCode::level) {
        Some(l) if l > RegionLevel::Province && province_has_verifier => ReviewLevel::Province,
        _ => ReviewLevel::National,
    }
}

/// The review chain's one rule, for every step but submission: a reviewer acts only on a
/// record of another unit, from the level above it. Verifying (and returning a record
/// waiting at the province) is a provincial verifier's, on a unit strictly inside the
/// province; clearing (and returning at national) is national's. National is the top: a
/// national unit's own submission is cleared by national, never by the submitting unit.
/// `None` when allowed, else the message key of the refusal.
pub fn refusal(
    action: ReviewAction,
    state: ReviewState,
    level: Option<ReviewLevel>,
    reviewer: (&Scope, UnitId),
    record: (&Scope, UnitId),
) -> Option<&'static str> {
    if action == ReviewAction::Submit {
        return None;
    }
    if reviewer.1 == record.1 {
        return Some("refused.own_unit");
    }
    let above = match action.permission(state, level) {
        Action::VerifyCase => {
            ActingLevel::of(reviewer.0) == ActingLevel::Province
                && reviewer.0.contains(record.0)
                && reviewer.0 != record.0
        }
        _ => *reviewer.0 == Scope::National,
    };
    (!above).then_some("refused.not_above")
}

crate::str_enum::str_enum! {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    #[strum(serialize_all = "snake_case")]
    pub enum ReviewAction {
        Submit,
        Verify,
        Clear,
        Return,
    }
}

impl ReviewAction {
    /// The authorization action a reviewer needs for this step, given where the record is.
    pub fn permission(self, state: ReviewState, level: Option<ReviewLevel>) -> Action {
        match (self, state) {
            (ReviewAction::Submit, _) => Action::SubmitCase,
            (ReviewAction::Verify, _) => Action::VerifyCase,
            (ReviewAction::Clear, _) => Action::ClearCase,
            (ReviewAction::Return, ReviewState::Submitted)
                if level != Some(ReviewLevel::National) =>
            {
                Action::VerifyCase
            }
            (ReviewAction::Return, _) => Action::ClearCase,
        }
    }
}

/// The state after `action`, or the message key of why it is not possible now.
pub fn next_state(
    state: ReviewState,
    level: Option<ReviewLevel>,
    action: ReviewAction,
) -> Result<ReviewState, &'static str> {
    use ReviewAction as A;
    use ReviewState as S;
    match (action, state) {
        (A::Submit, S::Draft | S::Returned) => Ok(S::Submitted),
        (A::Verify, S::Submitted) if level == Some(ReviewLevel::Province) => Ok(S::Verified),
        (A::Clear, S::Verified) => Ok(S::Cleared),
        (A::Clear, S::Submitted) if level == Some(ReviewLevel::National) => Ok(S::Cleared),
        (A::Return, S::Submitted | S::Verified | S::Cleared) => Ok(S::Returned),
        _ => Err("conflict.review_step"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReviewAction as A;
    use ReviewState as S;

    #[test]
    fn the_provincial_path() {
        let p = Some(ReviewLevel::Province);
        assert_eq!(next_state(S::Draft, None, A::Submit), Ok(S::Submitted));
        assert_eq!(next_state(S::Submitted, p, A::Verify), Ok(S::Verified));
        assert_eq!(next_state(S::Verified, p, A::Clear), Ok(S::Cleared));
        // A provincial record must be verified before it is cleared.
        assert!(next_state(S::Submitted, p, A::Clear).is_err());
    }

    #[test]
    fn the_national_path_skips_verification() {
        let n = Some(ReviewLevel::National);
        assert_eq!(next_state(S::Submitted, n, A::Clear), Ok(S::Cleared));
        assert!(next_state(S::Submitted, n, A::Verify).is_err());
    }

    #[test]
    fn returns_and_resubmission() {
        for s in [S::Submitted, S::Verified, S::Cleared] {
            assert_eq!(next_state(s, None, A::Return), Ok(S::Returned));
        }
        assert!(next_state(S::Draft, None, A::Return).is_err());
        assert!(next_state(S::Returned, None, A::Return).is_err());
        assert_eq!(next_state(S::Returned, None, A::Submit), Ok(S::Submitted));
        assert!(next_state(S::Cleared, None, A::Submit).is_err());
        assert!(S::Draft.editable() && S::Returned.editable());
        assert!(!S::Submitted.editable() && !S::Cleared.editable());
    }

    #[test]
    fn who_returns_depends_on_where_the_record_is() {
        let p = Some(ReviewLevel::Province);
        let n = Some(ReviewLevel::National);
        assert_eq!(A::Return.permission(S::Submitted, p), Action::VerifyCase);
        assert_eq!(A::Return.permission(S::Submitted, n), Action::ClearCase);
        assert_eq!(A::Return.permission(S::Verified, p), Action::ClearCase);
    }

    fn region(s: &str) -> Scope {
        Scope::Region(RegionCode::parse(s).unwrap())
    }

    #[test]
    fn review_is_the_level_above_and_never_the_own_unit() {
        let p = Some(ReviewLevel::Province);
        let n = Some(ReviewLevel::National);
        let (kalteng, pky, nat) = (region("62"), region("62.71"), Scope::National);
        let (u1, u2) = (UnitId(1), UnitId(2));
        // The province verifies a regency's submission; never its own unit's or its level's.
        assert_eq!(
            refusal(A::Verify, S::Submitted, p, (&kalteng, u1), (&pky, u2)),
            None
        );
        assert_eq!(
            refusal(A::Return, S::Submitted, p, (&kalteng, u1), (&pky, u2)),
            None
        );
        assert_eq!(
            refusal(A::Verify, S::Submitted, p, (&kalteng, u1), (&kalteng, u2)),
            Some("refused.not_above")
        );
        // A regency verifier does not verify its own unit nor another unit of its regency.
        assert_eq!(
            refusal(A::Verify, S::Submitted, p, (&pky, u1), (&pky, u1)),
            Some("refused.own_unit")
        );
        assert_eq!(
            refusal(
                A::Return,
                S::Submitted,
                p,
                (&pky, u1),
                (&region("62.71.01"), u2)
            ),
            Some("refused.not_above")
        );
        // National clears and returns; its own unit's records never.
        assert_eq!(
            refusal(A::Clear, S::Verified, p, (&nat, u1), (&pky, u2)),
            None
        );
        assert_eq!(
            refusal(A::Return, S::Submitted, n, (&nat, u1), (&kalteng, u2)),
            None
        );
        assert_eq!(
            refusal(A::Clear, S::Submitted, n, (&nat, u1), (&nat, u2)),
            None
        );
        assert_eq!(
            refusal(A::Clear, S::Submitted, n, (&nat, u1), (&nat, u1)),
            Some("refused.own_unit")
        );
        assert_eq!(
            refusal(A::Clear, S::Verified, p, (&kalteng, u1), (&pky, u2)),
            Some("refused.not_above")
        );
    }

    #[test]
    fn submissions_go_to_the_province_only_from_below_it() {
        assert_eq!(
            first_review_level(&region("62.71"), true),
            ReviewLevel::Province
        );
        assert_eq!(
            first_review_level(&region("62.71.01"), true),
            ReviewLevel::Province
        );
        assert_eq!(
            first_review_level(&region("62.71"), false),
            ReviewLevel::National
        );
        assert_eq!(
            first_review_level(&region("62"), true),
            ReviewLevel::National
        );
        assert_eq!(
            first_review_level(&Scope::National, true),
            ReviewLevel::National
        );
        assert_eq!(ActingLevel::of(&Scope::National), ActingLevel::National);
        assert_eq!(ActingLevel::of(&region("62.71")), ActingLevel::Regency);
    }
}
