// The Store and Tx ports over Kysely/MySQL.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Pool } from 'mysql2';
import type { Activeflow, Flow, FlowState } from '../../engine/index.ts';
import type { ActiveflowFilter, BatchReads, BatchTx, FlowFilter, OutgoingEvent, Store, StoredActiveflow, Tx } from '../../app/ports.ts';
import { AppError } from '../../app/errors.ts';
import { isVersionMoved } from './batch-sql.ts';
import { CacheMiss, openFromCache, runBatch, type Batching, type Opened } from './batch-tx.ts';
import { SHARDS, countKeyOf, createCountDeltas, type CountDeltas, type CountKey } from './counts.ts';
import type { RelayLink } from './relay-link.ts';
import { activeflowRowToState, flowRowToFlow, flowToFlowRow, stateToActiveflowRow } from './mappers.ts';
import { acquire } from './raw.ts';
import { docPadding } from './row-padding.ts';
import { backoffMs, retryableReason } from './retry.ts';
import type { ActiveflowRow, Database } from './tables.ts';

/** MySQL's duplicate-key error. */
const ER_DUP_ENTRY = 1062;

export interface StoreHooks {
  /** Called before each retry of a transaction, with the reason (for metrics and logs). */
  onRetry?: (reason: string, attempt: number, err: unknown) => void;
  /**
   * How a batch tried the state cache: `committed` in one round trip, `miss` (an input needed a
   * read; nothing was sent), `stale` (a row had moved on), `failed` (another error); all but
   * `committed` then run the usual way.
   */
  onCached?: (outcome: 'committed' | 'miss' | 'stale' | 'failed', err?: unknown) => void;
}

/**
 * Creates the MySQL store over Kysely and, for group commits, the same mysql2 pool directly.
 * Group commits share `link` with this worker's relay: they delete the outbox rows it published
 * and feed it the rows they read after COMMIT. They keep `batching.cache` (state-cache.ts) and run
 * from it when they can.
 * `maxRetries` bounds how often one transaction is run again.
 */
