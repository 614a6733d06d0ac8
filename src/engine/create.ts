// Creating an activeflow: a pure function of its parameters, the flow's actions and the context.
import { ACTION_ID, MAIN_STACK_ID, NOT_DELETED, ZERO_ID, type Action, type Activeflow, type FlowState, type ReferenceType, type Variables } from './types.ts';
import { cloneJson } from './clone.ts';
import { formatTimestamp } from './time.ts';
import { platformVariablesOf } from './variables.ts';

export interface CreateParams {
  id: string;
  customer_id: string;
  flow_id: string;
  reference_type: ReferenceType;
  reference_id: string;
  reference_activeflow_id: string;
  on_complete_flow_id: string;
  /** The flow's actions, copied: later edits of the flow never reach this activeflow. */
  actions: Action[];
  /** Variables given by the caller (already filtered and size-checked by the caller). */
  variables: Variables;
  /** Position in an on-complete chain: 0 for a first activeflow. */
  complete_count: number;
}

/** Builds a new running activeflow at the start marker; the platform variables are set last. */
export function createActiveflow(params: CreateParams, now: number): FlowState {
  const stamp = formatTimestamp(now);
  const activeflow: Activeflow = {
    id: params.id,
    customer_id: params.customer_id,
    flow_id: params.flow_id,
    status: 'running',
    end_reason: '',
    end_detail: '',
    reference_type: params.reference_type,
    reference_id: params.reference_id,
    reference_activeflow_id: params.reference_activeflow_id,
    on_complete_flow_id: params.on_complete_flow_id,
    current_stack_id: MAIN_STACK_ID,
    current_action: { id: ACTION_ID.start, next_id: ZERO_ID, type: '', option: {} },
    forward_stack_id: ZERO_ID,
    forward_action_id: ZERO_ID,
    stack_map: {
      [MAIN_STACK_ID]: {
        id: MAIN_STACK_ID,
        actions: cloneJson(params.actions),
        return_stack_id: ZERO_ID,
        return_action_id: ZERO_ID,
      },
    },
    execute_count: 0,
    executed_actions: [],
    tm_create: stamp,
    tm_update: stamp,
    tm_delete: NOT_DELETED,
  };
  const variables = { ...params.variables, ...platformVariablesOf(activeflow, params.complete_count) };
  return { activeflow, variables, wake_at: null };
}
