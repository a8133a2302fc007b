//! Reading the recovery and referral forms: they arrive as name/value pairs (one page holds
//! several forms), and a failed form is shown again with what was typed and its errors
//! while the page's other forms stay empty.

use crate::http::context::User;
use crate::http::page::Errors;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use domain::case::{Day, parse_day};
use serde::Deserialize;

pub(crate) type Fields = Vec<(String, String)>;

pub(crate) fn field<'a>(f: &'a Fields, key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(crate) fn fields_all(f: &Fields, key: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A date field: empty → `None`; malformed → a field error.
pub(crate) fn day_field(f: &Fields, key: &str, errs: &mut domain::Invalid) -> Option<Day> {
    let s = field(f, key).trim();
    if s.is_empty() {
        return None;
    }
    let d = parse_day(s);
    if d.is_none() {
        errs.push(key, "err.date");
    }
    d
}

/// The one form on a page that failed: its name, what was typed and what was wrong. The
/// page shows every other form empty.
#[derive(Default)]
pub(crate) struct FormState {
    pub(crate) failed: String,
    pub(crate) values: Fields,
    pub(crate) errs: Errors,
}

impl FormState {
    pub(crate) fn new(
        user: &User,
        failed: &str,
        values: Fields,
        errs: &[domain::FieldError],
    ) -> FormState {
        FormState {
            failed: failed.to_owned(),
            values,
            errs: Errors::new(user.ctx.locale, errs),
        }
    }
    /// What was typed in `key` of `form`, if that form failed.
    pub(crate) fn v(&self, form: &str, key: &str) -> String {
        if self.failed == form {
            field(&self.values, key).to_owned()
        } else {
            String::new()
        }
    }
    pub(crate) fn has(&self, form: &str, key: &str, value: &str) -> bool {
        self.failed == form && self.values.iter().any(|(k, v)| k == key && v == value)
    }
    pub(crate) fn e(&self, form: &str, key: &str) -> &'static str {
        if self.failed == form {
            self.errs.get(key)
        } else {
            ""
        }
    }
    pub(crate) fn form_errors(&self, form: &str) -> Vec<&'static str> {
        if self.failed == form {
            self.errs.list.iter().map(|(_, m)| *m).collect()
        } else {
            Vec::new()
        }
    }
    /// 422 when the page is shown again because of this form's errors.
    pub(crate) fn respond(&self, html: Html<String>) -> Response {
        let status = if self.errs.any() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        (status, html).into_response()
    }
}

/// The query string of the recovery, referral and task pages.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    pub(crate) which: String,
    pub(crate) page: i64,
    pub(crate) ok: Option<String>,
}
