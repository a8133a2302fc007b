//! The region reference (Kemendagri codes): browsing and searching pages and the JSON API.

mod api;
pub(crate) mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::RegionsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}
