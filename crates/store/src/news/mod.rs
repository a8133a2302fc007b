//! News (*Berita*, issue 14, item 2): articles of the task forces' units on the public site.
//!
//! Who may do what is the policy table's: `WriteNews` on the unit's region (and, for an
//! article on record, the actor's own unit: "per unit") writes, edits and sends for review;
//! `PublishNews` on the subtree publishes (now or at a set time), returns with a note, or
//! takes down — never an article the actor sent for review (four eyes). The public reads
//! only what is published and due (`publish_at` passed); anything else is 404 there.
//! Every change is audited; public reads are not (public content).

pub mod cover;

use crate::core::audit::Event;
use crate::core::sql::{Sql, like_escape};
use crate::{Result, Store, StoreError};
use domain::audit::AuditAction;
use domain::authz::role_may;
use domain::news::{NewArticle, NewsCategory, NewsStatus, NewsStep};
use domain::{Action, Actor, Denied, Invalid, RegionCode, Scope, decide};
use serde::Serialize;

/// Articles on one page of the public list.
pub const PUBLIC_PAGE: i64 = 10;
/// Articles on one page of the editors' desk.
pub const DESK_PAGE: i64 = 50;
/// Entries of the Atom feed.
pub const FEED_MAX: i64 = 20;
/// Entries of the sitemap (well under the format's 50,000).
pub const SITEMAP_MAX: i64 = 5_000;
/// Longest search text.
const QUERY_MAX: usize = 100;

/// An article in a list (public or desk).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub lead: String,
    pub category: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub unit_name: String,
    pub status: String,
    pub publish_at: Option<i64>,
    pub updated_at: i64,
}

/// One article, whole.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Article {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub lead: String,
    pub body_md: String,
    pub body_html: String,
    pub category: String,
    pub region_code: Option<String>,
    pub region_name: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    pub unit_region: Option<String>,
    pub status: String,
    pub publish_at: Option<i64>,
    pub cover_alt: Option<String>,
    pub has_cover: i64,
    pub review_note: Option<String>,
    pub created_by: String,
    pub updated_by: String,
    pub submitted_by: Option<String>,
    pub published_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl Article {
    pub fn status(&self) -> Option<NewsStatus> {
        NewsStatus::parse(&self.status)
    }
}

/// A page of articles.
#[derive(Debug, Clone, Serialize)]
pub struct NewsPage {
    pub rows: Vec<ArticleRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// What a visitor filters the public list by.
#[derive(Debug, Clone, Default)]
pub struct NewsFilter {
    /// Words of the title or lead.
    pub q: String,
    /// A province (its regencies too) or a regency.
    pub region: Option<RegionCode>,
    pub category: Option<NewsCategory>,
    /// 1-based.
    pub page: i64,
}

/// What a workflow step carries.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    /// When to publish (unix ms); `None` = now.
    pub publish_at: Option<i64>,
    /// The publisher's note to the writer (a return).
    pub note: String,
}

const ROW_SELECT: &str = "SELECT a.id, a.slug, a.title, a.lead, a.category, a.region_code, r.name AS region_name, \
     u.name AS unit_name, a.status, a.publish_at, a.updated_at \
     FROM news_articles a JOIN units u ON u.id = a.unit_id LEFT JOIN regions r ON r.code = a.region_code";

const ARTICLE_SELECT: &str = "SELECT a.id, a.slug, a.title, a.lead, a.body_md, a.body_html, a.category, a.region_code, \
     r.name AS region_name, a.unit_id, u.name AS unit_name, a.unit_region, a.status, a.publish_at, a.cover_alt, \
     a.has_cover, a.review_note, a.created_by, a.updated_by, a.submitted_by, a.published_by, a.created_at, \
     a.updated_at, a.version FROM news_articles a JOIN units u ON u.id = a.unit_id \
     LEFT JOIN regions r ON r.code = a.region_code";

/// Where an article's unit is, as the policy table reads it.
fn unit_scope(unit_region: Option<&str>) -> Scope {
    Scope::from_code(unit_region.and_then(|c| RegionCode::parse(c).ok()))
}

fn public_filter(q: &mut Sql, now: i64) {
    q.push(" WHERE a.status = 'published' AND a.publish_at <= ")
        .bind_int(now);
}

