// The engine's entry point: (state, input, context) -> outcome. Never mutates its arguments.
import { isHandedOffType } from './action-types.ts';
import type { IoRequest } from './actions/handler.ts';
import { cloneJson, draftOf } from './clone.ts';
import { parseOption } from './options.ts';
import {
  endFlow,
  jump,
  move,
  moveTo,
  pushAndEnter,
  runLoop,
  FINISH_ACTION,
  type LoopResult,
  type TraceStep,
} from './run.ts';
import { after, locate } from './stack.ts';
import { formatTimestamp } from './time.ts';
import { ACTION_ID, MAIN_STACK_ID, NOT_DELETED, ZERO_ID, type Action, type Activeflow, type EngineContext, type FlowState, type Variables } from './types.ts';
import { withVariables } from './variables.ts';
import { parseActions } from './validate/index.ts';

/** Inputs that drive an existing activeflow (events, RPC requests, timers). */
export type EngineInput =
  | { type: 'execute' }
  | { type: 'action_done'; action_id: string; variables?: Variables }
  | { type: 'next'; current_action_id: string }
  | { type: 'continue'; current_action_id: string }
  | { type: 'timeout' }
  | { type: 'stop' }
  | { type: 'hangup' }
  | { type: 'delete' }
  | { type: 'forward'; forward_action_id: string; forward_now: boolean }
  | { type: 'push_actions'; actions: Action[] }
  | { type: 'add_actions'; actions: Action[] }
  | { type: 'service_stop'; service_id: string };

/** What the activeflow's chain link needs to start the next one (SPEC 2.3 on-complete). */
export interface OnComplete {
  flow_id: string;
  customer_id: string;
  reference_type: Activeflow['reference_type'];
  reference_id: string;
  reference_activeflow_id: string;
  variables: Variables;
  complete_count: number;
}

export type Effect =
  | { kind: 'event'; type: 'activeflow_updated' | 'activeflow_deleted'; activeflow: Activeflow }
  | { kind: 'start_on_complete'; next: OnComplete };

/** Rejections are data: `stale` is 409, `not_found` and `invalid` are 400 (SPEC 5.3). */
export type RejectCode = 'stale' | 'not_found' | 'invalid';

export type Outcome =
  | { kind: 'settled'; state: FlowState; effects: Effect[]; trace: TraceStep[] }
  | { kind: 'io'; pending: PendingIo; request: IoRequest; trace: TraceStep[] }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; code: RejectCode; message: string };

/** A run paused for IO: hand it back to `resume` with the result. */
export interface PendingIo {
  state: FlowState;
  before: FlowState;
  trace: TraceStep[];
}

/** What the shell got from the IO: for `http` the parsed JSON reply, for `flow` the actions. */
export type IoResult = { ok: true; actions: unknown } | { ok: false; error: string };

/** Chains stop at depth 5 (SPEC 2.3): links 0..4 exist, the fifth is never created. */
export const MAX_COMPLETE_CHAIN = 5;