export function createStore(db: Kysely<Database>, pool: Pool, link: RelayLink, batching: Batching, maxRetries: number, hooks: StoreHooks = {}): Store {
  const { cache } = batching;
  let nextShard = Math.floor(Math.random() * SHARDS);
  /** Runs a transaction, again on transient failures (and, for batches, on a raced input id). */
  async function withRetries<T>(attempt: () => Promise<T>, retryDuplicate = false): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        const duplicate = retryDuplicate && (err as { errno?: unknown }).errno === ER_DUP_ENTRY;
        const reason = duplicate ? 'duplicate_input_id' : retryableReason(err);
        if (reason === null) throw err;
        if (n >= maxRetries) {
          throw new AppError('DATABASE_UNAVAILABLE', `database: ${reason} after ${n + 1} attempts`, [], { cause: err });
        }
        hooks.onRetry?.(reason, n + 1, err);
        await sleep(backoffMs(n));
      }
    }
  }
  return {
    transaction: async (work) => {
      const result = await withRetries(() =>
        db.transaction().execute(async (trx) => {
          const counts = createCountDeltas();
          const result = await work(createTx(trx, counts, cache, batching.rowPadBytes ?? 0));
          await counts.flush(trx);
          return result;
        }),
      );
      // Any events it wrote were not read for the relay (only group commits do that).
      link.markUnfed();
      return result;
    },
    batch: async (reads, work) => {
      // Consecutive batches take consecutive shards of activeflow_counts, so the few that run at
      // once never update the same counts row (each would wait for the other's commit).
      nextShard = (nextShard + 1) % SHARDS;
      const shard = nextShard;
      const cached = cache.worthTrying() ? openFromCache(reads, cache) : null;
      if (cached) {
        const done = await cachedOnce(pool, link, shard, batching, reads, work, cached);
        hooks.onCached?.(done.outcome, done.err);
        if (done.outcome === 'committed') return done.result as Awaited<ReturnType<typeof work>>;
      }
      return withRetries(() => batchOnce(pool, link, shard, batching, reads, work), true);
    },
    async getActiveflow(id) {
      const row = await db.selectFrom('activeflows').select(['doc', 'variables', 'wake_at', 'seq']).where('id', '=', id).executeTakeFirst();
      return row ? { state: activeflowRowToState(row), seq: Number(row.seq) } : null;
    },
    async listActiveflows(filter, page) {
      let q = activeflowFilter(db.selectFrom('activeflows').select('doc'), filter);
      if (page.token) q = q.where('tm_create', '<', page.token);
      const rows = await q.orderBy('tm_create', 'desc').limit(page.size).execute();
      return rows.map((r) => JSON.parse(r.doc) as Activeflow);
    },
    async countActiveflows(filter, groupBy) {
      // Filters the counts table knows are answered from it: a few rows, not a scan of activeflows.
      if (filter.reference_type === undefined && filter.reference_id === undefined) {
        return countFromCounts(db, filter, groupBy);
      }
      if (!groupBy) {
        const q = activeflowFilter(db.selectFrom('activeflows').select((eb) => eb.fn.countAll<number>().as('count')), filter);
        return Number((await q.executeTakeFirstOrThrow()).count);
      }
      const q = activeflowFilter(
        db.selectFrom('activeflows').select([`${groupBy} as key`, (eb) => eb.fn.countAll<number>().as('count')]),
        filter,
      ).groupBy(groupBy);
      const rows = await q.orderBy('key').execute();
      return rows.map((r) => ({ key: String(r.key), count: Number(r.count) }));
    },
    async getFlow(id) {
      const row = await db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? flowRowToFlow(row) : null;
    },
    async listFlows(filter, page) {
      let q = flowFilter(db.selectFrom('flows').selectAll(), filter);
      if (page.token) q = q.where('tm_create', '<', page.token);
      return (await q.orderBy('tm_create', 'desc').limit(page.size).execute()).map(flowRowToFlow);
    },
    async countFlows(filter) {
      const q = flowFilter(db.selectFrom('flows').select((eb) => eb.fn.countAll<number>().as('count')), filter);
      return Number((await q.executeTakeFirstOrThrow()).count);
    },
    async dueTimers(now, limit) {
      const rows = await db.selectFrom('activeflows').select('id').where('wake_at', '<=', now).orderBy('wake_at').limit(limit).execute();
      return rows.map((r) => r.id);
    },
    async customerActiveflowIds(customerId, limit) {
      const rows = await db
        .selectFrom('activeflows')
        .select('id')
        .where('customer_id', '=', customerId)
        .where('deleted', '=', 0)
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
    async customerFlowIds(customerId, limit) {
      const rows = await db
        .selectFrom('flows')
        .select('id')
        .where('customer_id', '=', customerId)
        .where('tm_delete', '=', '9999-01-01 00:00:00.000000')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
    async pruneProcessed(before, limit) {
      // The ids are picked by a consistent read (a row's tm_create never changes, so they stay
      // past the retention) and deleted by primary key, under READ COMMITTED: the DELETE locks
      // those rows only, never a gap (as REPEATABLE READ does around a row another pruner has
      // just deleted), so the inputs recording new ids beside them do not wait for it.
      const rows = await db.selectFrom('processed_messages').select('message_id').where('tm_create', '<', before).orderBy('tm_create').limit(limit).execute();
      if (rows.length === 0) return 0;
      const ids = rows.map((r) => r.message_id);
      const result = await db
        .transaction()
        .setIsolationLevel('read committed')
        .execute((trx) => trx.deleteFrom('processed_messages').where('message_id', 'in', ids).executeTakeFirst());
      return Number(result.numDeletedRows);
    },
  };
}

/**
 * One attempt of a group commit on a connection of its own (from the cache when `cached`);
 * rolled back on any failure, which also drops its activeflows from the cache.
 */
async function batchOnce<T>(pool: Pool, link: RelayLink, shard: number, batching: Batching, reads: BatchReads, work: (tx: BatchTx) => Promise<T>, cached: Opened | null = null): Promise<T> {
  const conn = await acquire(pool);
  try {
    const result = await runBatch(conn, reads, link, shard, batching, work, cached);
    conn.release(false);
    return result;
  } catch (err) {
    for (const id of reads.lock) batching.cache.delete(id);
    for (const id of reads.flows) batching.cache.deleteFlow(id);
    // A miss is thrown before any statement was sent.
    const rolledBack =
      err instanceof CacheMiss ||
      (await conn.query({ text: 'ROLLBACK', values: [] }).then(
        () => true,
        () => false,
      ));
    conn.release(!rolledBack);
    throw err;
  }
}

/**
 * A group commit from the cache, once: what it came to. Whatever stopped it (a miss, a row that
 * moved on, a lost connection) left nothing behind, and the caller runs the batch the usual way,
 * with its retries; an unknown COMMIT outcome is safe there too, as it is for any batch (its
 * inputs are then stale or duplicates).
 */
async function cachedOnce<T>(pool: Pool, link: RelayLink, shard: number, batching: Batching, reads: BatchReads, work: (tx: BatchTx) => Promise<T>, cached: Opened) {
  const { cache } = batching;
  try {
    const result = await batchOnce(pool, link, shard, batching, reads, work, cached);
    cache.tried(false);
    return { outcome: 'committed' as const, result };
  } catch (err) {
    if (err instanceof CacheMiss) return { outcome: 'miss' as const };
    const stale = isVersionMoved(err);
    cache.tried(stale);
    return stale ? { outcome: 'stale' as const } : { outcome: 'failed' as const, err };
  }
}

/** Counts from activeflow_counts (schema/002), summing the shards of each key. */
async function countFromCounts(db: Kysely<Database>, f: ActiveflowFilter, groupBy?: 'status' | 'current_action_type' | 'flow_id') {
  let q = db.selectFrom('activeflow_counts');
  if (f.customer_id !== undefined) q = q.where('customer_id', '=', f.customer_id);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.flow_id !== undefined) q = q.where('flow_id', '=', f.flow_id);
  if (f.current_action_type !== undefined) q = q.where('current_action_type', '=', f.current_action_type);
  if (f.deleted !== undefined) q = q.where('deleted', '=', f.deleted ? 1 : 0);
  const total = sql<string | number | null>`SUM(n)`;
  if (!groupBy) {
    const row = await q.select(total.as('count')).executeTakeFirstOrThrow();
    return Number(row.count ?? 0);
  }
  const rows = await q
    .select([`${groupBy} as key`, total.as('count')])
    .groupBy(groupBy)
    .having(total, '>', 0)
    .orderBy('key')
    .execute();
  return rows.map((r) => ({ key: String(r.key), count: Number(r.count) }));
}

