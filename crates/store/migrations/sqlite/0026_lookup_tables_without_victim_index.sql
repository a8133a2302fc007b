-- The linkage keys and the victims' name tokens lose their index by victim and their foreign
-- key (issue 17, "the speed that was lost"). At 1,000,000 cases the two indexes held 365 MiB
-- and 114 MiB of a 2.5 GB file, and every save wrote each of its ~50 keys into a second
-- tree. They served only to remove a victim's rows; those rows are now removed by the
-- tables' own primary keys, computed again from the stored identity they were made of
-- (`forget_victim_indexes`). The foreign key goes with the index: without it, deleting a
-- victim would scan the whole table to check for children.
-- SQLite cannot drop a foreign key in place: each table is copied, in key order.
CREATE TABLE linkage_keys_new (
    key       INTEGER NOT NULL,
    victim_id INTEGER NOT NULL,
    PRIMARY KEY (key, victim_id)
) WITHOUT ROWID;
INSERT INTO linkage_keys_new (key, victim_id)
SELECT key, victim_id FROM linkage_keys ORDER BY key, victim_id;
DROP TABLE linkage_keys;
ALTER TABLE linkage_keys_new RENAME TO linkage_keys;

CREATE TABLE victim_name_tokens_new (
    token     TEXT NOT NULL,
    victim_id INTEGER NOT NULL,
    PRIMARY KEY (token, victim_id)
) WITHOUT ROWID;
INSERT INTO victim_name_tokens_new (token, victim_id)
SELECT token, victim_id FROM victim_name_tokens ORDER BY token, victim_id;
DROP TABLE victim_name_tokens;
ALTER TABLE victim_name_tokens_new RENAME TO victim_name_tokens;
