//! Helpers several features use, kept here so that no feature reaches into another:
//! "today", how a page form ends (`forms`: post/redirect/get, or the page again with the
//! failed form's state at its anchor), and the service pieces both the plan and a
//! take-over referral use.

pub(crate) mod audit_words;
pub(crate) mod confirm;
pub(crate) mod forms;
pub(crate) mod list_filter;
pub(crate) mod options;
pub(crate) mod pager;
pub(crate) mod region_field;
pub(crate) mod services;

/// Today's day number in the actor's time zone (WIB, WITA or WIT by region), by the
/// store's clock: the one "today" every date check and default uses.
pub(crate) fn today(store: &store::Store, actor: &domain::Actor) -> domain::case::Day {
    store.today(actor)
}
