// The simulator's result: what happened at each action of one simulated activeflow, in order.
import type { EndReason, JsonObject, ReferenceType, Variables } from '../engine/index.ts';

/**
 * What happened at one action. `wait` only remains on the last step when the simulation stopped
 * at `max_steps`; a wait the script answered becomes `answered`, `timeout` or `hangup`.
 */
export const SIM_DECISIONS = [
  'answered',
  'timeout',
  'hangup',
  'wait',
  'continue',
  'jump',
  'skip',
  'push',
  'failed',
  'end',
] as const;
export type SimDecision = (typeof SIM_DECISIONS)[number];

/** One line of a simulation: an action the cursor reached and what the engine decided there. */
export interface SimStep {
  /** 1-based position in the run. */
  n: number;
  action_id: string;
  /** The action type; "" for the finish marker the cursor shows once the flow ran off its end. */
  type: string;
  decision: SimDecision;
  /** Why, from the engine's trace notes (branch value, condition outcome, jumps left) and the script. */
  why: string;
  /** Variables this step changed: name -> [old, new]; a missing variable reads as "". */
  variables_changed: Record<string, [string, string]>;
  /** For a handed-off action or a block: its option as the owning service would receive it. */
  option?: JsonObject;
}

/** Why a simulation stopped: the engine's end reasons plus the simulator's own. */
export type SimEndReason = EndReason | 'max_steps' | 'invalid_flow' | 'invalid_script';

/** Everything a simulation found; `JSON.stringify` of it is the `--json` output. */
export interface SimResult {
  steps: SimStep[];
  end_reason: SimEndReason;
  end_detail: string;
  /** The activeflow's variables when the simulation stopped. */
  variables: Variables;
  execute_count: number;
}

/** How the simulated activeflow is started. `now` (epoch ms) wins over the script's `now`. */
export interface SimOptions {
  referenceType: ReferenceType;
  now?: number;
  /** MAX_EXECUTE_COUNT of the simulated engine; 100 as in production unless told. */
  maxExecuteCount?: number;
  /** Start variables, merged over the script's `variables`. */
  variables?: Record<string, string>;
}
