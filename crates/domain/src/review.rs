//! The review workflow of a case record: draft → submitted (by the unit's data officer) →
//! verified (by a verifier of the province above) → cleared (by a national clearing officer).
//! Only cleared records count in official statistics. A reviewer can return a record to its
//! unit with notes; the unit corrects and submits again. A unit whose province has no
//! verifier submits straight to national, where clearing also verifies.

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
    pub fn permission(self, state: ReviewState, level: Option<ReviewLevel>) -> crate::Action {
        use crate::Action;
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
        use crate::Action;
        let p = Some(ReviewLevel::Province);
        let n = Some(ReviewLevel::National);
        assert_eq!(A::Return.permission(S::Submitted, p), Action::VerifyCase);
        assert_eq!(A::Return.permission(S::Submitted, n), Action::ClearCase);
        assert_eq!(A::Return.permission(S::Verified, p), Action::ClearCase);
    }
}
