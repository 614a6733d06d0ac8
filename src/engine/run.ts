// The move (SPEC 2.1) and the run loop (SPEC 2.2, 2.3) over a draft the caller owns.
import { isAllowedFor, isHandedOffType, isKnownType, type FlowControlType } from './action-types.ts';
import { HANDLERS } from './actions/index.ts';
import type { HandlerInput, HandlerResult, IoRequest } from './actions/handler.ts';
import { parseOption } from './options.ts';
import { chooseNext, locate, popStacksAbove, type Position } from './stack.ts';
import {
  ACTION_ID,
  ZERO_ID,
  type Action,
  type EndReason,
  type EngineContext,
  type FlowState,
} from './types.ts';
import { substituteObject } from './variables.ts';

/** One decision of the engine, for logs, tests and the simulator. */
export interface TraceStep {
  action_id: string;
  type: string;
  decision: 'move' | 'skip' | 'continue' | 'jump' | 'wait' | 'end' | 'push' | 'io' | 'input';
  note: string;
}

/** A run either settles (waits or ends) or stops for IO the shell must do. */
export type LoopResult = { kind: 'settled' } | { kind: 'io'; request: IoRequest };

/** The action the cursor shows once the flow has run off its end. */
export const FINISH_ACTION: Action = { id: ACTION_ID.finish, next_id: ZERO_ID, type: '', option: {} };

/** Ends the activeflow (idempotent: an ended one stays as it was). */
export function endFlow(draft: FlowState, reason: EndReason, detail: string, trace: TraceStep[]): void {
  const af = draft.activeflow;
  if (af.status === 'ended') return;
  af.status = 'ended';
  af.end_reason = reason;
  af.end_detail = detail;
  af.forward_stack_id = ZERO_ID;
  af.forward_action_id = ZERO_ID;
  draft.wake_at = null;
  trace.push({ action_id: af.current_action.id, type: af.current_action.type, decision: 'end', note: `${reason}: ${detail}` });
}

/** Moves the cursor to `position`, or ends with `execute_limit` when that move would exceed it. */
export function moveTo(draft: FlowState, position: Position, ctx: EngineContext, trace: TraceStep[]): void {
  const af = draft.activeflow;
  if (af.execute_count + 1 > ctx.maxExecuteCount) {
    endFlow(draft, 'execute_limit', `execute_count would exceed ${ctx.maxExecuteCount}`, trace);
    return;
  }
  popStacksAbove(af, position.stackId);
  af.executed_actions.push(af.current_action);
  af.execute_count += 1;
  af.current_stack_id = position.stackId;
  af.current_action = { ...position.action, option: substituteObject(position.action.option, draft.variables) };
  trace.push({ action_id: position.action.id, type: position.action.type, decision: 'move', note: `stack ${position.stackId}` });
}

/** One move by the rules of SPEC 2.1, consuming a pending forward target. */
export function move(draft: FlowState, ctx: EngineContext, trace: TraceStep[]): void {
  const af = draft.activeflow;
  const next = chooseNext(af);
  af.forward_stack_id = ZERO_ID;
  af.forward_action_id = ZERO_ID;
  switch (next.kind) {
    case 'position':
      moveTo(draft, next.position, ctx, trace);
      return;
    case 'finished':
      af.executed_actions.push(af.current_action);
      af.current_action = FINISH_ACTION;
      endFlow(draft, 'finished', next.why, trace);
      return;
    case 'error':
      endFlow(draft, 'error', next.why, trace);
      return;
  }
}

/** Jumps to an action of the current stack or its ancestors; a missing target ends with `error`. */
export function jump(draft: FlowState, targetId: string, ctx: EngineContext, trace: TraceStep[]): void {
  const af = draft.activeflow;
  const target = locate(af, af.current_stack_id, targetId);
  if (!target) {
    const { id, type } = af.current_action;
    endFlow(draft, 'error', `action ${id} (${type}): jump target ${targetId} not found`, trace);
    return;
  }
  moveTo(draft, target, ctx, trace);
}

