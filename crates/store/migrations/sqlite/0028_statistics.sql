-- Statistics (issue 13): one narrow row per victim record with the dimensions the
-- statistics, maps and the vulnerability index group by, kept by every write of its case
-- (the write guard refreshes the rows of each case it audits, in the same transaction) and
-- by every change of person links. The page reads this table, never the wide encrypted
-- `victims` rows. Filled on first start by the server (`stat_meta.version`), so a change of
-- what the rows hold is a version bump, not a migration.
CREATE TABLE stat_victims (
    victim_id           INTEGER PRIMARY KEY REFERENCES victims (id) ON DELETE CASCADE,
    case_id             INTEGER NOT NULL,
    -- The person: linked records share the smallest victim id, a record alone is -its id.
    person_key          INTEGER NOT NULL,
    province_code       TEXT,
    regency_code        TEXT,
    region_code         TEXT,
    review_state        TEXT NOT NULL,
    reported_on         INTEGER NOT NULL,
    exploited_on        INTEGER,
    -- Year and month as YYYYMM (UTC day), for trends by month, quarter and year.
    reported_month      INTEGER NOT NULL,
    exploited_month     INTEGER,
    sex                 TEXT NOT NULL,
    age_band            TEXT,
    child               TEXT,
    citizenship         TEXT NOT NULL,
    home_province       TEXT,
    home_regency        TEXT,
    home_village        TEXT,
    dest_province       TEXT,
    dest_regency        TEXT,
    dest_country        TEXT,
    sector              TEXT,
    recruitment         TEXT,
    relationship        TEXT,
    trafficking_status  TEXT,
    legal_stage         TEXT,
    service             TEXT NOT NULL,
    restitution_awarded INTEGER NOT NULL DEFAULT 0,
    restitution_paid    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX stat_victims_case ON stat_victims (case_id);
CREATE INDEX stat_victims_scope ON stat_victims (province_code, regency_code, review_state);
CREATE INDEX stat_victims_home ON stat_victims (home_regency);

CREATE TABLE stat_meta (
    id         INTEGER PRIMARY KEY,
    version    INTEGER NOT NULL,
    -- Bumped by every refresh: cached figures are keyed by it.
    generation INTEGER NOT NULL
);
INSERT INTO stat_meta (id, version, generation) VALUES (1, 0, 0);

-- Indicators for the vulnerability index, imported by region code (never shipped as
-- official data; the demo's file is labelled synthetic).
CREATE TABLE index_indicators (
    region_code TEXT NOT NULL,
    indicator   TEXT NOT NULL,
    year        INTEGER NOT NULL,
    value       REAL NOT NULL,
    source      TEXT NOT NULL,
    synthetic   INTEGER NOT NULL DEFAULT 0,
    imported_by TEXT NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (indicator, region_code, year)
);

-- The index method, versioned: a new row per change, the newest is current; every old
-- version stays readable and reproducible.
CREATE TABLE index_methods (
    version    INTEGER PRIMARY KEY,
    method     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL,
    changed_at INTEGER NOT NULL
);
