//! Helpers several features use, kept here so that no feature reaches into another:
//! "today", the recovery and referral form readers, and the service pieces both the plan
//! and a take-over referral use.

pub(crate) mod forms;
pub(crate) mod services;

/// Today's day number, the one every date check and default uses.
pub(crate) fn today() -> i64 {
    // Indonesia's earliest zone (WIB, UTC+7) decides "today" for date checks.
    (store::now_ms() + 7 * 3_600_000) / 86_400_000
}
