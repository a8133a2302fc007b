-- A unit's records waiting to be submitted (drafts, returned), oldest first (issue 17,
-- item 9): the review queue walks this index per state and stops at the page, instead of
-- reading every case of the region and sorting.
CREATE INDEX cases_queue_unit ON cases (unit_id, review_state, (COALESCE(state_since, created_at)), id);
