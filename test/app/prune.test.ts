// The pruning job's loop (src/app/prune.ts): chunk after chunk until one comes back short or its
// time budget is spent; the database side is in test/integration/prune.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRUNE_CHUNK, pruneProcessed } from '../../src/app/prune.ts';

/** A store whose prunes delete the given counts in turn (then nothing), recording each call. */
function storeDeleting(counts: number[]) {
  const calls: { before: string; limit: number }[] = [];
  return {
    calls,
    pruneProcessed: async (before: string, limit: number) => {
      calls.push({ before, limit });
      return counts[calls.length - 1] ?? 0;
    },
  };
}

describe('pruneProcessed', () => {
  it('deletes chunk after chunk until one comes back short, all with the cutoff of its start', async () => {
    const store = storeDeleting([PRUNE_CHUNK, PRUNE_CHUNK, 3, PRUNE_CHUNK]);
    const now = Date.parse('2026-12-02T12:00:00Z');
    const deleted = await pruneProcessed(store, () => now, 3_600_000, 5_000);
    assert.equal(deleted, 2 * PRUNE_CHUNK + 3);
    assert.equal(store.calls.length, 3);
    for (const call of store.calls) assert.deepEqual(call, { before: '2026-12-02 11:00:00.000000', limit: PRUNE_CHUNK });
  });

  it('leaves the rest to its next run once its budget is spent', async () => {
    const store = storeDeleting(Array.from({ length: 100 }, () => PRUNE_CHUNK));
    let now = 0;
    const deleted = await pruneProcessed(store, () => (now += 1_000), 60_000, 5_000);
    // The clock moves 1 s per reading: the start, then one reading after each chunk.
    assert.equal(store.calls.length, 5);
    assert.equal(deleted, 5 * PRUNE_CHUNK);
  });

  it('deletes nothing more when nothing is past the retention', async () => {
    const store = storeDeleting([]);
    assert.equal(await pruneProcessed(store, () => 0, 1, 5_000), 0);
    assert.equal(store.calls.length, 1);
  });
});
