import { ZERO_ID } from '../types.ts';
import type { Handler } from './handler.ts';

/** `branch`: reads the variable, resets it to "", jumps by value, else to the default (SPEC 3.1). */
export const branchHandler: Handler<'branch'> = ({ draft, option }) => {
  // Own keys only, so values such as "toString" never hit Object.prototype.
  const { variables } = draft;
  const value = Object.hasOwn(variables, option.variable) ? (variables[option.variable] ?? '') : '';
  draft.variables[option.variable] = '';
  const target = Object.hasOwn(option.target_ids, value) ? option.target_ids[value] : undefined;
  if (target !== undefined && target !== ZERO_ID) {
    return { kind: 'jump', target_id: target, note: `${option.variable}="${value}" matched` };
  }
  if (option.default_target_id !== ZERO_ID) {
    return { kind: 'jump', target_id: option.default_target_id, note: `${option.variable}="${value}": default` };
  }
  return { kind: 'continue', note: `${option.variable}="${value}": no match and no default` };
};
