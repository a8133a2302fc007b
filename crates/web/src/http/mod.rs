//! The cross-cutting web machinery every feature uses: request context (session, locale,
//! CSRF token), the CSRF guard, security headers and the request log, the one error type
//! and its rendering, the page frame, translations, extractors, formatting, static files,
//! the multipart reader, the server loop with its limits, and the metrics counters. Nothing here knows a feature; features build on it.
//!
//! Module order (each uses only those above it): `util`, `i18n`, `error`, `state`,
//! `context`, `page`, `error_page`; the rest use what they need of these.

pub(crate) mod assets;
pub(crate) mod context;
pub(crate) mod csrf;
pub(crate) mod error;
pub(crate) mod error_page;
pub(crate) mod etag;
pub(crate) mod extract;
pub(crate) mod format;
pub mod i18n;
pub(crate) mod json;
pub(crate) mod metrics;
pub(crate) mod multipart;
pub(crate) mod page;
pub(crate) mod security;
pub(crate) mod serve;
pub(crate) mod state;
pub(crate) mod util;