impl Store {
    // ---- The public side (no actor: public content) ----

    /// The public list: published and due, newest first, filtered.
    pub async fn public_news(&self, f: &NewsFilter) -> Result<NewsPage> {
        let now = self.now_ms();
        let page = f.page.clamp(1, 100_000);
        let words: String = f.q.chars().take(QUERY_MAX).collect();
        let words = crate::regions::fold(&words);
        let filter = |q: &mut Sql| {
            public_filter(q, now);
            if let Some(r) = &f.region {
                q.scope("a.region_code", &Scope::Region(r.clone()));
            }
            if let Some(c) = f.category {
                q.push(" AND a.category = ").bind_text(c.as_str());
            }
            for w in words.split(' ').filter(|w| !w.is_empty()).take(8) {
                let pattern = format!("%{}%", like_escape(w));
                q.push(" AND (LOWER(a.title) LIKE ")
                    .bind_text(pattern.clone())
                    .push(" ESCAPE '\\' OR LOWER(a.lead) LIKE ")
                    .bind_text(pattern)
                    .push(" ESCAPE '\\')");
            }
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM news_articles a");
        filter(&mut count);
        let total: i64 = count.build_scalar().fetch_one(self.pool()).await?;
        let mut q = Sql::new(ROW_SELECT);
        filter(&mut q);
        q.push(" ORDER BY a.publish_at DESC, a.id DESC LIMIT ")
            .bind_int(PUBLIC_PAGE)
            .push(" OFFSET ")
            .bind_int((page - 1) * PUBLIC_PAGE);
        let rows = q.build_as().fetch_all(self.pool()).await?;
        Ok(NewsPage {
            rows,
            total,
            page,
            per_page: PUBLIC_PAGE,
        })
    }

    /// The newest public articles, whole (the feed), at most `limit`.
    pub async fn public_news_latest(&self, limit: i64) -> Result<Vec<Article>> {
        let mut q = Sql::new(ARTICLE_SELECT);
        public_filter(&mut q, self.now_ms());
        q.push(" ORDER BY a.publish_at DESC, a.id DESC LIMIT ")
            .bind_int(limit.clamp(1, FEED_MAX));
        Ok(q.build_as().fetch_all(self.pool()).await?)
    }

    /// The addresses of the public articles, newest first, at most `limit`: (slug, last
    /// change) for the sitemap (no bodies read).
    pub async fn public_news_index(&self, limit: i64) -> Result<Vec<(String, i64)>> {
        let mut q = Sql::new(
            "SELECT a.slug, CASE WHEN a.updated_at > a.publish_at THEN a.updated_at ELSE a.publish_at END \
             FROM news_articles a",
        );
        public_filter(&mut q, self.now_ms());
        q.push(" ORDER BY a.publish_at DESC, a.id DESC LIMIT ")
            .bind_int(limit.clamp(1, SITEMAP_MAX));
        Ok(q.build_as().fetch_all(self.pool()).await?)
    }

    /// A public article by its address; 404 unless published and due.
    pub async fn public_article(&self, slug: &str) -> Result<Article> {
        if !domain::news::is_slug(slug) {
            return Err(StoreError::NotFound);
        }
        let mut q = Sql::new(ARTICLE_SELECT);
        public_filter(&mut q, self.now_ms());
        q.push(" AND a.slug = ").bind_text(slug);
        q.build_as()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A public article's cover at a width (404 unless the article is public).
    pub async fn public_cover(&self, id: i64, width: i64) -> Result<Vec<u8>> {
        let mut q = Sql::new(
            "SELECT i.body FROM news_images i JOIN news_articles a ON a.id = i.article_id",
        );
        public_filter(&mut q, self.now_ms());
        q.push(" AND a.id = ")
            .bind_int(id)
            .push(" AND i.width = ")
            .bind_int(width);
        q.build_scalar()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The widths an article's cover is kept at, narrowest first (public or not: the
    /// caller has the article already).
    pub async fn cover_widths(&self, id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT width, height FROM news_images WHERE article_id = $1 ORDER BY width",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?)
    }

    // ---- The editors' desk ----

    /// Whether the actor's role writes or publishes news at all (403 otherwise).
    fn news_role(actor: &Actor) -> Result<()> {
        if role_may(actor.role, Action::WriteNews) || role_may(actor.role, Action::PublishNews) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// The desk: the articles of the actor's unit, and those waiting for review (or
    /// published) in the subtree when the actor publishes. Newest change first.
    pub async fn news_desk(&self, actor: &Actor, page: i64) -> Result<NewsPage> {
        Self::news_role(actor)?;
        let page = page.clamp(1, 100_000);
        let publishes = decide(actor, Action::PublishNews, &actor.scope).is_ok();
        let filter = |q: &mut Sql| {
            q.push(" WHERE (a.unit_id = ").bind_int(actor.unit_id.0);
            if publishes {
                q.push(" OR (a.status <> 'draft'");
                q.scope("a.unit_region", &actor.scope);
                if actor.scope != Scope::National {
                    q.push(" AND a.unit_region IS NOT NULL");
                }
                q.push(")");
            }
            q.push(")");
        };
        let mut count = Sql::new("SELECT COUNT(*) FROM news_articles a");
        filter(&mut count);
        let total: i64 = count.build_scalar().fetch_one(self.pool()).await?;
        let mut q = Sql::new(ROW_SELECT);
        filter(&mut q);
        q.push(" ORDER BY CASE WHEN a.status = 'in_review' THEN 0 ELSE 1 END, a.updated_at DESC, a.id DESC LIMIT ")
            .bind_int(DESK_PAGE)
            .push(" OFFSET ")
            .bind_int((page - 1) * DESK_PAGE);
        let rows = q.build_as().fetch_all(self.pool()).await?;
        Ok(NewsPage {
            rows,
            total,
            page,
            per_page: DESK_PAGE,
        })
    }

    async fn article_row(&self, id: i64) -> Result<Article> {
        let mut q = Sql::new(ARTICLE_SELECT);
        q.push(" WHERE a.id = ").bind_int(id);
        q.build_as()
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// May the actor write this article (its unit's editor)?
    pub fn may_write(actor: &Actor, a: &Article) -> bool {
        a.unit_id == actor.unit_id.0
            && decide(
                actor,
                Action::WriteNews,
                &unit_scope(a.unit_region.as_deref()),
            )
            .is_ok()
    }

    /// May the actor publish this article (publisher of its unit's region or above)?
    pub fn may_publish(actor: &Actor, a: &Article) -> bool {
        decide(
            actor,
            Action::PublishNews,
            &unit_scope(a.unit_region.as_deref()),
        )
        .is_ok()
    }

    /// An article on the desk: its unit's writers, and publishers above it once it was sent
    /// (a draft stays the unit's own). 404 for anyone else.
    pub async fn news_article(&self, actor: &Actor, id: i64) -> Result<Article> {
        Self::news_role(actor)?;
        let a = self.article_row(id).await?;
        let draft = a.status() == Some(NewsStatus::Draft);
        if Self::may_write(actor, &a) || (!draft && Self::may_publish(actor, &a)) {
            Ok(a)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The cover of an article on the desk, at a width.
    pub async fn news_cover(&self, actor: &Actor, id: i64, width: i64) -> Result<Vec<u8>> {
        self.news_article(actor, id).await?;
        sqlx::query_scalar("SELECT body FROM news_images WHERE article_id = $1 AND width = $2")
            .bind(id)
            .bind(width)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Checks the region an article is about.
    async fn news_region(&self, a: &NewArticle) -> Result<()> {
        if let Some(r) = &a.region {
            let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM regions WHERE code = $1")
                .bind(r.as_str())
                .fetch_optional(self.pool())
                .await?;
            if known.is_none() {
                let mut errs = Invalid::default();
                errs.push("region", "err.region_not_found");
                return Err(StoreError::Invalid(errs));
            }
        }
        Ok(())
    }

    /// A new draft of the actor's unit; returns its id. A cover (PNG or JPEG) is resized
    /// and re-encoded; a cover needs its alternative text.
    pub async fn create_article(
        &self,
        actor: &Actor,
        a: &NewArticle,
        cover_bytes: Option<&[u8]>,
    ) -> Result<i64> {
        let unit_region: Option<Option<String>> =
            sqlx::query_scalar("SELECT region_code FROM units WHERE id = $1")
                .bind(actor.unit_id.0)
                .fetch_optional(self.pool())
                .await?;
        let unit_region = unit_region.ok_or(StoreError::NotFound)?;
        let allowed = self.allow(
            actor,
            Action::WriteNews,
            &unit_scope(unit_region.as_deref()),
        )?;
        self.news_region(a).await?;
        let images = checked_cover(a, cover_bytes, false).await?;
        let html = domain::news::render_body(&a.body);
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let slug = free_slug(&mut w, &domain::news::slugify(&a.title), None).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO news_articles (slug, title, lead, body_md, body_html, category, region_code, unit_id, \
             unit_region, status, cover_alt, has_cover, created_by, updated_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11, $12, $12, $13, $13) RETURNING id",
        )
        .bind(&slug)
        .bind(&a.title)
        .bind(&a.lead)
        .bind(&a.body)
        .bind(&html)
        .bind(a.category.as_str())
        .bind(a.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(actor.unit_id.0)
        .bind(unit_region)
        .bind(a.cover_alt.clone())
        .bind(i64::from(images.is_some()))
        .bind(&actor.username)
        .bind(now)
        .fetch_one(&mut *w)
        .await?;
        if let Some(images) = images {
            store_cover(&mut w, id, images).await?;
        }
        w.audit(Event {
            action: AuditAction::NewsCreate,
            record_type: "news",
            record_id: id.to_string(),
            detail: slug,
        })
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Changes an article's text (and cover) — its unit's writers, while it is not
    /// published; `version` is the one the form was read at (a newer state refuses it).
    pub async fn update_article(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        a: &NewArticle,
        cover_bytes: Option<&[u8]>,
        remove_cover: bool,
    ) -> Result<()> {
        let cur = self.news_article(actor, id).await?;
        if !Self::may_write(actor, &cur) {
            return Err(Denied::NotFound.into());
        }
        let allowed = self.allow(
            actor,
            Action::WriteNews,
            &unit_scope(cur.unit_region.as_deref()),
        )?;
        self.news_region(a).await?;
        let keeps_cover = cur.has_cover == 1 && !remove_cover;
        let images = checked_cover(a, cover_bytes, keeps_cover).await?;
        let html = domain::news::render_body(&a.body);
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let has_cover = images.is_some() || keeps_cover;
        // The address follows the title until the article is first published (a corrected
        // draft title leaves nothing of the first one in the address); then it stays.
        let slug = if cur.published_by.is_none() {
            free_slug(&mut w, &domain::news::slugify(&a.title), Some(id)).await?
        } else {
            cur.slug.clone()
        };
        let done = sqlx::query(
            "UPDATE news_articles SET title = $1, lead = $2, body_md = $3, body_html = $4, category = $5, \
             region_code = $6, cover_alt = $7, has_cover = $8, updated_by = $9, updated_at = $10, \
             version = version + 1, slug = $13 WHERE id = $11 AND version = $12 \
             AND status IN ('draft', 'unpublished')",
        )
        .bind(&a.title)
        .bind(&a.lead)
        .bind(&a.body)
        .bind(&html)
        .bind(a.category.as_str())
        .bind(a.region.as_ref().map(|r| r.as_str().to_owned()))
        .bind(if has_cover { a.cover_alt.clone() } else { None })
        .bind(i64::from(has_cover))
        .bind(&actor.username)
        .bind(now)
        .bind(id)
        .bind(version)
        .bind(&slug)
        .execute(&mut *w)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict(match cur.status() {
                Some(NewsStatus::Published) => "conflict.news_published",
                Some(NewsStatus::InReview) => "conflict.news_in_review",
                _ => "conflict.changed",
            }));
        }
        if images.is_some() || !has_cover {
            sqlx::query("DELETE FROM news_images WHERE article_id = $1")
                .bind(id)
                .execute(&mut *w)
                .await?;
        }
        if let Some(images) = images {
            store_cover(&mut w, id, images).await?;
        }
        w.audit(Event {
            action: AuditAction::NewsUpdate,
            record_type: "news",
            record_id: id.to_string(),
            detail: String::new(),
        })
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// One step of the workflow, from the state the form was read at (`version`).
    pub async fn news_step(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        step: NewsStep,
        input: &StepInput,
    ) -> Result<()> {
        let cur = self.news_article(actor, id).await?;
        let (action, may) = if step.is_publishers() {
            (Action::PublishNews, Self::may_publish(actor, &cur))
        } else {
            (Action::WriteNews, Self::may_write(actor, &cur))
        };
        if !may {
            return Err(if role_may(actor.role, action) {
                StoreError::NotFound
            } else {
                StoreError::Forbidden
            });
        }
        let allowed = self.allow(actor, action, &unit_scope(cur.unit_region.as_deref()))?;
        let from = cur.status().ok_or(StoreError::NotFound)?;
        let Some(to) = step.apply(from) else {
            return Err(StoreError::Conflict("conflict.news_step"));
        };
        // Four eyes: who sent it for review does not publish or return it.
        if matches!(step, NewsStep::Publish | NewsStep::Return)
            && cur.submitted_by.as_deref() == Some(actor.username.as_str())
        {
            return Err(StoreError::Conflict("conflict.news_own"));
        }
        let note = if step == NewsStep::Return {
            let mut errs = Invalid::default();
            let n = errs.take(domain::news::parse_note(&input.note));
            errs.into_result(n).map_err(StoreError::Invalid)?
        } else {
            None
        };
        let mut w = self.write(allowed).await?;
        let now = w.now_ms();
        let mut q = Sql::new("UPDATE news_articles SET status = ");
        q.bind_text(to.as_str())
            .push(", updated_at = ")
            .bind_int(now)
            .push(", version = version + 1");
        let (action, detail) = match step {
            NewsStep::Submit => {
                q.push(", submitted_by = ")
                    .bind_text(actor.username.clone())
                    .push(", review_note = NULL");
                (AuditAction::NewsSubmit, String::new())
            }
            NewsStep::Return => {
                q.push(", review_note = ")
                    .bind_text(note.unwrap_or_default());
                (AuditAction::NewsReturn, String::new())
            }
            NewsStep::Publish => {
                let at = input.publish_at.unwrap_or(now);
                q.push(", publish_at = ")
                    .bind_int(at)
                    .push(", published_by = ")
                    .bind_text(actor.username.clone());
                (AuditAction::NewsPublish, format!("at={at}"))
            }
            NewsStep::Unpublish => (AuditAction::NewsUnpublish, String::new()),
        };
        q.push(" WHERE id = ")
            .bind_int(id)
            .push(" AND version = ")
            .bind_int(version)
            .push(" AND status = ")
            .bind_text(from.as_str());
        let done = q.build().execute(&mut *w).await?.rows_affected();
        if done == 0 {
            return Err(StoreError::Conflict("conflict.changed"));
        }
        w.audit(Event {
            action,
            record_type: "news",
            record_id: id.to_string(),
            detail,
        })
        .await?;
        w.commit().await?;
        Ok(())
    }
}

/// The cover's renditions, checked before the write opens: a cover needs its alternative
/// text (also when the one kept stays).
async fn checked_cover(
    a: &NewArticle,
    cover_bytes: Option<&[u8]>,
    keeps_cover: bool,
) -> Result<Option<Vec<cover::Rendition>>> {
    let images = match cover_bytes {
        Some(b) if !b.is_empty() => Some(cover::renditions_off_thread(b.to_vec()).await?),
        _ => None,
    };
    if (images.is_some() || keeps_cover) && a.cover_alt.is_none() {
        let mut errs = Invalid::default();
        errs.push("cover_alt", "err.required");
        return Err(StoreError::Invalid(errs));
    }
    Ok(images)
}

/// `base`, or `base-2`, `base-3` … — the first address no other article has.
async fn free_slug(
    w: &mut crate::core::write::Write<'_>,
    base: &str,
    own: Option<i64>,
) -> Result<String> {
    let mut slug = base.to_owned();
    let mut n = 1;
    loop {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM news_articles WHERE slug = $1")
            .bind(&slug)
            .fetch_optional(&mut **w)
            .await?;
        if taken.is_none() || taken == own {
            return Ok(slug);
        }
        n += 1;
        slug = format!("{base}-{n}");
    }
}

async fn store_cover(
    w: &mut crate::core::write::Write<'_>,
    id: i64,
    images: Vec<cover::Rendition>,
) -> Result<()> {
    for (width, height, body) in images {
        sqlx::query(
            "INSERT INTO news_images (article_id, width, height, body) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(width)
        .bind(height)
        .bind(body)
        .execute(&mut **w)
        .await?;
    }
    Ok(())
}
