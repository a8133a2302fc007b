//! The news desk: editors (*humas*) of a unit write the unit's articles and send them for
//! review; editors and administrators of the unit's region or above publish them (now or
//! at a set time), return them with a note, or take them down. The public pages are in
//! `public::news`; who may do what is the store's (`store::news`).

mod api;

pub(crate) use api::NewsDoc;

use crate::http::context::User;
use crate::http::error::WebError;
use crate::http::extract::IdPath;
use crate::http::page::{Errors, Page, render};
use crate::shared::forms::{Refusal, finish};
use crate::shared::pager::{PageLink, links};
use crate::{AppState, Routes};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::news::{ArticleInput, NewArticle, NewsCategory, NewsStatus, NewsStep};
use serde::{Deserialize, Serialize};
use store::StoreError;
use store::news::{Article, ArticleRow, StepInput};

pub(crate) fn routes(r: Routes) -> Routes {
    let upload = || axum::extract::DefaultBodyLimit::max(crate::UPLOAD_BODY_LIMIT);
    let r = r
        .add(
            "/news",
            &["GET", "POST"],
            get(desk).post(create).layer(upload()),
        )
        .add("/news/new", &["GET"], get(new_form))
        .add(
            "/news/{id}",
            &["GET", "POST"],
            get(view).post(update).layer(upload()),
        )
        .add("/news/{id}/step", &["POST"], post(step))
        .add("/news/{id}/cover/{width}", &["GET"], get(cover));
    api::routes(r)
}

/// The desk's forms that carry a cover picture (multipart, with the upload limit).
pub(crate) fn is_upload_path(path: &str) -> bool {
    path == "/news"
        || path
            .strip_prefix("/news/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

use crate::public::{Places, places};

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeskQuery {
    page: i64,
    ok: Option<String>,
}

#[derive(Template)]
#[template(path = "news/desk.html")]
struct DeskPage {
    page: Page,
    rows: Vec<ArticleRow>,
    total: i64,
    pages: Vec<PageLink>,
    may_write: bool,
}

async fn desk(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<DeskQuery>,
) -> Result<Response, WebError> {
    let p = state
        .store
        .news_desk(user.actor(), q.page.clamp(0, 99_999) + 1)
        .await?;
    let pages = links(q.page.max(0), p.per_page, p.total, |n| {
        format!("/news?page={n}")
    });
    Ok(render(&DeskPage {
        page: Page::from_ctx(&user.ctx, "news.desk").with_flash(q.ok.as_deref()),
        rows: p.rows,
        total: p.total,
        pages,
        may_write: domain::authz::role_may(user.actor().role, domain::Action::WriteNews),
    })?
    .into_response())
}

/// The article form as typed (kept when it is refused).
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(crate) struct ArticleForm {
    pub title: String,
    pub lead: String,
    pub body: String,
    pub category: String,
    pub region: String,
    pub cover_alt: String,
    /// `1` to remove the cover kept.
    pub remove_cover: String,
    pub version: String,
}

impl ArticleForm {
    fn of(a: &Article) -> ArticleForm {
        ArticleForm {
            title: a.title.clone(),
            lead: a.lead.clone(),
            body: a.body_md.clone(),
            category: a.category.clone(),
            region: a.region_code.clone().unwrap_or_default(),
            cover_alt: a.cover_alt.clone().unwrap_or_default(),
            remove_cover: String::new(),
            version: a.version.to_string(),
        }
    }
    fn input(&self) -> ArticleInput {
        ArticleInput {
            title: self.title.clone(),
            lead: self.lead.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            region: self.region.clone(),
            cover_alt: self.cover_alt.clone(),
        }
    }
}

/// The step form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct StepForm {
    op: String,
    version: String,
    publish_at: String,
    note: String,
}

#[derive(Template)]
#[template(path = "news/edit.html")]
struct EditPage {
    page: Page,
    article: Option<Article>,
    f: ArticleForm,
    errs: Errors,
    places: Places,
    may_write: bool,
    may_publish: bool,
    /// The cover widths kept (width, height).
    widths: Vec<(i64, i64)>,
    step_errs: Errors,
    step: StepFormView,
}

/// What the step form shows again when it was refused.
#[derive(Default, Clone)]
struct StepFormView {
    publish_at: String,
    note: String,
}

impl EditPage {
    fn categories(&self) -> Vec<&'static str> {
        NewsCategory::ALL.iter().map(|c| c.as_str()).collect()
    }
    /// Whether the text form is shown: while the article may be changed, and again with
    /// what was typed when a change was refused (it was published meanwhile).
    fn editable(&self) -> bool {
        self.may_write
            && (self.errs.any()
                || self
                    .article
                    .as_ref()
                    .is_none_or(|a| a.status().is_some_and(NewsStatus::editable)))
    }
    fn can(&self, step: &str) -> bool {
        let (Some(a), Some(step)) = (&self.article, NewsStep::parse(step)) else {
            return false;
        };
        let Some(from) = a.status() else {
            return false;
        };
        let who = if step.is_publishers() {
            self.may_publish
        } else {
            self.may_write
        };
        who && step.apply(from).is_some()
    }
    fn own_submission(&self) -> bool {
        self.article.as_ref().is_some_and(|a| {
            self.page
                .user
                .as_ref()
                .is_some_and(|u| a.submitted_by.as_deref() == Some(u.username.as_str()))
        })
    }
    /// A publisher opening an article waiting for review sees the decision first (the text
    /// folds away, so a change is saved on purpose, not lost by publishing).
    fn review_first(&self) -> bool {
        self.may_publish
            && !self.own_submission()
            && self
                .article
                .as_ref()
                .is_some_and(|a| a.status() == Some(NewsStatus::InReview))
    }
    fn is_public(&self) -> bool {
        self.article
            .as_ref()
            .is_some_and(|a| a.status() == Some(NewsStatus::Published))
    }
    fn small_width(&self) -> i64 {
        self.widths.first().map(|w| w.0).unwrap_or(400)
    }
}

