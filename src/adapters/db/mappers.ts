// Row <-> domain conversion for the db adapter.
import { formatTimestamp, parseTimestamp, NOT_DELETED, type Flow, type FlowState } from '../../engine/index.ts';
import { activeflowJson } from '../../app/documents.ts';
import type { ActiveflowRow, FlowRow } from './tables.ts';

export function activeflowRowToState(row: Pick<ActiveflowRow, 'doc' | 'variables' | 'wake_at'>): FlowState {
  return {
    activeflow: JSON.parse(row.doc),
    variables: JSON.parse(row.variables),
    wake_at: row.wake_at === null ? null : parseTimestamp(row.wake_at),
  };
}

export function stateToActiveflowRow(state: FlowState, seq: number): ActiveflowRow {
  const af = state.activeflow;
  return {
    id: af.id,
    customer_id: af.customer_id,
    flow_id: af.flow_id,
    status: af.status,
    reference_type: af.reference_type,
    reference_id: af.reference_id,
    current_action_type: af.current_action.type,
    deleted: af.tm_delete === NOT_DELETED ? 0 : 1,
    wake_at: state.wake_at === null ? null : formatTimestamp(state.wake_at),
    seq,
    doc: activeflowJson(af),
    variables: JSON.stringify(state.variables),
    tm_create: af.tm_create,
    tm_update: af.tm_update,
  };
}

export function flowRowToFlow(row: FlowRow): Flow {
  return {
    id: row.id,
    customer_id: row.customer_id,
    type: row.type as Flow['type'],
    name: row.name,
    detail: row.detail,
    actions: JSON.parse(row.actions),
    on_complete_flow_id: row.on_complete_flow_id,
    tm_create: row.tm_create,
    tm_update: row.tm_update,
    tm_delete: row.tm_delete,
  };
}

export function flowToFlowRow(flow: Flow, seq: number): FlowRow {
  return { ...flow, actions: JSON.stringify(flow.actions), seq };
}
