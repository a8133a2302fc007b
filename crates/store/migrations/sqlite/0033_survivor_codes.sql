-- A survivor's own status (issue 14, item 6): a case worker issues a victim a code and a
-- PIN on a printed slip; with both, the victim sees the state of her services, referrals
-- and restitution on the public site. Only hashes are kept: the code (high entropy) is
-- looked up by its SHA-256, the PIN is checked against SHA-256 of code and PIN, so the
-- table alone gives neither. Wrong PINs count and lock the code for a while; a new code
-- for the victim revokes the one before.
CREATE TABLE survivor_codes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    victim_id    INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    code_hash    TEXT NOT NULL,
    pin_hash     TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    issued_at    INTEGER NOT NULL,
    revoked_at   INTEGER,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    looks        INTEGER NOT NULL DEFAULT 0,
    last_look_at INTEGER
);
CREATE UNIQUE INDEX survivor_codes_code ON survivor_codes (code_hash);
CREATE INDEX survivor_codes_victim ON survivor_codes (victim_id);
