// The offline simulator: runs a flow through the real engine in memory, answering every wait from
// a script, so a flow author sees the path a caller would take before any caller takes it.
import {
  apply,
  createActiveflow,
  isHandedOffType,
  resume,
  withVariables,
  ZERO_ID,
  type Action,
  type EngineContext,
  type EngineInput,
  type FlowState,
  type IoRequest,
  type IoResult,
  type TraceStep,
} from '../engine/index.ts';
import { parseActions } from '../engine/validate/index.ts';
import {
  cannedFetch,
  cannedFlow,
  createAnswerer,
  parseSimScript,
  type ChosenAnswer,
  type ParsedScript,
  type SimScript,
} from './script.ts';
import { diffVariables, stepsOfRun, type IoNote } from './steps.ts';
import type { SimDecision, SimEndReason, SimOptions, SimResult, SimStep } from './types.ts';

/** The simulated clock unless told otherwise: Monday 2026-01-05 10:00:00 UTC. */
export const DEFAULT_SIM_NOW = Date.UTC(2026, 0, 5, 10, 0, 0);
/** ACTION_TIMEOUT_MS of the simulated engine (the production default, 24 h). */
export const SIM_ACTION_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_EXECUTE_COUNT = 100;
/** The customer every simulated activeflow belongs to. */
export const SIM_CUSTOMER_ID = '5e000000-0000-4000-8000-00000000c000';

