// customer_deleted (SPEC 5.4): ends and soft-deletes every activeflow of the customer and
// soft-deletes its flows, a bounded batch at a time, one short transaction per resource.
import type { ActiveflowUseCases } from './activeflows.ts';
import type { FlowUseCases } from './flows.ts';
import type { Store } from './ports.ts';

const BATCH = 200;

export async function deleteCustomer(
  store: Store,
  activeflows: ActiveflowUseCases,
  flows: FlowUseCases,
  customerId: string,
): Promise<{ activeflows: number; flows: number }> {
  let activeflowCount = 0;
  for (;;) {
    const ids = await store.customerActiveflowIds(customerId, BATCH);
    if (ids.length === 0) break;
    for (const id of ids) {
      const result = await activeflows.inputIfExists(id, { type: 'delete' });
      if (result?.outcome.kind === 'settled') activeflowCount++;
    }
  }
  let flowCount = 0;
  for (;;) {
    const ids = await store.customerFlowIds(customerId, BATCH);
    if (ids.length === 0) break;
    for (const id of ids) {
      await flows.remove(id).catch(() => undefined);
      flowCount++;
    }
  }
  return { activeflows: activeflowCount, flows: flowCount };
}
