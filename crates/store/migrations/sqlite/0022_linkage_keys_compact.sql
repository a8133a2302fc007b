-- Linkage keys, compact (issue 17, "the speed that was lost"): each blocking key is kept as
-- the first 8 bytes of its keyed hash, as a 64-bit integer, in a table without rowid (the
-- primary key is the table), instead of 32 hex characters in a rowid table plus its primary
-- key index: the 22.5 million keys of a 1,000,000-case database were stored three times
-- (2.3 GiB of a 4.6 GB file), and every new key landed on a random page of two big trees.
-- 64 bits are plenty: a collision between two different keys only adds one candidate to
-- score, which the model then rejects.
CREATE TABLE linkage_keys_compact (
    key       INTEGER NOT NULL,
    victim_id INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (key, victim_id)
) WITHOUT ROWID;
-- The hex digits of the old key, read as one big-endian 64-bit integer (as the code now
-- computes it), inserted in key order.
INSERT INTO linkage_keys_compact (key, victim_id)
SELECT DISTINCT ((instr('0123456789abcdef', substr(key, 1, 1)) - 1) << 60) | ((instr('0123456789abcdef', substr(key, 2, 1)) - 1) << 56) | ((instr('0123456789abcdef', substr(key, 3, 1)) - 1) << 52) | ((instr('0123456789abcdef', substr(key, 4, 1)) - 1) << 48) | ((instr('0123456789abcdef', substr(key, 5, 1)) - 1) << 44) | ((instr('0123456789abcdef', substr(key, 6, 1)) - 1) << 40) | ((instr('0123456789abcdef', substr(key, 7, 1)) - 1) << 36) | ((instr('0123456789abcdef', substr(key, 8, 1)) - 1) << 32) | ((instr('0123456789abcdef', substr(key, 9, 1)) - 1) << 28) | ((instr('0123456789abcdef', substr(key, 10, 1)) - 1) << 24) | ((instr('0123456789abcdef', substr(key, 11, 1)) - 1) << 20) | ((instr('0123456789abcdef', substr(key, 12, 1)) - 1) << 16) | ((instr('0123456789abcdef', substr(key, 13, 1)) - 1) << 12) | ((instr('0123456789abcdef', substr(key, 14, 1)) - 1) << 8) | ((instr('0123456789abcdef', substr(key, 15, 1)) - 1) << 4) | ((instr('0123456789abcdef', substr(key, 16, 1)) - 1) << 0), victim_id
FROM linkage_keys ORDER BY 1, 2;
DROP TABLE linkage_keys;
ALTER TABLE linkage_keys_compact RENAME TO linkage_keys;
CREATE INDEX linkage_keys_victim ON linkage_keys (victim_id);

-- The case tags and the victims' name tokens are lookup tables too: their primary key was
-- stored twice (the rowid table and its key index). Without rowid, once.
CREATE TABLE case_tags_compact (
    case_id INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    list    TEXT NOT NULL,
    code    TEXT NOT NULL,
    PRIMARY KEY (case_id, list, code)
) WITHOUT ROWID;
INSERT INTO case_tags_compact (case_id, list, code)
SELECT case_id, list, code FROM case_tags ORDER BY case_id, list, code;
DROP TABLE case_tags;
ALTER TABLE case_tags_compact RENAME TO case_tags;
CREATE INDEX case_tags_code ON case_tags (list, code, case_id);

CREATE TABLE victim_name_tokens_compact (
    token     TEXT NOT NULL,
    victim_id INTEGER NOT NULL REFERENCES victims (id) ON DELETE CASCADE,
    PRIMARY KEY (token, victim_id)
) WITHOUT ROWID;
INSERT INTO victim_name_tokens_compact (token, victim_id)
SELECT token, victim_id FROM victim_name_tokens ORDER BY token, victim_id;
DROP TABLE victim_name_tokens;
ALTER TABLE victim_name_tokens_compact RENAME TO victim_name_tokens;
CREATE INDEX victim_name_tokens_victim ON victim_name_tokens (victim_id);
