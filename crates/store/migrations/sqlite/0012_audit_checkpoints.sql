-- Audit checkpoints: the chain's head (seq, hash) at a moment, signed with a key derived
-- from the instance secret (HMAC-SHA256). Copies also go to an append-only file outside
-- the database; `gugus audit verify` checks every copy against the chain.
CREATE TABLE audit_checkpoints (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL,
    at     INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    mac    TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
