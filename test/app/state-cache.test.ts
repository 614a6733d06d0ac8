// The state cache's bounds and its gate (src/adapters/db/state-cache.ts); the database side of
// cached group commits is in test/integration/state-cache.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStateCache, type CachedActiveflow } from '../../src/adapters/db/state-cache.ts';
import { NOT_DELETED, type Flow } from '../../src/engine/index.ts';

const entry = (version: number) => ({ stored: { state: {}, seq: version }, version }) as unknown as CachedActiveflow;

describe('state cache', () => {
  it('keeps at most `max` activeflows, dropping the one written longest ago', () => {
    const cache = createStateCache(2);
    cache.set('a', entry(1));
    cache.set('b', entry(1));
    cache.set('a', entry(2)); // written again: now the most recent
    cache.set('c', entry(1));
    assert.equal(cache.size(), 2);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a')?.version, 2);
    assert.equal(cache.get('c')?.version, 1);
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
  });

  it('size 0 keeps nothing and is never tried', () => {
    const cache = createStateCache(0);
    cache.set('a', entry(1));
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.worthTrying(), false);
  });

  it('after mostly stale tries it is tried once in 16, and again always once tries succeed', () => {
    const cache = createStateCache(10);
    assert.equal(cache.worthTrying(), true);
    for (let i = 0; i < 40; i++) cache.tried(true);
    const tries = Array.from({ length: 64 }, () => cache.worthTrying()).filter(Boolean).length;
    assert.equal(tries, 4);
    for (let i = 0; i < 40; i++) cache.tried(false);
    assert.equal(cache.worthTrying(), true);
    assert.equal(cache.worthTrying(), true);
  });

  it('keeps live flows only, and at most 1,000 of them', () => {
    const cache = createStateCache(10);
    const flow = (id: string, tmDelete = NOT_DELETED) => ({ flow: { id, tm_delete: tmDelete } as Flow, seq: 1 });
    cache.setFlow('f', flow('f'));
    assert.equal(cache.flow('f')?.seq, 1);
    cache.setFlow('f', flow('f', '2026-12-02 01:00:00.000000'));
    assert.equal(cache.flow('f'), undefined, 'a deleted flow is dropped');
    for (let i = 0; i <= 1000; i++) cache.setFlow(`f${i}`, flow(`f${i}`));
    assert.equal(cache.flow('f0'), undefined, 'the one read longest ago went first');
    assert.equal(cache.flow('f1000')?.seq, 1);
    cache.deleteFlow('f1000');
    assert.equal(cache.flow('f1000'), undefined);
    const off = createStateCache(0);
    off.setFlow('f', flow('f'));
    assert.equal(off.flow('f'), undefined, 'size 0 keeps no flows either');
  });
});
