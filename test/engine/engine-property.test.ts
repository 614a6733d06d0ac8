// Property tests of the engine over random flows and random input sequences (STYLE "Tests"):
// deterministic, never mutates its input, an ended activeflow absorbs every input but delete,
// execute_count stays bounded, and the cursor always points at a real action, the start or the end.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  apply,
  END_REASONS,
  type Action,
  type EngineContext,
  type EngineInput,
  type FlowState,
  type JsonObject,
  type Outcome,
} from '../../src/engine/index.ts';
import {
  A,
  ACTION_TIMEOUT_MS,
  FINISH,
  MAIN_STACK_ID,
  START,
  T0,
  ZERO_ID,
  deepFreeze,
  idCounter,
  newState,
} from '../helpers/engine-fixtures.ts';

const SEED = 20_240_315;
const NUM_RUNS = 200;

// ---- random flows -------------------------------------------------------------------------------

/** Targets: mostly an action of the same flow (ids from `first`), some in the main flow, a few nowhere. */
const target = (size: number, first = 1) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: first, max: first + size - 1 }).map(A) },
    { weight: 1, arbitrary: fc.constantFrom(A(1), A(2)) },
    { weight: 1, arbitrary: fc.constant(A(99)) },
  );
const comparison = fc.constantFrom('==', '!=', '>', '>=', '<', '<=');

function optionFor(type: string, size: number, first: number): fc.Arbitrary<JsonObject> {
  switch (type) {
    case 'goto':
      return fc.record({
        target_id: target(size, first),
        loop_count: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) },
          { weight: 1, arbitrary: fc.constant(1_000_000) },
        ),
      });
    case 'branch':
      return fc.record(
        {
          variable: fc.constantFrom('d', 'voipbin.call.digits', 'toString'),
          target_ids: fc.dictionary(fc.constantFrom('1', '2', '', 'constructor'), target(size, first), {
            maxKeys: 3,
          }),
          default_target_id: target(size, first),
        },
        { requiredKeys: ['target_ids'] },
      );
    case 'variable_set':
      return fc.record({
        key: fc.constantFrom('d', 'voipbin.call.digits', 'x'),
        value: fc.constantFrom('${d}1', '${voipbin.call.digits}5', 'abc', ''),
      });
    case 'condition_variable':
      return fc.record({
        condition: comparison,
        variable: fc.constantFrom('${d}', '${voipbin.call.digits}', '${x}', '12'),
        value_type: fc.constantFrom('string', 'number', 'length'),
        value_string: fc.constantFrom('', '1', 'abc'),
        value_number: fc.integer({ min: -2, max: 20 }),
        value_length: fc.integer({ min: 0, max: 4 }),
        false_target_id: target(size, first),
      });
    case 'talk':
      return fc.record(
        { text: fc.constantFrom('hi ${d}', 'plain'), list: fc.constant([1, '${x}']) },
        { requiredKeys: [] },
      );
    default:
      return fc.constant({});
  }
}

/** Weighted so that most runs wait somewhere instead of ending at once. */
const FLOW_TYPES = [
  'talk',
  'talk',
  'answer',
  'message_send',
  'hangup',
  'goto',
  'goto',
  'branch',
  'variable_set',
  'condition_variable',
  'empty',
  'stop',
];

/** A flow of `size` actions with ids A(1..size) (or `firstId`..), random types and options. */
function flowOf(size: number, firstId = 1): fc.Arbitrary<Action[]> {
  const action = (index: number) =>
    fc.constantFrom(...FLOW_TYPES).chain((type) =>
      fc.record({
        id: fc.constant(A(firstId + index)),
        next_id: fc.oneof(
          { weight: 4, arbitrary: fc.constant(ZERO_ID) },
          { weight: 1, arbitrary: target(size, firstId) },
        ),
        type: fc.constant(type),
        option: optionFor(type, size, firstId),
      }),
    );
  return fc.tuple(...Array.from({ length: size }, (_, i) => action(i)));
}

const anyFlow = fc
  .integer({ min: 0, max: 7 })
  .chain((size) => (size === 0 ? fc.constant<Action[]>([]) : flowOf(size)));
const pushedFlow = fc.integer({ min: 1, max: 3 }).chain((size) => flowOf(size, 20));

// ---- random inputs ------------------------------------------------------------------------------

/** An input before it meets the state: "current" ids are resolved against the cursor. */
type Step =
  | { kind: 'execute' | 'stop' | 'hangup' | 'delete' | 'timeout'; advanceMs: number }
  | { kind: 'action_done' | 'next' | 'continue'; current: boolean; id: string; advanceMs: number }
  | { kind: 'forward'; id: string; now: boolean; advanceMs: number }
  | { kind: 'push_actions' | 'add_actions'; actions: Action[]; advanceMs: number }
  | { kind: 'service_stop'; current: boolean; advanceMs: number };

