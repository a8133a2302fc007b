//! A region typed into a form — the victim's home village, a route event's place, a unit's
//! region, a list's region filter — is read the same way everywhere: a Kemendagri code as
//! it is, or a name, which becomes the code of the one place of that name (at the field's
//! level). A name several places share is refused with those places listed under the field
//! (with where each lies) to choose from; with JavaScript a click fills the field, without
//! it the code is there to type. The typeahead (`data-region-typeahead`) offers the same
//! places while typing.

use crate::AppState;
use crate::http::error::WebError;
use domain::{Actor, RegionLevel};
use store::RegionMatch;

/// The places offered under each field whose name matched several.
#[derive(Debug, Clone, Default)]
pub(crate) struct RegionChoices(Vec<(String, Vec<(String, String)>)>);

impl RegionChoices {
    /// The (code, "name — where it lies") choices for `field`.
    pub(crate) fn of(&self, field: &str) -> &[(String, String)] {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, c)| c.as_slice())
            .unwrap_or(&[])
    }
}

/// Reads the region typed into `field` (`text`, replaced by the code when a name names one
/// place; left as typed otherwise, with an error on the field and, for a shared name, the
/// choices). An empty field is left alone (whether it is required is the form's rule).
pub(crate) async fn resolve(
    state: &AppState,
    actor: &Actor,
    field: &str,
    text: &mut String,
    level: Option<RegionLevel>,
    errs: &mut domain::Invalid,
    choices: &mut RegionChoices,
) -> Result<(), WebError> {
    // Empty, or a code (valid or not: the form's own reading names a malformed one).
    let t = text.trim();
    if t.is_empty() || t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Ok(());
    }
    match state.store.resolve_region(actor, text, level).await {
        Ok(RegionMatch::One(code)) => *text = code.to_string(),
        Ok(RegionMatch::Many(found)) => {
            errs.push(field, "err.region_ambiguous");
            let options = found
                .into_iter()
                .map(|(r, place)| {
                    let label = if place.is_empty() {
                        r.name
                    } else {
                        format!("{} — {place}", r.name)
                    };
                    (r.code, label)
                })
                .collect();
            choices.0.push((field.to_owned(), options));
        }
        Ok(RegionMatch::None) => errs.push(field, "err.region_not_found"),
        Err(store::StoreError::Invalid(_)) => errs.push(field, "err.region_not_found"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Keeps only the first error of each field (a name the resolver refused is not also
/// "not a code").
pub(crate) fn first_per_field(errs: &mut domain::Invalid) {
    let mut seen = std::collections::HashSet::new();
    errs.0.retain(|e| seen.insert(e.field.clone()));
}
