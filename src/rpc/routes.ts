// The route table of SPEC 5.3.
import type { App } from '../app/index.ts';
import type { Route } from './router.ts';

export function createRoutes(app: App): Route[] {
  return [
    { method: 'POST', pattern: '/v1/flows', handler: async ({ data }) => (await app.flows.create(data)).flow },
    { method: 'GET', pattern: '/v1/flows/:id', handler: ({ params }) => app.flows.get(params.id ?? '') },
  ];
}
