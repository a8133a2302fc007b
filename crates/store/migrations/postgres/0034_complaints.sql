-- Complaints from the public (issue 14, item 5). Anyone may send one, anonymously if they
-- wish; it reaches the intake queue of the task force of the region it names (regency,
-- else province, else national: `intake_region` NULL). The text and the contact are
-- encrypted like identities. The sender holds a tracking code and a PIN (hashes only, as
-- survivors' status codes; wrong PINs lock the code for a while).
CREATE TABLE complaints (
    id            BIGSERIAL PRIMARY KEY,
    code_hash     TEXT NOT NULL,
    pin_hash      TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    received_on   BIGINT NOT NULL,
    region_code   TEXT,
    intake_region TEXT,
    happened_on   BIGINT,
    at_risk       TEXT NOT NULL,
    what_enc      TEXT NOT NULL,
    contact_enc   TEXT,
    -- Sent by a script, probably (the hidden field filled, or sent seconds after the form
    -- was opened): kept and shown apart, never dropped.
    suspect       BIGINT NOT NULL DEFAULT 0,
    -- The signed mark of the form it came from: the same form sent twice (a reload of the
    -- answer page) is one complaint.
    form_mark     TEXT,
    status        TEXT NOT NULL DEFAULT 'received',
    close_reason  TEXT,
    case_id       BIGINT REFERENCES cases (id) ON DELETE SET NULL,
    handled_by    TEXT,
    updated_at    BIGINT NOT NULL,
    -- The sender added information intake has not read yet.
    unread        BIGINT NOT NULL DEFAULT 0,
    failures      BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX complaints_code ON complaints (code_hash);
CREATE UNIQUE INDEX complaints_form_mark ON complaints (form_mark);
CREATE INDEX complaints_queue ON complaints (intake_region, id);

-- What the sender added later, and intake's notes to the file (never shown to the sender).
CREATE TABLE complaint_notes (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    from_sender  BIGINT NOT NULL,
    body_enc     TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX complaint_notes_complaint ON complaint_notes (complaint_id, id);

-- Files the sender attached (PDF, PNG or JPEG, recognised by their first bytes; photos'
-- metadata — a phone's GPS position — stripped before storage), encrypted. No file name is
-- kept: it may name the sender.
CREATE TABLE complaint_files (
    id           BIGSERIAL PRIMARY KEY,
    complaint_id BIGINT NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    body         BYTEA NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX complaint_files_complaint ON complaint_files (complaint_id, id);
