-- Audit checkpoints: the chain's head (seq, hash) at a moment, signed with a key derived
-- from the instance secret (HMAC-SHA256). Copies also go to an append-only file outside
-- the database; `gugus audit verify` checks every copy against the chain.
CREATE TABLE audit_checkpoints (
    id     BIGSERIAL PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   TEXT NOT NULL,
    at     BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    mac    TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END
$$;
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
