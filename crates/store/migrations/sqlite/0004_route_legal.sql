-- Route events (where and when the person was recruited, moved, exploited, found, returned)
-- and the legal track of a case.
CREATE TABLE route_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    region_code TEXT,
    country     TEXT,
    city        TEXT,
    date_from   INTEGER,
    date_to     INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX route_events_case ON route_events (case_id, date_from);
CREATE INDEX route_events_region ON route_events (region_code, kind);

CREATE TABLE legal_tracks (
    case_id             INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    police_report_no    TEXT,
    police_unit         TEXT,
    articles            TEXT NOT NULL DEFAULT '',
    sentence_months     INTEGER,
    restitution_ordered INTEGER,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE legal_stages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    happened   INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX legal_stages_case ON legal_stages (case_id, happened);
