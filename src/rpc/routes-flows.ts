// The flow routes of SPEC 5.3: create, list, get, update, delete, one action, validate, count.
import { z } from 'zod';
import { FLOW_TYPES } from '../engine/index.ts';
import { AppError } from '../app/errors.ts';
import type { SavedFlow } from '../app/flows.ts';
import type { App } from '../app/index.ts';
import { uuid } from '../app/schemas.ts';
import { booleanish, filterData, pageOf, parseBody, uuidParam } from './params.ts';
import type { Route } from './router.ts';

const flowFilterSchema = z.object({
  customer_id: uuid.optional(),
  type: z.enum(FLOW_TYPES).optional(),
  deleted: booleanish.default(false),
});
const FLOW_FILTERS = ['customer_id', 'type', 'deleted'] as const;

const countByCustomerSchema = z.object({ customer_id: uuid });

/**
 * The reply of a create or update: the Flow plus `warnings`, the analysis findings that did not
 * block the save (always present, possibly empty). Consumers ignore unknown fields, so a client
 * that expects the Flow alone still reads it; the flow_* events carry the Flow alone.
 */
export function savedFlowReply(saved: SavedFlow): SavedFlow['flow'] & { warnings: SavedFlow['warnings'] } {
  return { ...saved.flow, warnings: saved.warnings };
}

export function createFlowRoutes(app: App): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/v1/flows',
      handler: async ({ data }) => savedFlowReply(await app.flows.create(data)),
    },
    {
      method: 'GET',
      pattern: '/v1/flows',
      handler: ({ query, data }) => {
        const page = pageOf(query);
        const filter = parseBody(flowFilterSchema, filterData(data, query, FLOW_FILTERS));
        return app.store.listFlows(filter, page);
      },
    },
    {
      method: 'POST',
      pattern: '/v1/flows/validate',
      handler: ({ data }) => Promise.resolve(app.flows.validate(data)),
    },
    {
      // Before `/v1/flows/:id`: the router tries routes in this order.
      method: 'GET',
      pattern: '/v1/flows/count_by_customer',
      handler: async ({ query, data }) => {
        const { customer_id } = parseBody(countByCustomerSchema, filterData(data, query, ['customer_id']));
        return { count: await app.store.countFlows({ customer_id, deleted: false }) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/flows/:id',
      handler: ({ params }) => app.flows.get(uuidParam(params, 'id')),
    },
    {
      method: 'PUT',
      pattern: '/v1/flows/:id',
      handler: async ({ params, data }) =>
        savedFlowReply(await app.flows.update(uuidParam(params, 'id'), data)),
    },
    {
      method: 'DELETE',
      pattern: '/v1/flows/:id',
      handler: ({ params }) => app.flows.remove(uuidParam(params, 'id')),
    },
    {
      method: 'PUT',
      pattern: '/v1/flows/:id/actions',
      handler: async ({ params, data }) => {
        const id = uuidParam(params, 'id');
        return savedFlowReply(await app.flows.update(id, data, true));
      },
    },
    {
      method: 'GET',
      pattern: '/v1/flows/:id/actions/:action_id',
      handler: async ({ params }) => {
        const id = uuidParam(params, 'id');
        const actionId = uuidParam(params, 'action_id');
        const flow = await app.flows.get(id);
        const action = flow.actions.find((a) => a.id === actionId);
        if (!action)
          throw new AppError('ACTION_NOT_FOUND', `action_id: action ${actionId} not found in flow ${id}`);
        return action;
      },
    },
  ];
}
