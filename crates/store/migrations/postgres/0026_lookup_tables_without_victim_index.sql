-- The linkage keys and the victims' name tokens lose their index by victim and their foreign
-- key (issue 17, "the speed that was lost"): every save wrote each of its ~50 keys into a
-- second tree, which served only to remove a victim's rows; those rows are now removed by
-- the tables' own primary keys, computed again from the stored identity they were made of
-- (`forget_victim_indexes`). The foreign key goes with the index: without it, deleting a
-- victim would scan the whole table to check for children.
DROP INDEX IF EXISTS linkage_keys_victim;
DROP INDEX IF EXISTS victim_name_tokens_victim;
ALTER TABLE linkage_keys DROP CONSTRAINT IF EXISTS linkage_keys_compact_victim_id_fkey;
ALTER TABLE linkage_keys DROP CONSTRAINT IF EXISTS linkage_keys_victim_id_fkey;
ALTER TABLE victim_name_tokens DROP CONSTRAINT IF EXISTS victim_name_tokens_victim_id_fkey;
