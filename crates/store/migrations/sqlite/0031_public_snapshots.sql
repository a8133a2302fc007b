-- Public statistics (issue 14): dated snapshots of the official figures by home region,
-- already suppressed (a hidden cell is null in `tables`). `hidden` maps each hidden cell
-- ("code|category") to its count, never published: the next snapshot hides those cells
-- again and audits its equations together with this one's.
CREATE TABLE public_snapshots (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    as_of        INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    threshold    INTEGER NOT NULL,
    tables       TEXT NOT NULL,
    hidden       TEXT NOT NULL
);
-- One snapshot per day: two of the same day would be audited against the previous one
-- but not against each other.
CREATE UNIQUE INDEX public_snapshots_as_of ON public_snapshots (as_of);
