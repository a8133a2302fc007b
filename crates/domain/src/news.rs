//! News (*Berita*, issue 14, item 2): the office's articles on the public site. An editor of
//! a unit writes (draft), sends for review (in review); an editor or administrator of the
//! unit's region or above who did not send it publishes it — at once or at a set time — or
//! returns it; a published article can be taken down (unpublished) and sent again.
//! Bodies are Markdown, rendered here and cleaned by an allowlist sanitiser (ammonia): no
//! script, style, frame, form or event attribute survives, links get `rel="noopener
//! noreferrer nofollow"`, images only from this site.

use crate::validation::{FieldError, Invalid};
use crate::value::text;

crate::str_enum::str_enum! {
    /// Where an article stands.
    #[strum(serialize_all = "snake_case")]
    pub enum NewsStatus {
        /// Being written; only its unit sees it.
        Draft,
        /// Sent for review: waits for a publisher.
        InReview,
        /// On the public site from `publish_at` on (a future time: scheduled).
        Published,
        /// Taken down from the public site (404 there), kept for the record.
        Unpublished,
    }
}

crate::str_enum::str_enum! {
    /// The article's category (one per article; the public list filters by it).
    #[strum(serialize_all = "snake_case")]
    pub enum NewsCategory {
        /// Meetings of the task force (*rapat koordinasi*).
        Coordination,
        /// Activities: visits, trainings, campaigns.
        Activity,
        /// Awareness and prevention (*sosialisasi*).
        Awareness,
        /// Services to victims, returns, restitution.
        Services,
        /// Regulations and decrees.
        Policy,
        /// Announcements.
        Announcement,
    }
}

crate::str_enum::str_enum! {
    /// A step of the workflow.
    #[strum(serialize_all = "snake_case")]
    pub enum NewsStep {
        /// Draft (or unpublished) → in review.
        Submit,
        /// In review → draft, with a note to the writer.
        Return,
        /// In review → published (now or at `publish_at`).
        Publish,
        /// Published → unpublished.
        Unpublish,
    }
}

impl NewsStep {
    /// The state after this step, or `None` when the step does not apply to `from`.
    pub fn apply(self, from: NewsStatus) -> Option<NewsStatus> {
        use NewsStatus::*;
        match (self, from) {
            (NewsStep::Submit, Draft | Unpublished) => Some(InReview),
            (NewsStep::Return, InReview) => Some(Draft),
            (NewsStep::Publish, InReview) => Some(Published),
            (NewsStep::Unpublish, Published) => Some(Unpublished),
            _ => None,
        }
    }
    /// Whether the step is a publisher's (the others are the writers').
    pub fn is_publishers(self) -> bool {
        matches!(
            self,
            NewsStep::Return | NewsStep::Publish | NewsStep::Unpublish
        )
    }
}

impl NewsStatus {
    /// Whether the text may be changed: a draft, or an article taken down. An article in
    /// review is returned first (so what a publisher approves is what its writer sent: no
    /// one both rewrites and publishes), a published one taken down first.
    pub fn editable(self) -> bool {
        matches!(self, NewsStatus::Draft | NewsStatus::Unpublished)
    }
}

/// Longest title.
pub const TITLE: text::Limit = text::NAME;
/// Longest lead (the summary under the title in lists and link previews).
pub const LEAD: text::Limit = text::REASON;
/// Longest body (Markdown).
pub const BODY: text::Limit = text::CHRONOLOGY;
/// Longest alternative text of the cover picture.
pub const ALT: text::Limit = text::NAME;
/// Longest reviewer's note when an article is returned.
pub const NOTE: text::Limit = text::NOTE;
/// Longest slug (the article's address).
pub const SLUG_MAX: usize = 80;

/// An article as the form or the API sends it.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    pub title: String,
    pub lead: String,
    pub body: String,
    pub category: String,
    /// The region the article is about: a province or regency code, or empty (national).
    pub region: String,
    /// The alternative text of the cover picture (required with a picture).
    pub cover_alt: String,
}

