//! The PIC-data workflow: submission, verification, clearing and returns with notes;
//! validation rules on save and on submission; monthly reporting periods that lock cleared
//! records. Every transition is audited and kept in `case_reviews` for the case timeline.

mod after_save;
pub(crate) mod home;
mod import;
mod notes;
mod periods;
mod records;
mod rules;
mod workflow;

pub(crate) mod quality;

pub(crate) use after_save::AfterSaveCounters;
pub use after_save::{AfterSaveStats, QueuePass};
pub use home::HomeWork;
pub(crate) use rules::JUSTIFICATION;

use crate::cases::CaseView;
use crate::core::audit::Event;
use crate::core::error::RuleHit;
use crate::core::ids::CaseId;
use crate::core::sql::Sql;
use crate::{Result, Store, StoreError};
use domain::case::Day;
use domain::review::{ActingLevel, ReviewAction, ReviewLevel, ReviewState, next_state};
use domain::rules::{Facts, Hit, Rule, Severity, Value, evaluate, parse_rules};
use domain::{Action, Actor, RegionCode, Scope, decide};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

const RULES_SEED: &str = include_str!("../../../../data/rules.txt");

/// A note a reviewer attaches to one field when returning a case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldNote {
    pub field: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub code: String,
    pub severity: String,
    pub scope: String,
    pub field: String,
    pub condition: String,
    pub message_id: String,
    pub message_en: String,
    pub active: bool,
    /// How many times the rule fired on a save or a submission, across the country: for
    /// national staff only (a count over every region is not a regional user's to see).
    pub fired: Option<i64>,
    /// Cases that break it now.
    pub open_cases: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewStep {
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub actor_name: String,
    /// The level of the unit that took the step (as it was then).
    pub actor_level: Option<ActingLevel>,
    pub at_ms: i64,
    /// Empty when there is none or when it is withheld from the viewer (`note_hidden`).
    pub note: String,
    /// The fields noted on; each note's text withheld like `note`.
    pub field_notes: Vec<FieldNote>,
    /// The step has note text the viewer may not read (no access to the case's identities).
    pub note_hidden: bool,
    pub changed: Vec<String>,
}

/// Where a case stands in the workflow, for its page.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewInfo {
    pub state: ReviewState,
    /// While submitted: the level that reviews it first.
    pub level: Option<ReviewLevel>,
    /// The level of the unit that took the last step (who verified, cleared or returned it).
    pub acted_level: Option<ActingLevel>,
    pub since_ms: i64,
    pub returns: i64,
    /// Cleared in a closed reporting period.
    pub locked: bool,
    pub steps: Vec<ReviewStep>,
    /// The notes of the last return while the case is back with its unit or resubmitted.
    pub return_notes: Vec<FieldNote>,
    pub return_note: String,
    /// The last return's notes exist but are withheld from the viewer.
    pub return_note_hidden: bool,
    /// Fields changed since the last return.
    pub changed_since_return: Vec<String>,
    pub hits: Vec<RuleHit>,
    /// What the viewer may do now.
    pub can: Vec<ReviewAction>,
}

/// A review step asked for by a user.
#[derive(Debug, Clone, Default)]
pub struct ReviewRequest {
    pub note: String,
    pub field_notes: Vec<FieldNote>,
    /// Justifications of warnings, by [`RuleHit::justification_key`].
    pub justifications: HashMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: CaseId,
    pub code: String,
    pub state: String,
    pub region_code: Option<String>,
    pub unit_name: String,
    pub since_ms: i64,
    pub age_days: i64,
    /// Waiting longer than `domain::review::REVIEW_DUE_DAYS`.
    pub overdue: bool,
    pub returns: i64,
}

/// What a review queue is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only records waiting longer than `domain::review::REVIEW_DUE_DAYS`.
    pub overdue: bool,
    /// Only one unit's records (for reviewers; a unit's own queue is its own).
    pub unit: Option<domain::UnitId>,
    /// Only records in this state.
    pub state: Option<ReviewState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    pub month: String,
    pub closed: bool,
    /// Closed by a level above (e.g. national): locked here too, reopened only there.
    pub closed_above: bool,
    pub changed_by: Option<String>,
    pub changed_at_ms: Option<i64>,
    pub reason: String,
    pub cleared: i64,
    pub pending: i64,
}

/// "2026-03" for a day number.
pub fn month_of(day: Day) -> String {
    let (y, m, _) = domain::time::civil_from_days(day);
    format!("{y:04}-{m:02}")
}

fn parse_month(s: &str) -> Option<(i64, i64)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    ((1990..=2200).contains(&y) && (1..=12).contains(&m) && s.trim().len() == 7).then_some((y, m))
}

/// The region itself and every region above it, and "" for national.
fn ancestors(region: Option<&str>) -> Vec<String> {
    let mut out = vec![String::new()];
    if let Some(r) = region {
        let parts: Vec<&str> = r.split('.').collect();
        for i in 1..=parts.len() {
            out.push(parts[..i].join("."));
        }
    }
    out
}

struct CaseState {
    state: ReviewState,
    level: Option<ReviewLevel>,
    unit_id: i64,
    region: Option<String>,
    province: Option<String>,
    reported_on: Day,
    version: i64,
    /// Since when it is in its state (its creation when it never changed), unix ms.
    since_ms: i64,
    /// How often it was returned.
    returns: i64,
}

impl CaseState {
    /// Where the case lives: its unit's region when it was registered.
    fn scope(&self) -> Scope {
        Scope::from_code(
            self.region
                .as_deref()
                .and_then(|c| RegionCode::parse(c).ok()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_national_to_the_region() {
        assert_eq!(ancestors(None), vec![String::new()]);
        assert_eq!(
            ancestors(Some("62.71.01")),
            vec!["", "62", "62.71", "62.71.01"]
        );
    }

    #[test]
    fn months() {
        assert_eq!(
            month_of(domain::time::days_from_civil(2026, 3, 31)),
            "2026-03"
        );
        assert_eq!(parse_month("2026-03"), Some((2026, 3)));
        assert!(parse_month("2026-13").is_none());
        assert!(parse_month("2026-3").is_none());
    }
}
