-- Foundation: regions, units, accounts, sessions, API tokens, audit trail, settings.
-- Region codes use the "C" collation so that code ranges (subtree scans) follow byte order.
CREATE TABLE regions (
    code        TEXT COLLATE "C" PRIMARY KEY,
    parent_code TEXT COLLATE "C",
    level       BIGINT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    search      TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code, code);

CREATE TABLE units (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    region_code TEXT COLLATE "C" REFERENCES regions (code),
    created_at  BIGINT NOT NULL
);
CREATE INDEX units_region ON units (region_code);
CREATE UNIQUE INDEX units_name ON units (name);

CREATE TABLE users (
    id                  BIGSERIAL PRIMARY KEY,
    username            TEXT NOT NULL UNIQUE,
    full_name           TEXT NOT NULL,
    email               TEXT,
    unit_id             BIGINT NOT NULL REFERENCES units (id),
    role                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    disabled            BIGINT NOT NULL DEFAULT 0,
    totp_secret         TEXT,
    totp_enabled        BIGINT NOT NULL DEFAULT 0,
    totp_last_step      BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);
CREATE INDEX users_unit ON users (unit_id);

CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
    token_hash       TEXT PRIMARY KEY,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL,
    origin           TEXT NOT NULL,
    second_factor_ok BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    seq            BIGINT PRIMARY KEY,
    at             BIGINT NOT NULL,
    actor_user_id  BIGINT,
    actor_username TEXT NOT NULL,
    actor_region   TEXT COLLATE "C" NOT NULL,
    origin         TEXT NOT NULL,
    action         TEXT NOT NULL,
    record_type    TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    detail         TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE INDEX audit_actor ON audit_log (actor_user_id, seq);
CREATE INDEX audit_record ON audit_log (record_type, record_id, seq);
CREATE INDEX audit_action ON audit_log (action, seq);
CREATE INDEX audit_region ON audit_log (actor_region, seq);
CREATE INDEX audit_at ON audit_log (at);

CREATE TABLE audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

INSERT INTO units (name, kind, region_code, created_at) VALUES ('Gugus Tugas PP-TPPO Nasional', 'task_force', NULL, 0);
