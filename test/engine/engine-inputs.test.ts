// Inputs that drive a waiting activeflow (SPEC 2.2, 2.3, 5.3, 5.4): action_done, next, continue,
// timeout, forward, stop, hangup, delete, push/add actions, service_stop, and the on-complete link.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apply, formatTimestamp, type EngineInput, type FlowState } from '../../src/engine/index.ts';
import {
  A,
  ACTION_TIMEOUT_MS,
  ACTIVEFLOW_ID,
  CUSTOMER_ID,
  FINISH,
  MAIN_STACK_ID,
  REFERENCE_ID,
  START,
  T0,
  ZERO_ID,
  act,
  applyAll,
  deepFreeze,
  expectIgnored,
  expectRejected,
  expectSettled,
  historyIds,
  idCounter,
  makeCtx,
  newState,
  started,
} from '../helpers/engine-fixtures.ts';

const done = (id: string): EngineInput => ({ type: 'action_done', action_id: id });
const threeTalks = () => [act(A(1), 'talk'), act(A(2), 'talk'), act(A(3), 'answer')];

void describe('action_done and next', () => {
  void it('action_done with the current id moves on; a duplicate or stale one is ignored with no change', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    const second = expectSettled(apply(first.state, done(A(1)), ctx));
    assert.equal(second.state.activeflow.current_action.id, A(2));
    for (const id of [A(1), A(3), A(99), START, FINISH]) {
      expectIgnored(apply(second.state, done(id), ctx));
    }
  });

  void it('action_done is ignored before execute and at a block', () => {
    const ctx = makeCtx();
    expectIgnored(apply(newState(threeTalks()), done(START), ctx));
    const blocked = started([act(A(1), 'block'), act(A(2), 'message_send')], { reference_type: 'sms' }, ctx);
    assert.equal(blocked.state.activeflow.current_action.id, A(1));
    expectIgnored(apply(blocked.state, done(A(1)), ctx));
  });

  void it('next with the current id moves on and settles like action_done', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    const viaNext = expectSettled(apply(first.state, { type: 'next', current_action_id: A(1) }, ctx));
    const viaDone = expectSettled(apply(first.state, done(A(1)), ctx));
    assert.deepEqual(viaNext.state, viaDone.state);
    assert.deepEqual(viaNext.effects, viaDone.effects);
  });

  void it('next with a stale id is rejected as stale and changes nothing', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    for (const id of [A(2), A(99), START])
      expectRejected(apply(first.state, { type: 'next', current_action_id: id }, ctx), 'stale');
  });

  void it('next at the last action ends finished', () => {
    const ctx = makeCtx();
    const first = started([act(A(1), 'talk')], {}, ctx);
    const out = expectSettled(apply(first.state, { type: 'next', current_action_id: A(1) }, ctx));
    assert.equal(out.state.activeflow.current_action.id, FINISH);
    assert.equal(out.state.activeflow.end_reason, 'finished');
  });
});

