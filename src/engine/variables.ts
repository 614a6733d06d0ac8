// Variables and `${name}` substitution (SPEC 4).
import type { Activeflow, JsonObject, JsonValue, Variables } from './types.ts';

const PLACEHOLDER = /\$\{([^{}]*)\}/g;

/** True for the platform's own names (`voipbin.` prefix, any case). */
export function isPlatformVariable(name: string): boolean {
  return name.slice(0, 8).toLowerCase() === 'voipbin.';
}

/**
 * The activeflow's own identity (`voipbin.activeflow.*`): set at creation, read-only afterwards,
 * so neither a flow nor an event can forge it or reset the on-complete chain depth (SPEC 2.3, 4).
 */
export function isReadOnlyVariable(name: string): boolean {
  return name.slice(0, 19).toLowerCase() === 'voipbin.activeflow.';
}

/** Replaces every `${name}` with its value ("" when missing): one left-to-right pass, no recursion. */
export function substituteString(text: string, variables: Variables): string {
  if (!text.includes('${')) return text;
  // Own keys only: `${constructor}` must not read Object.prototype.
  return text.replace(PLACEHOLDER, (_match, name: string) =>
    Object.hasOwn(variables, name) ? (variables[name] ?? '') : '',
  );
}

/** Substitutes every string inside a JSON value; numbers, booleans and null stay what they are. */
export function substituteJson(value: JsonValue, variables: Variables): JsonValue {
  if (typeof value === 'string') return substituteString(value, variables);
  if (Array.isArray(value)) return value.map((item) => substituteJson(item, variables));
  if (value !== null && typeof value === 'object') return substituteObject(value, variables);
  return value;
}

/** Substitutes every string inside an action's option (SPEC 4). */
export function substituteObject(object: JsonObject, variables: Variables): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(object)) out[key] = substituteJson(item, variables);
  return out;
}

/** The names the engine sets at creation, last, so nothing can forge them (SPEC 4). */
export function platformVariablesOf(activeflow: Activeflow, completeCount: number): Variables {
  return {
    'voipbin.activeflow.id': activeflow.id,
    'voipbin.activeflow.reference_type': activeflow.reference_type,
    'voipbin.activeflow.reference_id': activeflow.reference_id,
    'voipbin.activeflow.reference_activeflow_id': activeflow.reference_activeflow_id,
    'voipbin.activeflow.flow_id': activeflow.flow_id,
    'voipbin.activeflow.complete_count': String(completeCount),
  };
}

/** Limits on variables injected at creation (SPEC 4). */
export const INJECTED_LIMITS = { maxKeys: 100, maxValueBytes: 32 * 1024, maxTotalBytes: 64 * 1024 } as const;

/** Why an injected variable map is over the limits, or null when it fits. */
export function injectedVariablesProblem(variables: Variables): string | null {
  const entries = Object.entries(variables);
  if (entries.length > INJECTED_LIMITS.maxKeys) {
    return `variables: ${entries.length} keys, at most ${INJECTED_LIMITS.maxKeys} allowed`;
  }
  let total = 0;
  for (const [key, value] of entries) {
    const size = utf8Length(value);
    if (size > INJECTED_LIMITS.maxValueBytes) {
      return `variables.${key}: value of ${size} bytes, at most ${INJECTED_LIMITS.maxValueBytes} allowed`;
    }
    total += size + utf8Length(key);
  }
  if (total > INJECTED_LIMITS.maxTotalBytes) {
    return `variables: ${total} bytes in total, at most ${INJECTED_LIMITS.maxTotalBytes} allowed`;
  }
  return null;
}

/** Byte length of a string in UTF-8, without Buffer (the engine uses no node builtins). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * Sets variables on a copy of `variables`. With `substitute`, each value is substituted against
 * the variables as they were before this call (how `${voipbin.call.digits}5` appends a digit).
 * Read-only names are left as they are.
 */
export function withVariables(variables: Variables, updates: Variables, substitute: boolean): Variables {
  const out: Variables = { ...variables };
  for (const [key, value] of Object.entries(updates)) {
    if (isReadOnlyVariable(key)) continue;
    out[key] = substitute ? substituteString(value, variables) : value;
  }
  return out;
}

/** Drops the platform's names from customer-supplied variables (POST /v1/activeflows). */
export function withoutPlatformVariables(variables: Variables): Variables {
  const out: Variables = {};
  for (const [key, value] of Object.entries(variables)) if (!isPlatformVariable(key)) out[key] = value;
  return out;
}
