-- Recovery until complete (sampai paripurna): the service catalogue, each victim's service
-- plan (assessed needs, services, closure), referrals between units with their message
-- thread, the restitution and compensation ledger, and in-app notifications (with their
-- e-mail state). Free text that may name people is encrypted like victims' fields.
CREATE TABLE service_types (
    code         TEXT PRIMARY KEY,
    label_id     TEXT NOT NULL,
    label_en     TEXT NOT NULL,
    default_days BIGINT NOT NULL,
    statutory    BIGINT NOT NULL DEFAULT 0,
    sort         BIGINT NOT NULL
);

CREATE TABLE service_plans (
    victim_id        BIGINT PRIMARY KEY REFERENCES victims (id) ON DELETE CASCADE,
    case_id          BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    lead_unit_id     BIGINT NOT NULL REFERENCES units (id),
    status           TEXT NOT NULL,
    assessed_on      BIGINT,
    followup_on      BIGINT,
    closure_note_enc TEXT,
    closed_on        BIGINT,
    closed_by        TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX service_plans_case ON service_plans (case_id);

CREATE TABLE victim_needs (
    id              BIGSERIAL PRIMARY KEY,
    victim_id       BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    case_id         BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    service_code    TEXT NOT NULL,
    assessed_on     BIGINT NOT NULL,
    explanation_enc TEXT,
    created_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX victim_needs_code ON victim_needs (victim_id, service_code);

CREATE TABLE services (
    id           BIGSERIAL PRIMARY KEY,
    victim_id    BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    unit_id      BIGINT NOT NULL REFERENCES units (id),
    requested_on BIGINT NOT NULL,
    due_on       BIGINT NOT NULL,
    status       TEXT NOT NULL,
    is_open      BIGINT NOT NULL,
    reason_enc   TEXT,
    outcome_enc  TEXT,
    done_on      BIGINT,
    referral_id  BIGINT,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX services_victim ON services (victim_id, requested_on);
CREATE INDEX services_case ON services (case_id);
CREATE INDEX services_unit_open ON services (unit_id, is_open, due_on, id);

CREATE TABLE service_evidence (
    id           BIGSERIAL PRIMARY KEY,
    service_id   BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    case_id      BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    filename_enc TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX service_evidence_service ON service_evidence (service_id);

CREATE TABLE referrals (
    id                  BIGSERIAL PRIMARY KEY,
    case_id             BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id           BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    from_unit_id        BIGINT NOT NULL REFERENCES units (id),
    to_unit_id          BIGINT NOT NULL REFERENCES units (id),
    kind                TEXT NOT NULL,
    service_code        TEXT,
    shared              TEXT NOT NULL,
    basis               TEXT NOT NULL,
    consent_id          BIGINT,
    basis_note_enc      TEXT,
    message_enc         TEXT,
    state               TEXT NOT NULL,
    is_open             BIGINT NOT NULL,
    sent_on             BIGINT NOT NULL,
    due_on              BIGINT NOT NULL,
    responded_on        BIGINT,
    decline_reason_enc  TEXT,
    delivered_on        BIGINT,
    ended_on            BIGINT,
    escalated_at        BIGINT,
    service_id          BIGINT,
    created_by          TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id);
CREATE INDEX referrals_victim ON referrals (victim_id);
CREATE INDEX referrals_to_open ON referrals (to_unit_id, is_open, due_on);
CREATE INDEX referrals_from_open ON referrals (from_unit_id, is_open, due_on);
CREATE INDEX referrals_open_due ON referrals (is_open, due_on);

CREATE TABLE referral_messages (
    id          BIGSERIAL PRIMARY KEY,
    referral_id BIGINT NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    unit_id     BIGINT NOT NULL REFERENCES units (id),
    username    TEXT NOT NULL,
    body_enc    TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX referral_messages_referral ON referral_messages (referral_id, id);

CREATE TABLE ledger_entries (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id  BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    track      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount     BIGINT NOT NULL,
    on_day     BIGINT NOT NULL,
    note_enc   TEXT,
    confirmed  BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_victim ON ledger_entries (victim_id, on_day);
CREATE INDEX ledger_case ON ledger_entries (case_id);

CREATE TABLE notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT,
    email_state TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
CREATE INDEX notifications_email ON notifications (email_state, id);