function activeflowFilter<O>(q: SelectQueryBuilder<Database, 'activeflows', O>, f: ActiveflowFilter) {
  if (f.customer_id !== undefined) q = q.where('customer_id', '=', f.customer_id);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.flow_id !== undefined) q = q.where('flow_id', '=', f.flow_id);
  if (f.reference_type !== undefined) q = q.where('reference_type', '=', f.reference_type);
  if (f.reference_id !== undefined) q = q.where('reference_id', '=', f.reference_id);
  if (f.current_action_type !== undefined) q = q.where('current_action_type', '=', f.current_action_type);
  if (f.deleted !== undefined) q = q.where('deleted', '=', f.deleted ? 1 : 0);
  return q;
}

function flowFilter<O>(q: SelectQueryBuilder<Database, 'flows', O>, f: FlowFilter) {
  if (f.customer_id !== undefined) q = q.where('customer_id', '=', f.customer_id);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.deleted !== undefined) {
    q = q.where('tm_delete', f.deleted ? '!=' : '=', '9999-01-01 00:00:00.000000');
  }
  return q;
}

function createTx(trx: Transaction<Database>, counts: CountDeltas, cache: Batching['cache'], padBytes: number): Tx {
  // The count key each locked row had, so an update can move its unit to the new key.
  const keys = new Map<string, CountKey>();
  // The doc as group commits write it too (row-padding.ts): the server adds the spaces.
  const docOf = (row: ActiveflowRow) => {
    const padding = docPadding(row, padBytes);
    return padding > 0 ? sql<string>`CONCAT(${row.doc}, SPACE(${padding}))` : row.doc;
  };
  return {
    async markProcessed(messageId, now) {
      const result = await sql`INSERT IGNORE INTO processed_messages (message_id, tm_create) VALUES (${messageId}, ${now})`.execute(trx);
      return Number(result.numAffectedRows ?? 0n) === 1;
    },
    async lockActiveflow(id) {
      const row = await trx.selectFrom('activeflows').select(['doc', 'variables', 'wake_at', 'seq']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return null;
      const stored: StoredActiveflow = { state: activeflowRowToState(row), seq: Number(row.seq) };
      keys.set(id, countKeyOf(stored.state));
      return stored;
    },
    async insertActiveflow(state: FlowState, seq: number) {
      const row = stateToActiveflowRow(state, seq);
      const result = await trx.insertInto('activeflows').ignore().values({ ...row, doc: docOf(row) }).executeTakeFirst();
      const inserted = Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
      if (inserted) {
        counts.move(null, countKeyOf(state));
        keys.set(state.activeflow.id, countKeyOf(state));
      }
      return inserted;
    },
    async updateActiveflow(state, seq) {
      const { id, ...row } = stateToActiveflowRow(state, seq);
      // A state cached before this write is stale now (its batch would find out, a round trip late).
      cache.delete(id);
      await trx
        .updateTable('activeflows')
        .set({ ...row, doc: docOf({ id, ...row }), version: sql`version + 1` })
        .where('id', '=', id)
        .execute();
      const after = countKeyOf(state);
      counts.move(keys.get(id) ?? null, after);
      keys.set(id, after);
    },
    async runningByReference(referenceId) {
      const rows = await trx
        .selectFrom('activeflows')
        .select('id')
        .where('reference_id', '=', referenceId)
        .where('status', '=', 'running')
        .orderBy('id')
        .forUpdate()
        .execute();
      return rows.map((r) => r.id);
    },
    async getFlow(id) {
      const row = await trx.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? { flow: flowRowToFlow(row), seq: Number(row.seq) } : null;
    },
    async lockFlow(id) {
      const row = await trx.selectFrom('flows').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      return row ? { flow: flowRowToFlow(row), seq: Number(row.seq) } : null;
    },
    async insertFlow(flow: Flow, seq: number) {
      await trx.insertInto('flows').values(flowToFlowRow(flow, seq)).execute();
    },
    async updateFlow(flow, seq) {
      const { id, ...row } = flowToFlowRow(flow, seq);
      // Cached batches would find its seq moved on, a round trip late.
      cache.deleteFlow(id);
      await trx.updateTable('flows').set(row).where('id', '=', id).execute();
    },
    async enqueue(events: OutgoingEvent[], now: string) {
      if (events.length === 0) return;
      await trx
        .insertInto('outbox')
        .values(events.map(({ message_id, aggregate_id, seq, type, body }) => ({ message_id, aggregate_id, seq, type, body, tm_create: now })))
        .execute();
    },
  };
}
