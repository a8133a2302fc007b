//! The date-sensitive journeys again with the clock at 23:30 UTC, when WIB, WITA and WIT
//! are already on the next day: "today", due days, the 14-day clock and the reporting
//! month must agree between the server and what the user sees at any hour.

use crate::common::TestApp;

#[tokio::test]
async fn a_victim_goes_from_rescue_in_kalteng_to_recovery_at_home_in_ntt_at_23_30_utc() {
    crate::recovery::a_victim_goes_from_rescue_in_kalteng_to_recovery_at_home_in_ntt_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn an_overdue_referral_escalates_to_both_units_and_the_task_forces_above_at_23_30_utc() {
    crate::referral_followup::an_overdue_referral_escalates_to_both_units_and_the_task_forces_above_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn a_service_plan_goes_from_needs_to_closure_at_23_30_utc() {
    crate::api_recovery::a_service_plan_goes_from_needs_to_closure_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn a_referral_needs_consent_shows_only_what_is_shared_and_ends_at_23_30_utc() {
    crate::api_recovery::a_referral_needs_consent_shows_only_what_is_shared_and_ends_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn the_ledger_warns_before_an_overpayment_at_23_30_utc() {
    crate::api_evidence::the_ledger_warns_before_an_overpayment_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn a_case_walks_from_draft_to_cleared_with_one_return_and_resubmission_at_23_30_utc() {
    crate::clearing::a_case_walks_from_draft_to_cleared_with_one_return_and_resubmission_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}

#[tokio::test]
async fn a_closed_period_locks_cleared_records_until_reopened_at_23_30_utc() {
    crate::clearing::a_closed_period_locks_cleared_records_until_reopened_on(
        TestApp::spawn_at_utc(23, 30).await,
    )
    .await;
}
