// The BatchTx of a group commit, in two round trips: START TRANSACTION and every read the batch
// needs (its activeflows locked in id order, its flows, its input ids, caller-chosen new ids) go
// as one multi-statement query; the inputs then run against those results with every write
// buffered in memory; the writes (one statement per table), the delete of outbox rows the relay
// has published (in a batch of DELETING_BATCH inputs or more, or in every one with
// OUTBOX_DELETE_MS=0), COMMIT and (while this worker's relay holds the lock) a read of the outbox
// for the relay go as a second one. Reads the batch did not know up front (an on-complete link's
// flow, fetch_flow) cost one more each.
// From the state cache (state-cache.ts), a batch of inputs for activeflows this worker wrote last
// and of start_flow inputs for flows it read before takes one round trip: no reads, START
// TRANSACTION joins the writes, each row's UPDATE checks its version and each new row its flow's
// seq; an input that needs anything the cache does not hold throws CacheMiss before any
// statement is sent. Where the server tells the ids of the outbox rows it inserts
// (Batching.outboxIds: consecutive from the first one, or RETURNING) and the relay may take them
// (RelayLink.directOk), its events go to the relay from memory, with those ids, instead of by a
// read after COMMIT.
import { envelopeAround } from '../../app/documents.ts';
import type { BatchReads, BatchTx, OutgoingEvent, StoredActiveflow } from '../../app/ports.ts';
import { NOT_DELETED, type Flow } from '../../engine/index.ts';
import {
  deleteOutbox,
  existingActiveflows,
  insertActiveflows,
  insertActiveflowsChecked,
  insertOutbox,
  insertProcessed,
  joinStatements,
  lockActiveflows,
  selectFlow,
  selectFlows,
  selectOutbox,
  selectProcessed,
  updateActiveflowChecked,
  updateActiveflows,
  type OutboxEntry,
  type Statement,
} from './batch-sql.ts';
import { countKeyOf, createCountDeltas, type CountKey } from './counts.ts';
import { OUTBOX_READ, type OutboxRecord, type RelayLink } from './relay-link.ts';
import type { StateCache } from './state-cache.ts';
import type { OutboxIds } from './connect.ts';
import { activeflowRowToState, flowRowToFlow, stateToActiveflowRow } from './mappers.ts';
import type { RawConnection } from './raw.ts';
import type { ActiveflowRow, FlowRow } from './tables.ts';

interface Buffers {
  rows: Map<string, ActiveflowRow>;
  /** Ids of `rows` that are new (inserted rather than updated). */
  created: Set<string>;
  locked: Map<string, StoredActiveflow | null>;
  processed: Map<string, string>;
  events: { event: OutgoingEvent; now: string }[];
}

/** Most published outbox rows one group commit deletes. */
const DELETES_PER_BATCH = 1000;

/**
 * With OUTBOX_DELETE_MS > 0, the fewest inputs of a group commit that deletes published outbox
 * rows. A small batch (a worker with little to do) keeps the statement off its commit, which
 * the caller waits for; a large one (a busy worker, whose relay would otherwise delete hundreds
 * of rows in a commit of their own every OUTBOX_DELETE_MS) takes them at little cost per input.
 */
const DELETING_BATCH = 8;

/** What group commits share beyond the relay link. */
export interface Batching {
  cache: StateCache;
  /** How a batch learns its outbox rows' ids (connect.ts); `read`: no direct hand-over. */
  outboxIds: OutboxIds;
  /**
   * Whether every group commit deletes the outbox rows the relay has published, in its own
   * transaction (OUTBOX_DELETE_MS=0; the default here). When false only a batch of at least
   * DELETING_BATCH inputs does, and the relay deletes the rest, many at a time.
   */
  commitsDelete?: boolean;
  /** The bucket rows of running activeflows are padded to (ROW_PAD_BYTES, row-padding.ts); 0 or unset: none. */
  rowPadBytes?: number;
}

type StateRow = Pick<ActiveflowRow, 'id' | 'doc' | 'variables' | 'wake_at' | 'seq'> & { version: number | string };

/** What a batch has before its inputs run: read in its first round trip, or from the cache. */
export interface Opened {
  locked: Map<string, StoredActiveflow | null>;
  /** The version each locked row has (what its write will raise). */
  versions: Map<string, number>;
  flows: Map<string, { flow: Flow; seq: number } | null>;
  existing: Set<string>;
  seen: Set<string>;
  /** Opened from the cache: nothing was read, nothing is locked yet. */
  cached: boolean;
}

