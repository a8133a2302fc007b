//! Validators and compression for what a browser may keep: a response marked cacheable by
//! its handler (`Cache-Control: private, max-age=…` — the public site's pages and
//! downloads — or `public`, the static files) gets an `ETag` from its body, and a request
//! that already holds that version (`If-None-Match`) gets `304 Not Modified` without the
//! body: on a slow line the page is not sent again. Text is sent gzipped to browsers that
//! accept it (its own tag, `Vary: Accept-Encoding`).
//!
//! Pages with personal data or a form's CSRF token stay `no-store` and are never touched
//! here — in particular never compressed, so a token cannot be guessed from the sizes of
//! compressed pages that also echo what an attacker chose (BREACH).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Bodies larger than this are passed on without a validator (no public page is near it).
const MAX_BODY: usize = 4 << 20;

pub async fn conditional(req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let held = req.headers().get(header::IF_NONE_MATCH).cloned();
    let gzip_ok = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let resp = next.run(req).await;
    let cacheable = resp.status() == StatusCode::OK
        && resp
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("private, max-age") || v.starts_with("public"));
    // Only bodies of a known, modest size are read here; anything else goes on untouched.
    let small = axum::body::HttpBody::size_hint(resp.body())
        .upper()
        .is_some_and(|n| n <= MAX_BODY as u64);
    if !cacheable || !small {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let textual = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("text/")
                || t.contains("json")
                || t.contains("svg")
                || t.contains("xml")
                || t.contains("javascript")
        });
    let gzip = gzip_ok && textual && bytes.len() > 1024;
    let digest = &hex::encode(Sha256::digest(&bytes))[..32];
    let tag = if gzip {
        format!("\"{digest}-gz\"")
    } else {
        format!("\"{digest}\"")
    };
    if textual {
        parts
            .headers
            .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
    let matches = held
        .as_ref()
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| {
            h.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == tag || t.trim() == "*")
        });
    if let Ok(v) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, v);
    }
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    if gzip {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        if enc.write_all(&bytes).is_ok()
            && let Ok(zipped) = enc.finish()
        {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts
                .headers
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            return Response::from_parts(parts, Body::from(zipped));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
