//! The JSON API of the news desk: list, write, read, change, and the workflow's steps —
//! the same store calls and rules as the pages (a cover picture is uploaded on the page).

use crate::http::context::ApiUser;
use crate::http::error::WebError;
use crate::http::extract::{IdPath, JsonBody};
use crate::{AppState, Routes};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use domain::FieldError;
use domain::news::{ArticleInput, NewArticle, NewsStep};
use serde::{Deserialize, Serialize};
use store::news::{Article, ArticleRow, StepInput};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) fn routes(r: Routes) -> Routes {
    r.add(
        "/api/v1/news",
        &["GET", "POST"],
        get(list_news).post(create_news),
    )
    .add(
        "/api/v1/news/{id}",
        &["GET", "PUT"],
        get(get_news).put(update_news),
    )
    .add("/api/v1/news/{id}/step", &["POST"], post(step_news))
}

#[derive(OpenApi)]
#[openapi(
    paths(list_news, create_news, get_news, update_news, step_news),
    components(schemas(NewsRowOut, NewsOut, NewsIn, NewsStepIn))
)]
pub(crate) struct NewsDoc;

/// An article in the desk's list.
#[derive(Serialize, ToSchema)]
pub struct NewsRowOut {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub lead: String,
    pub category: String,
    pub region_code: Option<String>,
    pub unit_name: String,
    /// draft, in_review, published, unpublished
    pub status: String,
    /// Unix ms; a later time than now: scheduled.
    pub publish_at: Option<i64>,
    pub updated_at: i64,
}

impl From<ArticleRow> for NewsRowOut {
    fn from(r: ArticleRow) -> Self {
        NewsRowOut {
            id: r.id,
            slug: r.slug,
            title: r.title,
            lead: r.lead,
            category: r.category,
            region_code: r.region_code,
            unit_name: r.unit_name,
            status: r.status,
            publish_at: r.publish_at,
            updated_at: r.updated_at,
        }
    }
}

/// One article, whole.
#[derive(Serialize, ToSchema)]
pub struct NewsOut {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub lead: String,
    /// Markdown as written.
    pub body: String,
    /// The body rendered and cleaned by the sanitiser (what the public page shows).
    pub body_html: String,
    pub category: String,
    pub region_code: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub status: String,
    pub publish_at: Option<i64>,
    pub has_cover: bool,
    pub cover_alt: Option<String>,
    /// The publisher's note when the article was returned.
    pub review_note: Option<String>,
    pub submitted_by: Option<String>,
    pub published_by: Option<String>,
    pub updated_at: i64,
    /// Send it back with a change or a step: a newer state refuses it (409).
    pub version: i64,
}

