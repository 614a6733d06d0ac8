-- A row version, raised by every write of an activeflow (batch-sql.ts, store.ts). A worker that
-- keeps the state it committed last (state-cache.ts) writes the next one without reading the row
-- again: its UPDATE checks the version and fails the transaction if the row moved on meanwhile.
-- Adding a column with a default is instant on MariaDB 10.3+ and MySQL 8.0.12+.
ALTER TABLE activeflows ADD COLUMN version BIGINT UNSIGNED NOT NULL DEFAULT 0;
