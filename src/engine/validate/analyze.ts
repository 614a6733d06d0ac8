// Static validation of a flow (`POST /v1/flows/validate`, flow create/update, flowctl validate):
// coded errors that make a flow invalid and warnings about how it will behave.
import { ZERO_ID, type Action, type ReferenceType } from '../types.ts';
import { checkAction, indexIds } from './checks.ts';
import { finding, label, type Finding, type ValidationReport } from './diagnostics.ts';
import { buildGraph, busyLoops, unreachable } from './graph.ts';
import { checkVariables } from './variables.ts';

/** Types that choose between successors: a loop through one may still be left at run time. */
const DECIDING_TYPES: ReadonlySet<string> = new Set(['branch', 'condition_variable', 'condition_datetime']);

/** What the caller knows beyond the actions: the medium the flow will run on, injected variables. */
export interface AnalyzeOptions {
  /** When given, actions not allowed for this medium are reported (MEDIA_NOT_ALLOWED). */
  referenceType?: ReferenceType;
  /** Variables set outside the flow (start variables, services); they are not UNSET_VARIABLE. */
  knownVariables?: readonly string[];
}

/**
 * Analyzes a well-formed flow (see parseActions) as a whole. Findings are ordered by action index
 * (flow-level ones first), then code; the report is valid when it has no errors. Never throws.
 */
export function analyzeFlow(actions: readonly Action[], opts: AnalyzeOptions = {}): ValidationReport {
  const findings: Finding[] = [];
  if (actions.length === 0) {
    findings.push(
      finding('EMPTY_FLOW', -1, ZERO_ID, 'the flow has no actions; an activeflow of it ends at once'),
    );
  }
  const ids = indexIds(actions);
  actions.forEach((action, index) => {
    findings.push(...checkAction(action, index, { ids, referenceType: opts.referenceType }));
  });
  findings.push(...checkVariables(actions, opts.knownVariables ?? []));

  const graph = buildGraph(actions, ids, opts.referenceType);
  for (const index of unreachable(graph)) {
    const action = actions[index]!;
    const message = `${label(index, action.type)}: no path from the first action reaches this action`;
    findings.push(finding('UNREACHABLE_ACTION', index, action.id, message));
  }
  for (const cycle of busyLoops(graph)) {
    const first = cycle[0]!;
    const action = actions[first]!;
    const members = cycle.map((i) => `actions[${i}]`).join(', ');
    const exits = cycle.some((i) => DECIDING_TYPES.has(actions[i]!.type))
      ? ', unless a variable changes so that its branch or condition leaves it'
      : '';
    const message =
      `${label(first, action.type)}: ${members} form a loop with no action that waits; it runs until ` +
      `MAX_EXECUTE_COUNT ends the activeflow${exits}. Put a handed-off action in it or bound it with a ` +
      'goto loop_count';
    findings.push(finding('INFINITE_LOOP', first, action.id, message));
  }

  findings.sort((a, b) => a.index - b.index || compare(a.diagnostic.code, b.diagnostic.code));
  const diagnostics = findings.map((f) => f.diagnostic);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity === 'warning');
  return { valid: errors.length === 0, errors, warnings };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
