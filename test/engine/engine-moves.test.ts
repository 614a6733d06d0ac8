// The move rules (SPEC 2.1), the run loop (2.2), limits (2.3), flow-control actions other than the
// conditions (3.1), media gating (3.3) and substitution (4). Table-driven, on frozen inputs,
// asserting the returned state and its effects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  apply,
  resume,
  formatTimestamp,
  type Action,
  type EngineInput,
  type JsonObject,
} from '../../src/engine/index.ts';
import {
  A,
  ACTION_TIMEOUT_MS,
  ACTIVEFLOW_ID,
  CUSTOMER_ID,
  FINISH,
  FLOW_ID,
  MAIN_STACK_ID,
  REFERENCE_ID,
  START,
  T0,
  ZERO_ID,
  act,
  applyAll,
  deepFreeze,
  expectIgnored,
  expectIo,
  expectSettled,
  historyIds,
  idCounter,
  makeCtx,
  newState,
  started,
} from '../helpers/engine-fixtures.ts';

const FINISH_ACTION = { id: FINISH, next_id: ZERO_ID, type: '', option: {} };
const done = (id: string, variables?: Record<string, string>): EngineInput =>
  variables ? { type: 'action_done', action_id: id, variables } : { type: 'action_done', action_id: id };

void describe('creation and execute', () => {
  void it('createActiveflow parks the cursor at the start marker with the platform variables set', () => {
    const state = newState([act(A(1), 'answer')], {
      variables: { greeting: 'hi', 'voipbin.activeflow.id': 'forged' },
    });
    const af = state.activeflow;
    assert.equal(af.status, 'running');
    assert.equal(af.end_reason, '');
    assert.equal(af.current_stack_id, MAIN_STACK_ID);
    assert.deepEqual(af.current_action, { id: START, next_id: ZERO_ID, type: '', option: {} });
    assert.equal(af.execute_count, 0);
    assert.deepEqual(af.executed_actions, []);
    assert.equal(af.tm_create, formatTimestamp(T0));
    assert.equal(af.tm_create, '2024-03-15 20:30:00.000000');
    assert.equal(af.tm_delete, '9999-01-01 00:00:00.000000');
    assert.equal(state.wake_at, null);
    assert.deepEqual(state.variables, {
      greeting: 'hi',
      'voipbin.activeflow.id': ACTIVEFLOW_ID,
      'voipbin.activeflow.reference_type': 'call',
      'voipbin.activeflow.reference_id': REFERENCE_ID,
      'voipbin.activeflow.reference_activeflow_id': ZERO_ID,
      'voipbin.activeflow.flow_id': FLOW_ID,
      'voipbin.activeflow.complete_count': '0',
    });
  });

  void it('execute runs to the first handed-off action, which waits with a timer; a second execute is ignored', () => {
    const ctx = makeCtx();
    const out = started([act(A(1), 'empty'), act(A(2), 'answer'), act(A(3), 'talk')], {}, ctx);
    const af = out.state.activeflow;
    assert.equal(af.status, 'running');
    assert.deepEqual(af.current_action, act(A(2), 'answer'));
    assert.equal(af.current_stack_id, MAIN_STACK_ID);
    assert.equal(af.execute_count, 2);
    assert.deepEqual(historyIds(out.state), [START, A(1)]);
    assert.equal(out.state.wake_at, T0 + ACTION_TIMEOUT_MS);
    assert.equal(af.tm_update, formatTimestamp(T0));
    assert.equal(out.effects.length, 1);
    expectIgnored(apply(out.state, { type: 'execute' }, ctx));
  });

  void it('an empty flow ends finished at once, without counting the end', () => {
    const out = started([]);
    assert.equal(out.state.activeflow.status, 'ended');
    assert.equal(out.state.activeflow.end_reason, 'finished');
    assert.deepEqual(out.state.activeflow.current_action, FINISH_ACTION);
    assert.equal(out.state.activeflow.execute_count, 0);
    assert.equal(out.state.wake_at, null);
  });
});

