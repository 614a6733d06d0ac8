// customer_deleted (SPEC 5.4): ends and soft-deletes every activeflow of the customer and
// soft-deletes its flows, a bounded batch at a time in short transactions.
import type { ActiveflowUseCases } from './activeflows.ts';
import type { FlowUseCases } from './flows.ts';
import type { Store } from './ports.ts';

const BATCH = 200;
const LOCK_BATCH = 50;

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
    // One short group-commit transaction per LOCK_BATCH activeflows: bounded locks, few round trips.
    for (let i = 0; i < ids.length; i += LOCK_BATCH) {
      const chunk = ids.slice(i, i + LOCK_BATCH).map((id) => ({ id, input: { type: 'delete' as const } }));
      const results = await activeflows.inputBatch(chunk);
      activeflowCount += results.filter((r) => r.ok && r.result?.outcome.kind === 'settled').length;
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
