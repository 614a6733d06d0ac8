import { compare, parseDecimal } from './compare.ts';
import type { Handler, HandlerResult } from './handler.ts';

/** `condition_variable`: variable OP value; match continues, no match jumps (SPEC 3.1). */
export const conditionVariableHandler: Handler<'condition_variable'> = ({ option }) => {
  const { variable, condition } = option;
  let matched: boolean;
  let shown: string;
  switch (option.value_type) {
    case 'string':
      matched = compare(variable, condition, option.value_string);
      shown = `"${variable}" ${condition} "${option.value_string}"`;
      break;
    case 'number': {
      const parsed = parseDecimal(variable);
      matched = parsed !== null && compare(parsed, condition, option.value_number);
      shown = `${parsed ?? `"${variable}" (not a number)`} ${condition} ${option.value_number}`;
      break;
    }
    case 'length': {
      const length = [...variable].length;
      matched = compare(length, condition, option.value_length);
      shown = `length ${length} ${condition} ${option.value_length}`;
      break;
    }
  }
  return outcome(matched, shown, option.false_target_id);
};

/** Match: continue; no match: jump to the false target. */
export function outcome(matched: boolean, shown: string, falseTargetId: string): HandlerResult {
  if (matched) return { kind: 'continue', note: `${shown}: true` };
  return { kind: 'jump', target_id: falseTargetId, note: `${shown}: false` };
}
