// The activeflows this worker committed last, each with its row version (activeflows.version,
// schema/004, raised by every write of the row). A group commit whose inputs all hit this cache
// skips its read round trip: it runs on the cached states, and its guarded UPDATEs (batch-sql.ts)
// fail the whole transaction before COMMIT when any row's version moved on (another worker or
// an RPC wrote it); the batch then runs again the usual way, reading and locking its rows.
// Only running activeflows are kept, at most `max`, the least recently written going first.
// Beside them it keeps the live flows batches read, with their seq (raised by every update and
// delete of a flow): a batch of start_flow inputs whose flows are all here skips the read too,
// and its INSERT of the new activeflows fails the same way when a flow's seq moved on
// (batch-sql.ts insertActiveflowsChecked).
import type { StoredActiveflow } from '../../app/ports.ts';
import { NOT_DELETED, type Flow } from '../../engine/index.ts';

export interface CachedActiveflow {
  stored: StoredActiveflow;
  version: number;
}

export interface CachedFlow {
  flow: Flow;
  seq: number;
}

export interface StateCache {
  get(id: string): CachedActiveflow | undefined;
  /** The state a commit wrote and the version the row has now. */
  set(id: string, entry: CachedActiveflow): void;
  delete(id: string): void;
  flow(id: string): CachedFlow | undefined;
  /** A live flow as a batch read it (a deleted one is not kept). */
  setFlow(id: string, entry: CachedFlow): void;
  deleteFlow(id: string): void;
  /**
   * Whether a batch should try the cache now: not while most tries lately found a row moved on
   * (several workers taking turns on the same calls), except for one try in PROBE_EVERY.
   */
  worthTrying(): boolean;
  /** What a try found: `stale` when a row had moved on. */
  tried(stale: boolean): void;
  size(): number;
}

/** Weight of the latest try in the stale share. */
const ALPHA = 1 / 16;
/** Above this stale share, the cache is only tried as a probe. */
const STALE_LIMIT = 0.25;
const PROBE_EVERY = 16;
/** Most flows kept (each is one customer's flow in use; their documents are small). */
const FLOWS_MAX = 1000;

export function createStateCache(max: number): StateCache {
  const entries = new Map<string, CachedActiveflow>();
  const flows = new Map<string, CachedFlow>();
  let staleShare = 0;
  let skipped = 0;
  return {
    get: (id) => entries.get(id),
    set(id, entry) {
      if (max <= 0) return;
      // Re-inserted so that a Map's insertion order is the order of the last writes.
      entries.delete(id);
      entries.set(id, entry);
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    delete: (id) => void entries.delete(id),
    flow: (id) => flows.get(id),
    setFlow(id, entry) {
      if (max <= 0) return;
      if (entry.flow.tm_delete !== NOT_DELETED) return void flows.delete(id);
      flows.delete(id);
      flows.set(id, entry);
      if (flows.size > FLOWS_MAX) flows.delete(flows.keys().next().value!);
    },
    deleteFlow: (id) => void flows.delete(id),
    worthTrying() {
      if (max <= 0) return false;
      if (staleShare < STALE_LIMIT) return true;
      skipped = (skipped + 1) % PROBE_EVERY;
      return skipped === 0;
    },
    tried(stale) {
      staleShare += ALPHA * ((stale ? 1 : 0) - staleShare);
    },
    size: () => entries.size,
  };
}
