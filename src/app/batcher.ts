// Group commit for start_flow and action_done: inputs for different activeflows that arrive while
// earlier ones are being committed are applied together in one transaction (inputBatch).
// Each input still resolves (and so is acknowledged) only after its batch committed.
import type { ActiveflowUseCases, BatchItem, BatchResult } from './activeflows.ts';
import type { InputResult } from './activeflows.ts';
import { AppError } from './errors.ts';

export interface Batcher {
  submit(item: BatchItem): Promise<InputResult | null>;
}

interface Pending {
  item: BatchItem;
  resolve: (result: InputResult | null) => void;
  reject: (err: unknown) => void;
}

/**
 * The fewest inputs a batch takes when the queue is spread over free transaction slots. At 500/s
 * (bursts of 2-3 inputs), batches of at most 2 had a p50 at or under that of one batch per burst
 * in all 7 same-run rounds (equal in one); batches of 1, a commit per input, were lower in 1 of 3
 * (bench/RESULTS.md).
 */
const MIN_SPREAD = 2;

/**
 * `maxBatch` inputs at most per transaction, `maxInFlight` transactions at once. The queued inputs
 * are spread over the free slots (at least MIN_SPREAD per batch): a worker with little to do runs
 * a burst as a few small transactions side by side, while one at full load (no slot free until a
 * batch ends, and a long queue by then) still fills its batches. An input for an activeflow
 * already in a batch waits for the next one, so one activeflow's inputs stay in order.
 * When a whole batch fails for a reason other than the database being unavailable (one input
 * breaks the transaction itself, say a statement the database refuses), each of its inputs is run
 * again alone (`runItem`), so only the culprit fails and goes towards its delivery limit.
 */
export function createBatcher(activeflows: Pick<ActiveflowUseCases, 'inputBatch' | 'runItem'>, maxBatch: number, maxInFlight = 2): Batcher {
  const queue: Pending[] = [];
  const busy = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  const isolate = (batch: Pending[], err: unknown): Promise<unknown> => {
    if (batch.length === 1 || (err instanceof AppError && err.code === 'DATABASE_UNAVAILABLE')) {
      batch.forEach((p) => p.reject(err));
      return Promise.resolve();
    }
    return Promise.all(batch.map((p) => activeflows.runItem(p.item).then(p.resolve, p.reject)));
  };

  const settle = (batch: Pending[], results: BatchResult[]) => {
    batch.forEach((pending, index) => {
      const result = results[index];
      if (!result) pending.reject(new Error('batch returned no result for an input'));
      else if (result.ok) pending.resolve(result.result);
      else pending.reject(result.error);
    });
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const size = Math.min(maxBatch, Math.max(MIN_SPREAD, Math.ceil(queue.length / (maxInFlight - inFlight))));
      const batch: Pending[] = [];
      const ids = new Set<string>();
      for (let i = 0; i < queue.length && batch.length < size; ) {
        const pending = queue[i]!;
        if (busy.has(pending.item.id) || ids.has(pending.item.id)) {
          i++;
          continue;
        }
        ids.add(pending.item.id);
        batch.push(pending);
        queue.splice(i, 1);
      }
      if (batch.length === 0) return;
      inFlight++;
      for (const id of ids) busy.add(id);
      activeflows
        .inputBatch(batch.map((p) => p.item))
        .then(
          (results) => settle(batch, results),
          (err: unknown) => isolate(batch, err),
        )
        .finally(() => {
          inFlight--;
          for (const id of ids) busy.delete(id);
          schedule();
        });
    }
  };

  // Deliveries that arrive in the same turn of the event loop join the same batch.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };

  return {
    submit(item) {
      return new Promise((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
