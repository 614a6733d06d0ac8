// The handler table: one entry per flow-control type, checked complete by HandlerMap.
import { branchHandler } from './branch.ts';
import { conditionDatetimeHandler } from './condition-datetime.ts';
import { conditionVariableHandler } from './condition-variable.ts';
import { fetchFlowHandler, fetchHandler } from './fetch.ts';
import { gotoHandler } from './goto.ts';
import type { HandlerMap } from './handler.ts';
import { blockHandler, emptyHandler, stopHandler, variableSetHandler } from './simple.ts';

/** Every flow-control type's handler (SPEC 3.1). */
export const HANDLERS: HandlerMap = {
  goto: gotoHandler,
  branch: branchHandler,
  condition_variable: conditionVariableHandler,
  condition_datetime: conditionDatetimeHandler,
  variable_set: variableSetHandler,
  stop: stopHandler,
  block: blockHandler,
  empty: emptyHandler,
  fetch: fetchHandler,
  fetch_flow: fetchFlowHandler,
};
