-- Counts are answered from activeflow_counts (002), so these three indexes served no query any
-- more, while every transition (a new current_action_type) rewrote an entry in each of them.
ALTER TABLE activeflows
  DROP INDEX IF EXISTS af_status_type,
  DROP INDEX IF EXISTS af_flow_status_type,
  DROP INDEX IF EXISTS af_customer_status_type;