void describe('block, continue and timeouts', () => {
  const blockFlow = (option: Record<string, string | number>) => [
    act(A(1), 'block', option),
    act(A(2), 'message_send'),
    act(A(3), 'email_send'),
  ];
  const sms = { reference_type: 'sms' as const };

  void it('block waits with its own timer; stale continue is rejected; continue moves on', () => {
    const ctx = makeCtx();
    const first = started(blockFlow({ timeout_ms: 5000, timeout_target_id: A(3) }), sms, ctx);
    assert.equal(first.state.activeflow.current_action.id, A(1));
    assert.equal(first.state.wake_at, T0 + 5000);
    expectRejected(apply(first.state, { type: 'continue', current_action_id: A(2) }, ctx), 'stale');
    expectIgnored(apply(first.state, { type: 'next', current_action_id: A(1) }, ctx));
    const out = expectSettled(apply(first.state, { type: 'continue', current_action_id: A(1) }, ctx));
    assert.equal(out.state.activeflow.current_action.id, A(2));
    assert.equal(out.state.wake_at, T0 + ACTION_TIMEOUT_MS);
    // A second continue is stale now.
    expectRejected(apply(out.state, { type: 'continue', current_action_id: A(1) }, ctx), 'stale');
  });

  void it('continue at a handed-off action is rejected as stale', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    expectRejected(apply(first.state, { type: 'continue', current_action_id: A(1) }, ctx), 'stale');
  });

  const timeoutCases: {
    name: string;
    option: Record<string, string | number>;
    firesAt: number;
    at: string;
    reason: string;
  }[] = [
    {
      name: 'jumps to timeout_target_id',
      option: { timeout_ms: 5000, timeout_target_id: A(3) },
      firesAt: T0 + 5000,
      at: A(3),
      reason: '',
    },
    {
      name: 'without a target moves to the next action',
      option: { timeout_ms: 5000 },
      firesAt: T0 + 5000,
      at: A(2),
      reason: '',
    },
    {
      name: 'without timeout_ms uses the action timeout and ends with timeout',
      option: {},
      firesAt: T0 + ACTION_TIMEOUT_MS,
      at: A(1),
      reason: 'timeout',
    },
  ];
  for (const c of timeoutCases) {
    void it(`a block timeout ${c.name}, and not a millisecond early`, () => {
      const first = started(blockFlow(c.option), sms, makeCtx());
      assert.equal(first.state.wake_at, c.firesAt);
      expectIgnored(apply(first.state, { type: 'timeout' }, makeCtx({ now: c.firesAt - 1 })));
      const ctx = makeCtx({ now: c.firesAt + 7 });
      const out = expectSettled(apply(first.state, { type: 'timeout' }, ctx));
      const af = out.state.activeflow;
      assert.equal(af.current_action.id, c.at);
      assert.equal(af.end_reason, c.reason);
      assert.equal(af.tm_update, formatTimestamp(c.firesAt + 7));
      if (c.reason === '') assert.equal(out.state.wake_at, c.firesAt + 7 + ACTION_TIMEOUT_MS);
      else assert.equal(out.state.wake_at, null);
    });
  }

  void it('a handed-off action times out with `timeout` only once wake_at <= now, and only once', () => {
    const first = started(threeTalks(), {}, makeCtx());
    const wakeAt = T0 + ACTION_TIMEOUT_MS;
    assert.equal(first.state.wake_at, wakeAt);
    expectIgnored(apply(first.state, { type: 'timeout' }, makeCtx({ now: T0 })));
    expectIgnored(apply(first.state, { type: 'timeout' }, makeCtx({ now: wakeAt - 1 })));
    const out = expectSettled(apply(first.state, { type: 'timeout' }, makeCtx({ now: wakeAt })));
    const af = out.state.activeflow;
    assert.equal(af.status, 'ended');
    assert.equal(af.end_reason, 'timeout');
    assert.equal(af.current_action.id, A(1));
    assert.match(af.end_detail, new RegExp(A(1)));
    assert.equal(out.state.wake_at, null);
    assert.equal(af.execute_count, 1);
    expectIgnored(apply(out.state, { type: 'timeout' }, makeCtx({ now: wakeAt + 1 })));
  });

  void it('a timeout before execute (no timer) is ignored', () => {
    expectIgnored(
      apply(newState(threeTalks()), { type: 'timeout' }, makeCtx({ now: T0 + 10 * ACTION_TIMEOUT_MS })),
    );
  });
});

void describe('forward_action_id', () => {
  void it('forward_now false keeps the cursor; the next action_done goes to the target', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    const forwarded = expectSettled(
      apply(first.state, { type: 'forward', forward_action_id: A(3), forward_now: false }, ctx),
    );
    const af = forwarded.state.activeflow;
    assert.equal(af.current_action.id, A(1));
    assert.equal(af.forward_stack_id, MAIN_STACK_ID);
    assert.equal(af.forward_action_id, A(3));
    assert.equal(af.execute_count, first.state.activeflow.execute_count);
    assert.equal(forwarded.state.wake_at, first.state.wake_at);
    const out = expectSettled(apply(forwarded.state, done(A(1)), ctx));
    assert.equal(out.state.activeflow.current_action.id, A(3));
    assert.equal(out.state.activeflow.forward_stack_id, ZERO_ID);
    assert.equal(out.state.activeflow.forward_action_id, ZERO_ID);
    assert.deepEqual(historyIds(out.state), [START, A(1)]);
  });

  void it('forward_now true moves at once', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    const out = expectSettled(
      apply(first.state, { type: 'forward', forward_action_id: A(3), forward_now: true }, ctx),
    );
    assert.equal(out.state.activeflow.current_action.id, A(3));
    assert.equal(out.state.activeflow.forward_action_id, ZERO_ID);
    assert.deepEqual(historyIds(out.state), [START, A(1)]);
  });

  void it('a forward set before execute is taken by the first move', () => {
    const ctx = makeCtx();
    const forwarded = expectSettled(
      apply(newState(threeTalks()), { type: 'forward', forward_action_id: A(2), forward_now: false }, ctx),
    );
    const out = expectSettled(apply(forwarded.state, { type: 'execute' }, ctx));
    assert.equal(out.state.activeflow.current_action.id, A(2));
    assert.deepEqual(historyIds(out.state), [START]);
  });

  void it('forward to an unknown id is rejected as not_found', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    for (const id of [A(99), ZERO_ID, START]) {
      expectRejected(
        apply(first.state, { type: 'forward', forward_action_id: id, forward_now: true }, ctx),
        'not_found',
      );
    }
  });
});

