// Row types of the tables in schema/: they mirror the columns and never leave the db adapter.
import type { Generated } from 'kysely';

export interface FlowRow {
  id: string;
  customer_id: string;
  type: string;
  name: string;
  detail: string;
  actions: string;
  on_complete_flow_id: string;
  seq: number;
  tm_create: string;
  tm_update: string;
  tm_delete: string;
}

export interface ActiveflowRow {
  id: string;
  customer_id: string;
  flow_id: string;
  status: string;
  reference_type: string;
  reference_id: string;
  current_action_type: string;
  deleted: number;
  wake_at: string | null;
  seq: number;
  doc: string;
  variables: string;
  tm_create: string;
  tm_update: string;
}

/** The activeflows table: a row and its version (schema/004), which the database keeps. */
export interface ActiveflowTable extends ActiveflowRow {
  version: Generated<number>;
}

export interface ActiveflowCountRow {
  customer_id: string;
  flow_id: string;
  status: string;
  current_action_type: string;
  deleted: number;
  shard: number;
  n: number;
}

export interface ProcessedMessageRow {
  message_id: string;
  tm_create: string;
}

export interface OutboxRow {
  id: Generated<number>;
  message_id: string;
  aggregate_id: string;
  seq: number;
  type: string;
  body: string;
  tm_create: string;
}

export interface SchemaMigrationRow {
  version: string;
  tm_apply: string;
}

export interface Database {
  flows: FlowRow;
  activeflows: ActiveflowTable;
  activeflow_counts: ActiveflowCountRow;
  processed_messages: ProcessedMessageRow;
  outbox: OutboxRow;
  schema_migrations: SchemaMigrationRow;
}
