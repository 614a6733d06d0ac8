// Copies of the engine's data, which is JSON data throughout (parsed documents, validated
// inputs): plain objects, arrays and primitives. A deep copy walks it, several times cheaper than
// structuredClone, which serialises its argument and reads it back; the draft of an input copies
// only what the engine changes in place.
import type { FlowState } from './types.ts';

/** A deep copy of a JSON value; a `__proto__` key stays an own property, as JSON.parse makes it. */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i]);
    return copy as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}

/**
 * The draft `apply` and `resume` work on: its own copy of everything the engine changes in place
 * (the activeflow's fields, its `executed_actions` and `stack_map`, the variables), sharing the
 * rest with `state`: the stacks, their actions and the actions' options, which the engine only
 * ever replaces (goto writes a copy of its stack, see actions/goto.ts). So the state given stays
 * as it was, and a state that outlives its input (a cache, a savepoint) shares most of its objects
 * with the one before it instead of repeating them.
 */
export function draftOf(state: FlowState): FlowState {
  const af = state.activeflow;
  return {
    activeflow: { ...af, executed_actions: [...af.executed_actions], stack_map: { ...af.stack_map } },
    variables: { ...state.variables },
    wake_at: state.wake_at,
  };
}