void describe('stop, hangup and ended activeflows', () => {
  const cases: { input: EngineInput; reason: string }[] = [
    { input: { type: 'stop' }, reason: 'stopped' },
    { input: { type: 'hangup' }, reason: 'hangup' },
  ];
  for (const c of cases) {
    void it(`${c.input.type} ends a running activeflow with ${c.reason}, where it stands`, () => {
      const ctx = makeCtx({ now: T0 + 1234 });
      const first = started(threeTalks(), {}, makeCtx());
      const out = expectSettled(apply(first.state, c.input, ctx));
      const af = out.state.activeflow;
      assert.equal(af.status, 'ended');
      assert.equal(af.end_reason, c.reason);
      assert.equal(af.current_action.id, A(1));
      assert.equal(af.execute_count, 1);
      assert.deepEqual(af.executed_actions, first.state.activeflow.executed_actions);
      assert.equal(af.tm_update, formatTimestamp(T0 + 1234));
      assert.equal(out.state.wake_at, null);
      assert.deepEqual(out.effects, [{ kind: 'event', type: 'activeflow_updated', activeflow: af }]);
    });
  }

  void it('an ended activeflow absorbs every input but delete', () => {
    const ctx = makeCtx({ now: T0 + 10 * ACTION_TIMEOUT_MS });
    const ended = expectSettled(apply(started(threeTalks()).state, { type: 'stop' }, makeCtx())).state;
    const inputs: EngineInput[] = [
      { type: 'execute' },
      done(A(1)),
      { type: 'next', current_action_id: A(1) },
      { type: 'next', current_action_id: A(9) },
      { type: 'continue', current_action_id: A(1) },
      { type: 'timeout' },
      { type: 'stop' },
      { type: 'hangup' },
      { type: 'forward', forward_action_id: A(2), forward_now: true },
      { type: 'forward', forward_action_id: A(99), forward_now: true },
      { type: 'push_actions', actions: [act(A(11), 'talk')] },
      { type: 'add_actions', actions: [act(A(12), 'talk')] },
      { type: 'service_stop', service_id: MAIN_STACK_ID },
    ];
    for (const input of inputs) expectIgnored(apply(ended, input, ctx));
  });
});

void describe('delete (soft delete, idempotent)', () => {
  void it('deleting a running activeflow ends it (deleted), then announces updated + deleted', () => {
    const ctx = makeCtx({ now: T0 + 500 });
    const first = started(threeTalks(), {}, makeCtx());
    const out = apply(first.state, { type: 'delete' }, ctx);
    assert.equal(out.kind, 'settled');
    if (out.kind !== 'settled') return;
    const af = out.state.activeflow;
    assert.equal(af.status, 'ended');
    assert.equal(af.end_reason, 'deleted');
    assert.equal(af.tm_delete, formatTimestamp(T0 + 500));
    assert.equal(out.state.wake_at, null);
    assert.deepEqual(out.effects, [
      { kind: 'event', type: 'activeflow_updated', activeflow: af },
      { kind: 'event', type: 'activeflow_deleted', activeflow: af },
    ]);
    deepFreeze(out.state);
    expectIgnored(apply(out.state, { type: 'delete' }, makeCtx({ now: T0 + 900 })));
  });

  void it('deleting an ended activeflow only marks it deleted and announces only the deletion', () => {
    const ended = expectSettled(apply(started(threeTalks()).state, { type: 'hangup' }, makeCtx())).state;
    const ctx = makeCtx({ now: T0 + 700 });
    const out = apply(ended, { type: 'delete' }, ctx);
    assert.equal(out.kind, 'settled');
    if (out.kind !== 'settled') return;
    const af = out.state.activeflow;
    assert.equal(af.end_reason, 'hangup');
    assert.equal(af.tm_delete, formatTimestamp(T0 + 700));
    assert.deepEqual(out.effects, [{ kind: 'event', type: 'activeflow_deleted', activeflow: af }]);
    deepFreeze(out.state);
    expectIgnored(apply(out.state, { type: 'delete' }, ctx));
  });

  void it('deleting before execute works too', () => {
    const out = apply(newState(threeTalks()), { type: 'delete' }, makeCtx());
    assert.equal(out.kind, 'settled');
    if (out.kind === 'settled') assert.equal(out.state.activeflow.end_reason, 'deleted');
  });
});

