// Option schemas of the flow-control types (SPEC 3.1). The engine and the validator read options
// through these, so "ill-typed option" means the same thing to both.
import { z } from 'zod';
import { ZERO_ID } from './types.ts';
import type { FlowControlType } from './action-types.ts';

const actionId = z.string();
const optionalTarget = actionId.default(ZERO_ID);
const comparison = z.enum(['==', '!=', '>', '>=', '<', '<=']);
/** A date/time field: negative means "not checked". */
const dateField = z.number().int().default(-1);

export const OPTION_SCHEMAS = {
  goto: z.object({ target_id: actionId, loop_count: z.number().int().default(0) }),
  branch: z.object({
    variable: z.string().default('voipbin.call.digits'),
    target_ids: z.record(z.string(), actionId).default({}),
    default_target_id: optionalTarget,
  }),
  condition_variable: z.object({
    condition: comparison,
    variable: z.string(),
    value_type: z.enum(['string', 'number', 'length']).default('string'),
    value_string: z.string().default(''),
    value_number: z.number().default(0),
    value_length: z.number().int().default(0),
    false_target_id: actionId,
  }),
  condition_datetime: z.object({
    condition: comparison,
    minute: dateField,
    hour: dateField,
    day: dateField,
    month: dateField,
    weekdays: z.array(z.number().int().min(0).max(6)).default([]),
    timezone: z.string().default('UTC'),
    false_target_id: actionId,
  }),
  variable_set: z.object({ key: z.string().min(1), value: z.string().default('') }),
  stop: z.object({}),
  block: z.object({
    timeout_ms: z.number().int().min(0).default(0),
    timeout_target_id: optionalTarget,
  }),
  empty: z.object({}),
  fetch: z.object({
    event_url: z.string().min(1),
    event_method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']).default('POST'),
    timeout_ms: z.number().int().positive().default(3000),
    error_target_id: optionalTarget,
  }),
  fetch_flow: z.object({ flow_id: z.string().min(1), error_target_id: optionalTarget }),
} as const satisfies Record<FlowControlType, z.ZodType>;

export type Options = { [T in FlowControlType]: z.output<(typeof OPTION_SCHEMAS)[T]> };

/** One problem with an option: the dotted path of the field and what is wrong with it. */
export interface OptionProblem {
  field: string;
  message: string;
}

export type OptionResult<T extends FlowControlType> =
  | { ok: true; value: Options[T] }
  | { ok: false; problems: OptionProblem[] };

/** Parses the option of a flow-control action, applying defaults; returns every problem found. */
export function parseOption<T extends FlowControlType>(type: T, option: unknown): OptionResult<T> {
  const parsed = OPTION_SCHEMAS[type].safeParse(option ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as Options[T] };
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(option)',
      message: issue.message,
    })),
  };
}

/** The option fields of each flow-control type that name another action of the flow. */
export const TARGET_FIELDS: Partial<Record<FlowControlType, readonly string[]>> = {
  goto: ['target_id'],
  branch: ['default_target_id'],
  condition_variable: ['false_target_id'],
  condition_datetime: ['false_target_id'],
  block: ['timeout_target_id'],
  fetch: ['error_target_id'],
  fetch_flow: ['error_target_id'],
};