/** Counter-based ids (`5e000000-0000-4000-8000-000000000001`, ...): equal runs get equal ids. */
export function createSimIds(): () => string {
  let n = 0;
  return () => `5e000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

/**
 * Runs `flow` from its first action until it ends or `max_steps` steps were taken, answering each
 * handed-off action and block from `script`. Pure and deterministic: no IO, no real clock, counter
 * ids. An invalid flow or script is reported as `end_reason` `invalid_flow` / `invalid_script`.
 */
export function simulate(flow: { actions: unknown }, script: SimScript, options: SimOptions): SimResult {
  const parsedScript = parseSimScript(script);
  if (!parsedScript.ok) return notRun('invalid_script', parsedScript.problems.join('; '));
  const world = parsedScript.script;
  const newId = createSimIds();
  const activeflowId = newId();
  const flowId = newId();
  const referenceId = newId();
  const parsed = parseActions(flow.actions, newId);
  if (!parsed.ok) return notRun('invalid_flow', parsed.diagnostics.map((d) => d.message).join('; '));

  let now = options.now ?? parsedScript.nowMs ?? DEFAULT_SIM_NOW;
  const ctx = (): EngineContext => ({
    now,
    newId,
    maxExecuteCount: options.maxExecuteCount ?? DEFAULT_MAX_EXECUTE_COUNT,
    actionTimeoutMs: SIM_ACTION_TIMEOUT_MS,
  });
  let state = createActiveflow(
    {
      id: activeflowId,
      customer_id: SIM_CUSTOMER_ID,
      flow_id: flowId,
      reference_type: options.referenceType,
      reference_id: referenceId,
      reference_activeflow_id: ZERO_ID,
      on_complete_flow_id: ZERO_ID,
      actions: parsed.actions,
      variables: { ...world.variables, ...options.variables },
      complete_count: 0,
    },
    now,
  );
  const steps: SimStep[] = [];
  const run = (input: EngineInput, answered: SimStep | null): void => {
    const before = state;
    const inputVariables =
      input.type === 'action_done'
        ? withVariables(before.variables, input.variables ?? {}, false)
        : before.variables;
    const driven = drive(before, input, ctx(), world);
    const record = { before, after: driven.state, ...driven, inputVariables, nowMs: now, answered };
    steps.push(...stepsOfRun(record, steps.length + 1));
    state = driven.state;
  };

  run({ type: 'execute' }, null);
  const answerFor = createAnswerer(world);
  while (state.activeflow.status === 'running') {
    const current = state.activeflow.current_action;
    if (steps.length >= world.max_steps) {
      const detail = `stopped after ${steps.length} steps, waiting at ${current.id} (${current.type})`;
      return resultOf(state, steps, 'max_steps', detail);
    }
    const chosen = answerFor(current);
    const step = waitingStep(steps, current);
    const input = inputFor(current, chosen);
    if (input.type === 'action_done') {
      step.variables_changed = diffVariables(
        state.variables,
        withVariables(state.variables, chosen.variables, false),
      );
    } else {
      // Not carried by the input: set as `POST /v1/variables` would (substituted), then the input.
      const variables = withVariables(state.variables, chosen.variables, true);
      step.variables_changed = diffVariables(state.variables, variables);
      state = { ...state, variables };
    }
    if (input.type === 'timeout' && state.wake_at !== null) now = Math.max(now, state.wake_at);
    step.decision = DECISION_OF[chosen.outcome];
    step.why = `${ANSWER_TEXT[input.type] ?? input.type} (${chosen.source})`;
    run(input, step);
  }
  const af = state.activeflow;
  return resultOf(state, steps, af.end_reason === '' ? 'error' : af.end_reason, af.end_detail);
}

const DECISION_OF: Record<ChosenAnswer['outcome'], SimDecision> = {
  done: 'answered',
  timeout: 'timeout',
  hangup: 'hangup',
};

/** How a step names the input that answered it. */
const ANSWER_TEXT: Partial<Record<EngineInput['type'], string>> = {
  timeout: 'timer fired',
  hangup: 'call hung up',
};

/** The engine input that carries a chosen answer to the action the activeflow waits at. */
function inputFor(current: Action, chosen: ChosenAnswer): EngineInput {
  switch (chosen.outcome) {
    case 'done':
      return isHandedOffType(current.type)
        ? { type: 'action_done', action_id: current.id, variables: chosen.variables }
        : { type: 'continue', current_action_id: current.id };
    case 'timeout':
      return { type: 'timeout' };
    case 'hangup':
      return { type: 'hangup' };
  }
}

/** The `wait` step of the action the activeflow waits at (the last step, by construction). */
function waitingStep(steps: SimStep[], current: Action): SimStep {
  const last = steps[steps.length - 1];
  if (last?.decision === 'wait' && last.action_id === current.id) return last;
  const step: SimStep = {
    n: steps.length + 1,
    action_id: current.id,
    type: current.type,
    decision: 'wait',
    why: '',
    variables_changed: {},
  };
  steps.push(step);
  return step;
}

/** Applies one input and performs its IO from the script until the engine settles. */
function drive(
  state: FlowState,
  input: EngineInput,
  ctx: EngineContext,
  script: ParsedScript,
): { state: FlowState; trace: TraceStep[]; io: IoNote[] } {
  let outcome = apply(state, input, ctx);
  const io: IoNote[] = [];
  while (outcome.kind === 'io') {
    const { result, note } = fulfil(
      outcome.request,
      outcome.pending.state.activeflow.current_action.id,
      script,
    );
    io.push(note);
    outcome = resume(outcome.pending, result, ctx);
  }
  if (outcome.kind !== 'settled') {
    // The simulator only sends inputs the waiting action accepts: anything else is its own bug.
    const why = outcome.kind === 'ignored' ? outcome.reason : outcome.message;
    throw new Error(`simulator: the engine answered ${input.type} with ${outcome.kind}: ${why}`);
  }
  return { state: outcome.state, trace: outcome.trace, io };
}

/** The script's canned answer to a fetch or fetch_flow request. */
function fulfil(
  request: IoRequest,
  actionId: string,
  script: ParsedScript,
): { result: IoResult; note: IoNote } {
  const failed = (error: string): { result: IoResult; note: IoNote } => ({
    result: { ok: false, error },
    // The engine's own trace note repeats the error: nothing to add here.
    note: { ok: false, why: '' },
  });
  let actions: unknown[];
  let source: string;
  if (request.kind === 'http') {
    const canned = cannedFetch(script, actionId, request.url);
    if (canned === null) return failed(`no reply for ${actionId} or ${request.url} in script.fetch`);
    if (!Array.isArray(canned.reply)) return failed(`script.fetch["${canned.key}"]: ${canned.reply.error}`);
    actions = canned.reply;
    source = `script.fetch["${canned.key}"]`;
  } else {
    const canned = cannedFlow(script, request.flow_id);
    if (canned === null) return failed(`flow ${request.flow_id} is not in script.flows`);
    actions = canned;
    source = `script.flows["${request.flow_id}"]`;
  }
  // A dry parse (ids not drawn from the counter) tells whether the engine will push or fail.
  const valid = parseActions(actions, () => ZERO_ID).ok;
  return {
    result: { ok: true, actions },
    note: { ok: valid, why: `from ${source}` },
  };
}

function resultOf(state: FlowState, steps: SimStep[], endReason: SimEndReason, endDetail: string): SimResult {
  return {
    steps,
    end_reason: endReason,
    end_detail: endDetail,
    variables: { ...state.variables },
    execute_count: state.activeflow.execute_count,
  };
}

function notRun(endReason: SimEndReason, endDetail: string): SimResult {
  return { steps: [], end_reason: endReason, end_detail: endDetail, variables: {}, execute_count: 0 };
}
