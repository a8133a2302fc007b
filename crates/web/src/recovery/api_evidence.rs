//! Evidence files of a service through the JSON API: the upload (the file itself as the
//! body) and the download, with a safe `Content-Disposition`.

use super::dto::EvidenceQuery;
use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::IdPath;
use crate::http::json::{CreatedOut, created};
use crate::{AppState, Routes, UPLOAD_BODY_LIMIT};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/services/{id}/evidence",
        &["POST"],
        post(add_evidence).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
    )
    .add("/api/v1/evidence/{id}", &["GET"], get(evidence))
}

#[utoipa::path(post, path = "/api/v1/services/{id}/evidence", tag = "recovery", params(("id" = i64, Path, description = "Service id"), EvidenceQuery),
    request_body(description = "The file itself as the body, at most 5 MiB. Its type is recognised from its first bytes (the Content-Type header is not trusted): PDF, PNG or JPEG.",
        content(([u8] = "application/pdf"), ([u8] = "image/png"), ([u8] = "image/jpeg"))),
    responses((status = 201, description = "The stored (encrypted) file", body = CreatedOut), (status = 404), (status = 413, description = "A body well over 5 MiB"),
        (status = 422, description = "Field `file`: `file_empty`, `file_too_large` or `file_type`")), security(("bearer" = [])))]
async fn add_evidence(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(service): IdPath<i64>,
    Query(q): Query<EvidenceQuery>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedOut>), WebError> {
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .and_then(|raw| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(&format!(
                "n={}",
                raw.replace('+', "%2B")
            ))
            .ok()
            .and_then(|mut v| v.pop())
            .map(|(_, n)| n)
        })
        .unwrap_or(q.filename);
    let eid = state
        .store
        .add_evidence(&u.actor, service, &name, &body)
        .await?;
    Ok(created(eid))
}

/// `attachment` with an ASCII fallback name and the exact name in RFC 5987 form.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = ascii.trim();
    let ascii = if ascii.trim_matches(['_', '.']).is_empty() {
        "bukti"
    } else {
        ascii
    };
    let exact: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[utoipa::path(get, path = "/api/v1/evidence/{id}", tag = "recovery", params(("id" = i64, Path, description = "Evidence id (from the plan)")),
    responses((status = 200, description = "The file, as a download (audited)", content(([u8] = "application/pdf"), ([u8] = "image/png"), ([u8] = "image/jpeg")),
        headers(("Content-Disposition" = String, description = "attachment; filename=\"…\"; filename*=UTF-8''…"))), (status = 404)), security(("bearer" = [])))]
async fn evidence(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Response, WebError> {
    let (name, ctype, bytes) = state.store.evidence(&u.actor, id).await?;
    let ctype = HeaderValue::from_str(&ctype).map_err(|_| WebError::Internal)?;
    let disposition =
        HeaderValue::from_str(&content_disposition(&name)).map_err(|_| WebError::Internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe() {
        assert_eq!(
            content_disposition("surat.pdf"),
            "attachment; filename=\"surat.pdf\"; filename*=UTF-8''surat.pdf"
        );
        assert_eq!(
            content_disposition("a\"b;c\r\nñ.pdf"),
            "attachment; filename=\"a_b_c___.pdf\"; filename*=UTF-8''a%22b%3Bc%0D%0A%C3%B1.pdf"
        );
        assert!(content_disposition("../..").contains("filename=\"bukti\""));
    }
}