void describe('next_id and the end of the flow (SPEC 2.1)', () => {
  const cases: {
    name: string;
    flow: Action[];
    dones: string[];
    history: string[];
    at: string;
    count: number;
  }[] = [
    {
      name: 'next_id chains skip the list order',
      flow: [
        act(A(1), 'talk', {}, A(3)),
        act(A(2), 'talk'),
        act(A(3), 'empty', {}, A(5)),
        act(A(4), 'talk'),
        act(A(5), 'answer'),
      ],
      dones: [A(1)],
      history: [START, A(1), A(3)],
      at: A(5),
      count: 3,
    },
    {
      name: 'running off the end of the main stack ends finished at the finish action, not counted',
      flow: [
        act(A(1), 'talk', {}, A(3)),
        act(A(2), 'talk'),
        act(A(3), 'empty', {}, A(5)),
        act(A(4), 'talk'),
        act(A(5), 'answer'),
      ],
      dones: [A(1), A(5)],
      history: [START, A(1), A(3), A(5)],
      at: FINISH,
      count: 3,
    },
    {
      name: 'a dangling next_id ends finished',
      flow: [act(A(1), 'talk', {}, A(99)), act(A(2), 'talk')],
      dones: [A(1)],
      history: [START, A(1)],
      at: FINISH,
      count: 1,
    },
    {
      name: 'a next_id pointing backwards loops until the history shows it',
      flow: [act(A(1), 'answer'), act(A(2), 'talk', {}, A(1))],
      dones: [A(1), A(2)],
      history: [START, A(1), A(2)],
      at: A(1),
      count: 3,
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const ctx = makeCtx();
      const first = started(c.flow, {}, ctx);
      const out = applyAll(
        first.state,
        c.dones.map((id) => done(id)),
        ctx,
      );
      const af = out.state.activeflow;
      assert.deepEqual(historyIds(out.state), c.history);
      assert.equal(af.current_action.id, c.at);
      assert.equal(af.execute_count, c.count);
      if (c.at === FINISH) {
        assert.equal(af.status, 'ended');
        assert.equal(af.end_reason, 'finished');
        assert.deepEqual(af.current_action, FINISH_ACTION);
        assert.equal(out.state.wake_at, null);
      } else {
        assert.equal(af.status, 'running');
        assert.equal(out.state.wake_at, T0 + ACTION_TIMEOUT_MS);
      }
    });
  }
});

void describe('goto (SPEC 3.1)', () => {
  void it('loop_count 2 jumps exactly twice, decrementing the stored stack each time', () => {
    const ctx = makeCtx();
    const flow = [
      act(A(1), 'talk'),
      act(A(2), 'goto', { target_id: A(1), loop_count: 2 }),
      act(A(3), 'answer'),
    ];
    let state = started(flow, {}, ctx).state;
    const storedLoopCounts: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      state = expectSettled(apply(state, done(A(1)), ctx)).state;
      storedLoopCounts.push(state.activeflow.stack_map[MAIN_STACK_ID]?.actions[1]?.option['loop_count']);
    }
    const af = state.activeflow;
    assert.deepEqual(storedLoopCounts, [1, 0, 0]);
    assert.equal(af.current_action.id, A(3));
    assert.deepEqual(historyIds(state), [START, A(1), A(2), A(1), A(2), A(1), A(2)]);
    // Each visit shows the loop_count as stored when the cursor arrived.
    const gotoVisits = af.executed_actions.filter((a) => a.id === A(2)).map((a) => a.option['loop_count']);
    assert.deepEqual(gotoVisits, [2, 1, 0]);
    assert.equal(af.execute_count, 7);
  });

  void it('loop_count 0 or absent continues with the next action', () => {
    for (const option of [{ target_id: A(1), loop_count: 0 }, { target_id: A(1) }] as JsonObject[]) {
      const out = started([act(A(1), 'empty'), act(A(2), 'goto', option), act(A(3), 'answer')]);
      assert.equal(out.state.activeflow.current_action.id, A(3));
      assert.deepEqual(historyIds(out.state), [START, A(1), A(2)]);
    }
  });
});

