// The variable routes of SPEC 5.3: read, set, delete one, substitute a string.
import { z } from 'zod';
import { substituteString } from '../engine/index.ts';
import { AppError } from '../app/errors.ts';
import type { App } from '../app/index.ts';
import { variablesSchema } from '../app/schemas.ts';
import { parseBody, uuidParam } from './params.ts';
import type { Route } from './router.ts';

const setSchema = z.object({ variables: variablesSchema });
const substituteSchema = z.object({ data: z.string() });

export function createVariableRoutes(app: App): Route[] {
  async function variablesOf(id: string) {
    const stored = await app.store.getActiveflow(id);
    if (!stored) throw new AppError('ACTIVEFLOW_NOT_FOUND', `id: activeflow ${id} not found`);
    return stored.state.variables;
  }

  return [
    {
      method: 'GET',
      pattern: '/v1/variables/:id',
      handler: async ({ params }) => {
        const id = uuidParam(params, 'id');
        return { id, variables: await variablesOf(id) };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/variables/:id/variables',
      handler: async ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { variables } = parseBody(setSchema, data);
        return { id, variables: await app.activeflows.setVariables(id, variables) };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/variables/:id/variables/:key',
      handler: async ({ params }) => {
        const id = uuidParam(params, 'id');
        const key = params.key ?? '';
        return { id, variables: await app.activeflows.deleteVariable(id, key) };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/variables/:id/substitute',
      handler: async ({ params, data }) => {
        const id = uuidParam(params, 'id');
        const { data: text } = parseBody(substituteSchema, data);
        return { data: substituteString(text, await variablesOf(id)) };
      },
    },
  ];
}
