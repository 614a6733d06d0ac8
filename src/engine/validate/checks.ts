// Per-action checks of analyzeFlow: identity, type, media, next_id, options and jump targets.
import { parseOption } from '../options.ts';
import { isAllowedFor, isFlowControlType, isKnownType, type FlowControlType } from '../action-types.ts';
import { ACTION_ID, ZERO_ID, type Action, type ReferenceType } from '../types.ts';
import { finding, label, type DiagnosticCode, type Finding } from './diagnostics.ts';
import { isDynamic, optionOf, targetRefs } from './targets.ts';

const RESERVED_IDS: ReadonlySet<string> = new Set(Object.values(ACTION_ID));

/** The index of the first action carrying each id: how the engine resolves a target. */
export function indexIds(actions: readonly Action[]): Map<string, number> {
  const ids = new Map<string, number>();
  actions.forEach((action, index) => {
    if (!ids.has(action.id)) ids.set(action.id, index);
  });
  return ids;
}

/** Everything checkAction needs to know about the flow around the action. */
export interface CheckContext {
  ids: ReadonlyMap<string, number>;
  referenceType: ReferenceType | undefined;
}

/** The findings about one action on its own (graph and variable findings are elsewhere). */
export function checkAction(action: Action, index: number, ctx: CheckContext): Finding[] {
  const at = label(index, action.type);
  const out: Finding[] = [];
  const add = (code: DiagnosticCode, message: string): void => {
    out.push(finding(code, index, action.id, `${at}: ${message}`));
  };
  if (RESERVED_IDS.has(action.id))
    add('RESERVED_ID', `id ${action.id} is reserved by the engine; use a fresh UUID`);
  const first = ctx.ids.get(action.id);
  if (first !== undefined && first !== index)
    add('DUPLICATE_ID', `id ${action.id} is already used by actions[${first}]`);
  if (!isKnownType(action.type)) {
    add('UNKNOWN_TYPE', `type "${action.type}" is not a known action type; the engine would skip it`);
  } else if (ctx.referenceType !== undefined && !isAllowedFor(action.type, ctx.referenceType)) {
    add(
      'MEDIA_NOT_ALLOWED',
      `type ${action.type} is not allowed for reference type ${ctx.referenceType}; the engine will skip it`,
    );
  }
  if (action.next_id !== ZERO_ID && !ctx.ids.has(action.next_id)) {
    add('MISSING_NEXT_TARGET', `next_id ${action.next_id} is not an action of this flow`);
  }
  if (isFlowControlType(action.type)) checkFlowControl(action, action.type, ctx, add);
  return out;
}

type Add = (code: DiagnosticCode, message: string) => void;

function checkFlowControl(action: Action, type: FlowControlType, ctx: CheckContext, add: Add): void {
  const parsed = parseOption(type, action.option);
  if (!parsed.ok) {
    for (const problem of parsed.problems) {
      const field = problem.field === '(option)' ? 'option' : `option.${problem.field}`;
      add('INVALID_OPTION', `${field}: ${problem.message}`);
    }
  }
  for (const ref of targetRefs(action)) {
    if (isDynamic(ref.value)) continue;
    if (ref.value === ZERO_ID) {
      if (ref.required) add('MISSING_JUMP_TARGET', `option.${ref.field} is required but is the zero id`);
    } else if (!ctx.ids.has(ref.value)) {
      add('MISSING_JUMP_TARGET', `option.${ref.field} "${ref.value}" is not an action of this flow`);
    }
  }
  const option = optionOf(action);
  if (type === 'condition_datetime') {
    const timezone = option['timezone'] ?? 'UTC';
    if (typeof timezone === 'string' && !isDynamic(timezone) && !isTimeZone(timezone)) {
      add(
        'INVALID_TIMEZONE',
        `option.timezone "${timezone}" is not an IANA time zone (e.g. "Europe/Berlin")`,
      );
    }
  }
  if (type === 'goto') {
    const loopCount = option['loop_count'];
    if (loopCount === undefined || (typeof loopCount === 'number' && loopCount <= 0)) {
      add('GOTO_NEVER_JUMPS', 'option.loop_count is missing or <= 0, so this goto never jumps');
    }
  }
  if (type === 'branch') {
    const fallback = option['default_target_id'];
    if (fallback === undefined || fallback === ZERO_ID) {
      add('BRANCH_NO_DEFAULT', 'option.default_target_id is not set; an unmatched value falls through');
    }
  }
}

/** Whether the runtime knows the IANA zone (Intl is pure: no clock, no IO). */
function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    return true;
  } catch {
    return false;
  }
}
