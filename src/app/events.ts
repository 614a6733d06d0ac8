// The events consumed on the subscribe queue (SPEC 5.4), dispatched by type.
import type { ActiveflowUseCases, BatchItem, InputResult } from './activeflows.ts';
import { deleteCustomer } from './cleanup.ts';
import type { FlowUseCases } from './flows.ts';
import type { Store } from './ports.ts';
import { actionDoneSchema, callHangupSchema, customerDeletedSchema, parseData, startFlowSchema } from './schemas.ts';
import { AppError } from './errors.ts';

/** What became of one event; `ignored` covers other types, stale and duplicate inputs. */
export type EventResult = 'processed' | 'ignored' | 'duplicate';

export function createEventHandler(
  store: Store,
  activeflows: ActiveflowUseCases,
  flows: FlowUseCases,
  submit: (item: BatchItem) => Promise<InputResult | null>,
  newId: () => string,
) {
  /** Handles one decoded envelope; throws AppError for bad input (the caller dead-letters it). */
  return async function handleEvent(envelope: unknown, messageId?: string): Promise<EventResult> {
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
      throw new AppError('INVALID_ARGUMENT', 'event: must be a JSON object');
    }
    const { type, data } = envelope as { type?: unknown; data?: unknown };
    if (typeof type !== 'string') throw new AppError('INVALID_ARGUMENT', 'type: must be a string');
    switch (type) {
      case 'start_flow': {
        const input = parseData(startFlowSchema, data, 'data');
        const started = await submit({ id: input.activeflow_id ?? newId(), start: input, ...(messageId ? { messageId } : {}) });
        return started ? 'processed' : 'duplicate';
      }
      case 'action_done': {
        const input = parseData(actionDoneSchema, data, 'data');
        const result = await submit({
          id: input.activeflow_id,
          input: { type: 'action_done', action_id: input.action_id, ...(input.variables ? { variables: input.variables } : {}) },
          ...(messageId ? { messageId } : {}),
        });
        if (!result) return 'ignored';
        if (result.outcome.kind === 'duplicate') return 'duplicate';
        return result.outcome.kind === 'settled' ? 'processed' : 'ignored';
      }
      case 'call_hangup': {
        const call = parseData(callHangupSchema, data, 'data');
        const ended = await activeflows.hangupReference(call.id, call.activeflow_id);
        return ended > 0 ? 'processed' : 'ignored';
      }
      case 'customer_deleted': {
        const customer = parseData(customerDeletedSchema, data, 'data');
        await deleteCustomer(store, activeflows, flows, customer.id);
        return 'processed';
      }
      default:
        return 'ignored';
    }
  };
}