/// An article read and checked (the region's existence is the store's check).
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub title: String,
    pub lead: String,
    pub body: String,
    pub category: NewsCategory,
    pub region: Option<crate::RegionCode>,
    pub cover_alt: Option<String>,
}

impl NewArticle {
    /// Reads the form: every problem on its field.
    pub fn parse(i: &ArticleInput) -> Result<NewArticle, Invalid> {
        let mut errs = Invalid::default();
        let title = errs.take(text::line("title", &i.title, TITLE));
        let lead = errs.take(text::multiline("lead", &i.lead, LEAD));
        let body = errs.take(text::multiline("body", &i.body, BODY));
        let category = match i.category.trim() {
            "" => {
                errs.push("category", "err.required");
                None
            }
            s => NewsCategory::parse(s).or_else(|| {
                errs.push("category", "err.choice");
                None
            }),
        };
        let region = errs
            .take(crate::region::opt_place("region", &i.region))
            .flatten();
        let cover_alt = errs.take(text::opt_line("cover_alt", &i.cover_alt, ALT));
        match (title, lead, body, category, cover_alt) {
            (Some(title), Some(lead), Some(body), Some(category), Some(cover_alt))
                if errs.is_empty() =>
            {
                Ok(NewArticle {
                    title,
                    lead,
                    body,
                    category,
                    region,
                    cover_alt,
                })
            }
            _ => Err(errs),
        }
    }
}

/// A reviewer's note when returning an article (required: the writer needs to know why).
pub fn parse_note(s: &str) -> Result<String, FieldError> {
    text::multiline("note", s, NOTE)
}

/// The address part of a title: lower-case ASCII letters and digits joined by single
/// hyphens (Indonesian titles are Latin script; accents are dropped), at most
/// [`SLUG_MAX`] characters cut at a word, `berita` when nothing is left.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in title.chars() {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('-');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    if out.len() > SLUG_MAX {
        let cut = out[..SLUG_MAX].rfind('-').unwrap_or(SLUG_MAX);
        out.truncate(cut);
    }
    if out.is_empty() {
        out.push_str("berita");
    }
    out
}

/// Latin letters with accents, as their plain letter.
fn fold(c: char) -> char {
    match c {
        'à'..='å' | 'À'..='Å' => 'a',
        'è'..='ë' | 'È'..='Ë' => 'e',
        'ì'..='ï' | 'Ì'..='Ï' => 'i',
        'ò'..='ö' | 'Ò'..='Ö' => 'o',
        'ù'..='ü' | 'Ù'..='Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        _ => c,
    }
}

/// Whether `s` is a slug as [`slugify`] makes them (an address from outside is checked
/// before it reaches the database).
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= SLUG_MAX + 8
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A path on this site: `/` then letters, digits and `/ _ . -`, never `//`.
fn is_local_path(v: &str) -> bool {
    v.starts_with('/')
        && !v.contains("//")
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b))
}

/// The body as HTML: Markdown (CommonMark with tables and strikethrough) rendered, then
/// cleaned by an allowlist — headings, paragraphs, lists, emphasis, quotes, code, tables,
/// links (http, https, mailto; `rel="noopener noreferrer nofollow"`) and images from this
/// site only (relative addresses). Raw HTML in the Markdown goes through the same cleaning,
/// so `<script>`, `<iframe>`, `style`, `on*` attributes and `javascript:` links are removed.
pub fn render_body(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, opts));
    cleaner().clean(&raw).to_string()
}

