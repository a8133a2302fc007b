-- Route events (where and when the person was recruited, moved, exploited, found, returned)
-- and the legal track of a case.
CREATE TABLE route_events (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    region_code TEXT COLLATE "C",
    country     TEXT,
    city        TEXT,
    date_from   BIGINT,
    date_to     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX route_events_case ON route_events (case_id, date_from);
CREATE INDEX route_events_region ON route_events (region_code, kind);

CREATE TABLE legal_tracks (
    case_id             BIGINT PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    police_report_no    TEXT,
    police_unit         TEXT,
    articles            TEXT NOT NULL DEFAULT '',
    sentence_months     BIGINT,
    restitution_ordered BIGINT,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE legal_stages (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    stage      TEXT NOT NULL,
    happened   BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX legal_stages_case ON legal_stages (case_id, happened);