/** Applies one input to an activeflow and runs it to its next settled state. */
export function apply(state: FlowState, input: EngineInput, ctx: EngineContext): Outcome {
  const draft = draftOf(state);
  const trace: TraceStep[] = [];
  const af = draft.activeflow;
  if (input.type === 'delete') return applyDelete(state, draft, ctx, trace);
  if (af.status === 'ended') return { kind: 'ignored', reason: `activeflow ${af.id} has ended` };
  const current = af.current_action;
  const run = (): Outcome => finish(state, draft, runLoop(draft, ctx, trace), ctx, trace);
  const stale = (id: string): Outcome => ({
    kind: 'rejected',
    code: 'stale',
    message: `activeflow ${af.id} is at action ${current.id} (${current.type || 'start'}), not ${id}`,
  });
  trace.push({ action_id: current.id, type: current.type, decision: 'input', note: input.type });

  switch (input.type) {
    case 'execute':
      if (current.id !== ACTION_ID.start) {
        return { kind: 'ignored', reason: `activeflow ${af.id} has already been executed` };
      }
      return run();
    case 'action_done':
      if (current.id !== input.action_id || !isHandedOffType(current.type)) {
        return { kind: 'ignored', reason: `not waiting at action ${input.action_id}` };
      }
      if (input.variables) draft.variables = withVariables(draft.variables, input.variables, false);
      move(draft, ctx, trace);
      return run();
    case 'next':
      if (current.id !== input.current_action_id) return stale(input.current_action_id);
      if (current.type === 'block') return { kind: 'ignored', reason: 'waiting at a block' };
      move(draft, ctx, trace);
      return run();
    case 'continue':
      if (current.type !== 'block' || current.id !== input.current_action_id) return stale(input.current_action_id);
      move(draft, ctx, trace);
      return run();
    case 'timeout':
      return applyTimeout(state, draft, ctx, trace);
    case 'stop':
      endFlow(draft, 'stopped', 'stopped on request', trace);
      return run();
    case 'hangup':
      endFlow(draft, 'hangup', 'the call hung up', trace);
      return run();
    case 'forward': {
      const target = locate(af, af.current_stack_id, input.forward_action_id);
      if (!target) {
        return { kind: 'rejected', code: 'not_found', message: `forward_action_id ${input.forward_action_id} not found in the current stack or its ancestors` };
      }
      af.forward_stack_id = target.stackId;
      af.forward_action_id = target.action.id;
      if (!input.forward_now) return settle(state, draft, ctx, trace);
      move(draft, ctx, trace);
      return run();
    }
    case 'push_actions':
      // Copied: the stored stack is written to (goto's loop_count) and must not alias the input.
      pushAndEnter(draft, cloneJson(input.actions), ctx, trace);
      return run();
    case 'add_actions': {
      const first = input.actions[0];
      if (!first) return { kind: 'rejected', code: 'invalid', message: 'actions: must not be empty' };
      const stackId = ctx.newId();
      af.stack_map[stackId] = { id: stackId, actions: cloneJson(input.actions), return_stack_id: af.current_stack_id, return_action_id: current.id };
      af.forward_stack_id = stackId;
      af.forward_action_id = first.id;
      return settle(state, draft, ctx, trace);
    }
    case 'service_stop': {
      const stack = af.stack_map[input.service_id];
      if (af.current_stack_id !== input.service_id || !stack || stack.id === MAIN_STACK_ID) {
        return { kind: 'ignored', reason: `stack ${input.service_id} is not the current stack` };
      }
      // As if the stack had run off its end (SPEC 2.1 rule 5), including a return to the start marker.
      const next = after(af, stack.id, FINISH_ACTION);
      if (next.kind === 'position') moveTo(draft, next.position, ctx, trace);
      else if (next.kind === 'finished') {
        af.executed_actions.push(af.current_action);
        af.current_action = FINISH_ACTION;
        endFlow(draft, 'finished', next.why, trace);
      } else endFlow(draft, 'error', next.why, trace);
      // The move pops the stopped stack (moveTo); if no move happened the cursor is still in it.
      return run();
    }
  }
}

/** Continues a run paused for IO with the shell's result (fetch and fetch_flow, SPEC 3.1). */
export function resume(pending: PendingIo, result: IoResult, ctx: EngineContext): Outcome {
  const draft = draftOf(pending.state);
  const trace = [...pending.trace];
  const current = draft.activeflow.current_action;
  const type = current.type === 'fetch' ? 'fetch' : 'fetch_flow';
  const option = parseOption(type, current.option);
  const errorTarget = option.ok ? option.value.error_target_id : ZERO_ID;
  let failure = result.ok ? null : result.error;
  if (result.ok) {
    const parsed = parseActions(result.actions, ctx.newId);
    if (parsed.ok) pushAndEnter(draft, parsed.actions, ctx, trace);
    else failure = `invalid actions: ${parsed.diagnostics.map((d) => d.message).join('; ')}`;
  }
  if (failure !== null) {
    trace.push({ action_id: current.id, type: current.type, decision: 'continue', note: `failed: ${failure}` });
    if (errorTarget !== ZERO_ID) jump(draft, errorTarget, ctx, trace);
    else endFlow(draft, 'error', `action ${current.id} (${current.type}): ${failure}`, trace);
  }
  return finish(pending.before, draft, runLoop(draft, ctx, trace), ctx, trace);
}

