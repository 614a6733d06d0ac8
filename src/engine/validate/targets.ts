// Reading the raw options of an action for the validator: which fields name other actions, and
// small guards for untyped JSON. Raw (not parsed) so a target is still checked when a sibling
// field is ill-typed.
import { TARGET_FIELDS } from '../options.ts';
import { isFlowControlType } from '../action-types.ts';
import type { Action, JsonObject, JsonValue } from '../types.ts';

/** True for a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The action's option as an object; anything else reads as `{}`. */
export function optionOf(action: Action): JsonObject {
  return isRecord(action.option) ? action.option : {};
}

/**
 * True when a string is a template (`${...}`): option strings are substituted on every move
 * (SPEC 4), so such a target or key is only known at run time and is not checked statically.
 */
export function isDynamic(value: string): boolean {
  return value.includes('${');
}

/** The target field each type cannot do without: a zero value there is a missing jump target. */
export const REQUIRED_TARGETS: Readonly<Record<string, string>> = {
  goto: 'target_id',
  condition_variable: 'false_target_id',
  condition_datetime: 'false_target_id',
};

/** One option value naming another action: the dotted field path and the raw string. */
export interface TargetRef {
  field: string;
  value: string;
  required: boolean;
}

/** Every string-valued target of an action: its TARGET_FIELDS, then each `branch.target_ids` value. */
export function targetRefs(action: Action): TargetRef[] {
  if (!isFlowControlType(action.type)) return [];
  const option = optionOf(action);
  const refs: TargetRef[] = [];
  for (const field of TARGET_FIELDS[action.type] ?? []) {
    const value: JsonValue | undefined = option[field];
    if (typeof value === 'string') {
      refs.push({ field, value, required: REQUIRED_TARGETS[action.type] === field });
    }
  }
  const targetIds = option['target_ids'];
  if (action.type === 'branch' && isRecord(targetIds)) {
    for (const [key, value] of Object.entries(targetIds)) {
      if (typeof value === 'string') refs.push({ field: `target_ids.${key}`, value, required: false });
    }
  }
  return refs;
}
