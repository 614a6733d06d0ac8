// The worker's id source (src/adapters/ids.ts): UUIDv7 from pooled random bits, in order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate, version } from 'uuid';
import { createIdSource } from '../../src/adapters/ids.ts';

describe('id source', () => {
  it('makes distinct v7 ids, in order within one millisecond, across pool refills and when the clock steps back', () => {
    let ms = Date.UTC(2026, 11, 2);
    const next = createIdSource(() => ms);
    const ids: string[] = [];
    for (let i = 0; i < 2000; i++) {
      if (i === 700) ms += 1;
      if (i === 1400) ms -= 5; // a clock set back: still after the ids before
      ids.push(next());
    }
    for (const id of ids) {
      assert.ok(validate(id), id);
      assert.equal(version(id), 7);
    }
    assert.equal(new Set(ids).size, ids.length, 'distinct');
    assert.deepEqual([...ids].sort(), ids, 'each id sorts after the one before');
    assert.equal(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16), Date.UTC(2026, 11, 2), 'the millisecond is in the first 48 bits');
  });

  it('draws fresh random bits for each id', () => {
    const next = createIdSource(() => 0);
    const tails = new Set(Array.from({ length: 1000 }, () => next().slice(-12)));
    assert.equal(tails.size, 1000);
  });
});
