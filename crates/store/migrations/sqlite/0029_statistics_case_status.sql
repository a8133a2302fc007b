-- Whether the victim's case is still open (the vulnerability index's "open cases"
-- component). Filled by the rebuild that statistics version 2 triggers on first start.
ALTER TABLE stat_victims ADD COLUMN case_open INTEGER NOT NULL DEFAULT 0;
