-- Consent records: what a victim (or their parent or guardian) agreed to, when, and
-- whether it was later withdrawn.
CREATE TABLE consents (
    id           BIGSERIAL PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id    BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    scope        TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    given_on     BIGINT NOT NULL,
    withdrawn_on BIGINT,
    recorded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX consents_victim ON consents (victim_id, scope);
CREATE INDEX consents_case ON consents (case_id);