/** An input of a cached batch needs what the cache does not hold: run the batch the usual way. */
export class CacheMiss extends Error {
  constructor(what: string) {
    super(`not in the state cache: ${what}`);
  }
}

/**
 * A batch whose activeflows and flows are all in the cache, opened from it; null when any other
 * read is needed. Its new activeflows are inserted without a look first: an id or input id that
 * exists after all fails the INSERT, and the batch then runs the usual way.
 */
export function openFromCache(reads: BatchReads, cache: StateCache): Opened | null {
  if (reads.lock.length === 0 && reads.create.length === 0) return null;
  const locked = new Map<string, StoredActiveflow | null>();
  const versions = new Map<string, number>();
  for (const id of reads.lock) {
    const entry = cache.get(id);
    if (!entry) return null;
    locked.set(id, entry.stored);
    versions.set(id, entry.version);
  }
  const flows = new Map<string, { flow: Flow; seq: number } | null>();
  for (const id of reads.flows) {
    const entry = cache.flow(id);
    if (!entry) return null;
    flows.set(id, entry);
  }
  return { locked, versions, flows, existing: new Set(), seen: new Set(), cached: true };
}

/**
 * Runs `work` in one group-commit transaction on `conn`; the caller rolls back on failure. Its
 * count deltas go to `countShard` (the store hands concurrent batches different shards, so they
 * do not wait on each other's rows of activeflow_counts).
 */
