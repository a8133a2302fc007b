-- Perpetrators: persons and organisations shared across cases (one broker, many cases),
-- with a role per case. Names and NIK are encrypted like victims'.
CREATE TABLE perpetrators (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    name_enc    TEXT NOT NULL,
    alias_enc   TEXT,
    nik_enc     TEXT,
    nik_index   TEXT,
    initials    TEXT NOT NULL,
    created_by  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX perpetrators_nik ON perpetrators (nik_index);

CREATE TABLE perpetrator_name_tokens (
    token          TEXT NOT NULL,
    perpetrator_id BIGINT NOT NULL REFERENCES perpetrators (id) ON DELETE CASCADE,
    PRIMARY KEY (token, perpetrator_id)
);

CREATE TABLE case_perpetrators (
    case_id        BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    perpetrator_id BIGINT NOT NULL REFERENCES perpetrators (id),
    role           TEXT NOT NULL,
    PRIMARY KEY (case_id, perpetrator_id, role)
);
CREATE INDEX case_perpetrators_perp ON case_perpetrators (perpetrator_id, case_id);
