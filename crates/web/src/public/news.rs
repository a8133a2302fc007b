//! The office's news on the public site: the list (date and time, title, lead, "Baca
//! selengkapnya"), with paging, search and filters by province and category; the article
//! page with its Open Graph tags; the cover pictures; the Atom feed; `sitemap.xml`.
//! Only published articles whose time has come are served; anything else is 404.

use super::pages::cacheable;
use crate::AppState;
use crate::http::context::Ctx;
use crate::http::error::WebError;
use crate::http::page::{Page, render};
use crate::shared::pager::{PageLink, links};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use domain::news::NewsCategory;
use serde::Deserialize;
use store::news::{Article, ArticleRow, NewsFilter};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    q: String,
    /// A province code.
    wilayah: String,
    kategori: String,
    page: i64,
}

#[derive(Template)]
#[template(path = "public/news_list.html")]
struct ListPage {
    page: Page,
    rows: Vec<ArticleRow>,
    total: i64,
    pages: Vec<PageLink>,
    q: String,
    wilayah: String,
    kategori: String,
    provinces: Vec<(String, String)>,
}

impl ListPage {
    fn categories(&self) -> Vec<&'static str> {
        NewsCategory::ALL.iter().map(|c| c.as_str()).collect()
    }
}

/// The provinces (code, name), for the filter.
async fn provinces(state: &AppState) -> Result<Vec<(String, String)>, WebError> {
    Ok(state
        .store
        .complaint_places()
        .await?
        .iter()
        .filter(|(code, _, province)| code == province)
        .map(|(code, name, _)| (code.clone(), name.clone()))
        .collect())
}

pub(crate) async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    // Filters that name nothing known are ignored, not errors: a visitor's link stays usable.
    let region = domain::RegionCode::parse(q.wilayah.trim()).ok();
    let category = NewsCategory::parse(q.kategori.trim());
    let filter = NewsFilter {
        q: q.q.clone(),
        region,
        category,
        page: q.page.clamp(0, 99_999) + 1,
    };
    let p = state.store.public_news(&filter).await?;
    let query = |n: i64| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", q.q.trim()),
            ("wilayah", q.wilayah.trim()),
            ("kategori", q.kategori.trim()),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &n.to_string());
        format!("/berita?{}", s.finish())
    };
    let pages = links(q.page.max(0), p.per_page, p.total, query);
    Ok(cacheable(
        render(&ListPage {
            page: Page::from_ctx(&ctx, "berita.title"),
            rows: p.rows,
            total: p.total,
            pages,
            q: q.q.chars().take(100).collect(),
            wilayah: q.wilayah,
            kategori: q.kategori,
            provinces: provinces(&state).await?,
        })?
        .into_response(),
    ))
}

#[derive(Template)]
#[template(path = "public/article.html")]
struct ArticlePage {
    page: Page,
    a: Article,
    /// The cover's widths (width, height), narrowest first.
    widths: Vec<(i64, i64)>,
    /// The site's address, for the tags a link preview reads.
    base: String,
}

impl ArticlePage {
    fn srcset(&self) -> String {
        self.widths
            .iter()
            .map(|(w, _)| format!("/berita/gambar/{}/{w} {w}w", self.a.id))
            .collect::<Vec<_>>()
            .join(", ")
    }
    /// The widest cover: the one link previews show.
    fn og_image(&self) -> Option<(i64, i64)> {
        self.widths.last().copied()
    }
    fn small(&self) -> (i64, i64) {
        self.widths.first().copied().unwrap_or((400, 225))
    }
    fn iso(&self, ms: &i64) -> String {
        rfc3339(*ms)
    }
}

pub(crate) async fn article(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let a = state.store.public_article(&slug).await?;
    let widths = if a.has_cover == 1 {
        state.store.cover_widths(a.id).await?
    } else {
        Vec::new()
    };
    let mut page = Page::from_ctx(&ctx, "");
    page.title = a.title.clone();
    Ok(cacheable(
        render(&ArticlePage {
            page,
            a,
            widths,
            base: super::base_url(&state, &headers),
        })?
        .into_response(),
    ))
}

/// A published article's cover at one of its widths (`/berita/gambar/{id}/{width}`).
pub(crate) async fn picture(
    State(state): State<AppState>,
    Path((id, width)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = domain::value::id::parse(&id).ok_or(WebError::NotFound)?;
    let width = domain::value::id::parse(&width).ok_or(WebError::NotFound)?;
    let bytes = state.store.public_cover(id, width).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // Briefly: a picture taken down must not linger in caches for a day.
            (
                header::CACHE_CONTROL,
                "public, max-age=300, must-revalidate",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Unix milliseconds as RFC 3339 in UTC (`2026-12-08T03:00:00Z`).
pub(crate) fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = domain::time::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Text for XML content and attributes.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow: one would make the whole feed unreadable.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The Atom feed (RFC 4287) of the newest articles: `/berita/feed.xml`.
pub(crate) async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = super::base_url(&state, &headers);
    let articles = state
        .store
        .public_news_latest(store::news::FEED_MAX)
        .await?;
    let updated = articles
        .iter()
        .map(|a| a.publish_at.unwrap_or(a.updated_at).max(a.updated_at))
        .max()
        .unwrap_or(0);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"id\">\n");
    out.push_str(&format!(
        "  <title>Berita Gugus Tugas PP-TPPO</title>\n  <id>{b}/berita</id>\n  <link rel=\"alternate\" type=\"text/html\" href=\"{b}/berita\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"{b}/berita/feed.xml\"/>\n  <updated>{}</updated>\n  <author><name>Gugus Tugas PP-TPPO</name></author>\n",
        rfc3339(updated),
        b = xml(&base)
    ));
    for a in &articles {
        let link = format!("{base}/berita/{}", a.slug);
        out.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <id>{}</id>\n    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n    <published>{}</published>\n    <updated>{}</updated>\n    <author><name>{}</name></author>\n    <category term=\"{}\"/>\n    <summary>{}</summary>\n    <content type=\"html\">{}</content>\n  </entry>\n",
            xml(&a.title),
            xml(&link),
            xml(&link),
            rfc3339(a.publish_at.unwrap_or(a.updated_at)),
            rfc3339(a.updated_at.max(a.publish_at.unwrap_or(0))),
            xml(&a.unit_name),
            xml(&a.category),
            xml(&a.lead),
            xml(&a.body_html),
        ));
    }
    out.push_str("</feed>\n");
    Ok(cacheable(
        (
            [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
            out,
        )
            .into_response(),
    ))
}

/// `sitemap.xml` (sitemaps.org 0.9): the public pages and every published article.
pub(crate) async fn sitemap(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let base = super::base_url(&state, &headers);
    let articles = state
        .store
        .public_news_index(store::news::SITEMAP_MAX)
        .await?;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for p in [
        "/",
        "/berita",
        "/statistik-publik",
        "/data",
        "/pengaduan",
        "/status",
    ] {
        out.push_str(&format!(
            "  <url><loc>{}</loc></url>\n",
            xml(&format!("{base}{p}"))
        ));
    }
    for (slug, changed) in &articles {
        out.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            xml(&format!("{base}/berita/{slug}")),
            rfc3339(*changed)
        ));
    }
    out.push_str("</urlset>\n");
    Ok(cacheable(
        (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            out,
        )
            .into_response(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_text_for_xml() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_000_000_123), "2026-11-30T00:53:20Z");
        assert_eq!(
            xml("a<b & \"c\"\u{1}\u{FFFF}"),
            "a&lt;b &amp; &quot;c&quot;"
        );
    }
}
