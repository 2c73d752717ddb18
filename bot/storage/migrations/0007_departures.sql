-- People who left: a deactivated person keeps their rows (the ledger and audit trail name them)
-- but has no account, no classes or schools, and is left out of every audience. Importing them
-- again clears it.
ALTER TABLE people ADD COLUMN deactivated_at INTEGER;
