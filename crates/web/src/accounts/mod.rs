//! Accounts: logging in and out (password, then the second factor), the language switch,
//! my account (password, two-factor login, API tokens), account administration, and the
//! accounts JSON API.

mod account;
mod api;
mod auth;
pub(crate) mod dto;
pub(crate) mod users;

use crate::Routes;

pub(crate) use api::AccountsDoc;

/// The language switch alone (the public listener serves it, and nothing else of accounts).
pub(crate) fn lang_route(r: Routes) -> Routes {
    auth::lang_route(r)
}

pub(crate) fn routes(r: Routes) -> Routes {
    let r = auth::routes(r);
    let r = users::routes(r);
    let r = account::routes(r);
    api::routes(r)
}
