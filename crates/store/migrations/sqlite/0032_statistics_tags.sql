-- The tags the rollup counted a case under (forms of exploitation, means of control), kept
-- with its rows: a write rewrites case_tags before the rows are refreshed, and the rollup
-- must take away what it added under the old tags.
CREATE TABLE stat_tags (
    case_id INTEGER NOT NULL,
    list    TEXT NOT NULL,
    code    TEXT NOT NULL,
    PRIMARY KEY (case_id, list, code)
) WITHOUT ROWID;
-- Filled by the rebuild that statistics version 4 triggers on first start.
