// The small flow-control actions: variable_set, stop, block, empty.
import { isReadOnlyVariable } from '../variables.ts';
import type { Handler } from './handler.ts';

/** `variable_set`: the value was substituted with the rest of the option when the cursor arrived. */
export const variableSetHandler: Handler<'variable_set'> = ({ draft, option }) => {
  if (isReadOnlyVariable(option.key)) return { kind: 'continue', note: `${option.key} is read-only: not set` };
  draft.variables[option.key] = option.value;
  return { kind: 'continue', note: `${option.key} = "${option.value}"` };
};

/** `stop`: ends the activeflow as finished. */
export const stopHandler: Handler<'stop'> = () => ({ kind: 'end', reason: 'finished', detail: 'stop action' });

/** `block`: waits for `continue`; its own timeout, else the action timeout, wakes it. */
export const blockHandler: Handler<'block'> = ({ option, ctx }) => {
  const timeoutMs = option.timeout_ms > 0 ? option.timeout_ms : ctx.actionTimeoutMs;
  return { kind: 'wait', wake_at: ctx.now + timeoutMs, note: `blocked for at most ${timeoutMs} ms` };
};

/** `empty`: nothing; continue. */
export const emptyHandler: Handler<'empty'> = () => ({ kind: 'continue', note: 'empty' });
