// Housekeeping of processed_messages, the ids of inputs already applied (each input's transaction
// records its message id there, so a redelivery is recognised): an id older than the retention
// is deleted, so the table keeps the window in which a duplicate can still arrive instead of
// growing with every input for ever. A bounded chunk at a time, in short statements.
import { formatTimestamp } from '../engine/index.ts';
import type { Store } from './ports.ts';

/** Ids per DELETE. */
export const PRUNE_CHUNK = 1000;

/**
 * Deletes the input ids recorded more than `retentionMs` before now, chunk by chunk, until a chunk
 * comes back short or `budgetMs` has passed (the next run goes on); returns how many it deleted.
 */
export async function pruneProcessed(store: Pick<Store, 'pruneProcessed'>, clock: () => number, retentionMs: number, budgetMs: number): Promise<number> {
  const started = clock();
  const before = formatTimestamp(started - retentionMs);
  let total = 0;
  for (;;) {
    const deleted = await store.pruneProcessed(before, PRUNE_CHUNK);
    total += deleted;
    if (deleted < PRUNE_CHUNK || clock() - started >= budgetMs) return total;
  }
}
