-- Recovery until complete (sampai paripurna): the service catalogue, each victim's service
-- plan (assessed needs, services, closure), referrals between units with their message
-- thread, the restitution and compensation ledger, and in-app notifications (with their
-- e-mail state). Free text that may name people is encrypted like victims' fields.
CREATE TABLE service_types (
    code         TEXT PRIMARY KEY,
    label_id     TEXT NOT NULL,
    label_en     TEXT NOT NULL,
    default_days INTEGER NOT NULL,
    statutory    INTEGER NOT NULL DEFAULT 0,
    sort         INTEGER NOT NULL
);

CREATE TABLE service_plans (
    victim_id        INTEGER PRIMARY KEY REFERENCES victims (id) ON DELETE CASCADE,
    case_id          INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    lead_unit_id     INTEGER NOT NULL REFERENCES units (id),
    status           TEXT NOT NULL,
    assessed_on      INTEGER,
    followup_on      INTEGER,
    closure_note_enc TEXT,
    closed_on        INTEGER,
    closed_by        TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX service_plans_case ON service_plans (case_id);

CREATE TABLE victim_needs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    victim_id       INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    service_code    TEXT NOT NULL,
    assessed_on     INTEGER NOT NULL,
    explanation_enc TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX victim_needs_code ON victim_needs (victim_id, service_code);

CREATE TABLE services (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    victim_id    INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    service_code TEXT NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES units (id),
    requested_on INTEGER NOT NULL,
    due_on       INTEGER NOT NULL,
    status       TEXT NOT NULL,
    is_open      INTEGER NOT NULL,
    reason_enc   TEXT,
    outcome_enc  TEXT,
    done_on      INTEGER,
    referral_id  INTEGER,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX services_victim ON services (victim_id, requested_on);
CREATE INDEX services_case ON services (case_id);
CREATE INDEX services_unit_open ON services (unit_id, is_open, due_on, id);

CREATE TABLE service_evidence (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id   INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    case_id      INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    filename_enc TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    body         BLOB NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX service_evidence_service ON service_evidence (service_id);

CREATE TABLE referrals (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id             INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id           INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    from_unit_id        INTEGER NOT NULL REFERENCES units (id),
    to_unit_id          INTEGER NOT NULL REFERENCES units (id),
    kind                TEXT NOT NULL,
    service_code        TEXT,
    shared              TEXT NOT NULL,
    basis               TEXT NOT NULL,
    consent_id          INTEGER,
    basis_note_enc      TEXT,
    message_enc         TEXT,
    state               TEXT NOT NULL,
    is_open             INTEGER NOT NULL,
    sent_on             INTEGER NOT NULL,
    due_on              INTEGER NOT NULL,
    responded_on        INTEGER,
    decline_reason_enc  TEXT,
    delivered_on        INTEGER,
    ended_on            INTEGER,
    escalated_at        INTEGER,
    service_id          INTEGER,
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id);
CREATE INDEX referrals_victim ON referrals (victim_id);
CREATE INDEX referrals_to_open ON referrals (to_unit_id, is_open, due_on);
CREATE INDEX referrals_from_open ON referrals (from_unit_id, is_open, due_on);
CREATE INDEX referrals_open_due ON referrals (is_open, due_on);

CREATE TABLE referral_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    referral_id INTEGER NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES units (id),
    username    TEXT NOT NULL,
    body_enc    TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX referral_messages_referral ON referral_messages (referral_id, id);

CREATE TABLE ledger_entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    victim_id  INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    track      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    on_day     INTEGER NOT NULL,
    note_enc   TEXT,
    confirmed  INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_victim ON ledger_entries (victim_id, on_day);
CREATE INDEX ledger_case ON ledger_entries (case_id);

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER,
    email_state TEXT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);
CREATE INDEX notifications_email ON notifications (email_state, id);
