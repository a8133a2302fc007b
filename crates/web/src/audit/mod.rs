//! The audit trail: the page with its filters and the JSON API, and a case's access log
//! (who opened its records).

mod access_log;
mod api;
pub(crate) mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::AuditDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    let r = access_log::routes(r);
    api::routes(r)
}
