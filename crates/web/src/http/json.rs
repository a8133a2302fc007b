//! Pieces every feature's JSON API uses: [`Date`], how a day goes out in a body (always
//! `YYYY-MM-DD`, whatever the field is called; the store keeps day numbers, timestamps stay
//! `*_ms` integers), and the `201 {"id": …}` answer of a create.

use axum::Json;
use axum::http::StatusCode;
use domain::Invalid;
use domain::value::{Day, format_day, text};
use serde::{Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// A calendar day in an API body, written `YYYY-MM-DD` (documented as `string`, format
/// `date`). Typed in the DTO, so a day never depends on the field's name to be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub Day);

impl Date {
    pub fn opt(d: Option<Day>) -> Option<Date> {
        d.map(Date)
    }
}

impl From<Day> for Date {
    fn from(d: Day) -> Date {
        Date(d)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_day(self.0))
    }
}

impl PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some("A calendar day, `YYYY-MM-DD`."))
            .examples(["2026-03-02"])
            .into()
    }
}

impl ToSchema for Date {}

/// The answer to a create: the new record's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedOut {
    pub id: i64,
}

/// `201 Created` with `{"id": …}`.
pub(crate) fn created(id: i64) -> (StatusCode, Json<CreatedOut>) {
    (StatusCode::CREATED, Json(CreatedOut { id }))
}

/// An optional multi-line text of a request (a note, reason, message): trimmed, without
/// control characters, within its cap (`domain::value::text`); empty is `""`, as the store
/// takes it. A failure is collected in `errs`.
pub(crate) fn note_text(field: &str, s: &str, limit: text::Limit, errs: &mut Invalid) -> String {
    errs.take(text::opt_multiline(field, s, limit))
        .flatten()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Row {
        due_on: Date,
        done_on: Option<Date>,
        at_ms: i64,
        birth_date: Option<Date>,
    }

    #[test]
    fn days_are_dates_by_type_not_by_name() {
        let r = Row {
            due_on: Date(20_514),
            done_on: None,
            at_ms: 5,
            birth_date: Date::opt(Some(0)),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"due_on": "2026-03-02", "done_on": null, "at_ms": 5, "birth_date": "1970-01-01"})
        );
        let s = serde_json::to_value(Date::schema()).unwrap();
        assert_eq!(
            (s["type"].as_str(), s["format"].as_str()),
            (Some("string"), Some("date"))
        );
    }
}