const advance = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * ACTION_TIMEOUT_MS }));
const anyId = fc.constantFrom(A(1), A(2), A(3), A(20), A(21), A(99), START, FINISH);
const current = fc.oneof(
  { weight: 3, arbitrary: fc.constant(true) },
  { weight: 1, arbitrary: fc.constant(false) },
);
const anyStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('execute' as const), advanceMs: advance }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('action_done' as const),
      current,
      id: anyId,
      advanceMs: advance,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('next' as const), current, id: anyId, advanceMs: advance }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('continue' as const), current, id: anyId, advanceMs: advance }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('stop' as const, 'hangup' as const, 'delete' as const),
      advanceMs: advance,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timeout' as const), advanceMs: advance }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('forward' as const),
      id: anyId,
      now: fc.boolean(),
      advanceMs: advance,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('push_actions' as const, 'add_actions' as const),
      actions: pushedFlow,
      advanceMs: advance,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('service_stop' as const), current, advanceMs: advance }),
  },
);

function toInput(step: Step, state: FlowState): EngineInput {
  const af = state.activeflow;
  switch (step.kind) {
    case 'execute':
    case 'stop':
    case 'hangup':
    case 'delete':
    case 'timeout':
      return { type: step.kind };
    case 'action_done':
      return { type: 'action_done', action_id: step.current ? af.current_action.id : step.id };
    case 'next':
    case 'continue':
      return { type: step.kind, current_action_id: step.current ? af.current_action.id : step.id };
    case 'forward':
      return { type: 'forward', forward_action_id: step.id, forward_now: step.now };
    case 'push_actions':
    case 'add_actions':
      return { type: step.kind, actions: step.actions };
    case 'service_stop':
      return { type: 'service_stop', service_id: step.current ? af.current_stack_id : MAIN_STACK_ID };
  }
}

const scenario = fc.record({
  flow: anyFlow,
  reference: fc.constantFrom('call' as const, 'sms' as const),
  variables: fc.dictionary(
    fc.constantFrom('d', 'x', 'voipbin.call.digits'),
    fc.constantFrom('', '1', '2', '12', 'toString'),
  ),
  maxExecuteCount: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 7, max: 40 })),
  // Mostly executed first, so that the later inputs meet a waiting activeflow.
  steps: fc
    .tuple(
      fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      fc.array(anyStep, { maxLength: 16 }),
    )
    .map(([executeFirst, steps]): Step[] =>
      executeFirst ? [{ kind: 'execute', advanceMs: 0 }, ...steps] : steps,
    ),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

// ---- invariants ---------------------------------------------------------------------------------

function ctxFor(s: Scenario, step: number, now: number): EngineContext {
  // Fresh counter ids per step: two calls with the same step see the same ids.
  const prefix = `00000000-0000-4000-8${String(step).padStart(3, '0')}-`;
  return {
    now,
    newId: idCounter(prefix),
    maxExecuteCount: s.maxExecuteCount,
    actionTimeoutMs: ACTION_TIMEOUT_MS,
  };
}

function checkState(state: FlowState, s: Scenario): void {
  const af = state.activeflow;
  assert.ok(
    af.execute_count >= 0 && af.execute_count <= s.maxExecuteCount,
    `execute_count ${af.execute_count}`,
  );
  // History: one entry per move, plus the action the flow ran off the end from.
  assert.equal(af.executed_actions.length, af.execute_count + (af.current_action.id === FINISH ? 1 : 0));
  const main = af.stack_map[MAIN_STACK_ID];
  assert.ok(main, 'the main stack exists');
  for (const stack of Object.values(af.stack_map)) {
    if (stack.id === MAIN_STACK_ID) continue;
    assert.ok(af.stack_map[stack.return_stack_id], `stack ${stack.id} returns to an existing stack`);
  }
  const current = af.current_action;
  if (current.id === START) {
    assert.equal(af.current_stack_id, MAIN_STACK_ID);
    assert.equal(af.execute_count, 0);
  } else if (current.id === FINISH) {
    assert.equal(af.status, 'ended');
    assert.equal(af.end_reason === 'finished' || af.end_reason === 'deleted', true);
  } else {
    const stack = af.stack_map[af.current_stack_id];
    assert.ok(stack, `the current stack ${af.current_stack_id} exists`);
    const stored = stack.actions.find((a) => a.id === current.id);
    assert.ok(stored, `the current action ${current.id} is in stack ${stack.id}`);
    assert.equal(stored.type, current.type);
    assert.equal(stored.next_id, current.next_id);
  }
  if (af.status === 'running') {
    assert.equal(af.end_reason, '');
    if (current.id === START) assert.equal(state.wake_at, null);
    else assert.ok(state.wake_at !== null && state.wake_at > 0, 'a waiting activeflow has a timer');
  } else {
    assert.ok((END_REASONS as readonly string[]).includes(af.end_reason), af.end_reason);
    assert.equal(state.wake_at, null);
    assert.equal(af.forward_action_id, ZERO_ID);
  }
}

