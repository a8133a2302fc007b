//! Cases: the list with filters, the case form (new and edit, with a version check), the
//! case page and its parts recorded one entry at a time (route, legal track, consent,
//! perpetrators, status), the review panel on it, and the cases JSON API.
//!
//! The review step on the case page is the review feature's, and shows the case page again
//! through [`case_view`] with the review form's state: `review` uses `cases`, never the reverse.

mod api;
pub(crate) mod dto;
mod form;
mod list;
mod page;
mod parts;
mod review_panel;

use crate::Routes;
use axum::routing::{get, post};

pub(crate) use api::CasesDoc;
pub(crate) use page::{case_view, form, forms};

pub(crate) fn routes(r: Routes) -> Routes {
    let r = r
        .add(
            "/cases",
            &["GET", "POST"],
            get(list::index).post(form::create),
        )
        .add("/cases/new", &["GET"], get(form::new_form))
        .add(
            "/cases/{id}",
            &["GET", "POST"],
            get(page::show).post(form::update),
        )
        .add("/cases/{id}/edit", &["GET"], get(form::edit_form))
        .add(
            "/cases/{id}/break-glass",
            &["POST"],
            post(page::break_glass),
        );
    let r = parts::routes(r);
    api::routes(r)
}