void describe('on-complete chain (SPEC 2.3)', () => {
  const NEXT_FLOW = 'f3000000-0000-4000-8000-000000000003';
  const chained = (count: number) => ({
    on_complete_flow_id: NEXT_FLOW,
    complete_count: count,
    variables: { kept: 'yes' },
  });

  for (const count of [0, 3]) {
    void it(`an ending activeflow at complete_count ${count} starts link ${count + 1}`, () => {
      const out = started([act(A(1), 'empty'), act(A(2), 'stop')], chained(count), makeCtx(), [
        'start_on_complete',
      ]);
      assert.equal(out.state.activeflow.end_reason, 'finished');
      assert.deepEqual(out.effects[1], {
        kind: 'start_on_complete',
        next: {
          flow_id: NEXT_FLOW,
          customer_id: CUSTOMER_ID,
          reference_type: 'call',
          reference_id: REFERENCE_ID,
          reference_activeflow_id: ACTIVEFLOW_ID,
          variables: out.state.variables,
          complete_count: count + 1,
        },
      });
      assert.equal(out.state.variables['kept'], 'yes');
      assert.equal(out.state.variables['voipbin.activeflow.complete_count'], String(count));
    });
  }

  void it('at complete_count 4 the fifth link is not created', () => {
    const out = started([act(A(1), 'stop')], chained(4));
    assert.equal(out.state.activeflow.status, 'ended');
    assert.equal(out.effects.length, 1);
  });

  void it('every way of ending starts the link exactly once; later inputs publish nothing', () => {
    const endings: EngineInput[] = [{ type: 'stop' }, { type: 'hangup' }, done(A(1))];
    for (const ending of endings) {
      const ctx = makeCtx();
      const first = started([act(A(1), 'talk')], chained(0), ctx);
      const out = expectSettled(apply(first.state, ending, ctx), ['start_on_complete']);
      expectIgnored(apply(out.state, { type: 'stop' }, ctx));
    }
    const timedOut = apply(
      started([act(A(1), 'talk')], chained(0)).state,
      { type: 'timeout' },
      makeCtx({ now: T0 + ACTION_TIMEOUT_MS }),
    );
    expectSettled(timedOut, ['start_on_complete']);
  });

  void it('waiting does not start the link', () => {
    const out = started([act(A(1), 'talk')], chained(0));
    assert.equal(out.effects.length, 1);
  });
});

