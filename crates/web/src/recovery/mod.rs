//! Recovery: a victim's service plan (needs, services and their evidence, closure, the
//! restitution and compensation ledger), "my tasks" and the restitution overview, as pages
//! and as the JSON API. Referrals and notifications have folders of their own; a service
//! form on a referral page returns to it, so `recovery` uses `referrals` (never the reverse).

mod api;
mod api_evidence;
mod dto;
mod overview;
mod pages;
mod services;

use crate::Routes;

pub(crate) use api::RecoveryDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    let r = services::routes(r);
    let r = overview::routes(r);
    let r = api::routes(r);
    api_evidence::routes(r)
}
