// Domain types of the engine. Field names are the wire names of SPEC section 1, so the
// activeflow the engine returns is the document that goes on the bus unchanged.

/** The zero UUID: "unset" everywhere on the wire. */
export const ZERO_ID = '00000000-0000-0000-0000-000000000000';
/** Reserved action ids (SPEC 1). */
export const ACTION_ID = {
  empty: '00000000-0000-0000-0000-000000000000',
  start: '00000000-0000-0000-0000-000000000001',
  finish: '00000000-0000-0000-0000-000000000002',
  moveOn: '00000000-0000-0000-0000-000000000003',
} as const;
/** The main stack of every activeflow: a copy of its flow's actions. */
export const MAIN_STACK_ID = '00000000-0000-0000-0000-000000000001';
/** `tm_delete` of a resource that is not deleted. */
export const NOT_DELETED = '9999-01-01 00:00:00.000000';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** One step of a flow. `option` is type-specific (SPEC 3). */
export interface Action {
  id: string;
  next_id: string;
  type: string;
  option: JsonObject;
}

export interface Stack {
  id: string;
  actions: Action[];
  return_stack_id: string;
  return_action_id: string;
}

export const REFERENCE_TYPES = ['call', 'sms', 'conversation', 'api'] as const;
export type ReferenceType = (typeof REFERENCE_TYPES)[number];

export const END_REASONS = [
  'finished',
  'stopped',
  'hangup',
  'deleted',
  'execute_limit',
  'timeout',
  'error',
] as const;
export type EndReason = (typeof END_REASONS)[number];

export const FLOW_TYPES = ['flow', 'conference', 'queue', 'campaign', 'transfer'] as const;
export type FlowType = (typeof FLOW_TYPES)[number];

export interface Flow {
  id: string;
  customer_id: string;
  type: FlowType;
  name: string;
  detail: string;
  actions: Action[];
  on_complete_flow_id: string;
  tm_create: string;
  tm_update: string;
  tm_delete: string;
}

/** One running instance of a flow, as it appears on the wire (SPEC 1, a superset of the seed). */
export interface Activeflow {
  id: string;
  customer_id: string;
  flow_id: string;
  status: 'running' | 'ended';
  end_reason: '' | EndReason;
  /** Why the activeflow ended with `error` (or other detail); "" otherwise. */
  end_detail: string;
  reference_type: ReferenceType;
  reference_id: string;
  reference_activeflow_id: string;
  on_complete_flow_id: string;
  current_stack_id: string;
  current_action: Action;
  forward_stack_id: string;
  forward_action_id: string;
  stack_map: Record<string, Stack>;
  execute_count: number;
  executed_actions: Action[];
  tm_create: string;
  tm_update: string;
  tm_delete: string;
}

export type Variables = Record<string, string>;

/**
 * Everything the engine reads and writes for one activeflow. `wake_at` is the durable timer
 * (epoch ms, null when none): the shell stores it in an indexed column and feeds a `timeout`
 * input once it has passed.
 */
export interface FlowState {
  activeflow: Activeflow;
  variables: Variables;
  wake_at: number | null;
}

/** What the engine gets from the outside world: time, ids and limits (never read by itself). */
export interface EngineContext {
  /** Current time, epoch ms. */
  now: number;
  /** A fresh lowercase UUID. */
  newId: () => string;
  maxExecuteCount: number;
  actionTimeoutMs: number;
}