void describe('add_actions and service_stop', () => {
  void it('add_actions inserts a stack entered after the current action completes', () => {
    const ctx = makeCtx({ newId: idCounter('add00000-0000-4000-8000-') });
    const first = started(threeTalks(), {}, ctx);
    const actions = deepFreeze([
      act(A(11), 'talk'),
      act(A(12), 'goto', { target_id: A(11), loop_count: 1 }),
      act(A(13), 'play'),
    ]);
    const added = expectSettled(apply(first.state, { type: 'add_actions', actions }, ctx));
    const stackId = 'add00000-0000-4000-8000-000000000001';
    const af = added.state.activeflow;
    assert.equal(af.current_action.id, A(1));
    assert.equal(af.current_stack_id, MAIN_STACK_ID);
    assert.deepEqual(af.stack_map[stackId], {
      id: stackId,
      actions,
      return_stack_id: MAIN_STACK_ID,
      return_action_id: A(1),
    });
    assert.equal(af.forward_stack_id, stackId);
    assert.equal(af.forward_action_id, A(11));
    const inside = expectSettled(apply(added.state, done(A(1)), ctx));
    assert.equal(inside.state.activeflow.current_stack_id, stackId);
    assert.equal(inside.state.activeflow.current_action.id, A(11));
    const out = applyAll(inside.state, [done(A(11)), done(A(11)), done(A(13))], ctx);
    assert.equal(out.state.activeflow.current_action.id, A(2));
    assert.deepEqual(Object.keys(out.state.activeflow.stack_map), [MAIN_STACK_ID]);
    assert.deepEqual(historyIds(out.state), [START, A(1), A(11), A(12), A(11), A(12), A(13)]);
    assert.equal(actions[1]?.option['loop_count'], 1);
  });

  void it('add_actions with no actions is rejected as invalid', () => {
    const ctx = makeCtx();
    expectRejected(
      apply(started(threeTalks(), {}, ctx).state, { type: 'add_actions', actions: [] }, ctx),
      'invalid',
    );
  });

  void it('service_stop with the current stack id pops it and continues after the pushing action', () => {
    const ctx = makeCtx({ newId: idCounter('5e500000-0000-4000-8000-') });
    const flow = [act(A(1), 'talk', {}, A(3)), act(A(2), 'talk'), act(A(3), 'answer')];
    const first = started(flow, {}, ctx);
    const pushed = expectSettled(
      apply(
        first.state,
        { type: 'push_actions', actions: [act(A(11), 'queue_join'), act(A(12), 'talk')] },
        ctx,
      ),
    );
    const stackId = '5e500000-0000-4000-8000-000000000001';
    assert.equal(pushed.state.activeflow.current_stack_id, stackId);
    expectIgnored(apply(pushed.state, { type: 'service_stop', service_id: A(50) }, ctx));
    expectIgnored(apply(pushed.state, { type: 'service_stop', service_id: MAIN_STACK_ID }, ctx));
    const out = expectSettled(apply(pushed.state, { type: 'service_stop', service_id: stackId }, ctx));
    const af = out.state.activeflow;
    assert.equal(af.current_stack_id, MAIN_STACK_ID);
    assert.equal(af.current_action.id, A(3));
    assert.deepEqual(Object.keys(af.stack_map), [MAIN_STACK_ID]);
    assert.deepEqual(historyIds(out.state), [START, A(1), A(11)]);
  });

  void it('service_stop of a stack pushed from the last action ends finished', () => {
    const ctx = makeCtx({ newId: idCounter('5e500000-0000-4000-8000-') });
    const first = started([act(A(1), 'talk')], {}, ctx);
    const pushed = expectSettled(
      apply(first.state, { type: 'push_actions', actions: [act(A(11), 'queue_join')] }, ctx),
    );
    const out = expectSettled(
      apply(pushed.state, { type: 'service_stop', service_id: '5e500000-0000-4000-8000-000000000001' }, ctx),
    );
    assert.equal(out.state.activeflow.end_reason, 'finished');
    assert.equal(out.state.activeflow.current_action.id, FINISH);
  });
});

void describe('stacks pushed before execute and empty pushes', () => {
  for (const how of ['action_done', 'service_stop'] as const) {
    void it(`a stack pushed at the start marker, left by ${how}, continues at the first main action`, () => {
      const ctx = makeCtx();
      const pushed = expectSettled(
        apply(newState(threeTalks()), { type: 'push_actions', actions: [act(A(11), 'talk')] }, ctx),
      );
      const stackId = pushed.state.activeflow.current_stack_id;
      assert.equal(pushed.state.activeflow.stack_map[stackId]?.return_action_id, START);
      const input: EngineInput =
        how === 'action_done' ? done(A(11)) : { type: 'service_stop', service_id: stackId };
      const out = expectSettled(apply(pushed.state, input, ctx));
      const af = out.state.activeflow;
      assert.equal(af.status, 'running');
      assert.equal(af.current_action.id, A(1));
      assert.equal(af.current_stack_id, MAIN_STACK_ID);
      assert.deepEqual(Object.keys(af.stack_map), [MAIN_STACK_ID]);
      assert.deepEqual(historyIds(out.state), [START, A(11)]);
    });
  }

  void it('push_actions with no actions moves on without storing an empty stack', () => {
    const ctx = makeCtx();
    const first = started(threeTalks(), {}, ctx);
    const out = expectSettled(apply(first.state, { type: 'push_actions', actions: [] }, ctx));
    assert.equal(out.state.activeflow.current_action.id, A(2));
    assert.deepEqual(Object.keys(out.state.activeflow.stack_map), [MAIN_STACK_ID]);
  });
});