/**
 * Pushes `actions` as a new stack returning to the current action, and moves into it. Nothing to
 * push moves on at once and stores no stack (returns the zero id).
 */
export function pushAndEnter(draft: FlowState, actions: Action[], ctx: EngineContext, trace: TraceStep[]): string {
  const af = draft.activeflow;
  if (actions.length === 0) {
    const { id, type } = af.current_action;
    trace.push({ action_id: id, type, decision: 'push', note: 'no actions to push' });
    move(draft, ctx, trace);
    return ZERO_ID;
  }
  const stackId = ctx.newId();
  af.stack_map[stackId] = {
    id: stackId,
    actions,
    return_stack_id: af.current_stack_id,
    return_action_id: af.current_action.id,
  };
  const first = actions[0];
  trace.push({ action_id: af.current_action.id, type: af.current_action.type, decision: 'push', note: `${actions.length} actions as stack ${stackId}` });
  if (first) moveTo(draft, { stackId, action: first }, ctx, trace);
  return stackId;
}

/** Runs from the current action until the activeflow waits, ends, or needs IO (SPEC 2.2). */
export function runLoop(draft: FlowState, ctx: EngineContext, trace: TraceStep[]): LoopResult {
  const af = draft.activeflow;
  // Every pass moves (bounded by the execute limit) or returns; the guard is belt and braces.
  for (let guard = 0; guard <= ctx.maxExecuteCount + 2; guard++) {
    if (af.status === 'ended') return { kind: 'settled' };
    const current = af.current_action;
    if (current.id === ACTION_ID.start) {
      move(draft, ctx, trace);
      continue;
    }
    if (!isKnownType(current.type) || !isAllowedFor(current.type, af.reference_type)) {
      const why = isKnownType(current.type) ? `not allowed for ${af.reference_type}` : 'unknown type';
      trace.push({ action_id: current.id, type: current.type, decision: 'skip', note: why });
      move(draft, ctx, trace);
      continue;
    }
    if (isHandedOffType(current.type)) {
      draft.wake_at = ctx.now + ctx.actionTimeoutMs;
      trace.push({ action_id: current.id, type: current.type, decision: 'wait', note: 'handed off' });
      return { kind: 'settled' };
    }
    const result = runHandler(current.type, draft, current, ctx);
    switch (result.kind) {
      case 'continue':
        trace.push({ action_id: current.id, type: current.type, decision: 'continue', note: result.note });
        move(draft, ctx, trace);
        break;
      case 'jump':
        trace.push({ action_id: current.id, type: current.type, decision: 'jump', note: result.note });
        jump(draft, result.target_id, ctx, trace);
        break;
      case 'end':
        endFlow(draft, result.reason, result.detail, trace);
        break;
      case 'wait':
        draft.wake_at = result.wake_at;
        trace.push({ action_id: current.id, type: current.type, decision: 'wait', note: result.note });
        return { kind: 'settled' };
      case 'io':
        trace.push({ action_id: current.id, type: current.type, decision: 'io', note: result.note });
        return { kind: 'io', request: result.request };
    }
  }
  endFlow(draft, 'execute_limit', 'run loop guard reached', trace);
  return { kind: 'settled' };
}

/** Parses the option and calls the type's handler; an ill-typed option ends the flow with `error`. */
function runHandler(type: FlowControlType, draft: FlowState, action: Action, ctx: EngineContext): HandlerResult {
  const parsed = parseOption(type, action.option);
  if (!parsed.ok) {
    const problems = parsed.problems.map((p) => `option.${p.field}: ${p.message}`).join('; ');
    return { kind: 'end', reason: 'error', detail: `action ${action.id} (${type}): ${problems}` };
  }
  const handler = HANDLERS[type] as (input: HandlerInput<FlowControlType>) => HandlerResult;
  return handler({ draft, action, option: parsed.value, ctx });
}
