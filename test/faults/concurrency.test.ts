// Fault test: three in-process workers compete for 2,000 action_done events on 20 activeflows of
// 90 sequential talk actions: 1,800 real ones (each published the moment the update asking for it
// arrives), 100 duplicates (half with the same message id, half a copy with a new one) and 100
// stale ones (the id of an action already done). No update may be lost, no deadlock may escape
// the transaction retry, and every activeflow must end exactly as the pure engine says.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import type { Worker } from '../../src/worker.ts';
import { CallService, describeVerdict, id, modelRun, prng, report, seedFromEnv, verify } from './support.ts';

const ACTIVEFLOWS = 20;
const TALKS = 90;
const REAL = ACTIVEFLOWS * TALKS; // 1,800
const DUPLICATES = 100;
const STALE = 100;

/** Chooses `count` distinct ordinals in [from, to). */
function choose(rnd: () => number, count: number, from: number, to: number, taken: Set<number>): Set<number> {
  const chosen = new Set<number>();
  while (chosen.size < count) {
    const n = from + Math.floor(rnd() * (to - from));
    if (!taken.has(n)) chosen.add(n);
  }
  return chosen;
}

/** Sums one labelled counter of several workers, by label value. */
async function byLabel(workers: Worker[], name: string, label: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const worker of workers) {
    const text = await worker.metrics.registry.getSingleMetricAsString(name);
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const key = new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? '';
      sums[key] = (sums[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sums;
}

describe('concurrency: three workers, duplicates and stale inputs', () => {
  let env: TestEnv | undefined;
  after(async () => {
    await env?.close();
  });

  it(
    `applies ${REAL} real inputs exactly once among ${REAL + DUPLICATES + STALE} action_done events`,
    { timeout: 170_000 },
    async () => {
      const seed = seedFromEnv();
      const rnd = prng(seed);
      const began = Date.now();
      env = await createTestEnv({ MAX_EXECUTE_COUNT: '200', LOG_LEVEL: 'info' }, { startWorker: false });
      const workers: Worker[] = [];
      for (let i = 0; i < Number(process.env.FAULT_WORKERS ?? 3); i++)
        workers.push(await env.startAnotherWorker());

      const actions = Array.from({ length: TALKS }, (_, i) => ({
        id: id(i + 1),
        type: 'talk',
        option: { text: `step ${i + 1}` },
      }));
      const index = new Map(actions.map((a, i) => [a.id, i]));
      const customer = randomUUID();
      const flow = await createFlow(env, customer, actions);
      const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });

      // Ordinals (in publishing order) of the real inputs that get a duplicate or a stale sibling.
      const duplicateAt = choose(rnd, DUPLICATES, 0, REAL, new Set());
      const staleAt = choose(rnd, STALE, 0, REAL, new Set());
      let ordinal = 0;
      let sameIdDuplicates = 0;
      let copies = 0;
      let stale = 0;
      let staleSkipped = 0;
      const extras: (() => void)[] = [];
      const calls: CallService = new CallService(env, {
        onAnswer: (afId, action, messageId, body) => {
          const n = ordinal++;
          if (duplicateAt.has(n)) {
            // Same message id (a redelivery) or the same content again (the service said it twice).
            const same = rnd() < 0.5;
            if (same) sameIdDuplicates++;
            else copies++;
            const publish = () =>
              env!.publishEvent('action_done', body, { messageId: same ? messageId : randomUUID() });
            if (rnd() < 0.5) publish();
            else extras.push(publish);
          }
          if (staleAt.has(n)) {
            const at = index.get(action.id) ?? 0;
            // An action this activeflow has already done; at the first action, the start marker.
            const staleId =
              at > 0 ? actions[Math.floor(rnd() * at)]!.id : '00000000-0000-0000-0000-000000000001';
            if (at === 0) staleSkipped++;
            stale++;
            const publish = () =>
              env!.publishEvent(
                'action_done',
                { activeflow_id: afId, action_id: staleId },
                { messageId: randomUUID() },
              );
            if (rnd() < 0.5) publish();
            else extras.push(publish);
          }
        },
      });
      // Delayed extras go out a little later, interleaved with the real inputs.
      const flusher = setInterval(() => {
        for (const publish of extras.splice(0)) publish();
      }, 3);

      const ids = Array.from({ length: ACTIVEFLOWS }, () => calls.start(customer, flow.id));
      const allEnded = await calls.waitAllEnded(ids, 120_000);
      const loadMs = Date.now() - began;
      clearInterval(flusher);
      for (const publish of extras.splice(0)) publish();
      // Let the last extras be consumed: wait until the queue is empty and nothing is in flight.
      const settleBy = Date.now() + 15_000;
      for (;;) {
        const q = await env.client.checkQueue(env.config.subscribeQueue);
        const handled = Object.values(
          await byLabel(workers, 'flow_manager_messages_total', 'outcome'),
        ).reduce((a, b) => a + b, 0);
        if (
          (q.messageCount === 0 && handled >= ACTIVEFLOWS + REAL + DUPLICATES + STALE + 1) ||
          Date.now() > settleBy
        )
          break;
        await new Promise((r) => setTimeout(r, 100));
      }

      const verdict = await verify(env, calls, ids, model);
      const outcomes = await byLabel(workers, 'flow_manager_messages_total', 'outcome');
      const retries = await byLabel(workers, 'flow_manager_tx_retries_total', 'reason');
      const deadlockLogs = env.logs.filter(
        (l) => l.msg === 'transaction retried' && String(l.reason) === '1213',
      ).length;
      const errorLogs = env.logs.filter((l) => Number(l.level) >= 50);
      const subscribeQueue = env.config.subscribeQueue;
      const eventOutcomes = await (async () => {
        const sums: Record<string, number> = {};
        for (const worker of workers) {
          const text = await worker.metrics.registry.getSingleMetricAsString('flow_manager_messages_total');
          for (const line of text.split('\n')) {
            if (!line.includes(`queue="${subscribeQueue}"`)) continue;
            const key = /outcome="([^"]*)"/.exec(line)?.[1] ?? '';
            sums[key] = (sums[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
          }
        }
        return sums;
      })();

      report('concurrency figures', {
        seed,
        workers: workers.length,
        'activeflows run': ACTIVEFLOWS,
        'action_done published (real/duplicate same id/duplicate new id/stale)': `${ordinal}/${sameIdDuplicates}/${copies}/${stale}`,
        'stale ids that were the start marker': staleSkipped,
        'event outcomes (all workers)': JSON.stringify(eventOutcomes),
        'all message outcomes': JSON.stringify(outcomes),
        'tx retries by reason (metric flow_manager_tx_retries_total)': JSON.stringify(retries),
        'deadlocks retried (logs)': deadlockLogs,
        'error log lines': errorLogs.length,
        'events lost (must be 0)': verdict.eventsLost,
        'duplicates delivered to consumers': calls.duplicates,
        'order problems': verdict.orderProblems.length,
        'model mismatches (lost updates)': verdict.modelMismatches.length,
        'time until every activeflow ended ms': loadMs,
        'step latency (update -> next update) p50/p99 ms': (() => {
          const gaps = ids
            .flatMap((afId) =>
              (calls.arrivals.get(afId) ?? []).slice(2).map((t, i) => t - calls.arrivals.get(afId)![i + 1]!),
            )
            .sort((a, b) => a - b);
          return `${gaps[Math.floor(gaps.length / 2)]}/${gaps[Math.floor(gaps.length * 0.99)]}`;
        })(),
        'wall time ms': Date.now() - began,
      });

      assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
      assert.ok(allEnded, describeVerdict(verdict));
      assert.equal(ordinal, REAL);
      assert.equal(sameIdDuplicates + copies, DUPLICATES);
      assert.equal(stale, STALE);
      assert.deepEqual(verdict.notFinished, [], describeVerdict(verdict));
      assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
      assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
      // Every real input applied exactly once; every duplicate and stale one changed nothing.
      assert.equal(
        eventOutcomes.processed,
        ACTIVEFLOWS + REAL,
        'start_flow + real action_done processed exactly once',
      );
      assert.equal(
        eventOutcomes.duplicate ?? 0,
        sameIdDuplicates,
        'same-id duplicates recognised by message id',
      );
      assert.equal(eventOutcomes.ignored ?? 0, copies + stale, 'copies and stale ids ignored');
      assert.equal(eventOutcomes.requeued ?? 0, 0, 'no input failed (no deadlock escaped the retries)');
      assert.equal(eventOutcomes.dead_lettered ?? 0, 0);
      assert.deepEqual(
        errorLogs.map((l) => l.msg),
        [],
      );
    },
  );
});
