-- Province and regency of the registering unit, kept next to the full region code so that
-- "cases of this province/regency, newest first" is an index walk in date order (an
-- equality plus ORDER BY), not a range scan followed by a sort.
ALTER TABLE cases ADD COLUMN province_code TEXT;
ALTER TABLE cases ADD COLUMN regency_code TEXT;
UPDATE cases SET province_code = substr(region_code, 1, 2),
                 regency_code = CASE WHEN length(region_code) >= 5 THEN substr(region_code, 1, 5) END
WHERE region_code IS NOT NULL;
CREATE INDEX cases_province_reported ON cases (province_code, reported_on);
CREATE INDEX cases_regency_reported ON cases (regency_code, reported_on);
