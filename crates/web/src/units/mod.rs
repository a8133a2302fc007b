//! Units (organisations: task forces, shelters, police, agencies …): the directory,
//! creating and editing them (admins, within their region), and the JSON API.

mod api;
pub(crate) mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::UnitsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}
