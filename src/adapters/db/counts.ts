// Maintains activeflow_counts (schema/002): every write of an activeflow row moves one unit from
// the key it had to the key it has. Deltas of one transaction are summed and written with one
// statement, rows in key order so that concurrent transactions cannot deadlock on them.
import { CompiledQuery, type Transaction } from 'kysely';
import type { Statement } from './batch-sql.ts';
import { NOT_DELETED, type FlowState } from '../../engine/index.ts';
import type { ActiveflowRow, Database } from './tables.ts';

export type CountKey = Pick<ActiveflowRow, 'customer_id' | 'flow_id' | 'status' | 'current_action_type' | 'deleted'>;

export const SHARDS = 16;

/** The count key of an activeflow state (the same values its row's columns get). */
export function countKeyOf(state: FlowState): CountKey {
  const af = state.activeflow;
  return {
    customer_id: af.customer_id,
    flow_id: af.flow_id,
    status: af.status,
    current_action_type: af.current_action.type,
    deleted: af.tm_delete === NOT_DELETED ? 0 : 1,
  };
}

export type CountDeltas = ReturnType<typeof createCountDeltas>;

const keyOf = (row: CountKey) => JSON.stringify([row.customer_id, row.flow_id, row.status, row.current_action_type, Number(row.deleted)]);

/** Collects the count changes of one transaction. */
export function createCountDeltas() {
  const deltas = new Map<string, { key: CountKey; n: number }>();
  const add = (from: CountKey, n: number) => {
    const k = keyOf(from);
    const key: CountKey = {
      customer_id: from.customer_id,
      flow_id: from.flow_id,
      status: from.status,
      current_action_type: from.current_action_type,
      deleted: Number(from.deleted),
    };
    const entry = deltas.get(k) ?? { key, n: 0 };
    entry.n += n;
    deltas.set(k, entry);
  };
  return {
    /** A row went from `before` (null: it is new) to `after`. */
    move(before: CountKey | null, after: CountKey) {
      if (before && keyOf(before) === keyOf(after)) return;
      if (before) add(before, -1);
      add(after, 1);
    },
    /**
     * The statement that adds the summed deltas into one shard per key, random unless given
     * (null: nothing to add).
     */
    statement(shard = Math.floor(Math.random() * SHARDS)): Statement | null {
      const rows = [...deltas.entries()].filter(([, d]) => d.n !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
      deltas.clear();
      if (rows.length === 0) return null;
      return {
        text: `INSERT INTO activeflow_counts (customer_id, flow_id, status, current_action_type, deleted, shard, n) VALUES ?
          ON DUPLICATE KEY UPDATE n = n + VALUES(n)`,
        values: [rows.map(([, { key, n }]) => [key.customer_id, key.flow_id, key.status, key.current_action_type, Number(key.deleted), shard, n])],
      };
    },
    /** Writes the summed deltas inside a Kysely transaction. */
    async flush(trx: Transaction<Database>) {
      const statement = this.statement();
      if (statement) await trx.executeQuery(CompiledQuery.raw(statement.text, statement.values));
    },
  };
}
