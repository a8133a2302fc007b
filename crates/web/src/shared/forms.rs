//! How a page form ends, the same way on every page: success is post/redirect/get; a
//! refusal (invalid input, 422, or a conflict with a newer state, 409) shows the page again
//! with what was typed, the errors per field and a summary naming the fields, and the
//! browser lands on the form that failed (its `action` ends with `#<form name>`, the id
//! of the element around it, so the page shown at the POST URL scrolls there).
//!
//! [`finish`] is the ending; [`FormState`] is what a page with several forms keeps for the
//! one that failed (single-form pages keep their own typed form and use [`Refusal::errors`]).

use crate::http::error::WebError;
use crate::http::i18n::Locale;
use crate::http::page::Errors;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{FieldError, value};
use serde::{Deserialize, Serialize};
use store::StoreError;

/// A form as name/value pairs, in the order sent (repeated fields repeat).
pub(crate) type Fields = Vec<(String, String)>;

/// The first value of `key` ("" when absent).
pub(crate) fn field<'a>(f: &'a Fields, key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// Every non-empty value of a repeated field (checkboxes), trimmed.
pub(crate) fn fields_all(f: &Fields, key: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A typed form as the pairs it was read from, to show again what was typed.
pub(crate) fn fields_of<T: Serialize>(form: &T) -> Fields {
    serde_urlencoded::to_string(form)
        .map(|s| form_urlencoded::parse(s.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Why a form is shown again instead of moving on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// Input that cannot be accepted, per field (422).
    Invalid(Vec<FieldError>),
    /// The record changed meanwhile, or is in a state that refuses the change (409); the
    /// message key says which. What was typed is kept all the same.
    Conflict(&'static str),
}

impl Refusal {
    /// A store error a form answers, or the error itself (not found, forbidden, server
    /// error) for the error page: a refused request learns nothing from its form.
    pub(crate) fn of(e: StoreError) -> Result<Refusal, WebError> {
        match e {
            StoreError::Invalid(i) => Ok(Refusal::Invalid(i.0)),
            StoreError::Conflict(key) => Ok(Refusal::Conflict(key)),
            other => Err(other.into()),
        }
    }
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Refusal::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Conflict(_) => StatusCode::CONFLICT,
        }
    }
    /// The field errors in the page's language; a conflict is one error on the field
    /// `form` (shown in the summary).
    pub(crate) fn errors(&self, locale: Locale) -> Errors {
        match self {
            Refusal::Invalid(e) => Errors::new(locale, e),
            Refusal::Conflict(key) => Errors::new(locale, &[FieldError::new("form", key)]),
        }
    }
}

/// Input the page itself found wrong (a malformed date, amount or id), before asking the
/// store: `Err` with every failing field, so it ends like the store's own refusals.
pub(crate) fn checked<T>(errs: domain::Invalid, value: T) -> Result<T, StoreError> {
    errs.into_result(value).map_err(StoreError::Invalid)
}

/// Free text typed into a page form, by the domain's rule for its kind (`limit`): refused
/// with control characters (NUL, escapes; line breaks only where `lines` allows them) or
/// over the cap, the message naming the cap. Empty stays empty: whether the field is
/// required is the store's rule.
pub(crate) fn text(
    errs: &mut domain::Invalid,
    field: &str,
    s: &str,
    limit: value::text::Limit,
    lines: value::text::Lines,
) -> String {
    errs.take(value::text::optional(field, s, limit, lines))
        .flatten()
        .unwrap_or_default()
}

/// The one ending of a page form: on success, see other (`done` gives where to); on a
/// [`Refusal`], the page again as `again` renders it, with 422 or 409; any other error goes
/// to the error page.
pub(crate) async fn finish<T>(
    result: Result<T, StoreError>,
    done: impl FnOnce(T) -> String,
    again: impl AsyncFnOnce(Refusal) -> Result<Html<String>, WebError>,
) -> Result<Response, WebError> {
    match result {
        Ok(v) => Ok(Redirect::to(&done(v)).into_response()),
        Err(e) => {
            let refusal = Refusal::of(e)?;
            let status = refusal.status();
            Ok((status, again(refusal).await?).into_response())
        }
    }
}

/// One form of a page with several: its name, which is also the id of the element around
/// it and the fragment its `action` ends with; the prefix of its inputs' ids; and the
/// message keys of its fields' labels, so the error summary names the fields.
#[derive(Clone, Debug)]
pub(crate) struct Form {
    name: String,
    ids: String,
    labels: &'static [(&'static str, &'static str)],
}

impl Form {
    /// A form whose inputs have ids `<name>-<field>`.
    pub(crate) fn new(
        name: impl Into<String>,
        labels: &'static [(&'static str, &'static str)],
    ) -> Form {
        let name = name.into();
        let ids = format!("{name}-");
        Form { name, ids, labels }
    }
    /// Inputs with ids `<prefix><field>` instead.
    pub(crate) fn ids(mut self, prefix: &str) -> Form {
        self.ids = prefix.to_owned();
        self
    }
    /// The form's name: the id of the element around it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
    /// Where the form posts: `path#name`, so the page shown again opens at the form.
    #[cfg(test)]
    pub(crate) fn action(&self, path: &str) -> String {
        format!("{path}#{}", self.name)
    }
}

/// What a page with several forms shows in them: for the one that failed, what was typed,
/// its errors per field and a summary; for the others, their initial values (if any).
#[derive(Default)]
pub(crate) struct FormState {
    failed: String,
    values: Fields,
    errs: Errors,
    /// (id of the input to jump to, "Label: message"); a conflict has no input.
    summary: Vec<(String, String)>,
    initial: Vec<(String, Fields)>,
    /// Places offered under a region field of the failed form whose name several share.
    choices: crate::shared::region_field::RegionChoices,
}

static NO_ERRORS: Errors = Errors {
    list: Vec::new(),
    labels: Vec::new(),
};

impl FormState {
    /// `form` failed with `refusal`: keep `values`, list the errors.
    pub(crate) fn failed(locale: Locale, form: &Form, values: Fields, refusal: &Refusal) -> Self {
        let errs = refusal.errors(locale);
        let summary = errs
            .list
            .iter()
            .map(|(field, msg)| {
                if field == "form" {
                    return (String::new(), (*msg).to_owned());
                }
                let label = form.labels.iter().find(|(f, _)| f == field);
                let text = match label {
                    Some((_, key)) => format!("{}: {msg}", locale.t(key)),
                    None => (*msg).to_owned(),
                };
                (format!("{}{field}", form.ids), text)
            })
            .collect();
        FormState {
            failed: form.name.clone(),
            values,
            errs,
            summary,
            initial: Vec::new(),
            choices: Default::default(),
        }
    }

    /// `form` shown again as typed without an error: it asks a question first (an
    /// existing record that may be the one being entered).
    pub(crate) fn kept(form: &Form, values: Fields) -> Self {
        FormState {
            failed: form.name.clone(),
            values,
            ..Default::default()
        }
    }

    /// The values `form` starts with when it has not failed (a record being edited).
    pub(crate) fn initially(mut self, form: &str, values: Fields) -> Self {
        self.initial.push((form.to_owned(), values));
        self
    }

    /// Whether `form` is the one shown again (its `<details>` opens).
    pub(crate) fn is(&self, form: &str) -> bool {
        !self.failed.is_empty() && self.failed == form
    }

    fn values(&self, form: &str) -> Option<&Fields> {
        if self.is(form) {
            Some(&self.values)
        } else {
            self.initial.iter().find(|(f, _)| f == form).map(|(_, v)| v)
        }
    }

    /// What `key` of `form` holds: as typed if it failed, else its initial value, else "".
    pub(crate) fn v(&self, form: &str, key: &str) -> &str {
        self.values(form).map(|v| field(v, key)).unwrap_or("")
    }

    /// The `i`-th value of a repeated field.
    pub(crate) fn nth(&self, form: &str, key: &str, i: &usize) -> &str {
        self.values(form)
            .and_then(|v| v.iter().filter(|(k, _)| k == key).nth(*i))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Whether a checkbox or radio of `form` was ticked with `value`.
    pub(crate) fn has(&self, form: &str, key: &str, value: &str) -> bool {
        self.values(form)
            .is_some_and(|v| v.iter().any(|(k, x)| k == key && x == value))
    }

    /// The error of `key` in `form` ("" when none).
    pub(crate) fn e(&self, form: &str, key: &str) -> &'static str {
        if self.is(form) {
            self.errs.get(key)
        } else {
            ""
        }
    }

    /// The errors of `form`, for the field macros (none when another form failed).
    pub(crate) fn errs(&self, form: &str) -> &Errors {
        if self.is(form) {
            &self.errs
        } else {
            &NO_ERRORS
        }
    }

    /// The failed form with the places offered under its region fields.
    pub(crate) fn with_choices(mut self, c: crate::shared::region_field::RegionChoices) -> Self {
        self.choices = c;
        self
    }

    /// The places offered under `key` of `form` (none unless it failed on that field).
    pub(crate) fn choices(&self, form: &str, key: &str) -> &[(String, String)] {
        if self.is(form) {
            self.choices.of(key)
        } else {
            &[]
        }
    }

    /// The error summary of `form`: (input id, "Label: message").
    pub(crate) fn summary(&self, form: &str) -> &[(String, String)] {
        if self.is(form) { &self.summary } else { &[] }
    }
}

/// The query string of the recovery, referral and task pages.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub(crate) which: String,
    pub(crate) page: i64,
    /// `1`: only what is overdue (the referral lists).
    pub(crate) overdue: String,
    pub(crate) ok: Option<String>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const LEDGER: &[(&str, &str)] = &[("amount", "ledger.amount"), ("on_day", "ledger.on_day")];

    fn pairs(p: &[(&str, &str)]) -> Fields {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_failed_form_keeps_what_was_typed_and_lists_its_errors() {
        let form = Form::new("ledger", LEDGER);
        let typed = pairs(&[
            ("amount", "1.2.3"),
            ("note", "Transfer BRI"),
            ("need", "a"),
            ("need", "b"),
        ]);
        let refusal = Refusal::Invalid(vec![
            FieldError::new("amount", "err.rupiah"),
            FieldError::new("track", "err.choice"),
        ]);
        let s = FormState::failed(Locale::Id, &form, typed, &refusal);
        assert_eq!(refusal.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(s.is("ledger") && !s.is("close") && !s.is(""));
        // Everything typed is kept, repeated fields too; other forms stay empty.
        assert_eq!(s.v("ledger", "amount"), "1.2.3");
        assert_eq!(s.v("ledger", "note"), "Transfer BRI");
        assert_eq!(s.nth("ledger", "need", &1), "b");
        assert!(s.has("ledger", "need", "a"));
        assert_eq!(s.v("close", "note"), "");
        // Errors per field, only on the failed form.
        assert_eq!(s.e("ledger", "amount"), Locale::Id.t("err.rupiah"));
        assert_eq!(s.e("close", "amount"), "");
        assert!(s.errs("ledger").any() && !s.errs("close").any());
        // The summary names the field by its label and links to its input.
        let summary = s.summary("ledger");
        assert_eq!(summary.len(), 2);
        assert_eq!(summary[0].0, "ledger-amount");
        assert_eq!(
            summary[0].1,
            format!(
                "{}: {}",
                Locale::Id.t("ledger.amount"),
                Locale::Id.t("err.rupiah")
            )
        );
        // A field without a label is listed by its message alone.
        assert_eq!(
            summary[1],
            (
                "ledger-track".to_owned(),
                Locale::Id.t("err.choice").to_owned()
            )
        );
        assert!(s.summary("close").is_empty());
    }

    #[test]
    fn a_conflict_keeps_what_was_typed() {
        let form = Form::new("service", &[]).ids("");
        let typed = pairs(&[("service_code", "shelter")]);
        let refusal = Refusal::Conflict("conflict.plan_closed");
        let s = FormState::failed(Locale::En, &form, typed, &refusal);
        assert_eq!(refusal.status(), StatusCode::CONFLICT);
        assert_eq!(s.v("service", "service_code"), "shelter");
        assert_eq!(
            s.summary("service"),
            &[(
                String::new(),
                Locale::En.t("conflict.plan_closed").to_owned()
            )]
        );
    }

    #[test]
    fn the_form_is_its_own_anchor() {
        let form = Form::new("route", &[]).ids("");
        assert_eq!(form.action("/cases/7/route"), "/cases/7/route#route");
        let s = FormState::failed(
            Locale::Id,
            &form,
            Vec::new(),
            &Refusal::Invalid(vec![FieldError::new("kind", "err.required")]),
        );
        assert_eq!(s.summary("route")[0].0, "kind", "ids without a prefix");
    }

    #[test]
    fn initial_values_until_the_form_fails() {
        let s = FormState::default().initially("legal", pairs(&[("articles", "2, 4")]));
        assert!(!s.is("legal"));
        assert_eq!(s.v("legal", "articles"), "2, 4");
        let form = Form::new("legal", &[]);
        let s = FormState::failed(
            Locale::Id,
            &form,
            pairs(&[("articles", "99")]),
            &Refusal::Invalid(vec![FieldError::new("articles", "err.article")]),
        )
        .initially("legal", pairs(&[("articles", "2, 4")]));
        assert_eq!(s.v("legal", "articles"), "99", "what was typed wins");
        let asked = FormState::kept(&form, pairs(&[("articles", "3")]));
        assert!(asked.is("legal") && asked.summary("legal").is_empty());
        assert_eq!(asked.v("legal", "articles"), "3");
    }

    #[test]
    fn refusals_and_other_errors() {
        assert_eq!(
            Refusal::of(StoreError::Conflict("conflict.plan_closed")).unwrap(),
            Refusal::Conflict("conflict.plan_closed")
        );
        assert!(matches!(
            Refusal::of(StoreError::NotFound),
            Err(WebError::NotFound)
        ));
        assert!(matches!(
            Refusal::of(StoreError::Forbidden),
            Err(WebError::Forbidden)
        ));
        let typed = TypedForm {
            reason: "Cek ganda".into(),
            note: None,
        };
        assert_eq!(fields_of(&typed), pairs(&[("reason", "Cek ganda")]));
    }

    #[derive(Serialize)]
    struct TypedForm {
        reason: String,
        note: Option<String>,
    }

    #[test]
    fn free_text_by_its_kind() {
        use value::text::{Lines, NOTE, REASON};
        let mut errs = domain::Invalid::default();
        assert_eq!(
            text(&mut errs, "note", " a\r\nb ", NOTE, Lines::Many),
            "a\nb"
        );
        assert_eq!(text(&mut errs, "note", "  ", NOTE, Lines::Many), "");
        assert!(errs.is_empty());
        text(&mut errs, "reason", "a\u{0}b", REASON, Lines::One);
        text(&mut errs, "note", &"x".repeat(2001), NOTE, Lines::Many);
        assert_eq!(
            errs.0,
            [
                FieldError::new("reason", "err.control_char"),
                FieldError::new("note", "err.too_long_2000")
            ]
        );
    }

    #[tokio::test]
    async fn success_redirects_and_a_refusal_renders_again() {
        let r = finish(
            Ok(7),
            |id| format!("/cases/{id}?ok=case_saved"),
            async |_| Ok(Html(String::new())),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/cases/7?ok=case_saved");
        let r = finish(
            Err::<i64, _>(StoreError::Conflict("conflict.plan_closed")),
            |_| String::new(),
            async |refusal| Ok(Html(format!("{refusal:?}"))),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let r = finish(
            Err::<i64, _>(StoreError::NotFound),
            |_| String::new(),
            async |_| Ok(Html(String::new())),
        )
        .await;
        assert!(matches!(r, Err(WebError::NotFound)));
    }
}
