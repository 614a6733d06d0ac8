// Fixtures for the engine's unit and property tests: deterministic ids and clocks, terse action
// builders, frozen states, and assertions that narrow an Outcome to the kind a test expects.
import assert from 'node:assert/strict';
import {
  apply,
  createActiveflow,
  ACTION_ID,
  MAIN_STACK_ID,
  ZERO_ID,
  type Action,
  type CreateParams,
  type EngineContext,
  type EngineInput,
  type FlowState,
  type JsonObject,
  type Outcome,
} from '../../src/engine/index.ts';

/** A fixed instant: Friday 2024-03-15 20:30:00 UTC (Saturday 05:30 in Asia/Seoul). */
export const T0 = Date.UTC(2024, 2, 15, 20, 30, 0);
export const ACTION_TIMEOUT_MS = 60_000;

export { ACTION_ID, MAIN_STACK_ID, ZERO_ID };
export const START = ACTION_ID.start;
export const FINISH = ACTION_ID.finish;

/** Counter-based UUIDs: the same seed always yields the same ids. */
export function idCounter(prefix = '00000000-0000-4000-8000-'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(12, '0')}`;
}

/** The engine context of a test: fixed time, counter ids, small limits unless told otherwise. */
export function makeCtx(overrides: Partial<EngineContext> = {}): EngineContext {
  return {
    now: T0,
    newId: idCounter(),
    maxExecuteCount: 100,
    actionTimeoutMs: ACTION_TIMEOUT_MS,
    ...overrides,
  };
}

/** A readable action id: A(3) = `a0000000-0000-4000-8000-000000000003`. */
export function A(n: number): string {
  return `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** An action; `next_id` defaults to the zero UUID ("the next element"). */
export function act(id: string, type: string, option: JsonObject = {}, nextId: string = ZERO_ID): Action {
  return { id, next_id: nextId, type, option };
}

export const ACTIVEFLOW_ID = 'f0000000-0000-4000-8000-000000000001';
export const CUSTOMER_ID = 'c0000000-0000-4000-8000-000000000001';
export const FLOW_ID = 'f1000000-0000-4000-8000-000000000001';
export const REFERENCE_ID = 'e0000000-0000-4000-8000-000000000001';

/** A fresh activeflow at the start marker (not yet executed), deep-frozen. */
export function newState(actions: Action[], overrides: Partial<CreateParams> = {}, now = T0): FlowState {
  const params: CreateParams = {
    id: ACTIVEFLOW_ID,
    customer_id: CUSTOMER_ID,
    flow_id: FLOW_ID,
    reference_type: 'call',
    reference_id: REFERENCE_ID,
    reference_activeflow_id: ZERO_ID,
    on_complete_flow_id: ZERO_ID,
    actions,
    variables: {},
    complete_count: 0,
    ...overrides,
  };
  return deepFreeze(createActiveflow(params, now));
}

export type Settled = Extract<Outcome, { kind: 'settled' }>;
export type Io = Extract<Outcome, { kind: 'io' }>;

/** Asserts a settled outcome with exactly one `activeflow_updated` event (plus `extra` kinds). */
export function expectSettled(outcome: Outcome, extraEffects: string[] = []): Settled {
  assert.equal(outcome.kind, 'settled', `expected settled, got ${JSON.stringify(outcome).slice(0, 400)}`);
  const settled = outcome as Settled;
  const first = settled.effects[0];
  assert.deepEqual(first, {
    kind: 'event',
    type: 'activeflow_updated',
    activeflow: settled.state.activeflow,
  });
  assert.deepEqual(
    settled.effects.slice(1).map((e) => (e.kind === 'event' ? e.type : e.kind)),
    extraEffects,
  );
  deepFreeze(settled.state);
  return settled;
}

export function expectIo(outcome: Outcome): Io {
  assert.equal(outcome.kind, 'io', `expected io, got ${JSON.stringify(outcome).slice(0, 400)}`);
  return outcome as Io;
}

export function expectIgnored(outcome: Outcome): void {
  assert.equal(outcome.kind, 'ignored', `expected ignored, got ${JSON.stringify(outcome).slice(0, 400)}`);
}

export function expectRejected(outcome: Outcome, code: string): void {
  assert.equal(outcome.kind, 'rejected', `expected rejected, got ${JSON.stringify(outcome).slice(0, 400)}`);
  if (outcome.kind === 'rejected') assert.equal(outcome.code, code);
}

/** Creates the activeflow and runs `execute`; the result must settle. */
export function started(
  actions: Action[],
  overrides: Partial<CreateParams> = {},
  ctx = makeCtx(),
  extraEffects: string[] = [],
): Settled {
  return expectSettled(apply(newState(actions, overrides), { type: 'execute' }, ctx), extraEffects);
}

/** Applies inputs in order; every one must settle. Returns the last outcome. */
export function applyAll(state: FlowState, inputs: EngineInput[], ctx: EngineContext): Settled {
  let outcome: Settled | undefined;
  let current = state;
  for (const input of inputs) {
    outcome = expectSettled(apply(current, input, ctx));
    current = outcome.state;
  }
  assert.ok(outcome, 'no inputs');
  return outcome;
}

/** The ids of the executed actions, in order (the history). */
export function historyIds(state: FlowState): string[] {
  return state.activeflow.executed_actions.map((a) => a.id);
}

/** Freezes a value and everything inside it, so any mutation by the engine throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
