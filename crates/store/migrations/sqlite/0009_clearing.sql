-- Verification and clearing: the review workflow, validation rules, reporting periods and
-- record linkage (the same person reported in several places).
ALTER TABLE cases ADD COLUMN review_state TEXT NOT NULL DEFAULT 'draft';
-- While submitted: 'province' (a provincial verifier checks it first) or 'national'.
ALTER TABLE cases ADD COLUMN review_level TEXT;
ALTER TABLE cases ADD COLUMN state_since INTEGER;
ALTER TABLE cases ADD COLUMN submitted_at INTEGER;
ALTER TABLE cases ADD COLUMN cleared_at INTEGER;
ALTER TABLE cases ADD COLUMN returns INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_review ON cases (review_state, state_since);

CREATE TABLE case_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    at          INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    -- JSON: [{"field": "...", "note": "..."}] attached by a reviewer who returns the case.
    field_notes TEXT NOT NULL DEFAULT '[]',
    -- JSON: field -> fingerprint of the case as it was at this step (identities as keyed hashes).
    snapshot    TEXT NOT NULL DEFAULT '{}',
    -- JSON: the fields changed since the last return (on a resubmission).
    changed     TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX case_reviews_case ON case_reviews (case_id, id);

CREATE TABLE validation_rules (
    code       TEXT PRIMARY KEY,
    severity   TEXT NOT NULL,
    scope      TEXT NOT NULL,
    condition  TEXT NOT NULL,
    field      TEXT NOT NULL,
    message_id TEXT NOT NULL,
    message_en TEXT NOT NULL,
    sort       INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    fired      INTEGER NOT NULL DEFAULT 0
);

-- The rules a case currently breaks (replaced on every save), with the justification
-- written for a warning at submission.
CREATE TABLE case_rule_hits (
    case_id       INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    rule_code     TEXT NOT NULL,
    victim_pos    INTEGER NOT NULL,
    severity      TEXT NOT NULL,
    justification TEXT,
    PRIMARY KEY (case_id, rule_code, victim_pos)
);
CREATE INDEX case_rule_hits_rule ON case_rule_hits (rule_code);

CREATE TABLE reporting_periods (
    region_code TEXT NOT NULL,
    month       TEXT NOT NULL,
    closed      INTEGER NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  INTEGER NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (region_code, month)
);

ALTER TABLE victims ADD COLUMN person_id INTEGER;
CREATE INDEX victims_person ON victims (person_id);

-- Keyed hashes of each victim's blocking keys, for the incremental duplicate check.
CREATE TABLE linkage_keys (
    key       TEXT NOT NULL,
    victim_id INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (key, victim_id)
);
CREATE INDEX linkage_keys_victim ON linkage_keys (victim_id);

CREATE TABLE linkage_pairs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    victim_a    INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    victim_b    INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    probability REAL NOT NULL,
    weight      REAL NOT NULL,
    explanation TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    source      TEXT NOT NULL,
    found_at    INTEGER NOT NULL,
    decided_by  TEXT,
    decided_at  INTEGER,
    UNIQUE (victim_a, victim_b)
);
CREATE INDEX linkage_pairs_status ON linkage_pairs (status, probability);
CREATE INDEX linkage_pairs_b ON linkage_pairs (victim_b);

CREATE TABLE linkage_model (
    id         INTEGER PRIMARY KEY,
    model      TEXT NOT NULL,
    records    INTEGER NOT NULL,
    trained_at INTEGER NOT NULL
);

CREATE TABLE linkage_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_by  TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    state       TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    total       INTEGER NOT NULL DEFAULT 0,
    pairs       INTEGER NOT NULL DEFAULT 0,
    message     TEXT NOT NULL DEFAULT ''
);
