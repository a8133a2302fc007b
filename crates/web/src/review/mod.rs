//! Verification and clearing: the review step on a case (submit with justifications,
//! verify, clear, return with notes), the queue of what waits for me, the monthly
//! reporting periods, the validation rules, the data-quality dashboard and record linkage
//! (possible duplicate persons), as pages and as the JSON API.

mod api;
mod clearing;
mod dto;
mod pages;
mod rule_words;

use crate::Routes;

pub(crate) use api::ClearingDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    let r = clearing::routes(r);
    api::routes(r)
}
