//! Helpers of the JSON API whose bodies are still untyped views: day numbers rendered as
//! `YYYY-MM-DD` by field name, tuples given field names, date fields read with a field
//! error, `201 {"id": …}`.

use crate::http::error::WebError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::FieldError;
use domain::case::{Day, format_day, parse_day};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Fields of the store's views that hold a day number.
fn is_day_key(k: &str) -> bool {
    k.ends_with("_on") || matches!(k, "on_day" | "day" | "birth_date")
}

/// Renders day numbers as `YYYY-MM-DD`, everywhere in the value.
pub(crate) fn render_days(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x.as_i64() {
                    Some(d) if is_day_key(k) => *x = Value::String(format_day(d)),
                    _ => render_days(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(render_days),
        _ => {}
    }
}

/// Turns a list of tuples (serialised as arrays) into objects with these field names.
pub(crate) fn name_tuples(v: Option<&mut Value>, names: &[&str]) {
    let Some(Value::Array(rows)) = v else {
        return;
    };
    for row in rows.iter_mut() {
        if let Value::Array(items) = row {
            let obj: Map<String, Value> = names
                .iter()
                .map(|n| (*n).to_owned())
                .zip(items.drain(..))
                .collect();
            *row = Value::Object(obj);
        }
    }
}

pub(crate) fn to_value<T: Serialize>(v: &T) -> Result<Value, WebError> {
    serde_json::to_value(v).map_err(|_| WebError::Internal)
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Json<Value>, WebError> {
    let mut j = to_value(v)?;
    render_days(&mut j);
    Ok(Json(j))
}

/// An optional date field: empty is `None`, anything else must be `YYYY-MM-DD`.
pub(crate) fn opt_day(field: &str, s: &str, errs: &mut Vec<FieldError>) -> Option<Day> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let d = parse_day(s);
    if d.is_none() {
        errs.push(FieldError::new(field, "err.date"));
    }
    d
}

pub(crate) fn check(errs: Vec<FieldError>) -> Result<(), WebError> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(WebError::Invalid(errs))
    }
}

pub(crate) fn created(id: i64) -> Response {
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates_and_timestamps_stay() {
        let mut v =
            json!({"due_on": 20_514, "at_ms": 5, "done_on": null, "x": [{"on_day": 0}], "day": 1});
        render_days(&mut v);
        assert_eq!(
            v,
            json!({"due_on": "2026-03-02", "at_ms": 5, "done_on": null, "x": [{"on_day": "1970-01-01"}], "day": "1970-01-02"})
        );
    }

    #[test]
    fn tuples_get_names() {
        let mut v = json!([["final", 3], ["verdict", 1]]);
        name_tuples(Some(&mut v), &["stage", "day"]);
        assert_eq!(
            v,
            json!([{"stage": "final", "day": 3}, {"stage": "verdict", "day": 1}])
        );
    }
}
