// The BatchTx of a group commit: one locking read for the whole batch, writes buffered in memory
// and flushed with one statement per table, so a batch of N inputs costs a handful of round
// trips instead of N times as many. Reads of rows outside the batch fall through to `inner`.
import { sql, type Transaction } from 'kysely';
import type { BatchTx, OutgoingEvent, StoredActiveflow, Tx } from '../../app/ports.ts';
import { countKeyOf, type CountDeltas, type CountKey } from './counts.ts';
import { activeflowRowToState, stateToActiveflowRow } from './mappers.ts';
import type { ActiveflowRow, Database } from './tables.ts';

interface Buffers {
  rows: Map<string, ActiveflowRow>;
  locked: Map<string, StoredActiveflow | null>;
  processed: Map<string, string>;
  events: { event: OutgoingEvent; now: string }[];
}

/** Locks the batch's rows (in id order, so concurrent batches cannot deadlock on each other). */
export async function openBatch(trx: Transaction<Database>, inner: Tx, activeflowIds: string[], messageIds: string[], counts: CountDeltas) {
  const buffers: Buffers = { rows: new Map(), locked: new Map(), processed: new Map(), events: [] };
  // The count key each row had when the batch first saw it (null: new), for activeflow_counts.
  const original = new Map<string, CountKey | null>();
  const remember = (id: string, found: StoredActiveflow | null) => {
    if (!original.has(id)) original.set(id, found ? countKeyOf(found.state) : null);
  };
  const ids = [...new Set(activeflowIds)].sort();
  if (ids.length > 0) {
    const rows = await trx.selectFrom('activeflows').select(['id', 'doc', 'variables', 'wake_at', 'seq']).where('id', 'in', ids).orderBy('id').forUpdate().execute();
    for (const id of ids) buffers.locked.set(id, null);
    for (const row of rows) buffers.locked.set(row.id, { state: activeflowRowToState(row), seq: Number(row.seq) });
    for (const id of ids) remember(id, buffers.locked.get(id) ?? null);
  }
  const seen = new Set<string>();
  if (messageIds.length > 0) {
    const rows = await trx.selectFrom('processed_messages').select('message_id').where('message_id', 'in', [...new Set(messageIds)]).execute();
    for (const row of rows) seen.add(row.message_id);
  }
  // Savepoints are cheap snapshots of the (small) buffers.
  const marks: Buffers[] = [];
  const tx: BatchTx = {
    ...inner,
    async markProcessed(messageId, now) {
      if (seen.has(messageId) || buffers.processed.has(messageId)) return false;
      buffers.processed.set(messageId, now);
      return true;
    },
    async lockActiveflow(id) {
      if (!buffers.locked.has(id)) {
        const found = await inner.lockActiveflow(id);
        buffers.locked.set(id, found);
        remember(id, found);
      }
      const found = buffers.locked.get(id);
      return found ? structuredClone(found) : null;
    },
    async insertActiveflow(state, seq) {
      // Only new ids reach here in a batch (on-complete links get fresh UUIDs).
      remember(state.activeflow.id, null);
      buffers.locked.set(state.activeflow.id, { state, seq });
      buffers.rows.set(state.activeflow.id, stateToActiveflowRow(state, seq));
      return true;
    },
    async updateActiveflow(state, seq) {
      buffers.locked.set(state.activeflow.id, { state, seq });
      buffers.rows.set(state.activeflow.id, stateToActiveflowRow(state, seq));
    },
    async enqueue(events, now) {
      for (const event of events) buffers.events.push({ event, now });
    },
    savepoint() {
      marks.push({
        rows: new Map(buffers.rows),
        locked: new Map(buffers.locked),
        processed: new Map(buffers.processed),
        events: [...buffers.events],
      });
      return marks.length - 1;
    },
    rollbackTo(mark) {
      const saved = marks[mark];
      if (!saved) return;
      Object.assign(buffers, saved);
      marks.length = mark;
    },
  };
  const flushAll = async () => {
    for (const [id, row] of buffers.rows) counts.move(original.get(id) ?? null, row);
    await flush(trx, buffers);
  };
  return { tx, flush: flushAll };
}

/** Writes the buffers: one upsert of activeflows, one insert of input ids, one of events. */
async function flush(trx: Transaction<Database>, buffers: Buffers): Promise<void> {
  const rows = [...buffers.rows.values()];
  if (rows.length > 0) {
    const keep = <T>(column: keyof ActiveflowRow) => sql<T>`VALUES(${sql.ref(column)})`;
    await trx
      .insertInto('activeflows')
      .values(rows)
      .onDuplicateKeyUpdate({
        status: keep('status'),
        current_action_type: keep('current_action_type'),
        deleted: keep('deleted'),
        wake_at: keep('wake_at'),
        seq: keep('seq'),
        doc: keep('doc'),
        variables: keep('variables'),
        tm_update: keep('tm_update'),
      })
      .execute();
  }
  if (buffers.processed.size > 0) {
    // A plain INSERT: an id another worker committed meanwhile fails the batch, which is retried.
    await trx
      .insertInto('processed_messages')
      .values([...buffers.processed].map(([message_id, tm_create]) => ({ message_id, tm_create })))
      .execute();
  }
  if (buffers.events.length > 0) {
    await trx
      .insertInto('outbox')
      .values(buffers.events.map(({ event, now }) => ({ ...event, tm_create: now })))
      .execute();
  }
}
