//! Referrals between units: a victim's service asked of another unit, or the whole
//! follow-up handed over (take-over), with a conversation; as pages and as the JSON API.

mod api;
pub(crate) mod dto;
pub(crate) mod pages;

use crate::Routes;

pub(crate) use api::ReferralsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}
