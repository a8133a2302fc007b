//! Irreversible steps ask first. A page form for such a step (delete a route event or a
//! legal stage, withdraw a consent, detach a perpetrator, verify, clear, "same person",
//! close a case or a plan) is answered, unless it carries `confirmed=yes`, with a page that
//! says what will happen and offers the same form again, confirmed, and a way back. With
//! JavaScript, `gugus.js` asks in a dialog instead (the form's or button's `data-confirm`
//! text) and adds `confirmed=yes` itself. The JSON API does not ask: a client says what
//! it means.
//!
//! The handler checks access before it asks: a page that asks to confirm a step on a
//! record the user may not touch would be an answer in itself.

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::shared::forms::{Fields, field};
use askama::Template;
use axum::response::{IntoResponse, Response};

/// What a confirmation asks: the message keys of what will happen and of the button.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ask {
    pub(crate) what: &'static str,
    pub(crate) yes: &'static str,
}

pub(crate) const ROUTE_DELETE: Ask = Ask {
    what: "confirm.route_delete",
    yes: "confirm.yes_delete",
};
pub(crate) const STAGE_DELETE: Ask = Ask {
    what: "confirm.stage_delete",
    yes: "confirm.yes_delete",
};
pub(crate) const CONSENT_WITHDRAW: Ask = Ask {
    what: "confirm.consent_withdraw",
    yes: "confirm.yes_withdraw",
};
pub(crate) const PERP_UNLINK: Ask = Ask {
    what: "confirm.perp_unlink",
    yes: "confirm.yes_unlink",
};
pub(crate) const CASE_CLOSE: Ask = Ask {
    what: "confirm.case_close",
    yes: "confirm.yes_close_case",
};
pub(crate) const VERIFY: Ask = Ask {
    what: "confirm.verify",
    yes: "confirm.yes_verify",
};
pub(crate) const CLEAR: Ask = Ask {
    what: "confirm.clear",
    yes: "confirm.yes_clear",
};
pub(crate) const SAME_PERSON: Ask = Ask {
    what: "confirm.same_person",
    yes: "confirm.yes_same",
};
pub(crate) const SAME_PERPETRATOR: Ask = Ask {
    what: "confirm.same_perpetrator",
    yes: "confirm.yes_same",
};
pub(crate) const PLAN_CLOSE: Ask = Ask {
    what: "confirm.plan_close",
    yes: "confirm.yes_close_plan",
};

#[cfg(test)]
const ALL: &[Ask] = &[
    ROUTE_DELETE,
    STAGE_DELETE,
    CONSENT_WITHDRAW,
    PERP_UNLINK,
    CASE_CLOSE,
    VERIFY,
    CLEAR,
    SAME_PERSON,
    SAME_PERPETRATOR,
    PLAN_CLOSE,
];

/// Whether the form says the user confirmed.
pub(crate) fn confirmed(f: &Fields) -> bool {
    field(f, "confirmed") == "yes"
}

#[derive(Template)]
#[template(path = "shared/confirm.html")]
struct ConfirmPage {
    page: Page,
    what: &'static str,
    yes: &'static str,
    action: String,
    fields: Fields,
    back: String,
}

/// The confirmation page for the form `f` sent to this request's path: `ask` says what
/// will happen; `back` is where "cancel" leads (the record, at its section).
pub(crate) fn ask(user: &User, f: Fields, ask: Ask, back: String) -> Result<Response, WebError> {
    let page = Page::from_ctx(&user.ctx, "confirm.title");
    let action = page.path.clone();
    let fields = f
        .into_iter()
        .filter(|(k, _)| k != "csrf" && k != "confirmed")
        .collect();
    Ok(render(&ConfirmPage {
        page,
        what: ask.what,
        yes: ask.yes,
        action,
        fields,
        back,
    })?
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;

    #[test]
    fn every_question_is_asked_in_both_languages() {
        for a in ALL {
            for l in [Locale::Id, Locale::En] {
                for key in [a.what, a.yes] {
                    assert!(l.lookup(key).is_some(), "{key} missing in {l:?}");
                }
            }
        }
    }
}
