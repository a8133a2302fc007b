-- The review chain means the level above, and review text is protected like identities.
--
-- The level of the unit that took each review step (national, province, regency, district,
-- village), stored with the step: the case shows the level that actually acted.
ALTER TABLE case_reviews ADD COLUMN actor_level TEXT;
-- Reviewers' notes and warning justifications, encrypted under the instance key (bound to
-- their column, like the identities). The plaintext columns `note`, `field_notes` and
-- `justification` are no longer written: rows from before this migration are encrypted
-- and those columns emptied at the first start with the key (`Store::seal_review_text`).
ALTER TABLE case_reviews ADD COLUMN note_enc TEXT;
ALTER TABLE case_reviews ADD COLUMN field_notes_enc TEXT;
ALTER TABLE case_rule_hits ADD COLUMN justification_enc TEXT;

-- Earlier steps: the level of the acting account's unit where it is known…
UPDATE case_reviews SET actor_level = (
    SELECT CASE
        WHEN n.region_code IS NULL THEN 'national'
        WHEN LENGTH(n.region_code) - LENGTH(REPLACE(n.region_code, '.', '')) = 0 THEN 'province'
        WHEN LENGTH(n.region_code) - LENGTH(REPLACE(n.region_code, '.', '')) = 1 THEN 'regency'
        WHEN LENGTH(n.region_code) - LENGTH(REPLACE(n.region_code, '.', '')) = 2 THEN 'district'
        ELSE 'village' END
    FROM users u JOIN units n ON n.id = u.unit_id WHERE u.id = case_reviews.actor_id)
WHERE actor_id IS NOT NULL;
-- …else (generated history) the level the workflow gave the step: national clears and
-- returns what was verified; a submission waiting for review was verified or returned by
-- the province when its unit lies below one, else by national.
UPDATE case_reviews SET actor_level = CASE
    WHEN action = 'clear' OR (action = 'return' AND from_state <> 'submitted') THEN 'national'
    WHEN action = 'verify' THEN 'province'
    WHEN action = 'return' THEN (SELECT CASE WHEN c.region_code LIKE '%.%' THEN 'province'
        ELSE 'national' END FROM cases c WHERE c.id = case_reviews.case_id)
    ELSE (SELECT CASE
        WHEN c.region_code IS NULL THEN 'national'
        WHEN LENGTH(c.region_code) - LENGTH(REPLACE(c.region_code, '.', '')) = 0 THEN 'province'
        WHEN LENGTH(c.region_code) - LENGTH(REPLACE(c.region_code, '.', '')) = 1 THEN 'regency'
        WHEN LENGTH(c.region_code) - LENGTH(REPLACE(c.region_code, '.', '')) = 2 THEN 'district'
        ELSE 'village' END
        FROM cases c WHERE c.id = case_reviews.case_id) END
WHERE actor_level IS NULL;

-- Nobody at a province's own level reviews its submissions: those waiting there go to
-- national (as new submissions of provincial and national units now do).
UPDATE cases SET review_level = 'national'
WHERE review_state = 'submitted' AND review_level = 'province'
  AND (region_code IS NULL OR region_code NOT LIKE '%.%');
