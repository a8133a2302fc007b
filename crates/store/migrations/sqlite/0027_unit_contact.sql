-- How to reach a unit (issue 12, item 10): shown in the directory and on referrals, so a
-- case worker handing a victim over knows where to go and whom to ask for.
ALTER TABLE units ADD COLUMN address TEXT;
ALTER TABLE units ADD COLUMN phone TEXT;
ALTER TABLE units ADD COLUMN email TEXT;
ALTER TABLE units ADD COLUMN contact_person TEXT;
