-- News (*Berita*, issue 14, item 2): the office's articles on the public site. Public
-- content, so nothing here is encrypted; who wrote, sent, published or took an article down
-- is kept on the row and in the audit trail. The public sees an article only while it is
-- published and its `publish_at` has come (a later time: scheduled).
CREATE TABLE news_articles (
    id           BIGSERIAL PRIMARY KEY,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    lead         TEXT NOT NULL,
    body_md      TEXT NOT NULL,
    -- The body rendered and cleaned by the sanitiser when it was saved.
    body_html    TEXT NOT NULL,
    category     TEXT NOT NULL,
    -- The region the article is about (NULL: national).
    region_code  TEXT REFERENCES regions (code),
    -- The unit that writes it, and where that unit is (who may edit and publish).
    unit_id      BIGINT NOT NULL REFERENCES units (id),
    unit_region  TEXT,
    status       TEXT NOT NULL DEFAULT 'draft',
    publish_at   BIGINT,
    cover_alt    TEXT,
    has_cover    BIGINT NOT NULL DEFAULT 0,
    review_note  TEXT,
    created_by   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    submitted_by TEXT,
    published_by TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    -- Bumped by every change: a form sent from an older state is refused, not merged.
    version      BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX news_articles_slug ON news_articles (slug);
CREATE INDEX news_articles_public ON news_articles (status, publish_at);
CREATE INDEX news_articles_unit ON news_articles (unit_id, id);

-- The cover picture at the widths the pages ask for, re-encoded as JPEG (which leaves the
-- camera's metadata behind).
CREATE TABLE news_images (
    article_id BIGINT NOT NULL REFERENCES news_articles (id) ON DELETE CASCADE,
    width      BIGINT NOT NULL,
    height     BIGINT NOT NULL,
    body       BYTEA NOT NULL,
    PRIMARY KEY (article_id, width)
);