export async function runBatch<T>(
  conn: RawConnection,
  reads: BatchReads,
  link: RelayLink,
  countShard: number,
  batching: Batching,
  work: (tx: BatchTx) => Promise<T>,
  cached: Opened | null = null,
): Promise<T> {
  const opened = cached ?? (await open(conn, reads));
  const buffers: Buffers = { rows: new Map(), created: new Set(), locked: opened.locked, processed: new Map(), events: [] };
  // The count key each row had when the batch first saw it (null: new), for activeflow_counts.
  const original = new Map<string, CountKey | null>();
  for (const [id, found] of opened.locked) original.set(id, found ? countKeyOf(found.state) : null);
  const marks: Buffers[] = [];

  const tx: BatchTx = {
    async markProcessed(messageId, now) {
      if (opened.seen.has(messageId) || buffers.processed.has(messageId)) return false;
      buffers.processed.set(messageId, now);
      return true;
    },
    async lockActiveflow(id) {
      if (!buffers.locked.has(id)) {
        if (opened.cached) throw new CacheMiss(`activeflow ${id}`);
        const rows = (await conn.query(lockActiveflows([id]))) as StateRow[];
        if (rows[0]) opened.versions.set(id, Number(rows[0].version));
        const found = rows[0] ? toStored(rows[0]) : null;
        buffers.locked.set(id, found);
        original.set(id, found ? countKeyOf(found.state) : null);
      }
      // Not copied: the engine never changes the state it is given (apply works on its own copy),
      // so the buffered state, which savepoints share, stays as it was read.
      return buffers.locked.get(id) ?? null;
    },
    async insertActiveflow(state, seq) {
      const id = state.activeflow.id;
      if (opened.existing.has(id) || buffers.locked.get(id)) return false;
      original.set(id, null);
      buffers.created.add(id);
      buffers.locked.set(id, { state, seq });
      buffers.rows.set(id, stateToActiveflowRow(state, seq));
      return true;
    },
    async updateActiveflow(state, seq) {
      buffers.locked.set(state.activeflow.id, { state, seq });
      buffers.rows.set(state.activeflow.id, stateToActiveflowRow(state, seq));
    },
    async getFlow(id) {
      if (!opened.flows.has(id)) {
        if (opened.cached) throw new CacheMiss(`flow ${id}`);
        const rows = (await conn.query(selectFlow(id))) as FlowRow[];
        opened.flows.set(id, rows[0] ? { flow: flowRowToFlow(rows[0]), seq: Number(rows[0].seq) } : null);
      }
      return opened.flows.get(id) ?? null;
    },
    async enqueue(events, now) {
      for (const event of events) buffers.events.push({ event, now });
    },
    savepoint() {
      marks.push({
        rows: new Map(buffers.rows),
        created: new Set(buffers.created),
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

  const result = await work(tx);
  if (opened.cached) {
    // An input left alone (stale, a duplicate) was judged on a cached state no statement checks.
    for (const id of opened.locked.keys()) if (!buffers.rows.has(id)) throw new CacheMiss(`a check of activeflow ${id} it does not write`);
    // A new row's INSERT checks its flow's seq, which the batch must know; a cached flow no new
    // row checks (its start was rejected, say) was used unchecked.
    const checked = new Set<string>();
    for (const id of buffers.created) {
      const flowId = buffers.rows.get(id)!.flow_id;
      if (!opened.flows.get(flowId)) throw new CacheMiss(`the flow ${flowId} of activeflow ${id}`);
      checked.add(flowId);
    }
    for (const id of opened.flows.keys()) if (!checked.has(id)) throw new CacheMiss(`a check of flow ${id} it does not start`);
  }
  const counts = createCountDeltas();
  for (const [id, row] of buffers.rows) counts.move(original.get(id) ?? null, row);
  // Its own events straight to the relay (see the header), or a read after COMMIT.
  const direct = opened.cached && batching.outboxIds !== 'read' && buffers.events.length > 0 && link.directOk();
  const tenure = link.tenure();
  const flushed = flushStatements(buffers, opened.cached ? opened : null, direct && batching.outboxIds === 'returning', batching.rowPadBytes ?? 0);
  const writes = [...(opened.cached ? [{ text: 'START TRANSACTION', values: [] }] : []), ...flushed.statements, counts.statement(countShard)].filter(
    (s): s is Statement => s !== null,
  );
  // Outbox rows the relay has published: deleted by this commit rather than by one of their own.
  const deletes = batching.commitsDelete !== false || reads.lock.length + reads.create.length >= DELETING_BATCH;
  const published = deletes ? link.take(DELETES_PER_BATCH) : [];
  if (published.length > 0) writes.push(deleteOutbox(published));
  // While this worker's relay holds the lock: read the outbox right after COMMIT, for the relay.
  const skip = direct ? null : link.feedSkip();
  const statements = [...writes, { text: 'COMMIT', values: [] }, ...(skip ? [selectOutbox(skip, OUTBOX_READ)] : [])];
  let results: unknown[];
  try {
    results = (await conn.query(joinStatements(statements))) as unknown[];
  } catch (err) {
    link.settle(published, false);
    if (skip) link.offer(null);
    throw err;
  }
  link.settle(published, true);
  if (direct) {
    // Committed: whatever happens now, the rows must reach the relay, directly or by a read.
    const own = ownRows(buffers, results[statements.indexOf(flushed.outbox!)]);
    if (own) link.offerDirect(own, tenure);
    else link.markUnfed();
  } else if (skip) link.offer(results[statements.length - 1] as OutboxRecord[]);
  else if (buffers.events.length > 0) link.markUnfed();
  remember(batching.cache, buffers, opened);
  return result;
}

/**
 * A batch's own outbox rows as the relay publishes them: from memory, with the ids its INSERT
 * gave (the rows RETURNING sent, or the first id of consecutive ones); null if that does not
 * account for every event (then the relay reads them).
 */
function ownRows(buffers: Buffers, result: unknown): OutboxRecord[] | null {
  const ids = outboxIdsFrom(result, buffers.events.length);
  const rows: OutboxRecord[] = [];
  for (const [index, { event, now }] of buffers.events.entries()) {
    const id = ids ? ids(index, event.message_id) : undefined;
    if (id === undefined) return null;
    rows.push({ id, message_id: event.message_id, aggregate_id: event.aggregate_id, seq: event.seq, type: event.type, body: event.body, tm_create: now });
  }
  return rows;
}

/**
 * The id of the outbox row of the index-th event with this message_id, from the INSERT's result:
 * RETURNING's rows, or an OK packet whose first id starts a run of `count` (see connect.ts).
 */
function outboxIdsFrom(result: unknown, count: number): ((index: number, messageId: string) => number | undefined) | null {
  if (Array.isArray(result)) {
    const ids = new Map((result as { id: number | string; message_id: string }[]).map((r) => [r.message_id, Number(r.id)]));
    return (_, messageId) => ids.get(messageId);
  }
  const ok = result as { insertId?: unknown; affectedRows?: unknown } | undefined;
  const first = Number(ok?.insertId);
  if (!(first > 0) || Number(ok?.affectedRows) !== count) return null;
  return (index) => first + index;
}

/**
 * Puts the states a batch committed in the cache with the versions their rows have now: a new
 * row the column's default 0, a written one the version it was read (or cached) with raised by
 * one, a row locked and left alone the version it was read with. Ended activeflows leave it.
 * The flows it read (or took from the cache) go there too.
 */
function remember(cache: StateCache, buffers: Buffers, { versions, flows }: Opened): void {
  for (const [id, found] of flows) if (found) cache.setFlow(id, found);
  for (const [id, stored] of buffers.locked) {
    const read = versions.get(id);
    const version = buffers.created.has(id) ? 0 : read === undefined ? null : read + (buffers.rows.has(id) ? 1 : 0);
    const af = stored?.state.activeflow;
    if (stored && version !== null && af?.status === 'running' && af.tm_delete === NOT_DELETED) cache.set(id, { stored, version });
    else cache.delete(id);
  }
}

/** The first round trip: START TRANSACTION and the batch's reads. */
async function open(conn: RawConnection, reads: BatchReads): Promise<Opened> {
  const lock = [...new Set(reads.lock)].sort();
  const statements: Statement[] = [{ text: 'START TRANSACTION', values: [] }];
  const at = (ids: string[], statement: (ids: string[]) => Statement): number | null => {
    if (ids.length === 0) return null;
    statements.push(statement(ids));
    return statements.length - 1;
  };
  const lockAt = at(lock, lockActiveflows);
  const existingAt = at([...new Set(reads.create)], existingActiveflows);
  const flowsAt = at([...new Set(reads.flows)], selectFlows);
  const processedAt = at([...new Set(reads.messages)], selectProcessed);
  const raw = await conn.query(joinStatements(statements));
  const results = statements.length === 1 ? [raw] : (raw as unknown[]);
  const rowsAt = <R>(index: number | null): R[] => (index === null ? [] : (results[index] as R[]));

  const locked = new Map<string, StoredActiveflow | null>(lock.map((id) => [id, null]));
  const versions = new Map<string, number>();
  for (const row of rowsAt<StateRow>(lockAt)) {
    locked.set(row.id, toStored(row));
    versions.set(row.id, Number(row.version));
  }
  const flows = new Map<string, { flow: Flow; seq: number } | null>(reads.flows.map((id) => [id, null]));
  for (const row of rowsAt<FlowRow>(flowsAt)) flows.set(row.id, { flow: flowRowToFlow(row), seq: Number(row.seq) });
  return {
    locked,
    versions,
    flows,
    existing: new Set(rowsAt<{ id: string }>(existingAt).map((r) => r.id)),
    seen: new Set(rowsAt<{ message_id: string }>(processedAt).map((r) => r.message_id)),
    cached: false,
  };
}

/**
 * The buffered writes: new activeflows, updated ones, input ids, events; one statement each,
 * except rows written from the cache (`cached`: its versions and flows), whose new rows check
 * their flows' seqs and whose updates are one checked UPDATE each, in id order like the locks of
 * a batch that reads. `returning`: the outbox INSERT returns the ids.
 */
function flushStatements(buffers: Buffers, cached: Opened | null, returning: boolean, padBytes: number): { statements: Statement[]; outbox: Statement | null } {
  const created: ActiveflowRow[] = [];
  const updated: ActiveflowRow[] = [];
  for (const [id, row] of buffers.rows) (buffers.created.has(id) ? created : updated).push(row);
  const statements: Statement[] = [];
  // A cached batch knows the flow of each new row (runBatch checked that before any statement).
  if (created.length > 0) statements.push(cached ? insertActiveflowsChecked(created, (flowId) => cached.flows.get(flowId)!.seq, padBytes) : insertActiveflows(created, padBytes));
  if (cached) {
    for (const row of updated.sort((a, b) => (a.id < b.id ? -1 : 1))) statements.push(updateActiveflowChecked(row, cached.versions.get(row.id)!, padBytes));
  } else if (updated.length > 0) statements.push(updateActiveflows(updated, padBytes));
  if (buffers.processed.size > 0) statements.push(insertProcessed([...buffers.processed]));
  const outbox = buffers.events.length > 0 ? insertOutbox(buffers.events.map(({ event, now }) => outboxEntry(event, now, buffers.rows)), returning) : null;
  if (outbox) statements.push(outbox);
  return { statements, outbox };
}

/**
 * An event whose data is the very text this batch writes as its activeflow's doc (the final
 * state of that activeflow in the batch: the same string) takes its body from the row, so the
 * document is sent once; the statement comes after the row's write in the same transaction.
 */
export function outboxEntry(event: OutgoingEvent, now: string, rows: Map<string, ActiveflowRow>): OutboxEntry {
  const { data, ...entry } = event;
  const fromRow = data !== undefined && rows.get(event.aggregate_id)?.doc === data;
  return { ...entry, tm_create: now, ...(fromRow ? { around: envelopeAround(event.type) } : {}) };
}

function toStored(row: StateRow): StoredActiveflow {
  return { state: activeflowRowToState(row), seq: Number(row.seq) };
}