function checkEffects(
  outcome: Extract<Outcome, { kind: 'settled' }>,
  before: FlowState,
  input: EngineInput,
): void {
  const af = outcome.state.activeflow;
  const justEnded = before.activeflow.status === 'running' && af.status === 'ended';
  const kinds = outcome.effects.map((e) => (e.kind === 'event' ? e.type : e.kind));
  if (input.type === 'delete' && before.activeflow.status === 'ended') {
    assert.deepEqual(kinds, ['activeflow_deleted']);
  } else {
    assert.equal(kinds[0], 'activeflow_updated');
    assert.deepEqual(outcome.effects[0], { kind: 'event', type: 'activeflow_updated', activeflow: af });
    assert.equal(kinds.filter((k) => k === 'activeflow_updated').length, 1);
  }
  if (!justEnded) assert.ok(!kinds.includes('start_on_complete'));
}

/** Runs the scenario, checking every invariant after each step; returns every outcome. */
function simulate(s: Scenario): Outcome[] {
  let state = newState(s.flow, { reference_type: s.reference, variables: s.variables });
  let now = T0;
  const outcomes: Outcome[] = [];
  s.steps.forEach((step, index) => {
    now += step.advanceMs;
    const input = deepFreeze(structuredClone(toInput(step, state)));
    const inputCopy = structuredClone(input);
    const stateCopy = structuredClone(state);
    deepFreeze(state);
    const outcome = apply(state, input, ctxFor(s, index, now));
    // Deterministic: the same state, input and context give the same outcome.
    assert.deepEqual(apply(state, input, ctxFor(s, index, now)), outcome);
    // Never mutates its input (frozen, so a write would have thrown; compare anyway).
    assert.deepEqual(state, stateCopy);
    assert.deepEqual(input, inputCopy);
    outcomes.push(outcome);
    assert.notEqual(outcome.kind, 'io', 'no fetch in these flows');
    if (state.activeflow.status === 'ended' && input.type !== 'delete') {
      assert.equal(outcome.kind, 'ignored', `an ended activeflow absorbs ${input.type}`);
    }
    if (outcome.kind === 'settled') {
      checkEffects(outcome, state, input);
      checkState(outcome.state, s);
      state = outcome.state;
    }
  });
  checkState(state, s);
  return outcomes;
}

void it('random flows and inputs: deterministic, input untouched, ended absorbs, bounded, cursor valid', () => {
  fc.assert(
    fc.property(scenario, (s) => {
      const first = simulate(s);
      assert.deepEqual(simulate(structuredClone(s)), first);
    }),
    { numRuns: NUM_RUNS, seed: SEED },
  );
});

void it('random flows with only the core inputs reach their end or a wait within the limit', () => {
  const coreStep = fc.oneof(
    fc.record({ kind: fc.constant('execute' as const), advanceMs: fc.constant(0) }),
    fc.record({
      kind: fc.constant('action_done' as const),
      current: fc.constant(true),
      id: anyId,
      advanceMs: fc.constant(0),
    }),
    fc.record({
      kind: fc.constant('action_done' as const),
      current: fc.constant(false),
      id: anyId,
      advanceMs: fc.constant(0),
    }),
    fc.record({ kind: fc.constant('next' as const), current, id: anyId, advanceMs: fc.constant(0) }),
    fc.record({ kind: fc.constant('stop' as const), advanceMs: fc.constant(0) }),
    fc.record({ kind: fc.constant('timeout' as const), advanceMs: advance }),
  );
  fc.assert(
    fc.property(scenario, fc.array(coreStep, { maxLength: 20 }), (s, steps) => {
      const outcomes = simulate({ ...s, steps: [{ kind: 'execute', advanceMs: 0 }, ...steps] });
      // execute on a fresh activeflow always settles (no IO in these flows).
      assert.equal(outcomes[0]?.kind, 'settled');
    }),
    { numRuns: NUM_RUNS, seed: SEED + 1 },
  );
});
