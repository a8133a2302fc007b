//! The audit trail: the page with its filters and the JSON API.

mod api;
pub(crate) mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::AuditDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}
