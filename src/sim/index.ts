// The offline simulator's public surface (`flowctl simulate`): run a flow against a script of
// answers through the real engine, and render what happened.
export {
  simulate,
  createSimIds,
  DEFAULT_SIM_NOW,
  SIM_ACTION_TIMEOUT_MS,
  SIM_CUSTOMER_ID,
} from './simulate.ts';
export {
  parseSimScript,
  SIM_OUTCOMES,
  type SimScript,
  type SimOutcome,
  type ParsedScript,
  type ParseScriptResult,
} from './script.ts';
export { formatSimResult, formatSimJson, createShortIds } from './format.ts';
export {
  SIM_DECISIONS,
  type SimDecision,
  type SimEndReason,
  type SimOptions,
  type SimResult,
  type SimStep,
} from './types.ts';
