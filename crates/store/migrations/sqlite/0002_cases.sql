-- The case record (first part): picklists, cases, victims with encrypted identities.
CREATE TABLE picklist_items (
    list     TEXT NOT NULL,
    code     TEXT NOT NULL,
    htcds    TEXT NOT NULL,
    label_id TEXT NOT NULL,
    label_en TEXT NOT NULL,
    sort     INTEGER NOT NULL,
    active   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (list, code)
);

CREATE TABLE case_counters (
    prefix TEXT PRIMARY KEY,
    next   INTEGER NOT NULL
);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    code                   TEXT NOT NULL UNIQUE,
    unit_id                INTEGER NOT NULL REFERENCES units (id),
    region_code            TEXT,
    channel                TEXT NOT NULL,
    reported_on            INTEGER NOT NULL,
    exploitation_from      INTEGER,
    rescued_on             INTEGER,
    chronology_enc         TEXT,
    trafficking_status     TEXT NOT NULL,
    sector                 TEXT,
    recruitment            TEXT,
    recruiter_relationship TEXT,
    status                 TEXT NOT NULL,
    close_reason           TEXT,
    version                INTEGER NOT NULL DEFAULT 1,
    created_by             INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX cases_region_reported ON cases (region_code, reported_on);
CREATE INDEX cases_reported ON cases (reported_on);

CREATE TABLE case_tags (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    list    TEXT NOT NULL,
    code    TEXT NOT NULL,
    PRIMARY KEY (case_id, list, code)
);
CREATE INDEX case_tags_code ON case_tags (list, code, case_id);

CREATE TABLE victims (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id        INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    name_enc       TEXT NOT NULL,
    alias_enc      TEXT,
    nik_enc        TEXT,
    nik_index      TEXT,
    phone_enc      TEXT,
    initials       TEXT NOT NULL,
    sex            TEXT NOT NULL,
    birth_date     INTEGER,
    age_estimate   INTEGER,
    is_child       INTEGER NOT NULL,
    home_village   TEXT,
    education      TEXT,
    occupation     TEXT,
    disability     TEXT,
    migrant_status TEXT,
    nik_warnings   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX victims_case ON victims (case_id, position);
CREATE INDEX victims_nik ON victims (nik_index);

-- Keyed hashes of normalised name words, for "search by name" without plaintext.
CREATE TABLE victim_name_tokens (
    token     TEXT NOT NULL,
    victim_id INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (token, victim_id)
);
CREATE INDEX victim_name_tokens_victim ON victim_name_tokens (victim_id);
