//! Complaints from the public (*pengaduan*, issue 14): who is at risk, where a complaint
//! stands, why it was closed, and what a sender may send. The store keeps the states as
//! these strings; the pages word them (plainly, for the sender).

use crate::validation::{FieldError, Invalid};
use crate::value::{day, text};

crate::str_enum::str_enum! {
    /// Who the sender says is at risk.
    #[strum(serialize_all = "snake_case")]
    pub enum AtRisk {
        /// The sender herself or himself.
        Myself,
        /// Another adult.
        Adult,
        /// A child.
        Child,
        /// Several people.
        Group,
        Unknown,
    }
}

crate::str_enum::str_enum! {
    /// Where a complaint stands.
    #[strum(serialize_all = "snake_case")]
    pub enum ComplaintStatus {
        /// Waiting in the intake queue of the task force it reached.
        Received,
        /// An intake officer has read it.
        InReview,
        /// Sent on to the task force of another region (waiting in its queue).
        Referred,
        /// A case was opened from it.
        CaseOpened,
        /// It was added to a case already on record.
        Attached,
        /// Closed with a reason.
        Closed,
    }
}

impl ComplaintStatus {
    /// Still waiting for an intake decision.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ComplaintStatus::Received | ComplaintStatus::InReview | ComplaintStatus::Referred
        )
    }
}

crate::str_enum::str_enum! {
    /// Why a complaint was closed (told to the sender in plain words).
    #[strum(serialize_all = "snake_case")]
    pub enum CloseReason {
        /// What is described is not trafficking in persons (the sender is pointed elsewhere).
        NotTrafficking,
        /// Too little to act on; the sender may add information.
        Insufficient,
        /// Already handled through another report.
        Duplicate,
        /// Handled by another agency.
        HandledElsewhere,
    }
}

/// Longest complaint text (characters): a message's cap, whose error names it.
pub const WHAT: text::Limit = text::MESSAGE;
/// Longest contact line (a phone number or an e-mail address).
pub const CONTACT: text::Limit = text::SHORT;
/// Longest added information.
pub const INFO: text::Limit = text::NOTE;

/// A complaint as the form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct ComplaintInput {
    /// What happened.
    pub what: String,
    /// Where: a province or regency code, or empty.
    pub region: String,
    /// When (a day, or empty).
    pub happened_on: String,
    pub at_risk: String,
    /// How to reach the sender (optional: a complaint may be anonymous).
    pub contact: String,
}

/// A complaint read and checked (the region's existence is the store's check).
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub what: String,
    pub region: Option<crate::RegionCode>,
    pub happened_on: Option<day::Day>,
    pub at_risk: AtRisk,
    pub contact: Option<String>,
}

impl NewComplaint {
    /// Reads the form: every problem on its field. `today` bounds the day it happened.
    pub fn parse(i: &ComplaintInput, today: day::Day) -> Result<NewComplaint, Invalid> {
        let mut errs = Invalid::default();
        let what = errs.take(text::multiline("what", &i.what, WHAT));
        let region = errs
            .take(crate::region::opt_place("region", &i.region))
            .flatten();
        let happened_on = errs
            .take(day::opt_day("happened_on", &i.happened_on))
            .flatten();
        if happened_on.is_some_and(|d| d > today) {
            errs.push("happened_on", "err.date_future");
        }
        let at_risk = match i.at_risk.trim() {
            "" => Some(AtRisk::Unknown),
            s => AtRisk::parse(s).or_else(|| {
                errs.push("at_risk", "err.choice");
                None
            }),
        };
        let contact = errs.take(text::opt_line("contact", &i.contact, CONTACT));
        match (what, at_risk, contact) {
            (Some(what), Some(at_risk), Some(contact)) if errs.is_empty() => Ok(NewComplaint {
                what,
                region,
                happened_on,
                at_risk,
                contact,
            }),
            _ => Err(errs),
        }
    }
}

/// Information a sender adds to her complaint.
pub fn parse_info(s: &str) -> Result<String, FieldError> {
    text::multiline("info", s, INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ComplaintInput {
        ComplaintInput {
            what: "Tetangga saya dijanjikan kerja di Malaysia, paspornya ditahan agen.".into(),
            region: "53.71".into(),
            happened_on: "2026-11-30".into(),
            at_risk: "adult".into(),
            contact: String::new(),
        }
    }

    #[test]
    fn a_complaint_is_read_with_every_problem_on_its_field() {
        let today = day::parse("2026-12-08").unwrap();
        let c = NewComplaint::parse(&input(), today).unwrap();
        assert_eq!(c.region.unwrap().as_str(), "53.71");
        assert_eq!(c.at_risk, AtRisk::Adult);
        assert!(c.contact.is_none(), "anonymous");
        let bad = ComplaintInput {
            what: "  ".into(),
            region: "53.71.01.1001".into(),
            happened_on: "2027-01-01".into(),
            at_risk: "alien".into(),
            contact: "x".repeat(CONTACT.max() + 1),
        };
        let e = NewComplaint::parse(&bad, today).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["what", "region", "happened_on", "at_risk", "contact"]
        );
        let none = ComplaintInput {
            region: String::new(),
            at_risk: String::new(),
            ..input()
        };
        let c = NewComplaint::parse(&none, today).unwrap();
        assert!(c.region.is_none());
        assert_eq!(c.at_risk, AtRisk::Unknown);
    }
}