function applyTimeout(before: FlowState, draft: FlowState, ctx: EngineContext, trace: TraceStep[]): Outcome {
  const af = draft.activeflow;
  const current = af.current_action;
  if (draft.wake_at === null || draft.wake_at > ctx.now) return { kind: 'ignored', reason: 'no timer has expired' };
  if (current.type === 'block') {
    const option = parseOption('block', current.option);
    if (option.ok && option.value.timeout_ms > 0) {
      trace.push({ action_id: current.id, type: current.type, decision: 'jump', note: 'block timed out' });
      if (option.value.timeout_target_id !== ZERO_ID) jump(draft, option.value.timeout_target_id, ctx, trace);
      else move(draft, ctx, trace);
      return finish(before, draft, runLoop(draft, ctx, trace), ctx, trace);
    }
  }
  endFlow(draft, 'timeout', `action ${current.id} (${current.type}) not done within ${ctx.actionTimeoutMs} ms`, trace);
  return settle(before, draft, ctx, trace);
}

function applyDelete(before: FlowState, draft: FlowState, ctx: EngineContext, trace: TraceStep[]): Outcome {
  const af = draft.activeflow;
  if (af.tm_delete !== NOT_DELETED) return { kind: 'ignored', reason: `activeflow ${af.id} is already deleted` };
  const wasRunning = af.status === 'running';
  endFlow(draft, 'deleted', 'deleted on request', trace);
  af.tm_delete = formatTimestamp(ctx.now);
  const settled = settle(before, draft, ctx, trace);
  if (settled.kind !== 'settled') return settled;
  const deleted: Effect = { kind: 'event', type: 'activeflow_deleted', activeflow: af };
  // A running one is announced as ended first, then as deleted.
  const effects = wasRunning ? [...settled.effects, deleted] : [deleted];
  return { ...settled, effects };
}

function finish(before: FlowState, draft: FlowState, loop: LoopResult, ctx: EngineContext, trace: TraceStep[]): Outcome {
  if (loop.kind === 'io') return { kind: 'io', pending: { state: draft, before, trace }, request: loop.request, trace };
  return settle(before, draft, ctx, trace);
}

/** Stamps the settled state and lists its effects: one update event, maybe the next chain link. */
function settle(before: FlowState, draft: FlowState, ctx: EngineContext, trace: TraceStep[]): Outcome {
  const af = draft.activeflow;
  af.tm_update = formatTimestamp(ctx.now);
  // The event shows the settled activeflow itself: nothing changes it after this point (a later
  // input works on its own copy), so it needs no copy of its own.
  const effects: Effect[] = [{ kind: 'event', type: 'activeflow_updated', activeflow: af }];
  const justEnded = before.activeflow.status === 'running' && af.status === 'ended';
  const count = Number(draft.variables['voipbin.activeflow.complete_count'] ?? '0') || 0;
  // A deleted activeflow (DELETE, customer_deleted) starts no successor.
  const chains = justEnded && af.end_reason !== 'deleted' && af.on_complete_flow_id !== ZERO_ID;
  if (chains && count + 1 < MAX_COMPLETE_CHAIN) {
    effects.push({
      kind: 'start_on_complete',
      next: {
        flow_id: af.on_complete_flow_id,
        customer_id: af.customer_id,
        reference_type: af.reference_type,
        reference_id: af.reference_id,
        reference_activeflow_id: af.id,
        variables: { ...draft.variables },
        complete_count: count + 1,
      },
    });
  }
  return { kind: 'settled', state: draft, effects, trace };
}
