// The route table of SPEC 5.3. Order matters where a literal segment shares a position with a
// `:param` (`/v1/flows/count_by_customer` before `/v1/flows/:id`): the router takes the first match.
import type { App } from '../app/index.ts';
import type { Route } from './router.ts';
import { createActiveflowRoutes } from './routes-activeflows.ts';
import { createFlowRoutes } from './routes-flows.ts';
import { createVariableRoutes } from './routes-variables.ts';

export function createRoutes(app: App): Route[] {
  return [...createFlowRoutes(app), ...createActiveflowRoutes(app), ...createVariableRoutes(app)];
}