void describe('branch (SPEC 3.1)', () => {
  const flow = (option: JsonObject): Action[] => [
    act(A(1), 'branch', option),
    act(A(2), 'talk'),
    act(A(3), 'talk'),
    act(A(4), 'answer'),
  ];
  const withDefault = { target_ids: { '1': A(3), '2': A(4) }, default_target_id: A(2) };
  const cases: { name: string; option: JsonObject; variables: Record<string, string>; at: string }[] = [
    {
      name: 'a matching value jumps to its target',
      option: withDefault,
      variables: { 'voipbin.call.digits': '2' },
      at: A(4),
    },
    {
      name: 'no match jumps to the default',
      option: withDefault,
      variables: { 'voipbin.call.digits': '9' },
      at: A(2),
    },
    {
      name: 'a missing variable reads "" and takes the default',
      option: withDefault,
      variables: {},
      at: A(2),
    },
    {
      name: 'no match and no default continues with the next action',
      option: { target_ids: { '1': A(3) } },
      variables: { 'voipbin.call.digits': '9' },
      at: A(2),
    },
    {
      name: 'a named variable is read instead of the digits',
      option: { variable: 'choice', target_ids: { sales: A(4) }, default_target_id: A(2) },
      variables: { choice: 'sales', 'voipbin.call.digits': '1' },
      at: A(4),
    },
    {
      name: 'a value that is an Object.prototype name is no match (takes the default)',
      option: withDefault,
      variables: { 'voipbin.call.digits': 'toString' },
      at: A(2),
    },
    {
      name: 'a value of "constructor" with no default continues',
      option: { target_ids: { '1': A(3) } },
      variables: { 'voipbin.call.digits': 'constructor' },
      at: A(2),
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const out = started(flow(c.option), { variables: c.variables });
      const af = out.state.activeflow;
      assert.equal(af.status, 'running');
      assert.equal(af.current_action.id, c.at);
      assert.deepEqual(historyIds(out.state), [START, A(1)]);
      const variable =
        typeof c.option['variable'] === 'string' ? c.option['variable'] : 'voipbin.call.digits';
      assert.equal(out.state.variables[variable], '', 'the branch variable is reset to ""');
      for (const [key, value] of Object.entries(c.variables)) {
        if (key !== variable) assert.equal(out.state.variables[key], value);
      }
    });
  }
});

void describe('variable_set and substitution (SPEC 4)', () => {
  void it('variable_set substitutes its value first: ${voipbin.call.digits}5 appends a digit', () => {
    const set = act(A(1), 'variable_set', { key: 'voipbin.call.digits', value: '${voipbin.call.digits}5' });
    const again = act(A(2), 'variable_set', { key: 'voipbin.call.digits', value: '${voipbin.call.digits}5' });
    const out = started([set, again, act(A(3), 'talk', { text: 'you typed ${voipbin.call.digits}' })], {
      variables: { 'voipbin.call.digits': '12' },
    });
    assert.equal(out.state.variables['voipbin.call.digits'], '1255');
    assert.deepEqual(
      out.state.activeflow.executed_actions.slice(1).map((a) => a.option['value']),
      ['125', '1255'],
    );
    assert.deepEqual(out.state.activeflow.current_action.option, { text: 'you typed 1255' });
    // The stored stack keeps the templates.
    assert.deepEqual(out.state.activeflow.stack_map[MAIN_STACK_ID]?.actions[0], set);
  });

  void it('substitutes nested strings, keeps numbers/booleans/null, one pass, missing names as ""', () => {
    const option = {
      text: 'Hi ${name}${missing}!',
      count: 5,
      list: [1, '${name}', true, null, 2.5, { deep: ['${name}', 7] }],
      nested: { again: '${name} ${template}', flag: false },
    };
    const out = started([act(A(1), 'talk', option)], { variables: { name: 'Bob', template: '${name}' } });
    assert.deepEqual(out.state.activeflow.current_action, {
      id: A(1),
      next_id: ZERO_ID,
      type: 'talk',
      option: {
        text: 'Hi Bob!',
        count: 5,
        list: [1, 'Bob', true, null, 2.5, { deep: ['Bob', 7] }],
        nested: { again: 'Bob ${name}', flag: false },
      },
    });
  });

  void it('names that only exist on Object.prototype substitute as ""', () => {
    const option = { text: '[${constructor}][${toString}][${__proto__}][${hasOwnProperty}]' };
    const out = started([act(A(1), 'talk', option)]);
    assert.equal(out.state.activeflow.current_action.option['text'], '[][][][]');
  });

  void it('variables arriving with action_done are stored literally', () => {
    const ctx = makeCtx();
    const first = started(
      [act(A(1), 'digits_receive'), act(A(2), 'talk', { text: '${voipbin.call.digits}' })],
      {},
      ctx,
    );
    const out = expectSettled(
      apply(first.state, done(A(1), { 'voipbin.call.digits': '${x}1', x: 'y' }), ctx),
    );
    assert.equal(out.state.variables['voipbin.call.digits'], '${x}1');
    assert.equal(out.state.variables['x'], 'y');
    // One pass, no recursion: the literal value is not substituted again.
    assert.deepEqual(out.state.activeflow.current_action.option, { text: '${x}1' });
  });
});