void describe('stacks hanging off a popped stack', () => {
  void it('service_stop also drops a stack added to the stopped stack, and its pending forward', () => {
    const ctx = makeCtx({ newId: idCounter('5e500000-0000-4000-8000-') });
    const first = started(threeTalks(), {}, ctx);
    const pushed = expectSettled(
      apply(first.state, { type: 'push_actions', actions: [act(A(11), 'talk')] }, ctx),
    );
    const pushedId = pushed.state.activeflow.current_stack_id;
    const added = expectSettled(
      apply(pushed.state, { type: 'add_actions', actions: [act(A(21), 'talk')] }, ctx),
    );
    assert.equal(added.state.activeflow.forward_action_id, A(21));
    const stopped = expectSettled(apply(added.state, { type: 'service_stop', service_id: pushedId }, ctx));
    const af = stopped.state.activeflow;
    assert.equal(af.current_action.id, A(2));
    assert.deepEqual(Object.keys(af.stack_map), [MAIN_STACK_ID]);
    assert.equal(af.forward_stack_id, ZERO_ID);
    assert.equal(af.forward_action_id, ZERO_ID);
    // Without the fix the next move entered the orphan and ended with "return action not found".
    const out = applyAll(stopped.state, [done(A(2)), done(A(3))], ctx);
    assert.equal(out.state.activeflow.end_reason, 'finished');
    assert.deepEqual(historyIds(out.state), [START, A(1), A(11), A(2), A(3)]);
  });

  void it('a block timeout jumping out of a pushed stack drops the stack added to it', () => {
    const ctx = makeCtx();
    const sms = { reference_type: 'sms' as const };
    const flow = [act(A(1), 'message_send'), act(A(2), 'message_send'), act(A(3), 'message_send')];
    const first = started(flow, sms, ctx);
    const block = act(A(11), 'block', { timeout_ms: 1000, timeout_target_id: A(3) });
    const pushed = expectSettled(apply(first.state, { type: 'push_actions', actions: [block] }, ctx));
    const added = expectSettled(
      apply(pushed.state, { type: 'add_actions', actions: [act(A(21), 'message_send')] }, ctx),
    );
    const timedOut = expectSettled(apply(added.state, { type: 'timeout' }, makeCtx({ now: T0 + 1000 })));
    const af = timedOut.state.activeflow;
    assert.equal(af.current_action.id, A(3));
    assert.deepEqual(Object.keys(af.stack_map), [MAIN_STACK_ID]);
    assert.equal(af.forward_action_id, ZERO_ID);
    const out = expectSettled(apply(timedOut.state, done(A(3)), ctx));
    assert.equal(out.state.activeflow.end_reason, 'finished');
  });

  void it('service_stop hitting the execute limit keeps the stack the cursor is still in', () => {
    const ctx = makeCtx({ maxExecuteCount: 2 });
    const first = started(threeTalks(), {}, ctx);
    const pushed = expectSettled(
      apply(first.state, { type: 'push_actions', actions: [act(A(11), 'talk')] }, ctx),
    );
    const stackId = pushed.state.activeflow.current_stack_id;
    const out = expectSettled(apply(pushed.state, { type: 'service_stop', service_id: stackId }, ctx));
    const af = out.state.activeflow;
    assert.equal(af.end_reason, 'execute_limit');
    assert.equal(af.current_stack_id, stackId);
    assert.equal(af.current_action.id, A(11));
    assert.ok(
      af.stack_map[stackId]?.actions.some((a) => a.id === A(11)),
      'the cursor points at a real action',
    );
  });
});

void describe('frozen inputs', () => {
  void it('no input mutates the state it is given', () => {
    const ctx = makeCtx();
    const state: FlowState = started(threeTalks(), {}, ctx).state;
    const snapshot = structuredClone(state);
    const inputs: EngineInput[] = [
      done(A(1)),
      { type: 'next', current_action_id: A(1) },
      { type: 'forward', forward_action_id: A(3), forward_now: false },
      { type: 'forward', forward_action_id: A(3), forward_now: true },
      {
        type: 'push_actions',
        actions: deepFreeze([
          act(A(11), 'empty'),
          act(A(12), 'goto', { target_id: A(11), loop_count: 2 }),
          act(A(13), 'talk'),
        ]),
      },
      { type: 'add_actions', actions: deepFreeze([act(A(14), 'talk')]) },
      { type: 'stop' },
      { type: 'delete' },
      { type: 'timeout' },
    ];
    for (const input of inputs) {
      apply(state, deepFreeze(input), ctx);
      assert.deepEqual(state, snapshot);
    }
  });
});
