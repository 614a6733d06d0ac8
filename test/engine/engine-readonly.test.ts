// The activeflow's own variables are read-only after creation, and deletion starts no chain link.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apply } from '../../src/engine/index.ts';
import { A, act, expectSettled, makeCtx, started } from '../helpers/engine-fixtures.ts';

const NEXT_FLOW = 'f3000000-0000-4000-8000-000000000003';

describe('read-only platform variables (SPEC 4)', () => {
  it('variable_set cannot reset voipbin.activeflow.complete_count or forge the id', () => {
    const out = started(
      [
        act(A(1), 'variable_set', { key: 'voipbin.activeflow.complete_count', value: '0' }),
        act(A(2), 'variable_set', { key: 'Voipbin.Activeflow.Id', value: 'forged' }),
        act(A(3), 'variable_set', { key: 'voipbin.call.digits', value: '7' }),
        act(A(4), 'talk'),
      ],
      { complete_count: 3 },
    );
    assert.equal(out.state.variables['voipbin.activeflow.complete_count'], '3');
    assert.equal(out.state.variables['Voipbin.Activeflow.Id'], undefined);
    assert.equal(out.state.variables['voipbin.call.digits'], '7', 'other platform variables may be set');
    assert.match(out.trace.find((s) => s.action_id === A(1) && s.decision === 'continue')!.note, /read-only/);
  });

  it('action_done variables cannot overwrite them either', () => {
    const waiting = started([act(A(1), 'talk'), act(A(2), 'talk')]);
    const id = waiting.state.variables['voipbin.activeflow.id'];
    const out = expectSettled(
      apply(waiting.state, { type: 'action_done', action_id: A(1), variables: { 'voipbin.activeflow.id': 'forged', x: '1' } }, makeCtx()),
    );
    assert.equal(out.state.variables['voipbin.activeflow.id'], id);
    assert.equal(out.state.variables['x'], '1');
  });
});

describe('deletion and on-complete (SPEC 2.3)', () => {
  it('a running activeflow deleted with on_complete_flow_id set starts no successor', () => {
    const waiting = started([act(A(1), 'talk')], { on_complete_flow_id: NEXT_FLOW, complete_count: 0 });
    const out = apply(waiting.state, { type: 'delete' }, makeCtx());
    assert.equal(out.kind, 'settled');
    if (out.kind !== 'settled') return;
    assert.deepEqual(out.effects.map((e) => (e.kind === 'event' ? e.type : e.kind)), ['activeflow_updated', 'activeflow_deleted']);
    assert.equal(out.state.activeflow.end_reason, 'deleted');
  });

  it('a stopped one does start its successor', () => {
    const waiting = started([act(A(1), 'talk')], { on_complete_flow_id: NEXT_FLOW, complete_count: 0 });
    const out = expectSettled(apply(waiting.state, { type: 'stop' }, makeCtx()), ['start_on_complete']);
    assert.equal(out.state.activeflow.end_reason, 'stopped');
  });
});