void describe('media gating and unknown types (SPEC 2.2, 3.3)', () => {
  const cases: {
    name: string;
    reference: 'call' | 'sms' | 'api';
    flow: Action[];
    at: string;
    history: string[];
  }[] = [
    {
      name: 'an SMS activeflow skips talk (recorded in the history)',
      reference: 'sms',
      flow: [act(A(1), 'talk', { text: 'hello' }), act(A(2), 'message_send', { text: 'hi' })],
      at: A(2),
      history: [START, A(1)],
    },
    {
      name: 'a call activeflow skips block and ai_task',
      reference: 'call',
      flow: [act(A(1), 'block'), act(A(2), 'ai_task'), act(A(3), 'talk')],
      at: A(3),
      history: [START, A(1), A(2)],
    },
    {
      name: 'an unknown type is skipped',
      reference: 'call',
      flow: [act(A(1), 'dance'), act(A(2), 'answer')],
      at: A(2),
      history: [START, A(1)],
    },
    {
      name: 'an api activeflow skips every real-time type, then runs off the end',
      reference: 'api',
      flow: [act(A(1), 'answer'), act(A(2), 'hangup'), act(A(3), 'digits_receive')],
      at: FINISH,
      history: [START, A(1), A(2), A(3)],
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const out = started(c.flow, { reference_type: c.reference });
      assert.equal(out.state.activeflow.current_action.id, c.at);
      assert.deepEqual(historyIds(out.state), c.history);
      assert.equal(out.state.activeflow.execute_count, c.history.length - (c.at === FINISH ? 1 : 0));
      // The skipped actions appear in the history with their substituted options.
      assert.deepEqual(out.state.activeflow.executed_actions.slice(1), c.flow.slice(0, c.history.length - 1));
    });
  }
});

void describe('execute limit (SPEC 2.3)', () => {
  void it('a goto loop with a huge loop_count ends with execute_limit at exactly maxExecuteCount', () => {
    const ctx = makeCtx({ maxExecuteCount: 10 });
    const flow = [act(A(1), 'empty'), act(A(2), 'goto', { target_id: A(1), loop_count: 1_000_000 })];
    const out = started(flow, {}, ctx);
    const af = out.state.activeflow;
    assert.equal(af.status, 'ended');
    assert.equal(af.end_reason, 'execute_limit');
    assert.equal(af.execute_count, 10);
    assert.equal(af.executed_actions.length, 10);
    assert.match(af.end_detail, /10/);
    assert.equal(out.state.wake_at, null);
  });

  const cases: { name: string; flow: Action[]; reason: string; count: number }[] = [
    {
      name: 'ending at the end of the flow is not a move',
      flow: [act(A(1), 'answer'), act(A(2), 'talk')],
      reason: 'finished',
      count: 2,
    },
    {
      name: 'the move that would make the count 3 ends the flow',
      flow: [act(A(1), 'answer'), act(A(2), 'talk'), act(A(3), 'talk')],
      reason: 'execute_limit',
      count: 2,
    },
  ];
  for (const c of cases) {
    void it(`maxExecuteCount 2: ${c.name}`, () => {
      const ctx = makeCtx({ maxExecuteCount: 2 });
      const first = started(c.flow, {}, ctx);
      const out = applyAll(first.state, [done(A(1)), done(A(2))], ctx);
      assert.equal(out.state.activeflow.end_reason, c.reason);
      assert.equal(out.state.activeflow.execute_count, c.count);
      assert.equal(out.state.activeflow.current_action.id, c.reason === 'finished' ? FINISH : A(2));
    });
  }
});

