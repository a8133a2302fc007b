-- Which server runs each background job (the worker, the audit checkpoints) when several
-- `gugus serve` share one database: one row per job, held by one node until it expires.
-- A node takes or renews it with a conditional UPDATE, so two nodes never hold it at once.
CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