impl From<Article> for NewsOut {
    fn from(a: Article) -> Self {
        NewsOut {
            id: a.id,
            slug: a.slug,
            title: a.title,
            lead: a.lead,
            body: a.body_md,
            body_html: a.body_html,
            category: a.category,
            region_code: a.region_code,
            unit_id: a.unit_id,
            unit_name: a.unit_name,
            status: a.status,
            publish_at: a.publish_at,
            has_cover: a.has_cover == 1,
            cover_alt: a.cover_alt,
            review_note: a.review_note,
            submitted_by: a.submitted_by,
            published_by: a.published_by,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

/// An article as written (a cover picture is uploaded on the page).
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewsIn {
    pub title: String,
    pub lead: String,
    /// Markdown; HTML in it is cleaned away.
    pub body: String,
    /// coordination, activity, awareness, services, policy, announcement
    pub category: String,
    /// A province or regency code; empty for national.
    pub region_code: String,
    /// Required while the article has a cover.
    pub cover_alt: String,
    /// For a change: the `version` read.
    pub version: Option<i64>,
}

impl NewsIn {
    fn parse(&self) -> Result<NewArticle, domain::Invalid> {
        NewArticle::parse(&ArticleInput {
            title: self.title.clone(),
            lead: self.lead.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            region: self.region_code.clone(),
            cover_alt: self.cover_alt.clone(),
        })
    }
}

/// A step of the workflow.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct NewsStepIn {
    /// submit, return, publish, unpublish
    pub op: String,
    /// The `version` read.
    pub version: i64,
    /// When to publish (RFC 3339, e.g. `2026-12-09T08:00:00+07:00`); absent: now.
    pub publish_at: Option<String>,
    /// Required to return an article.
    pub note: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct NewsQuery {
    /// 1-based page of 50.
    pub page: i64,
}

#[utoipa::path(get, path = "/api/v1/news", tag = "news", params(NewsQuery),
    responses((status = 200, body = Vec<NewsRowOut>), (status = 403, description = "Role writes and publishes no news")),
    security(("bearer" = [])))]
async fn list_news(
    State(state): State<AppState>,
    u: ApiUser,
    Query(q): Query<NewsQuery>,
) -> Result<Json<Vec<NewsRowOut>>, WebError> {
    let p = state.store.news_desk(&u.actor, q.page.max(1)).await?;
    Ok(Json(p.rows.into_iter().map(NewsRowOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/news", tag = "news", request_body = NewsIn,
    responses((status = 201, body = NewsOut), (status = 422, description = "Invalid fields"), (status = 403)),
    security(("bearer" = [])))]
async fn create_news(
    State(state): State<AppState>,
    u: ApiUser,
    JsonBody(b): JsonBody<NewsIn>,
) -> Result<Response, WebError> {
    if !domain::authz::role_may(u.actor.role, domain::Action::WriteNews) {
        return Err(WebError::Forbidden);
    }
    let a = b.parse()?;
    let id = state.store.create_article(&u.actor, &a, None).await?;
    let out: NewsOut = state.store.news_article(&u.actor, id).await?.into();
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

#[utoipa::path(get, path = "/api/v1/news/{id}", tag = "news", params(("id" = i64, Path)),
    responses((status = 200, body = NewsOut), (status = 404)), security(("bearer" = [])))]
async fn get_news(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
) -> Result<Json<NewsOut>, WebError> {
    Ok(Json(state.store.news_article(&u.actor, id).await?.into()))
}

#[utoipa::path(put, path = "/api/v1/news/{id}", tag = "news", params(("id" = i64, Path)), request_body = NewsIn,
    responses((status = 200, body = NewsOut), (status = 404), (status = 409, description = "Changed meanwhile, or published"), (status = 422)),
    security(("bearer" = [])))]
async fn update_news(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<NewsIn>,
) -> Result<Json<NewsOut>, WebError> {
    state.store.news_article(&u.actor, id).await?;
    let a = b.parse()?;
    let version = b
        .version
        .ok_or_else(|| WebError::Invalid(vec![FieldError::new("version", "err.required")]))?;
    state
        .store
        .update_article(&u.actor, id, version, &a, None, false)
        .await?;
    Ok(Json(state.store.news_article(&u.actor, id).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/news/{id}/step", tag = "news", params(("id" = i64, Path)), request_body = NewsStepIn,
    responses((status = 200, body = NewsOut), (status = 404), (status = 409, description = "The step does not apply now, or it is the sender's own"), (status = 422)),
    security(("bearer" = [])))]
async fn step_news(
    State(state): State<AppState>,
    u: ApiUser,
    IdPath(id): IdPath<i64>,
    JsonBody(b): JsonBody<NewsStepIn>,
) -> Result<Json<NewsOut>, WebError> {
    state.store.news_article(&u.actor, id).await?;
    let op = NewsStep::parse(b.op.trim())
        .ok_or_else(|| WebError::Invalid(vec![FieldError::new("op", "err.choice")]))?;
    let publish_at = match b
        .publish_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(
            domain::value::instant::parse(s, domain::time::Zone::Wib).ok_or_else(|| {
                WebError::Invalid(vec![FieldError::new("publish_at", "err.datetime")])
            })?,
        ),
    };
    state
        .store
        .news_step(
            &u.actor,
            id,
            b.version,
            op,
            &StepInput {
                publish_at,
                note: b.note.clone(),
            },
        )
        .await?;
    Ok(Json(state.store.news_article(&u.actor, id).await?.into()))
}
