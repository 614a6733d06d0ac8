// UNSET_VARIABLE: variables a flow reads that nothing is known to set. Reads are the `${name}`
// templates in option strings (substituted on every move, SPEC 4) and the name a branch reads.
import type { Action, JsonValue } from '../types.ts';
import { finding, label, type Finding } from './diagnostics.ts';
import { isDynamic, isRecord, optionOf } from './targets.ts';

/** The variable a branch reads when its option names none (SPEC 3.1). */
export const DEFAULT_BRANCH_VARIABLE = 'voipbin.call.digits';
/** Walks stop below this depth; parseActions never lets deeper options in. */
const MAX_DEPTH = 64;
const TEMPLATE = /\$\{([^}]*)\}/g;

/** One variable read: where (dotted field path) and which name. */
export interface VariableRead {
  field: string;
  name: string;
}

/** Platform variables (`voipbin.` prefix, any case) are set by the platform, never by the flow. */
export function isPlatformVariable(name: string): boolean {
  return name.toLowerCase().startsWith('voipbin.');
}

/** Every variable an action reads, in option order, first field per name. */
export function variableReads(action: Action): VariableRead[] {
  const reads = new Map<string, string>();
  const option = optionOf(action);
  const visit = (value: JsonValue | undefined, field: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      for (const match of value.matchAll(TEMPLATE)) {
        const name = match[1] ?? '';
        if (name !== '' && !reads.has(name)) reads.set(name, field);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${field}.${i}`, depth + 1));
    } else if (isRecord(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, `${field}.${key}`, depth + 1);
    }
  };
  visit(option, 'option', 0);
  if (action.type === 'branch') {
    const variable = option['variable'] ?? DEFAULT_BRANCH_VARIABLE;
    if (typeof variable === 'string' && variable !== '' && !isDynamic(variable) && !reads.has(variable)) {
      reads.set(variable, 'option.variable');
    }
  }
  return [...reads].map(([name, field]) => ({ name, field }));
}

/**
 * UNSET_VARIABLE findings: reads of names no `variable_set` sets, not in `knownVariables` and not
 * platform variables. A `variable_set` with a template key could set anything: then none is reported.
 */
export function checkVariables(actions: readonly Action[], knownVariables: readonly string[]): Finding[] {
  const known = new Set(knownVariables);
  for (const action of actions) {
    if (action.type !== 'variable_set') continue;
    const key = optionOf(action)['key'];
    if (typeof key !== 'string') continue;
    if (isDynamic(key)) return [];
    known.add(key);
  }
  const out: Finding[] = [];
  actions.forEach((action, index) => {
    for (const read of variableReads(action)) {
      if (known.has(read.name) || isPlatformVariable(read.name)) continue;
      const message =
        `${label(index, action.type)}: ${read.field} reads \${${read.name}}, which no variable_set in this ` +
        'flow sets; it substitutes as "" unless it is given when the activeflow starts';
      out.push(finding('UNSET_VARIABLE', index, action.id, message));
    }
  });
  return out;
}
