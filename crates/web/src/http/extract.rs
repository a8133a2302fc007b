//! Extractors shared by the pages and the JSON API, so both read input the same way: a
//! JSON body and a form body that name the failing field (invalid UTF-8 refused, never
//! patched over), and ids in the path read by the one id parser (`domain::value::id`) — a
//! bad id is 404 everywhere, since no record can have it.

use crate::http::error::WebError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use domain::FieldError;
use serde::de::DeserializeOwned;

/// A JSON body that names the failing field when it cannot be read.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(WebError::BadRequest(
                "expected Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge
            } else {
                WebError::BadRequest(e.body_text())
            }
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(&mut *de) {
            Ok(v) => {
                // Text after the document is refused, not ignored.
                de.end().map_err(|e| {
                    WebError::BadRequest(format!(
                        "unexpected data after the JSON document at line {} column {}",
                        e.line(),
                        e.column()
                    ))
                })?;
                Ok(JsonBody(v))
            }
            Err(e) => {
                let inner = e.inner();
                if inner.is_syntax() || inner.is_eof() {
                    return Err(WebError::BadRequest(format!(
                        "malformed JSON at line {} column {}",
                        inner.line(),
                        inner.column()
                    )));
                }
                let path = e.path().to_string();
                let at = |name: &str| {
                    if path == "." {
                        name.to_owned()
                    } else {
                        format!("{path}.{name}")
                    }
                };
                // serde names an unknown or repeated field in its message: report that field.
                let msg = inner.to_string();
                let named = |prefix: &str| {
                    msg.strip_prefix(prefix)
                        .and_then(|rest| rest.split('`').next())
                        .map(at)
                };
                let (field, key) = if let Some(f) = named("unknown field `") {
                    (f, "err.unknown_field")
                } else if let Some(f) = named("duplicate field `") {
                    (f, "err.duplicate_field")
                } else if path == "." {
                    ("body".to_owned(), "err.type")
                } else {
                    (path, "err.type")
                };
                Err(WebError::Invalid(vec![FieldError { field, key }]))
            }
        }
    }
}

/// What an id path segment becomes.
pub trait FromId: Sized {
    fn from_id(id: i64) -> Self;
}

impl FromId for i64 {
    fn from_id(id: i64) -> Self {
        id
    }
}

impl FromId for store::CaseId {
    fn from_id(id: i64) -> Self {
        store::CaseId(id)
    }
}

impl FromId for domain::UnitId {
    fn from_id(id: i64) -> Self {
        domain::UnitId(id)
    }
}

impl FromId for domain::UserId {
    fn from_id(id: i64) -> Self {
        domain::UserId(id)
    }
}

/// The ids of a path (`/cases/{id}` or `/cases/{id}/route/{event}`), each read by the one
/// id parser; a bad id is 404 on pages and in the API alike.
#[allow(dead_code)] // adopted handler by handler
pub struct IdPath<T>(pub T);

/// The path segments an [`IdPath`] reads.
pub trait FromIds: Sized {
    fn from_ids(segments: &[String]) -> Option<Self>;
}

impl<A: FromId> FromIds for A {
    fn from_ids(segments: &[String]) -> Option<Self> {
        match segments {
            [a] => domain::value::id::parse(a).map(A::from_id),
            _ => None,
        }
    }
}

impl<A: FromId, B: FromId> FromIds for (A, B) {
    fn from_ids(segments: &[String]) -> Option<Self> {
        match segments {
            [a, b] => Some((
                A::from_id(domain::value::id::parse(a)?),
                B::from_id(domain::value::id::parse(b)?),
            )),
            _ => None,
        }
    }
}

impl<T: FromIds, S: Send + Sync> axum::extract::FromRequestParts<S> for IdPath<T> {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::RawPathParams;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound)?;
        let segments: Vec<String> = params.iter().map(|(_, v)| v.to_owned()).collect();
        T::from_ids(&segments).map(IdPath).ok_or(WebError::NotFound)
    }
}

/// A form body (`application/x-www-form-urlencoded`) read into `T`. Invalid UTF-8 is
/// refused (422 on the field `body`), a value of the wrong type is a 422 naming its field;
/// nothing is replaced or dropped silently. Repeated fields read into `Vec<(String, String)>`.
#[allow(dead_code)] // adopted handler by handler
pub struct FormBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for FormBody<T> {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebError::PayloadTooLarge
            } else {
                WebError::BadRequest(e.body_text())
            }
        })?;
        parse_form(&bytes).map(FormBody)
    }
}

/// Reads a urlencoded form strictly (the parser behind [`FormBody`]; multipart forms give
/// their text fields to it too).
pub(crate) fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WebError> {
    let invalid =
        |field: String, key: &'static str| WebError::Invalid(vec![FieldError { field, key }]);
    // Every key and value must decode to UTF-8: a lossy decode would store U+FFFD in place
    // of what the user typed.
    for pair in bytes.split(|b| *b == b'&') {
        let mut kv = pair.splitn(2, |b| *b == b'=');
        let k = kv.next().unwrap_or_default();
        let v = kv.next().unwrap_or_default();
        let key = percent_decode(k);
        let name = String::from_utf8(key.clone()).unwrap_or_else(|_| "body".into());
        if std::str::from_utf8(&key).is_err() || std::str::from_utf8(&percent_decode(v)).is_err() {
            return Err(invalid(name, "err.utf8"));
        }
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        invalid(
            if path == "." { "body".to_owned() } else { path },
            "err.type",
        )
    })
}

/// Percent-decoding of one urlencoded key or value (`+` is a space), to bytes.
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct F {
        name: String,
        #[serde(default)]
        age: Option<i64>,
    }

    #[test]
    fn forms_are_read_strictly() {
        let f: F = parse_form(b"name=Siti+Aminah&age=19").unwrap();
        assert_eq!((f.name.as_str(), f.age), ("Siti Aminah", Some(19)));
        let f: F = parse_form("name=R%C3%A9n%C3%A9".as_bytes()).unwrap();
        assert_eq!(f.name, "Réné");
        // Invalid UTF-8 is refused on its field, not replaced by U+FFFD.
        match parse_form::<F>(b"name=%FF%FE") {
            Err(WebError::Invalid(e)) => {
                assert_eq!((e[0].field.as_str(), e[0].key), ("name", "err.utf8"))
            }
            _ => panic!("invalid UTF-8 accepted"),
        }
        // A value of the wrong type names its field.
        match parse_form::<F>(b"name=a&age=abc") {
            Err(WebError::Invalid(e)) => assert_eq!(e[0].field, "age"),
            _ => panic!("a bad number accepted"),
        }
        let pairs: Vec<(String, String)> = parse_form(b"need=shelter&need=health").unwrap();
        assert_eq!(pairs.len(), 2);
    }

    #[test]
    fn ids_one_rule() {
        let seg = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(<i64 as FromIds>::from_ids(&seg(&["12"])), Some(12));
        for bad in [
            "0",
            "-3",
            "+5",
            "1e3",
            "12a",
            "",
            "１２",
            "9999999999999999999",
        ] {
            assert_eq!(<i64 as FromIds>::from_ids(&seg(&[bad])), None, "{bad}");
        }
        assert_eq!(
            <(store::CaseId, i64) as FromIds>::from_ids(&seg(&["7", "9"])),
            Some((store::CaseId(7), 9))
        );
        assert_eq!(
            <(store::CaseId, i64) as FromIds>::from_ids(&seg(&["7"])),
            None
        );
    }
}