struct EditState {
    f: ArticleForm,
    errs: Errors,
    step_errs: Errors,
    step: StepFormView,
}

async fn edit_page(
    state: &AppState,
    user: &User,
    article: Option<Article>,
    s: EditState,
    ok: Option<&str>,
) -> Result<Html<String>, WebError> {
    let actor = user.actor();
    let (may_write, may_publish) = match &article {
        Some(a) => (
            store::Store::may_write(actor, a),
            store::Store::may_publish(actor, a),
        ),
        None => (true, false),
    };
    let widths = match &article {
        Some(a) if a.has_cover == 1 => state.store.cover_widths(a.id).await?,
        _ => Vec::new(),
    };
    let title = if article.is_some() {
        "news.edit"
    } else {
        "news.new"
    };
    render(&EditPage {
        page: Page::from_ctx(&user.ctx, title).with_flash(ok),
        article,
        f: s.f,
        errs: s.errs,
        places: places(state).await?,
        may_write,
        may_publish,
        widths,
        step_errs: s.step_errs,
        step: s.step,
    })
}

async fn new_form(State(state): State<AppState>, user: User) -> Result<Response, WebError> {
    if !domain::authz::role_may(user.actor().role, domain::Action::WriteNews) {
        return Err(WebError::Forbidden);
    }
    let f = ArticleForm {
        category: NewsCategory::Activity.as_str().into(),
        ..Default::default()
    };
    let s = EditState {
        f,
        errs: Errors::default(),
        step_errs: Errors::default(),
        step: StepFormView::default(),
    };
    Ok(edit_page(&state, &user, None, s, None)
        .await?
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OkQuery {
    ok: Option<String>,
}

async fn view(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    Query(q): Query<OkQuery>,
) -> Result<Response, WebError> {
    let a = state.store.news_article(user.actor(), id).await?;
    let s = EditState {
        f: ArticleForm::of(&a),
        errs: Errors::default(),
        step_errs: Errors::default(),
        step: StepFormView::default(),
    };
    Ok(edit_page(&state, &user, Some(a), s, q.ok.as_deref())
        .await?
        .into_response())
}

/// The article form as sent (multipart with the cover, or url-encoded without), its cover
/// bytes, and text parts that were not UTF-8 (refused on their field).
fn read_form(
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<(ArticleForm, Option<Vec<u8>>, domain::Invalid), WebError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = crate::http::multipart::boundary(content_type) else {
        let f = crate::http::extract::parse_form(body)?;
        return Ok((f, None, domain::Invalid::default()));
    };
    let parts = crate::http::multipart::parse(&boundary, body)
        .ok_or_else(|| WebError::BadRequest("form".into()))?;
    let mut f = ArticleForm::default();
    let mut cover = None;
    let mut errs = domain::Invalid::default();
    for p in parts {
        if p.name == "cover" && p.filename.is_some() {
            if !p.data.is_empty() {
                cover = Some(p.data.to_vec());
            }
            continue;
        }
        let slot = match p.name.as_str() {
            "title" => &mut f.title,
            "lead" => &mut f.lead,
            "body" => &mut f.body,
            "category" => &mut f.category,
            "region" => &mut f.region,
            "cover_alt" => &mut f.cover_alt,
            "remove_cover" => &mut f.remove_cover,
            "version" => &mut f.version,
            _ => continue,
        };
        match p.text() {
            Some(v) => *slot = v.to_owned(),
            None => errs.push(&p.name, "err.utf8"),
        }
    }
    Ok((f, cover, errs))
}

/// The form read and checked: the article, or every problem on its field.
fn parsed(f: &ArticleForm, read_errs: domain::Invalid) -> Result<NewArticle, StoreError> {
    let mut errs = read_errs;
    let a = match NewArticle::parse(&f.input()) {
        Ok(a) => Some(a),
        Err(e) => {
            errs.0.extend(e.0);
            None
        }
    };
    match a {
        Some(a) if errs.is_empty() => Ok(a),
        _ => Err(StoreError::Invalid(errs)),
    }
}

async fn create(
    State(state): State<AppState>,
    user: User,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(user.actor().role, domain::Action::WriteNews) {
        return Err(WebError::Forbidden);
    }
    let (f, cover, read_errs) = read_form(&headers, &body)?;
    let result = match parsed(&f, read_errs) {
        Ok(a) => {
            state
                .store
                .create_article(user.actor(), &a, cover.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    finish(
        result,
        |id| format!("/news/{id}?ok=news_saved"),
        async |refusal: Refusal| {
            let s = EditState {
                errs: refusal.errors(user.ctx.locale),
                f,
                step_errs: Errors::default(),
                step: StepFormView::default(),
            };
            edit_page(&state, &user, None, s, None).await
        },
    )
    .await
}

async fn update(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    // Who may not see the article learns nothing from the form (403 or 404 first).
    state.store.news_article(user.actor(), id).await?;
    let (f, cover, read_errs) = read_form(&headers, &body)?;
    let version = domain::value::id::parse(f.version.trim());
    let result = match (parsed(&f, read_errs), version) {
        (Ok(a), Some(v)) => {
            state
                .store
                .update_article(
                    user.actor(),
                    id,
                    v,
                    &a,
                    cover.as_deref(),
                    f.remove_cover == "1",
                )
                .await
        }
        (Err(e), _) => Err(e),
        (Ok(_), None) => Err(StoreError::Conflict("conflict.changed")),
    };
    finish(
        result,
        |()| format!("/news/{id}?ok=news_saved"),
        async |refusal: Refusal| {
            let a = state.store.news_article(user.actor(), id).await?;
            let s = EditState {
                errs: refusal.errors(user.ctx.locale),
                f,
                step_errs: Errors::default(),
                step: StepFormView::default(),
            };
            edit_page(&state, &user, Some(a), s, None).await
        },
    )
    .await
}

async fn step(
    State(state): State<AppState>,
    user: User,
    IdPath(id): IdPath<i64>,
    crate::http::extract::FormBody(f): crate::http::extract::FormBody<StepForm>,
) -> Result<Response, WebError> {
    let mut errs = domain::Invalid::default();
    let version = domain::value::id::parse(f.version.trim());
    let zone = match &user.actor().scope {
        domain::Scope::Region(c) => domain::time::Zone::of_region(c.as_str()),
        domain::Scope::National => domain::time::Zone::Wib,
    };
    let publish_at = match f.publish_at.trim() {
        "" => None,
        s => {
            let at = domain::value::instant::parse(s, zone);
            if at.is_none() {
                errs.push("publish_at", "err.datetime");
            }
            at
        }
    };
    let op = NewsStep::parse(f.op.trim());
    let result = match (op, version) {
        (Some(op), Some(v)) if errs.is_empty() => state
            .store
            .news_step(
                user.actor(),
                id,
                v,
                op,
                &StepInput {
                    publish_at,
                    note: f.note.clone(),
                },
            )
            .await
            .map(|()| op),
        (None, _) => {
            // No step named: the article must still be the actor's to see (404 otherwise).
            state.store.news_article(user.actor(), id).await?;
            Err(StoreError::Conflict("conflict.news_step"))
        }
        (Some(_), None) => Err(StoreError::Conflict("conflict.changed")),
        _ => Err(StoreError::Invalid(errs)),
    };
    finish(
        result,
        |op| format!("/news/{id}?ok=news_{}", op.as_str()),
        async |refusal: Refusal| {
            let a = state.store.news_article(user.actor(), id).await?;
            let s = EditState {
                f: ArticleForm::of(&a),
                errs: Errors::default(),
                step_errs: refusal.errors(user.ctx.locale),
                step: StepFormView {
                    publish_at: f.publish_at.clone(),
                    note: f.note.clone(),
                },
            };
            edit_page(&state, &user, Some(a), s, None).await
        },
    )
    .await
}

/// The cover of an article on the desk (the public one is served by `public::news`).
async fn cover(
    State(state): State<AppState>,
    user: User,
    axum::extract::Path((id, width)): axum::extract::Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = domain::value::id::parse(&id).ok_or(WebError::NotFound)?;
    let width = domain::value::id::parse(&width).ok_or(WebError::NotFound)?;
    let bytes = state.store.news_cover(user.actor(), id, width).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        bytes,
    )
        .into_response())
}
