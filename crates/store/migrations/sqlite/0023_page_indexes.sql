-- Page cost (issue 17, item 9).
-- "My tasks" counts and pages a unit's open services, skipping those whose referral has
-- ended: with the referral in the index the count reads the index alone (it read every
-- open service's row: 10,000 row reads per count for a busy unit).
DROP INDEX services_unit_open;
CREATE INDEX services_unit_open ON services (unit_id, is_open, due_on, id, referral_id);
-- A record's entries by action: a case's history (its changes, not the views) seeks the
-- changes alone; through (record_type, record_id, seq) it walked past every view of the
-- case, and a case opened 20,000 times took 10 ms to show its history. The access log
-- (the views) seeks the views the same way.
DROP INDEX audit_record;
CREATE INDEX audit_record ON audit_log (record_type, record_id, action, seq);
