-- The same perpetrator registered in several cases as separate records (a broker recorded
-- in Kalimantan Tengah and again in NTT): pairs proposed by the linkage check after a
-- perpetrator is recorded, decided by verifiers who may see both sides. "Same" gives both
-- records one network id (the smallest perpetrator id of the records decided to be one),
-- never merges or deletes them; "different" is remembered; both can be undone.
ALTER TABLE perpetrators ADD COLUMN network_id INTEGER;
-- When this record was last compared with the others (NULL: not yet, e.g. recorded before
-- this migration, or the check after its save failed): the background worker checks these.
ALTER TABLE perpetrators ADD COLUMN pairs_checked_at INTEGER;
CREATE INDEX perpetrators_network ON perpetrators (network_id);
CREATE INDEX perpetrators_unchecked ON perpetrators (id) WHERE pairs_checked_at IS NULL;

CREATE TABLE perpetrator_pairs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    perpetrator_a INTEGER NOT NULL REFERENCES perpetrators (id) ON DELETE CASCADE,
    perpetrator_b INTEGER NOT NULL REFERENCES perpetrators (id) ON DELETE CASCADE,
    probability   REAL NOT NULL,
    weight        REAL NOT NULL,
    explanation   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    found_at      INTEGER NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    UNIQUE (perpetrator_a, perpetrator_b),
    CHECK (perpetrator_a < perpetrator_b)
);
CREATE INDEX perpetrator_pairs_status ON perpetrator_pairs (status, probability);
CREATE INDEX perpetrator_pairs_b ON perpetrator_pairs (perpetrator_b);
