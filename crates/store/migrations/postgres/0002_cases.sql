-- The case record (first part): picklists, cases, victims with encrypted identities.
CREATE TABLE picklist_items (
    list     TEXT NOT NULL,
    code     TEXT NOT NULL,
    htcds    TEXT NOT NULL,
    label_id TEXT NOT NULL,
    label_en TEXT NOT NULL,
    sort     BIGINT NOT NULL,
    active   BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (list, code)
);

CREATE TABLE case_counters (
    prefix TEXT PRIMARY KEY,
    next   BIGINT NOT NULL
);

CREATE TABLE cases (
    id                     BIGSERIAL PRIMARY KEY,
    code                   TEXT NOT NULL UNIQUE,
    unit_id                BIGINT NOT NULL REFERENCES units (id),
    region_code            TEXT COLLATE "C",
    channel                TEXT NOT NULL,
    reported_on            BIGINT NOT NULL,
    exploitation_from      BIGINT,
    rescued_on             BIGINT,
    chronology_enc         TEXT,
    trafficking_status     TEXT NOT NULL,
    sector                 TEXT,
    recruitment            TEXT,
    recruiter_relationship TEXT,
    status                 TEXT NOT NULL,
    close_reason           TEXT,
    version                BIGINT NOT NULL DEFAULT 1,
    created_by             BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX cases_region_reported ON cases (region_code, reported_on);
CREATE INDEX cases_reported ON cases (reported_on);

CREATE TABLE case_tags (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    list    TEXT NOT NULL,
    code    TEXT NOT NULL,
    PRIMARY KEY (case_id, list, code)
);
CREATE INDEX case_tags_code ON case_tags (list, code, case_id);

CREATE TABLE victims (
    id             BIGSERIAL PRIMARY KEY,
    case_id        BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position       BIGINT NOT NULL,
    name_enc       TEXT NOT NULL,
    alias_enc      TEXT,
    nik_enc        TEXT,
    nik_index      TEXT,
    phone_enc      TEXT,
    initials       TEXT NOT NULL,
    sex            TEXT NOT NULL,
    birth_date     BIGINT,
    age_estimate   BIGINT,
    is_child       BIGINT NOT NULL,
    home_village   TEXT COLLATE "C",
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
    victim_id BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (token, victim_id)
);
CREATE INDEX victim_name_tokens_victim ON victim_name_tokens (victim_id);
