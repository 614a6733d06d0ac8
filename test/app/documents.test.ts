// The JSON text of events and rows: made once, and the same as stringifying the whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { activeflowJson, eventBody, PUBLISHER } from '../../src/app/documents.ts';
import { apply } from '../../src/engine/index.ts';
import { act, A, started, makeCtx, expectSettled } from '../helpers/engine-fixtures.ts';

describe('event bodies and activeflow text', () => {
  it('eventBody is the envelope JSON.stringify would write, for any type and data', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), (type, data) => {
        const expected = JSON.stringify({ type, publisher: PUBLISHER, data_type: 'application/json', data });
        assert.equal(eventBody(type, JSON.stringify(data)), expected);
      }),
      { seed: 5, numRuns: 300 },
    );
  });

  it('activeflowJson is the text of the activeflow, made once per object', () => {
    const waiting = started([act(A(1), 'talk'), act(A(2), 'talk')]);
    const af = waiting.state.activeflow;
    const text = activeflowJson(af);
    assert.equal(text, JSON.stringify(af));
    assert.equal(activeflowJson(af), text);
    // The next settled state is a new object with its own text; the first keeps its own.
    const next = expectSettled(apply(waiting.state, { type: 'action_done', action_id: A(1) }, makeCtx()));
    assert.notEqual(next.state.activeflow, af);
    assert.equal(activeflowJson(next.state.activeflow), JSON.stringify(next.state.activeflow));
    assert.notEqual(activeflowJson(next.state.activeflow), text);
    assert.equal(activeflowJson(af), JSON.stringify(af));
  });
});
