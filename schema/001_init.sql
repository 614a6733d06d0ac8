-- flow-manager schema, version 1. Applied automatically on start (src/adapters/db/migrate.ts).
-- Ids are lowercase UUID strings; timestamps are DATETIME(6) in UTC.

CREATE TABLE IF NOT EXISTS flows (
  id CHAR(36) NOT NULL PRIMARY KEY,
  customer_id CHAR(36) NOT NULL,
  type VARCHAR(32) NOT NULL,
  name VARCHAR(255) NOT NULL,
  detail TEXT NOT NULL,
  actions LONGTEXT NOT NULL,
  on_complete_flow_id CHAR(36) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
  tm_create DATETIME(6) NOT NULL,
  tm_update DATETIME(6) NOT NULL,
  tm_delete DATETIME(6) NOT NULL,
  KEY flows_customer_created (customer_id, tm_create),
  KEY flows_created (tm_create)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The full activeflow document lives in `doc` (with its variables in `variables`); the columns
-- beside it are copies of the fields that lists, counts, timers and cleanup filter on.
CREATE TABLE IF NOT EXISTS activeflows (
  id CHAR(36) NOT NULL PRIMARY KEY,
  customer_id CHAR(36) NOT NULL,
  flow_id CHAR(36) NOT NULL,
  status VARCHAR(16) NOT NULL,
  reference_type VARCHAR(16) NOT NULL,
  reference_id CHAR(36) NOT NULL,
  current_action_type VARCHAR(64) NOT NULL,
  deleted TINYINT(1) NOT NULL DEFAULT 0,
  wake_at DATETIME(6) NULL,
  seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
  doc LONGTEXT NOT NULL,
  variables LONGTEXT NOT NULL,
  tm_create DATETIME(6) NOT NULL,
  tm_update DATETIME(6) NOT NULL,
  KEY af_customer_created (customer_id, tm_create),
  KEY af_created (tm_create),
  KEY af_reference (reference_id, status),
  KEY af_wake (wake_at),
  KEY af_status_type (status, current_action_type, deleted),
  KEY af_flow_status_type (flow_id, status, current_action_type),
  KEY af_customer_status_type (customer_id, status, current_action_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Ids of inputs already applied: inserted in the transaction of the input (exactly-once effect).
CREATE TABLE IF NOT EXISTS processed_messages (
  message_id VARCHAR(191) NOT NULL PRIMARY KEY,
  tm_create DATETIME(6) NOT NULL,
  KEY processed_created (tm_create)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Transactional outbox: events committed with the state, published after commit in id order.
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_id CHAR(36) NOT NULL,
  aggregate_id CHAR(36) NOT NULL,
  seq BIGINT UNSIGNED NOT NULL,
  type VARCHAR(64) NOT NULL,
  body LONGTEXT NOT NULL,
  tm_create DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
