-- Consent records: what a victim (or their parent or guardian) agreed to, when, and
-- whether it was later withdrawn.
CREATE TABLE consents (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id    INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    given_on     INTEGER NOT NULL,
    withdrawn_on INTEGER,
    recorded_by  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX consents_victim ON consents (victim_id, scope);
CREATE INDEX consents_case ON consents (case_id);
