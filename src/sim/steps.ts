// Turns the engine's trace of one run (one input, plus any fetch resumes) into simulator steps:
// one step per action the cursor reached, with the variables that action changed.
import { parseOption, type Action, type FlowState, type TraceStep, type Variables } from '../engine/index.ts';
import type { SimDecision, SimStep } from './types.ts';

/** What the simulator did for one `fetch`/`fetch_flow` IO request of the run, in order. */
export interface IoNote {
  ok: boolean;
  why: string;
}

/** One run of the engine as the simulator saw it. */
export interface RunRecord {
  /** The state the input was applied to. */
  before: FlowState;
  /** The settled state after it. */
  after: FlowState;
  trace: readonly TraceStep[];
  io: readonly IoNote[];
  /** Variables right after the input itself (an `action_done` sets its variables before moving). */
  inputVariables: Variables;
  /** The engine's clock during the run (epoch ms): shown with condition_datetime decisions. */
  nowMs: number;
  /** The step of the action that was waiting when the input came; the run's first notes merge into it. */
  answered: SimStep | null;
}

/** Variables that differ between two maps: name -> [old, new], "" for a missing one. */
export function diffVariables(before: Variables, after: Variables): Record<string, [string, string]> {
  const changed: Record<string, [string, string]> = {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const name of names) {
    const old = Object.hasOwn(before, name) ? (before[name] ?? '') : '';
    const now = Object.hasOwn(after, name) ? (after[name] ?? '') : '';
    if (old !== now) changed[name] = [old, now];
  }
  return changed;
}

/**
 * The steps of one run, numbered from `firstN`. Variable changes are replayed from the actions the
 * cursor entered (the engine's `executed_actions`, options already substituted): `variable_set`
 * sets its key, `branch` resets its variable. Anything the replay misses is put on the last step,
 * so the steps always add up to the engine's variables.
 */
export function stepsOfRun(run: RunRecord, firstN: number): SimStep[] {
  const { before, after } = run;
  const entered: Action[] = [
    ...after.activeflow.executed_actions.slice(before.activeflow.executed_actions.length + 1),
    after.activeflow.current_action,
  ];
  const io = [...run.io];
  const steps: SimStep[] = [];
  let moves = 0;
  let at: Action | undefined;
  let open: SimStep | null = run.answered;
  let variables: Variables = { ...run.inputVariables };

  const add = (entry: TraceStep, decision: SimDecision, why: string, changed = {}): SimStep => {
    const step: SimStep = {
      n: firstN + steps.length,
      action_id: entry.action_id,
      type: entry.type,
      decision,
      why,
      variables_changed: changed,
    };
    steps.push(step);
    return step;
  };

  for (const entry of run.trace) {
    switch (entry.decision) {
      case 'input':
        continue;
      case 'move':
        at = entered[moves++];
        open = null;
        continue;
      case 'end':
        add(entry, 'end', entry.note);
        open = null;
        continue;
      case 'skip':
      case 'continue':
      case 'jump':
      case 'wait':
      case 'push':
      case 'io':
        break;
    }
    if (open !== null && open.action_id === entry.action_id) {
      open.why = open.why === '' ? entry.note : `${open.why}; ${entry.note}`;
      continue;
    }
    const action = at?.id === entry.action_id ? at : undefined;
    let decision: SimDecision;
    let why = entry.note;
    let changed = {};
    switch (entry.decision) {
      case 'io': {
        const note = io.shift();
        decision = note?.ok === false ? 'failed' : 'push';
        if (note && note.why !== '') why = `${entry.note}: ${note.why}`;
        break;
      }
      case 'continue':
      case 'jump': {
        const next = action ? replay(action, variables) : variables;
        changed = diffVariables(variables, next);
        variables = next;
        decision = entry.decision;
        if (action?.type === 'condition_datetime') why = `${why} (${localTime(run.nowMs, action)})`;
        break;
      }
      case 'skip':
      case 'wait':
      case 'push':
        decision = entry.decision;
        break;
    }
    open = add(entry, decision, why, changed);
    if (entry.decision === 'wait' && action) open.option = action.option;
  }

  const missed = diffVariables(variables, after.variables);
  const last = steps[steps.length - 1] ?? run.answered;
  if (last) {
    for (const [name, [, now]] of Object.entries(missed)) {
      const old = last.variables_changed[name]?.[0] ?? missed[name]?.[0] ?? '';
      if (old === now) delete last.variables_changed[name];
      else last.variables_changed[name] = [old, now];
    }
  }
  return steps;
}

/** The variables after a flow-control action ran, as its handler changes them. */
function replay(action: Action, variables: Variables): Variables {
  if (action.type === 'variable_set') {
    const option = parseOption('variable_set', action.option);
    return option.ok ? { ...variables, [option.value.key]: option.value.value } : variables;
  }
  if (action.type === 'branch') {
    const option = parseOption('branch', action.option);
    return option.ok ? { ...variables, [option.value.variable]: '' } : variables;
  }
  return variables;
}

/** The clock as a condition_datetime reads it: `now Tue 2026-01-06 10:30 in America/New_York`. */
function localTime(nowMs: number, action: Action): string {
  const option = parseOption('condition_datetime', action.option);
  const timeZone = option.ok ? option.value.timezone : 'UTC';
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }).formatToParts(nowMs);
  } catch {
    return `unknown time zone ${timeZone}`;
  }
  const get = (type: Intl.DateTimeFormatPartTypes): string =>
    parts.find((part) => part.type === type)?.value ?? '';
  return `now ${get('weekday')} ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} in ${timeZone}`;
}
