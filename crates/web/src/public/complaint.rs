//! `/pengaduan`: anyone reports a case, anonymously if they wish, and follows it at
//! `/pengaduan/status` with the tracking code and PIN shown once when it was sent.
//!
//! Floods are slowed, not answered with a third-party captcha: each address may send
//! `WebConfig::complaints_per_hour` complaints (over it, the form comes back with what was
//! typed and asks to wait); a hidden field that people never see, and a signed time the
//! form was opened (a person takes more than a few seconds), mark what a script probably
//! sent — marked, kept and shown apart in the queue, never dropped, so a real sender whose
//! browser filled the hidden field loses nothing.

use crate::AppState;
use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::extract::FormBody;
use crate::http::format::fmt_day;
use crate::http::page::{Errors, Page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::complaint::{ComplaintInput, NewComplaint};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use store::StoreError;
use store::complaints::{Attachment, ComplaintOutcome, ComplaintPublic};

/// A person takes longer than this to write a complaint.
const FASTEST_MS: i64 = 3_000;
/// A form older than this is stale (its time mark no longer counts).
const OLDEST_MS: i64 = 24 * 60 * 60 * 1000;

fn sign(secret: &[u8], ms: i64, nonce: &str) -> String {
    <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .map(|mut m| {
            m.update(format!("gugus-complaint-form|{ms}|{nonce}").as_bytes());
            hex::encode(&m.finalize().into_bytes()[..12])
        })
        .unwrap_or_default()
}

/// The form's mark: when it was opened and a random nonce (so each opened form is one
/// complaint, however often it is sent), signed with the instance secret.
fn time_mark(secret: &[u8], ms: i64) -> String {
    let mut n = [0u8; 8];
    let nonce = match getrandom::fill(&mut n) {
        Ok(()) => hex::encode(n),
        Err(_) => String::new(),
    };
    format!("{ms}.{nonce}.{}", sign(secret, ms, &nonce))
}

/// (the mark is ours — then it names the form —, it says a person had time to write).
fn read_mark(secret: &[u8], mark: &str, now: i64) -> (bool, bool) {
    let mut it = mark.splitn(3, '.');
    let (Some(ms), Some(nonce), Some(sig)) = (it.next(), it.next(), it.next()) else {
        return (false, false);
    };
    let Ok(ms) = ms.parse::<i64>() else {
        return (false, false);
    };
    let ours = !nonce.is_empty() && sign(secret, ms, nonce) == sig;
    (ours, ours && (FASTEST_MS..=OLDEST_MS).contains(&(now - ms)))
}

/// Whether the mark is ours and says a person had time to write.
#[cfg(test)]
fn mark_is_human(secret: &[u8], mark: &str, now: i64) -> bool {
    read_mark(secret, mark, now).1
}

/// (province code, province name, its regencies as (code, name)): the complaint form's and
/// the news form's region list.
pub(crate) type Places = Vec<(String, String, Vec<(String, String)>)>;

pub(crate) async fn places(state: &AppState) -> Result<Places, WebError> {
    let mut out: Places = Vec::new();
    for (code, name, province) in state.store.complaint_places().await?.iter() {
        if code == province {
            out.push((code.clone(), name.clone(), Vec::new()));
        } else if let Some(p) = out.iter_mut().find(|p| &p.0 == province) {
            p.2.push((code.clone(), name.clone()));
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "public/complaint.html")]
struct ComplaintPage {
    page: Page,
    f: ComplaintForm,
    errs: Errors,
    places: Places,
    mark: String,
    /// The address is over its allowance: the form is back as typed.
    wait: bool,
}

impl ComplaintPage {
    fn risks(&self) -> Vec<&'static str> {
        store::complaints::at_risk_codes().collect()
    }
    /// The choice made, or "do not know" on a new form.
    fn risk_checked(&self, r: &str) -> bool {
        self.f.at_risk == r || (self.f.at_risk.is_empty() && r == "unknown")
    }
}

#[derive(Template)]
#[template(path = "public/complaint_sent.html")]
struct SentPage {
    page: Page,
    code: String,
    pin: String,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ComplaintForm {
    what: String,
    region: String,
    happened_on: String,
    at_risk: String,
    contact: String,
    /// The hidden field people never fill.
    website: String,
    /// The form's time mark.
    t: String,
}

fn complaint_page(
    state: &AppState,
    ctx: &Ctx,
    f: ComplaintForm,
    errs: Errors,
    places: Places,
    wait: bool,
) -> ComplaintPage {
    let locale = ctx.locale;
    ComplaintPage {
        page: Page::from_ctx(ctx, "complaint.title"),
        f,
        errs: errs.with_labels(|field| {
            locale
                .lookup(&format!("complaint.{field}"))
                .map(str::to_owned)
        }),
        places,
        mark: time_mark(&state.config.secret, state.store.now_ms()),
        wait,
    }
}

pub(crate) async fn complaint_form(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Response, WebError> {
    let places = places(&state).await?;
    let p = complaint_page(
        &state,
        &ctx,
        ComplaintForm::default(),
        Errors::default(),
        places,
        false,
    );
    Ok(render(&p)?.into_response())
}

/// The form as sent: its fields, and its files when it came as `multipart/form-data` (the
/// page's form; a script may send it url-encoded, without files). A text part that is not
/// UTF-8 is refused on its field.
fn read_form<'a>(
    content_type: &str,
    body: &'a [u8],
) -> Result<(ComplaintForm, Vec<&'a [u8]>, domain::Invalid), WebError> {
    let Some(boundary) = crate::http::multipart::boundary(content_type) else {
        let f =
            serde_urlencoded::from_bytes(body).map_err(|_| WebError::BadRequest("form".into()))?;
        return Ok((f, Vec::new(), domain::Invalid::default()));
    };
    let parts = crate::http::multipart::parse(&boundary, body)
        .ok_or_else(|| WebError::BadRequest("form".into()))?;
    let mut f = ComplaintForm::default();
    let mut files = Vec::new();
    let mut errs = domain::Invalid::default();
    for p in parts {
        if p.name == "files" && p.filename.is_some() {
            // A file input left empty sends an empty part.
            if !p.data.is_empty() {
                files.push(p.data);
            }
            continue;
        }
        let slot = match p.name.as_str() {
            "what" => &mut f.what,
            "region" => &mut f.region,
            "happened_on" => &mut f.happened_on,
            "at_risk" => &mut f.at_risk,
            "contact" => &mut f.contact,
            "website" => &mut f.website,
            "t" => &mut f.t,
            _ => continue,
        };
        match p.text() {
            Some(v) => *slot = v.to_owned(),
            None => errs.push(&p.name, "err.utf8"),
        }
    }
    Ok((f, files, errs))
}

pub(crate) async fn complaint_send(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (f, files, read_errs) = read_form(content_type, &body)?;
    if !state.complaint_limiter.allow(&ctx.origin) {
        let places = places(&state).await?;
        let p = complaint_page(&state, &ctx, f, Errors::default(), places, true);
        return Ok((StatusCode::TOO_MANY_REQUESTS, render(&p)?).into_response());
    }
    let input = ComplaintInput {
        what: f.what.clone(),
        region: f.region.clone(),
        happened_on: f.happened_on.clone(),
        at_risk: f.at_risk.clone(),
        contact: f.contact.clone(),
    };
    // The latest "today" in Indonesia (WIT): a day that is today anywhere is not future.
    let today = domain::time::day_at(state.store.now_ms(), domain::time::Zone::Wit);
    let (ours, human) = read_mark(&state.config.secret, &f.t, state.store.now_ms());
    let suspect = !f.website.trim().is_empty() || !human;
    // The same form sent again (the answer page reloaded) is the same complaint.
    let form_mark = ours.then_some(f.t.as_str());
    let attachments: Vec<Attachment> = files.iter().map(|b| Attachment { bytes: b }).collect();
    let result = match NewComplaint::parse(&input, today) {
        Ok(c) if read_errs.is_empty() => {
            state
                .store
                .submit_complaint(&c, &attachments, suspect, form_mark)
                .await
        }
        Ok(_) => Err(StoreError::Invalid(read_errs)),
        Err(mut e) => {
            e.0.extend(read_errs.0);
            Err(StoreError::Invalid(e))
        }
    };
    match result {
        Ok(issued) => Ok(render(&SentPage {
            page: Page::from_ctx(&ctx, "complaint.sent_title"),
            code: issued.code,
            pin: issued.pin,
        })?
        .into_response()),
        Err(StoreError::Invalid(e)) => {
            let places = places(&state).await?;
            let errs = Errors::new(ctx.locale, &e.0);
            let p = complaint_page(&state, &ctx, f, errs, places, false);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "public/complaint_status.html")]
struct StatusPage {
    page: Page,
    kode: String,
    pin: String,
    error: String,
    status: Option<ComplaintPublic>,
    info: String,
    info_error: String,
    added: bool,
}

impl StatusPage {
    fn day(&self, d: &i64) -> String {
        fmt_day(d)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct StatusForm {
    kode: String,
    pin: String,
    info: String,
}

fn status_page(ctx: &Ctx) -> StatusPage {
    StatusPage {
        page: Page::from_ctx(ctx, "complaint.status_title"),
        kode: String::new(),
        pin: String::new(),
        error: String::new(),
        status: None,
        info: String::new(),
        info_error: String::new(),
        added: false,
    }
}

pub(crate) async fn status_form(ctx: Ctx) -> Result<Response, WebError> {
    Ok(render(&status_page(&ctx))?.into_response())
}

/// A look (`/pengaduan/status`) or information added (`/pengaduan/tambah`).
async fn answer(
    state: &AppState,
    ctx: &Ctx,
    f: StatusForm,
    add: bool,
) -> Result<Response, WebError> {
    let mut p = status_page(ctx);
    p.kode = f.kode.chars().take(32).collect();
    if !state.status_limiter.allow(&ctx.origin) {
        p.error = ctx.locale.t("survivor.throttled").to_owned();
        return Ok((StatusCode::TOO_MANY_REQUESTS, render(&p)?).into_response());
    }
    let outcome = if add {
        state
            .store
            .complaint_add_info(&f.kode, &f.pin, &f.info)
            .await
    } else {
        state.store.complaint_status(&f.kode, &f.pin).await
    };
    match outcome {
        Ok(ComplaintOutcome::Shown(s)) => {
            // The status page's form to add information carries the code and PIN she typed,
            // so she need not type them again (the page is never cached).
            p.pin = f.pin.chars().take(12).collect();
            p.status = Some(s);
            p.added = add;
            Ok(render(&p)?.into_response())
        }
        Ok(ComplaintOutcome::Wrong) => {
            p.error = ctx.locale.t("complaint.wrong").to_owned();
            Ok((StatusCode::UNAUTHORIZED, render(&p)?).into_response())
        }
        Ok(ComplaintOutcome::Locked { until_ms }) => {
            let minutes = ((until_ms - state.store.now_ms()) / 60_000 + 1)
                .max(1)
                .to_string();
            p.error = ctx.locale.tf("complaint.locked", &[&minutes]);
            Ok((StatusCode::TOO_MANY_REQUESTS, render(&p)?).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            // The information was refused (empty or too long): her status again, with what
            // she typed and why.
            let shown = state.store.complaint_status(&f.kode, &f.pin).await?;
            match shown {
                ComplaintOutcome::Shown(s) => {
                    p.pin = f.pin.chars().take(12).collect();
                    p.status = Some(s);
                }
                // The code or PIN did not match either: say so, as a look would.
                _ => p.error = ctx.locale.t("complaint.wrong").to_owned(),
            }
            p.info = f.info;
            p.info_error =
                e.0.first()
                    .map(|e| ctx.locale.t(e.key).to_owned())
                    .unwrap_or_default();
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn status_look(
    State(state): State<AppState>,
    ctx: Ctx,
    FormBody(f): FormBody<StatusForm>,
) -> Result<Response, WebError> {
    answer(&state, &ctx, f, false).await
}

pub(crate) async fn add_info(
    State(state): State<AppState>,
    ctx: Ctx,
    FormBody(f): FormBody<StatusForm>,
) -> Result<Response, WebError> {
    answer(&state, &ctx, f, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_mark_tells_a_person_from_a_script() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let mark = time_mark(secret, 1_000_000);
        assert!(mark_is_human(secret, &mark, 1_000_000 + 60_000));
        assert!(!mark_is_human(secret, &mark, 1_000_000 + 1_000), "too fast");
        assert!(
            !mark_is_human(secret, &mark, 1_000_000 + OLDEST_MS + 1),
            "stale"
        );
        assert!(
            !mark_is_human(b"another secret", &mark, 1_060_000),
            "forged"
        );
        assert!(!mark_is_human(secret, "1000000.00", 1_060_000));
        assert!(!mark_is_human(secret, "1000000..00", 1_060_000));
        assert_ne!(
            time_mark(secret, 5),
            time_mark(secret, 5),
            "each form its own"
        );
        assert!(!mark_is_human(secret, "", 1_060_000));
    }
}
