-- Victims' citizenship (ISO 3166 alpha-3; most are Indonesian) and when a case was closed.
ALTER TABLE victims ADD COLUMN citizenship TEXT NOT NULL DEFAULT 'IDN';
ALTER TABLE cases ADD COLUMN closed_on BIGINT;
