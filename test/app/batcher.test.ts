// The group-commit batcher, against a recording fake of inputBatch (no database needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/app/errors.ts';
import { createBatcher } from '../../src/app/batcher.ts';
import type { BatchItem, BatchResult } from '../../src/app/activeflows.ts';

const item = (id: string, n: number): BatchItem => ({ id, input: { type: 'action_done', action_id: String(n) } });

function fake(delayMs = 5) {
  const batches: BatchItem[][] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  return {
    batches,
    get maxConcurrent() {
      return maxConcurrent;
    },
    async runItem(): Promise<null> {
      throw new Error('not expected: no batch fails here');
    },
    async inputBatch(items: BatchItem[]): Promise<BatchResult[]> {
      batches.push(items);
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await new Promise((r) => setTimeout(r, delayMs));
      concurrent--;
      return items.map((i) =>
        i.id === 'bad'
          ? { ok: false, error: new AppError('INVALID_ARGUMENT', 'bad input') }
          : { ok: true, result: { outcome: { kind: 'duplicate' }, activeflow: { id: i.id } as never } },
      );
    },
  };
}

describe('group-commit batcher', () => {
  it('puts inputs that arrive together into one batch, one per activeflow, in arrival order', async () => {
    const f = fake();
    const batcher = createBatcher(f, 10, 1);
    await Promise.all([item('a', 1), item('b', 1), item('a', 2), item('c', 1), item('a', 3)].map((i) => batcher.submit(i)));
    assert.deepEqual(
      f.batches.map((b) => b.map((i) => `${i.id}${'input' in i && i.input.type === 'action_done' ? i.input.action_id : ''}`)),
      [['a1', 'b1', 'c1'], ['a2'], ['a3']],
    );
  });

  it('never has more than maxInFlight batches running, nor more than maxBatch inputs in one', async () => {
    const f = fake(10);
    const batcher = createBatcher(f, 3, 2);
    await Promise.all(Array.from({ length: 20 }, (_, n) => batcher.submit(item(`af${n}`, n))));
    assert.ok(f.maxConcurrent <= 2, `max concurrent ${f.maxConcurrent}`);
    assert.ok(f.batches.every((b) => b.length <= 3));
    assert.equal(f.batches.flat().length, 20);
  });

  it('spreads inputs that arrive together over the free slots, at least two per batch', async () => {
    const f = fake();
    const batcher = createBatcher(f, 10, 4);
    await Promise.all(Array.from({ length: 5 }, (_, n) => batcher.submit(item(`af${n}`, n))));
    // 5 queued, 4 slots free: 2 (5/4 rounded up); 3 left, 3 free: 2 (1, but at least 2); then 1.
    assert.deepEqual(
      f.batches.map((b) => b.length),
      [2, 2, 1],
    );
    assert.equal(f.maxConcurrent, 3);
  });

  it('fills its batches while the queue is long', async () => {
    const f = fake(10);
    const batcher = createBatcher(f, 8, 4);
    await Promise.all(Array.from({ length: 40 }, (_, n) => batcher.submit(item(`af${n}`, n))));
    // 40 queued: four full batches at once. How the 8 left are cut depends on how many slots
    // have come free when they are taken (timers), so only the total is checked for them.
    const sizes = f.batches.map((b) => b.length);
    assert.deepEqual(sizes.slice(0, 4), [8, 8, 8, 8], JSON.stringify(sizes));
    assert.equal(sizes.reduce((a, b) => a + b, 0), 40);
  });

  it('rejects only the input that failed; the others of its batch resolve', async () => {
    const batcher = createBatcher(fake(), 10, 1);
    const results = await Promise.allSettled([batcher.submit(item('x', 1)), batcher.submit(item('bad', 1)), batcher.submit(item('y', 1))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every input of a batch while the database is unavailable (they wait and retry in place)', async () => {
    const alone: string[] = [];
    const batcher = createBatcher(
      {
        inputBatch: () => Promise.reject(new AppError('DATABASE_UNAVAILABLE', 'database: ECONNREFUSED after 4 attempts')),
        runItem: async (i) => {
          alone.push(i.id);
          return null;
        },
      },
      10,
      1,
    );
    const results = await Promise.allSettled([batcher.submit(item('x', 1)), batcher.submit(item('y', 1))]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.deepEqual(alone, []);
  });

  it('runs each input of a batch that failed for another reason alone, so only the culprit fails', async () => {
    const alone: string[] = [];
    const batcher = createBatcher(
      {
        inputBatch: () => Promise.reject(new Error('ER_SIGNAL_EXCEPTION: poisoned row')),
        runItem: async (i) => {
          alone.push(i.id);
          if (i.id === 'poison') throw new Error('ER_SIGNAL_EXCEPTION: poisoned row');
          return null;
        },
      },
      10,
      1,
    );
    const results = await Promise.allSettled(['x', 'poison', 'y'].map((id) => batcher.submit(item(id, 1))));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(alone.sort(), ['poison', 'x', 'y']);
  });
});