void describe('stop action and engine errors (SPEC 2.3)', () => {
  void it('the stop action ends finished, staying at the stop action', () => {
    const out = started([act(A(1), 'empty'), act(A(2), 'stop'), act(A(3), 'talk')]);
    const af = out.state.activeflow;
    assert.equal(af.status, 'ended');
    assert.equal(af.end_reason, 'finished');
    assert.equal(af.current_action.id, A(2));
    assert.equal(af.execute_count, 2);
  });

  const cases: { name: string; action: Action; detail: RegExp }[] = [
    {
      name: 'goto with a numeric target_id',
      action: act(A(1), 'goto', { target_id: 5, loop_count: 1 }),
      detail: /option\.target_id/,
    },
    {
      name: 'goto with a string loop_count',
      action: act(A(1), 'goto', { target_id: A(2), loop_count: 'x' }),
      detail: /option\.loop_count/,
    },
    {
      name: 'condition_variable with an unknown condition',
      action: act(A(1), 'condition_variable', { condition: 'nope', variable: 'x', false_target_id: A(2) }),
      detail: /option\.condition/,
    },
    {
      name: 'variable_set without a key',
      action: act(A(1), 'variable_set', { value: 'x' }),
      detail: /option\.key/,
    },
    {
      name: 'branch with non-string targets',
      action: act(A(1), 'branch', { target_ids: { '1': 7 } }),
      detail: /option\.target_ids\.1/,
    },
    {
      name: 'condition_datetime with a string hour',
      action: act(A(1), 'condition_datetime', { condition: '==', hour: '9', false_target_id: A(2) }),
      detail: /option\.hour/,
    },
    {
      name: 'goto to a missing target',
      action: act(A(1), 'goto', { target_id: A(99), loop_count: 1 }),
      detail: new RegExp(`${A(99)} not found`),
    },
    {
      name: 'condition_variable to a missing false target',
      action: act(A(1), 'condition_variable', {
        condition: '==',
        variable: 'a',
        value_string: 'b',
        false_target_id: A(98),
      }),
      detail: new RegExp(`${A(98)} not found`),
    },
    {
      name: 'branch to a missing default',
      action: act(A(1), 'branch', { default_target_id: A(97) }),
      detail: new RegExp(`${A(97)} not found`),
    },
  ];
  for (const c of cases) {
    void it(`${c.name} ends with error naming the problem`, () => {
      const out = started([c.action, act(A(2), 'talk')]);
      const af = out.state.activeflow;
      assert.equal(af.status, 'ended');
      assert.equal(af.end_reason, 'error');
      assert.match(af.end_detail, c.detail);
      assert.match(af.end_detail, new RegExp(A(1)));
      assert.equal(af.current_action.id, A(1));
      assert.equal(out.state.wake_at, null);
      // The update event carries end_detail.
      const event = out.effects[0];
      assert.ok(event?.kind === 'event' && event.activeflow.end_detail === af.end_detail);
    });
  }
});

