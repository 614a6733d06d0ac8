-- Counts are answered from activeflow_counts (002), so these three indexes served no query any
-- more, while every transition (a new current_action_type) rewrote an entry in each of them.
-- (No IF EXISTS: MySQL has none for DROP INDEX; 001 created all three, and this runs once.)
ALTER TABLE activeflows
  DROP INDEX af_status_type,
  DROP INDEX af_flow_status_type,
  DROP INDEX af_customer_status_type;
