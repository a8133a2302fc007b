//! Extractors and path parsing shared by the pages and the JSON API: a JSON body that names
//! the failing field, and the two ways an id in the path is read today (pages: a bad id is
//! 404; the JSON API: a bad id is 400).

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
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(JsonBody(v)),
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
                let field = if path == "." { "body".to_owned() } else { path };
                Err(WebError::Invalid(vec![FieldError {
                    field,
                    key: "err.type",
                }]))
            }
        }
    }
}

/// An id in a page's path: anything but a positive number is "not found".
pub(crate) fn parse_id(s: &str) -> Result<i64, WebError> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or(WebError::NotFound)
}

/// An id in an API path: anything but a number is a bad request.
pub(crate) fn id_of(s: &str) -> Result<i64, WebError> {
    s.parse()
        .map_err(|_| WebError::BadRequest("the id must be a number".into()))
}
