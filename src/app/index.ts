// The application: every use case wired to its ports. Built once per worker.
import { createActiveflowUseCases } from './activeflows.ts';
import { createBatcher } from './batcher.ts';
import { createEventHandler } from './events.ts';
import { createFlowUseCases } from './flows.ts';
import type { Store } from './ports.ts';
import type { AppDeps } from './runner.ts';

export type App = ReturnType<typeof createApp>;

export interface AppOptions {
  /** Most start_flow and action_done inputs per group-commit transaction; 1 = one transaction per input. */
  batchMax?: number;
  /** Group-commit transactions running at once. */
  batchInFlight?: number;
}

export function createApp(store: Store, deps: AppDeps, afterCommit: () => void = () => undefined, options: AppOptions = {}) {
  const activeflows = createActiveflowUseCases(store, deps);
  const flows = createFlowUseCases(store, deps, afterCommit);
  const batchMax = options.batchMax ?? 1;
  const submit = batchMax > 1 ? createBatcher(activeflows, batchMax, options.batchInFlight ?? 4).submit : activeflows.runItem;
  const handleEvent = createEventHandler(store, activeflows, flows, submit, deps.newId);
  return { store, deps, activeflows, flows, handleEvent, afterCommit };
}
