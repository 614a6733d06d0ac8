-- Live counts of activeflows by customer, flow, status, current action type and deleted flag,
-- kept in the same transaction as every activeflow write (src/adapters/db/counts.ts), so that
-- "how many wait where" is answered from a few rows however many activeflows exist. Each key is
-- spread over shards so concurrent transitions rarely update the same row; readers sum them.
CREATE TABLE IF NOT EXISTS activeflow_counts (
  customer_id CHAR(36) NOT NULL,
  flow_id CHAR(36) NOT NULL,
  status VARCHAR(16) NOT NULL,
  current_action_type VARCHAR(64) NOT NULL,
  deleted TINYINT(1) NOT NULL,
  shard TINYINT UNSIGNED NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (customer_id, flow_id, status, current_action_type, deleted, shard),
  KEY counts_status_type (status, current_action_type)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Counts of the rows that exist when this migration runs (shard 0).
INSERT INTO activeflow_counts (customer_id, flow_id, status, current_action_type, deleted, shard, n)
SELECT customer_id, flow_id, status, current_action_type, deleted, 0, COUNT(*)
FROM activeflows GROUP BY customer_id, flow_id, status, current_action_type, deleted
ON DUPLICATE KEY UPDATE n = n + VALUES(n);
