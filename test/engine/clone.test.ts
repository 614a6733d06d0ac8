// cloneJson: the engine's deep copy of JSON data.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cloneJson } from '../../src/engine/clone.ts';

describe('cloneJson', () => {
  it('copies any JSON value deeply: equal, and sharing no object with the original', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = cloneJson(value);
        assert.deepEqual(copy, value);
        assert.equal(JSON.stringify(copy), JSON.stringify(value));
        const originals = new Set<object>();
        const collect = (v: unknown, into: Set<object>) => {
          if (typeof v !== 'object' || v === null) return;
          into.add(v);
          for (const item of Object.values(v)) collect(item, into);
        };
        collect(value, originals);
        const copies = new Set<object>();
        collect(copy, copies);
        for (const object of copies) assert.ok(!originals.has(object), 'the copy shares an object with the original');
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('keeps a __proto__ key an own property and leaves the prototype alone', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": [1, {"b": null}]}');
    const copy = cloneJson(parsed);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.keys(copy), ['__proto__', 'a']);
    assert.equal((copy as { polluted?: boolean }).polluted, undefined);
    assert.equal(JSON.stringify(copy), JSON.stringify(parsed));
  });
});
