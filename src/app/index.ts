// The application: every use case wired to its ports. Built once per worker.
import { createActiveflowUseCases } from './activeflows.ts';
import { createEventHandler } from './events.ts';
import { createFlowUseCases } from './flows.ts';
import type { Store } from './ports.ts';
import type { AppDeps } from './runner.ts';

export type App = ReturnType<typeof createApp>;

export function createApp(store: Store, deps: AppDeps, afterCommit: () => void = () => undefined) {
  const activeflows = createActiveflowUseCases(store, deps);
  const flows = createFlowUseCases(store, deps, afterCommit);
  const handleEvent = createEventHandler(store, activeflows, flows);
  return { store, deps, activeflows, flows, handleEvent, afterCommit };
}