fn cleaner() -> ammonia::Builder<'static> {
    let tags = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ];
    let mut b = ammonia::Builder::empty();
    b.add_tags(tags)
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("img", ["src", "alt", "title"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("abbr", ["title"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| {
            // Pictures only from this site: a picture from elsewhere tells that site who
            // reads the article. A plain path only — `/\host`, `//host` or a tab in it would
            // reach another host in a browser or a feed reader.
            if element == "img" && attribute == "src" && !is_local_path(value) {
                return None;
            }
            if value.starts_with("//") || value.starts_with("/\\") {
                return None;
            }
            Some(value.into())
        });
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plain_ascii_words() {
        assert_eq!(
            slugify("Rakornas Gugus Tugas PP-TPPO 2019: 14 Rekomendasi!"),
            "rakornas-gugus-tugas-pp-tppo-2019-14-rekomendasi"
        );
        assert_eq!(
            slugify("Café  Kupang — Sosialisasi"),
            "cafe-kupang-sosialisasi"
        );
        assert_eq!(slugify("!!!"), "berita");
        let long = slugify(&"kata ".repeat(40));
        assert!(long.len() <= SLUG_MAX && !long.ends_with('-'));
        assert!(is_slug("rakornas-2019") && !is_slug("a/b") && !is_slug("A"));
    }

    #[test]
    fn the_sanitiser_removes_scripts_and_keeps_the_text() {
        let md = "# Judul\n\nTeks **tebal** dan [tautan](https://kemenpppa.go.id).\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[klik](javascript:alert(3))\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<p style=\"color:red\" onclick=\"x()\">gaya</p>\n\n![foto](https://tracker.example/p.png)\n\n![foto lokal](/berita/gambar/1/400.jpg)\n\n<img src=\"/\\\\evil.example/p.png\"> <img src=\"/&#9;/evil.example/q.png\">";
        let h = render_body(md);
        for bad in [
            "<script",
            "alert(1)",
            "onerror",
            "javascript:",
            "<iframe",
            "style=",
            "onclick",
            "tracker.example",
            "evil.example",
            "<h1",
        ] {
            assert!(!h.contains(bad), "{bad} survived in {h}");
        }
        assert!(h.contains("<strong>tebal</strong>"));
        assert!(h.contains("href=\"https://kemenpppa.go.id\""));
        assert!(h.contains("rel=\"noopener noreferrer nofollow\""));
        assert!(h.contains("src=\"/berita/gambar/1/400.jpg\""));
        assert!(h.contains("gaya"), "the text of a cleaned element stays");
    }

    #[test]
    fn an_article_is_read_with_every_problem_on_its_field() {
        let ok = ArticleInput {
            title: "Sosialisasi di Belu".into(),
            lead: "Ringkas.".into(),
            body: "Isi.".into(),
            category: "awareness".into(),
            region: "53.04".into(),
            cover_alt: String::new(),
        };
        let a = NewArticle::parse(&ok).unwrap();
        assert_eq!(a.category, NewsCategory::Awareness);
        assert_eq!(a.region.unwrap().as_str(), "53.04");
        let bad = ArticleInput {
            title: " ".into(),
            lead: "x".repeat(LEAD.max() + 1),
            body: String::new(),
            category: "gossip".into(),
            region: "53.04.01".into(),
            cover_alt: "a\u{0}b".into(),
        };
        let e = NewArticle::parse(&bad).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "lead", "body", "category", "region", "cover_alt"]
        );
    }

    #[test]
    fn the_workflow_allows_only_its_steps() {
        use NewsStatus::*;
        assert_eq!(NewsStep::Submit.apply(Draft), Some(InReview));
        assert_eq!(NewsStep::Publish.apply(InReview), Some(Published));
        assert_eq!(NewsStep::Publish.apply(Draft), None, "review first");
        assert_eq!(NewsStep::Unpublish.apply(Published), Some(Unpublished));
        assert_eq!(NewsStep::Submit.apply(Unpublished), Some(InReview));
        assert_eq!(NewsStep::Return.apply(Published), None);
        assert!(!Published.editable() && !InReview.editable() && Unpublished.editable());
    }
}
