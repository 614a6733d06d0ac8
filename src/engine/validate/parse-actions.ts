// Structural check of an untrusted actions document (the `actions` of a flow request, a fetch
// reply, a flow file): shape and JSON types only, every problem reported at once. Meaning (types,
// targets, options) is analyzeFlow's job.
import { TARGET_FIELDS } from '../options.ts';
import { isFlowControlType } from '../action-types.ts';
import { ZERO_ID, type Action, type JsonObject, type JsonValue } from '../types.ts';
import { createDiagnostic, type Diagnostic } from './diagnostics.ts';
import { isDynamic, isRecord } from './targets.ts';

/** Options nest no deeper than this; deeper documents are rejected rather than walked. */
export const MAX_OPTION_DEPTH = 64;

/** parseActions' answer: the normalized actions, or every structural problem found. */
export type ParseActionsResult = { ok: true; actions: Action[] } | { ok: false; diagnostics: Diagnostic[] };

/** An action whose shape is right; `id` is undefined while it still has to be generated. */
interface Draft {
  id: string | undefined;
  next_id: string;
  type: string;
  option: JsonObject;
}

/**
 * Checks and normalizes untrusted actions: ids and targets lowercased, an absent, empty or zero id
 * replaced by `newId()` (called only when the whole document is well-formed), an absent `next_id`
 * set to the zero UUID, `option` defaulted to `{}`, unknown fields dropped. null reads as absent.
 */
export function parseActions(input: unknown, newId: () => string): ParseActionsResult {
  if (!Array.isArray(input)) {
    const message = `actions: must be an array, got ${kindOf(input)}`;
    return { ok: false, diagnostics: [createDiagnostic('MALFORMED_ACTIONS', ZERO_ID, message)] };
  }
  const diagnostics: Diagnostic[] = [];
  const drafts: Draft[] = [];
  for (let index = 0; index < input.length; index++) {
    const problems: string[] = [];
    const draft = parseAction(input[index], `actions[${index}]`, problems);
    const actionId = draft?.id ?? ZERO_ID;
    for (const message of problems) diagnostics.push(createDiagnostic('MALFORMED_ACTION', actionId, message));
    if (draft !== undefined) drafts.push(draft);
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  const actions = drafts.map((draft): Action => ({
    id: draft.id ?? newId().toLowerCase(),
    next_id: draft.next_id,
    type: draft.type,
    option: draft.option,
  }));
  return { ok: true, actions };
}

function parseAction(raw: unknown, path: string, problems: string[]): Draft | undefined {
  if (!isRecord(raw)) {
    problems.push(`${path}: must be an object, got ${kindOf(raw)}`);
    return undefined;
  }
  const id = parseId(raw['id'], `${path}.id`, problems);
  const nextId = parseId(raw['next_id'], `${path}.next_id`, problems) ?? ZERO_ID;
  const type = raw['type'];
  if (typeof type !== 'string' || type === '') problems.push(`${path}.type: must be a non-empty string`);
  let option: JsonObject = {};
  const rawOption = raw['option'];
  if (!isAbsent(rawOption)) {
    if (isRecord(rawOption)) option = copyObject(rawOption, `${path}.option`, problems, 1);
    else problems.push(`${path}.option: must be an object, got ${kindOf(rawOption)}`);
  }
  const draft = { id, next_id: nextId, type: typeof type === 'string' ? type : '', option };
  lowercaseTargets(draft);
  return draft;
}

/** A lowercased id, or undefined when absent, empty or the zero UUID. */
function parseId(raw: unknown, path: string, problems: string[]): string | undefined {
  if (isAbsent(raw)) return undefined;
  if (typeof raw !== 'string') {
    problems.push(`${path}: must be a string, got ${kindOf(raw)}`);
    return undefined;
  }
  const id = raw.toLowerCase();
  return id === '' || id === ZERO_ID ? undefined : id;
}

/** Targets name ids, and ids are lowercased: keep them matching. Templates are left alone. */
function lowercaseTargets(draft: Draft): void {
  if (!isFlowControlType(draft.type)) return;
  const lower = (holder: Record<string, JsonValue>, key: string): void => {
    const value = holder[key];
    if (typeof value === 'string' && !isDynamic(value)) holder[key] = value.toLowerCase();
  };
  for (const field of TARGET_FIELDS[draft.type] ?? []) lower(draft.option, field);
  const targetIds = draft.option['target_ids'];
  if (draft.type === 'branch' && isRecord(targetIds)) {
    for (const key of Object.keys(targetIds)) lower(targetIds, key);
  }
}

function copyObject(
  raw: Record<string, unknown>,
  path: string,
  problems: string[],
  depth: number,
): JsonObject {
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [key, copyJson(value, `${path}.${key}`, problems, depth + 1)]),
  );
}

/** A copy of a JSON value; non-JSON values are reported (and copied as null). */
function copyJson(value: unknown, path: string, problems: string[], depth: number): JsonValue {
  if (depth > MAX_OPTION_DEPTH) {
    problems.push(`${path}: nests deeper than ${MAX_OPTION_DEPTH} levels`);
    return null;
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (Array.isArray(value)) {
    return value.map((item: unknown, i) => copyJson(item, `${path}.${i}`, problems, depth + 1));
  } else if (isRecord(value)) {
    return copyObject(value, path, problems, depth);
  }
  problems.push(`${path}: must be a JSON value, got ${kindOf(value)}`);
  return null;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