void describe('pushed stacks (SPEC 2.1 rule 5, fetch, push_actions)', () => {
  const mainFlow = (): Action[] => [
    act(A(1), 'talk'),
    act(
      A(2),
      'fetch',
      { event_url: 'https://example.test/${voipbin.activeflow.id}', error_target_id: A(4) },
      A(5),
    ),
    act(A(3), 'talk'),
    act(A(4), 'talk'),
    act(A(5), 'answer'),
  ];

  void it('fetch returns io; resume pushes the reply, which returns honouring the fetch next_id', () => {
    const ctx = makeCtx();
    const first = started(mainFlow(), { variables: { lang: 'en' } }, ctx);
    const io = expectIo(apply(first.state, done(A(1)), ctx));
    assert.deepEqual(io.request, {
      kind: 'http',
      method: 'POST',
      url: `https://example.test/${ACTIVEFLOW_ID}`,
      timeout_ms: 3000,
      body: {
        activeflow_id: ACTIVEFLOW_ID,
        reference_type: 'call',
        reference_id: REFERENCE_ID,
        variables: first.state.variables,
      },
    });
    deepFreeze(io.pending);
    const reply = deepFreeze([
      { type: 'talk', option: { text: 'pushed ${lang}' } },
      { id: A(21).toUpperCase(), type: 'digits_receive' },
    ]);
    const out = expectSettled(resume(io.pending, { ok: true, actions: reply }, ctx));
    const af = out.state.activeflow;
    // parseActions drew the first action's id, then pushAndEnter drew the stack id.
    const pushedId = '00000000-0000-4000-8000-000000000001';
    const stackId = '00000000-0000-4000-8000-000000000002';
    assert.equal(af.current_stack_id, stackId);
    assert.deepEqual(af.current_action, {
      id: pushedId,
      next_id: ZERO_ID,
      type: 'talk',
      option: { text: 'pushed en' },
    });
    assert.deepEqual(af.stack_map[stackId], {
      id: stackId,
      actions: [
        { id: pushedId, next_id: ZERO_ID, type: 'talk', option: { text: 'pushed ${lang}' } },
        { id: A(21), next_id: ZERO_ID, type: 'digits_receive', option: {} },
      ],
      return_stack_id: MAIN_STACK_ID,
      return_action_id: A(2),
    });
    const back = applyAll(out.state, [done(pushedId), done(A(21))], ctx);
    assert.equal(back.state.activeflow.current_action.id, A(5));
    assert.equal(back.state.activeflow.current_stack_id, MAIN_STACK_ID);
    assert.deepEqual(Object.keys(back.state.activeflow.stack_map), [MAIN_STACK_ID]);
    assert.deepEqual(historyIds(back.state), [START, A(1), A(2), pushedId, A(21)]);
  });

  const failures: {
    name: string;
    result: { ok: false; error: string } | { ok: true; actions: unknown };
    withTarget: boolean;
    detail?: RegExp;
  }[] = [
    {
      name: 'a failed fetch jumps to error_target_id',
      result: { ok: false, error: 'HTTP 500' },
      withTarget: true,
    },
    {
      name: 'a failed fetch without error target ends with error',
      result: { ok: false, error: 'HTTP 500' },
      withTarget: false,
      detail: /HTTP 500/,
    },
    {
      name: 'a reply that is not an array is a failure',
      result: { ok: true, actions: { nope: 1 } },
      withTarget: false,
      detail: /invalid actions/,
    },
    {
      name: 'an invalid reply with an error target jumps there',
      result: { ok: true, actions: [{ id: 5 }] },
      withTarget: true,
    },
  ];
  for (const c of failures) {
    void it(c.name, () => {
      const ctx = makeCtx();
      const flow = mainFlow();
      if (!c.withTarget) flow[1] = act(A(2), 'fetch', { event_url: 'https://example.test/' }, A(5));
      const first = started(flow, {}, ctx);
      const io = expectIo(apply(first.state, done(A(1)), ctx));
      const out = expectSettled(resume(deepFreeze(io.pending), c.result, ctx));
      const af = out.state.activeflow;
      if (c.withTarget) {
        assert.equal(af.status, 'running');
        assert.equal(af.current_action.id, A(4));
      } else {
        assert.equal(af.end_reason, 'error');
        assert.match(af.end_detail, c.detail ?? /./);
        assert.equal(af.current_action.id, A(2));
      }
      assert.deepEqual(Object.keys(af.stack_map), [MAIN_STACK_ID]);
    });
  }

  void it('fetch_flow asks for the flow; resume with its actions pushes them; an empty list moves on', () => {
    const ctx = makeCtx();
    const otherFlow = 'f2000000-0000-4000-8000-000000000002';
    const flow = [act(A(1), 'fetch_flow', { flow_id: otherFlow }), act(A(2), 'answer')];
    const fresh = expectIo(apply(newState(flow), { type: 'execute' }, ctx));
    deepFreeze(fresh.pending);
    assert.deepEqual(fresh.request, { kind: 'flow', flow_id: otherFlow, customer_id: CUSTOMER_ID });
    const pushed = expectSettled(resume(fresh.pending, { ok: true, actions: [act(A(31), 'talk')] }, ctx));
    assert.equal(pushed.state.activeflow.current_action.id, A(31));
    assert.notEqual(pushed.state.activeflow.current_stack_id, MAIN_STACK_ID);
    const empty = expectSettled(resume(fresh.pending, { ok: true, actions: [] }, ctx));
    assert.equal(empty.state.activeflow.current_action.id, A(2));
    assert.deepEqual(Object.keys(empty.state.activeflow.stack_map), [MAIN_STACK_ID]);
    assert.deepEqual(historyIds(empty.state), [START, A(1)]);
  });

  void it('push_actions enters the pushed stack at once and returns honouring the pusher next_id (frozen input)', () => {
    const ctx = makeCtx({ newId: idCounter('5ac00000-0000-4000-8000-') });
    const flow = [act(A(1), 'talk', {}, A(4)), act(A(2), 'talk'), act(A(3), 'talk'), act(A(4), 'answer')];
    const first = started(flow, {}, ctx);
    // A goto inside the pushed stack writes its loop_count into the stored stack: that must not
    // reach the caller's input.
    const actions = deepFreeze([
      act(A(11), 'empty'),
      act(A(12), 'goto', { target_id: A(11), loop_count: 1 }),
      act(A(13), 'talk'),
    ]);
    const input: EngineInput = deepFreeze({ type: 'push_actions', actions });
    const pushed = expectSettled(apply(first.state, input, ctx));
    const stackId = '5ac00000-0000-4000-8000-000000000001';
    const af = pushed.state.activeflow;
    assert.equal(af.current_stack_id, stackId);
    assert.equal(af.current_action.id, A(13));
    assert.deepEqual(historyIds(pushed.state), [START, A(1), A(11), A(12), A(11), A(12)]);
    assert.equal(af.stack_map[stackId]?.actions[1]?.option['loop_count'], 0);
    assert.equal(af.stack_map[stackId]?.return_action_id, A(1));
    assert.equal(af.stack_map[stackId]?.return_stack_id, MAIN_STACK_ID);
    assert.equal(actions[1]?.option['loop_count'], 1, 'the input is untouched');
    const back = expectSettled(apply(pushed.state, done(A(13)), ctx));
    assert.equal(back.state.activeflow.current_action.id, A(4));
    assert.equal(back.state.activeflow.current_stack_id, MAIN_STACK_ID);
    assert.deepEqual(Object.keys(back.state.activeflow.stack_map), [MAIN_STACK_ID]);
    assert.deepEqual(historyIds(back.state), [START, A(1), A(11), A(12), A(11), A(12), A(13)]);
  });

  void it('a jump from a pushed stack to a main action drops the pushed stack', () => {
    const ctx = makeCtx();
    const first = started([act(A(1), 'talk'), act(A(2), 'answer'), act(A(3), 'talk')], {}, ctx);
    const input: EngineInput = {
      type: 'push_actions',
      actions: [act(A(11), 'goto', { target_id: A(3), loop_count: 1 })],
    };
    const out = expectSettled(apply(first.state, input, ctx));
    assert.equal(out.state.activeflow.current_action.id, A(3));
    assert.equal(out.state.activeflow.current_stack_id, MAIN_STACK_ID);
    assert.deepEqual(Object.keys(out.state.activeflow.stack_map), [MAIN_STACK_ID]);
  });
});
