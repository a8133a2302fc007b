-- Break-the-glass: time-limited access to a case's identities for a user outside the
-- owning unit, with the written reason the owning unit sees.
CREATE TABLE identity_grants (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id    INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    username   TEXT NOT NULL,
    unit_name  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX identity_grants_case ON identity_grants (case_id, user_id, expires_at);
