// The activeflow routes of SPEC 5.3: create, list, count, get, delete and the engine inputs.
import { z } from 'zod';
import {
  ACTION_ID,
  REFERENCE_TYPES,
  ZERO_ID,
  type Action,
  type Activeflow,
  type EngineInput,
} from '../engine/index.ts';
import { parseActions } from '../engine/validate/index.ts';
import type { InputResult } from '../app/activeflows.ts';
import { AppError } from '../app/errors.ts';
import type { App } from '../app/index.ts';
import { createActiveflowSchema, parseData, uuid } from '../app/schemas.ts';
import { booleanish, filterData, pageOf, parseBody, uuidParam } from './params.ts';
import type { Route } from './router.ts';

/** The `next` reply of an ended activeflow, and of one parked at a block (SPEC 5.3). */
export const FINISH_REPLY: Action = { id: ACTION_ID.finish, next_id: ZERO_ID, type: '', option: {} };
export const EMPTY_REPLY: Action = { id: ACTION_ID.empty, next_id: ZERO_ID, type: '', option: {} };

const activeflowFilterSchema = z.object({
  customer_id: uuid.optional(),
  status: z.enum(['running', 'ended']).optional(),
  flow_id: uuid.optional(),
  reference_type: z.enum(REFERENCE_TYPES).optional(),
  reference_id: uuid.optional(),
  current_action_type: z.string().min(1).max(64).optional(),
  deleted: booleanish.default(false),
});
const ACTIVEFLOW_FILTERS = Object.keys(activeflowFilterSchema.shape);
const countSchema = activeflowFilterSchema.extend({
  group_by: z.enum(['status', 'current_action_type', 'flow_id']).optional(),
});

const currentActionSchema = z.object({ current_action_id: uuid });
const forwardSchema = z.object({ forward_action_id: uuid, forward_now: booleanish.default(false) });
const actionsSchema = z.object({ actions: z.array(z.unknown()).min(1, 'must not be empty') });
const serviceStopSchema = z.object({ service_id: uuid });

export function createActiveflowRoutes(app: App): Route[] {
  /** Applies one engine input; a rejection becomes the matching AppError. */
  async function input(id: string, engineInput: EngineInput): Promise<InputResult> {
    const result = await app.activeflows.input(id, engineInput);
    const { outcome } = result;
    if (outcome.kind !== 'rejected') return result;
    switch (outcome.code) {
      case 'stale':
        throw new AppError('STALE_ACTION', outcome.message);
      case 'not_found':
        throw new AppError('TARGET_NOT_FOUND', outcome.message);
      case 'invalid':
        throw new AppError('INVALID_ARGUMENT', outcome.message);
    }
  }

  /** Applies an input and replies with the activeflow as stored afterwards. */
  const replyActiveflow = async (id: string, engineInput: EngineInput): Promise<Activeflow> =>
    (await input(id, engineInput)).activeflow;

  /** Actions given to push/add: shape-checked and given ids; jump targets may be in outer stacks. */
  function actionsOf(data: unknown): Action[] {
    const { actions: raw } = parseBody(actionsSchema, data);
    const parsed = parseActions(raw, app.deps.newId);
    if (!parsed.ok) {
      throw new AppError(
        'INVALID_FLOW',
        `actions: ${parsed.diagnostics.map((d) => d.message).join('; ')}`,
        parsed.diagnostics,
      );
    }
    return parsed.actions;
  }

  return [
    {
      method: 'POST',
      pattern: '/v1/activeflows',
      handler: async ({ data }) => {
        const { id, ...rest } = parseData(createActiveflowSchema, data, 'data');
        const created = await app.activeflows.start(
          { ...rest, ...(id ? { activeflow_id: id } : {}) },
          { source: 'rpc', execute: false },
        );
        if (!created) throw new AppError('ALREADY_EXISTS', `id: activeflow ${id ?? ''} exists already`);
        return created;
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activeflows',
      handler: ({ query, data }) => {
        const page = pageOf(query);
        const filter = parseBody(activeflowFilterSchema, filterData(data, query, ACTIVEFLOW_FILTERS));
        return app.store.listActiveflows(filter, page);
      },
    },
    {
      // Before `/v1/activeflows/:id`: the router tries routes in this order.
      method: 'GET',
      pattern: '/v1/activeflows/count',
      handler: async ({ query, data }) => {
        const { group_by, ...filter } = parseBody(
          countSchema,
          filterData(data, query, [...ACTIVEFLOW_FILTERS, 'group_by']),
        );
        const counted = await app.store.countActiveflows(filter, group_by);
        return typeof counted === 'number' ? { count: counted } : { groups: counted };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activeflows/:id',
      handler: async ({ params }) => {
        const id = uuidParam(params, 'id');
        const stored = await app.store.getActiveflow(id);
        if (!stored) throw new AppError('ACTIVEFLOW_NOT_FOUND', `id: activeflow ${id} not found`);
        return stored.state.activeflow;
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activeflows/:id',
      handler: ({ params }) => replyActiveflow(uuidParam(params, 'id'), { type: 'delete' }),
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/execute',
      handler: ({ params }) => replyActiveflow(uuidParam(params, 'id'), { type: 'execute' }),
    },
    {
      method: 'GET',
      pattern: '/v1/activeflows/:id/next',
      handler: async ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { current_action_id } = parseBody(currentActionSchema, data);
        const { activeflow } = await input(id, { type: 'next', current_action_id });
        if (activeflow.status === 'ended') return FINISH_REPLY;
        if (activeflow.current_action.type === 'block') return EMPTY_REPLY;
        return activeflow.current_action;
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/continue',
      handler: async ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { current_action_id } = parseBody(currentActionSchema, data);
        const { outcome, activeflow } = await input(id, { type: 'continue', current_action_id });
        // The engine ignores inputs to an ended activeflow; it is not at that block either.
        if (outcome.kind === 'ignored')
          throw new AppError(
            'STALE_ACTION',
            `activeflow ${id} is not at block ${current_action_id}: ${outcome.reason}`,
          );
        return activeflow;
      },
    },
    {
      method: 'PUT',
      pattern: '/v1/activeflows/:id/forward_action_id',
      handler: ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { forward_action_id, forward_now } = parseBody(forwardSchema, data);
        return replyActiveflow(id, { type: 'forward', forward_action_id, forward_now });
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/stop',
      handler: ({ params }) => replyActiveflow(uuidParam(params, 'id'), { type: 'stop' }),
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/push_actions',
      handler: ({ params, data }) => {
        const id = uuidParam(params, 'id');
        return replyActiveflow(id, { type: 'push_actions', actions: actionsOf(data) });
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/add_actions',
      handler: ({ params, data }) => {
        const id = uuidParam(params, 'id');
        return replyActiveflow(id, { type: 'add_actions', actions: actionsOf(data) });
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activeflows/:id/service_stop',
      handler: ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { service_id } = parseBody(serviceStopSchema, data);
        return replyActiveflow(id, { type: 'service_stop', service_id });
      },
    },
  ];
}
