-- The statistics rollup (issue 13): additive measures of stat_victims summed per
-- dimension value, registering province, review state and month (basis 0: of the report,
-- 1: of the exploitation, 0 when unknown; basis 2: every month together, month 0).
-- "Not recorded" is the value ''. Kept by the
-- same writes as stat_victims, in the same transaction; filled by the rebuild that
-- statistics version 4 triggers on first start.
CREATE TABLE stat_cube (
    dim               TEXT NOT NULL,
    basis             INTEGER NOT NULL,
    province_code     TEXT NOT NULL,
    review_state      TEXT NOT NULL,
    month             INTEGER NOT NULL,
    value             TEXT NOT NULL,
    records           INTEGER NOT NULL,
    unlinked          INTEGER NOT NULL,
    cases             INTEGER NOT NULL,
    children          INTEGER NOT NULL,
    children_unlinked INTEGER NOT NULL,
    abroad            INTEGER NOT NULL,
    open_cases        INTEGER NOT NULL,
    no_service        INTEGER NOT NULL,
    awarded           INTEGER NOT NULL,
    paid              INTEGER NOT NULL,
    PRIMARY KEY (dim, basis, province_code, review_state, month, value)
) WITHOUT ROWID;

-- 1 on the first victim row of each case (cases are counted by summing it).
ALTER TABLE stat_victims ADD COLUMN first_of_case INTEGER NOT NULL DEFAULT 0;
-- Linked records (person_key > 0) are counted distinct at query time; the edges of a
-- period that does not start or end on a month boundary are read from the rows.
CREATE INDEX stat_victims_person ON stat_victims (person_key);
CREATE INDEX stat_victims_reported ON stat_victims (reported_on);
CREATE INDEX stat_victims_exploited ON stat_victims (exploited_on);
