-- Differentially private synthetic victim records (issue 14, item 4): each release with
-- the privacy loss it spent (ε at δ, and ρ of zero-concentrated DP, which adds up across
-- releases: the instance's ledger), the method's parameters, the utility report computed
-- from protected outputs, and the synthetic records (CSV). Everything here is public.
CREATE TABLE synthetic_releases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    as_of       INTEGER NOT NULL,
    epsilon     REAL NOT NULL,
    delta       REAL NOT NULL,
    rho         REAL NOT NULL,
    records     INTEGER NOT NULL,
    params      TEXT NOT NULL,
    utility     TEXT NOT NULL,
    records_csv TEXT NOT NULL
);
