-- Linkage keys, compact (issue 17): each blocking key as the first 8 bytes of its keyed
-- hash, a 64-bit integer, instead of 32 hex characters (see the SQLite migration).
CREATE TABLE linkage_keys_compact (
    key       BIGINT NOT NULL,
    victim_id BIGINT NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (key, victim_id)
);
INSERT INTO linkage_keys_compact (key, victim_id)
SELECT DISTINCT ('x' || substr(key, 1, 16))::bit(64)::bigint, victim_id
FROM linkage_keys ORDER BY 1, 2;
DROP TABLE linkage_keys;
ALTER TABLE linkage_keys_compact RENAME TO linkage_keys;
ALTER INDEX linkage_keys_compact_pkey RENAME TO linkage_keys_pkey;
CREATE INDEX linkage_keys_victim ON linkage_keys (victim_id);
