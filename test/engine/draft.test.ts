// The draft apply works on (src/engine/clone.ts draftOf): the state given stays as it was, while
// the new state shares the stacks and actions it did not change with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apply, type EngineInput } from '../../src/engine/index.ts';
import { A, MAIN_STACK_ID, act, expectSettled, makeCtx, started } from '../helpers/engine-fixtures.ts';

const done = (id: string): EngineInput => ({ type: 'action_done', action_id: id });

void describe('the draft of an input', () => {
  void it('leaves the given state as it was and shares the stacks and actions it did not change', () => {
    const ctx = makeCtx();
    const before = started([act(A(1), 'talk'), act(A(2), 'talk'), act(A(3), 'hangup')], { variables: { n: '1' } }, ctx).state;
    const snapshot = JSON.stringify(before);
    const after = expectSettled(apply(before, done(A(1)), ctx)).state;
    assert.equal(JSON.stringify(before), snapshot, 'the given state is unchanged');
    assert.equal(after.activeflow.current_action.id, A(2));
    assert.notEqual(after.activeflow, before.activeflow);
    assert.notEqual(after.activeflow.executed_actions, before.activeflow.executed_actions);
    assert.notEqual(after.activeflow.stack_map, before.activeflow.stack_map);
    assert.notEqual(after.variables, before.variables);
    assert.equal(after.activeflow.stack_map[MAIN_STACK_ID], before.activeflow.stack_map[MAIN_STACK_ID], 'the main stack is shared');
    assert.equal(after.activeflow.executed_actions[0], before.activeflow.executed_actions[0], 'earlier history entries are shared');
  });

  void it('goto writes a copy of its stack: the state before keeps its loop_count', () => {
    const ctx = makeCtx();
    const before = started([act(A(1), 'talk'), act(A(2), 'goto', { target_id: A(1), loop_count: 2 }), act(A(3), 'hangup')], {}, ctx).state;
    const snapshot = JSON.stringify(before);
    const after = expectSettled(apply(before, done(A(1)), ctx)).state;
    assert.equal(JSON.stringify(before), snapshot, 'the given state is unchanged');
    const stackBefore = before.activeflow.stack_map[MAIN_STACK_ID]!;
    const stackAfter = after.activeflow.stack_map[MAIN_STACK_ID]!;
    assert.notEqual(stackAfter, stackBefore);
    assert.equal(stackBefore.actions[1]!.option['loop_count'], 2);
    assert.equal(stackAfter.actions[1]!.option['loop_count'], 1);
    assert.equal(stackAfter.actions[0], stackBefore.actions[0], 'the actions goto did not change are shared');
    assert.equal(after.activeflow.current_action.id, A(1), 'jumped back');
  });
});
