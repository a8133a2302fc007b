//! Perpetrator pairs: the same perpetrator recorded in several regions, proposed by the
//! store's check after a perpetrator is recorded and decided by verifiers who may see both
//! sides ("same perpetrator" links the records, "different" is remembered, both undoable),
//! as pages and as the JSON API. The perpetrator page itself is the cases feature's.

mod api;
mod dto;
mod pages;

use crate::Routes;

pub(crate) use api::PerpetratorPairsDoc;

pub(crate) fn routes(r: Routes) -> Routes {
    let r = pages::routes(r);
    api::routes(r)
}

/// The decision a form or body names: `Some(true)` same, `Some(false)` different, `None`
/// undo; `Err` for anything else.
fn decision(s: &str) -> Result<Option<bool>, ()> {
    match s.trim() {
        "same" => Ok(Some(true)),
        "different" => Ok(Some(false)),
        "undo" => Ok(None),
        _ => Err(()),
    }
}
