// Fault test: an in-process worker reaches RabbitMQ and MariaDB through TCP proxies; while it
// drives ~100 call flows, each link is cut several times (every proxied socket destroyed, new
// connections refused for ~1 s, then accepted again). Every activeflow must finish exactly as the
// pure engine says, with gap-free ordered events, the process must not see an unhandled error,
// and the worker must keep working afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import type { Worker } from '../../src/worker.ts';
import {
  CallService,
  IVR_ACTIONS,
  TcpProxy,
  counter,
  describeVerdict,
  modelRun,
  prng,
  report,
  seedFromEnv,
  sleep,
  verify,
} from './support.ts';

const FLOWS = 100;
const CUTS_PER_LINK = 4;
const REFUSE_MS = Number(process.env.FAULT_REFUSE_MS ?? 1000);
/** A database outage longer than one transaction's retries (~0.6 s) and long enough for the
 *  redeliveries of an input to exceed the delivery limit (5) if they count against it. */
const LONG_DB_OUTAGE_MS = Number(process.env.FAULT_LONG_OUTAGE_MS ?? 6000);

describe('connection loss (RabbitMQ and MariaDB links cut)', () => {
  let env: TestEnv;
  let worker: Worker;
  let calls: CallService;
  const amqpProxy = new TcpProxy(5672);
  const dbProxy = new TcpProxy(3306);
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  before(async () => {
    env = await createTestEnv({}, { startWorker: false });
    await amqpProxy.listen();
    await dbProxy.listen();
    const dbUrl = new URL(env.config.databaseUrl);
    dbUrl.port = String(dbProxy.port);
    const amqpUrl = new URL(env.config.amqpUrl);
    amqpUrl.port = String(amqpProxy.port);
    assert.equal(amqpUrl.hostname, '127.0.0.1');
    assert.equal(dbUrl.hostname, '127.0.0.1');
    worker = await env.startAnotherWorker({ AMQP_URL: amqpUrl.toString(), DATABASE_URL: dbUrl.toString() });
    calls = new CallService(env, { delay: () => 20 + Math.floor(Math.random() * 180) });
  });
  after(async () => {
    await env?.close();
    await amqpProxy.close();
    await dbProxy.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });

  it(`finishes ${FLOWS} call flows exactly once while both links are cut`, { timeout: 170_000 }, async () => {
    const seed = seedFromEnv();
    const rnd = prng(seed);
    const began = Date.now();
    const customer = randomUUID();
    const flow = await createFlow(env, customer, IVR_ACTIONS);
    const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });

    const ids: string[] = [];
    const loadBegan = Date.now();
    const starting = (async () => {
      for (let i = 0; i < FLOWS; i++) {
        ids.push(calls.start(customer, flow.id));
        if (i % 5 === 4) await sleep(700);
      }
    })();

    // Each link is cut CUTS_PER_LINK times: alone (in a shuffled order), then both at once.
    const plan: ('amqp' | 'db' | 'both')[] = [];
    for (let i = 0; i < CUTS_PER_LINK - 1; i++) plan.push('amqp', 'db');
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    plan.push('both');
    const cuts: { link: string; at: number; restoredAt: number }[] = [];
    for (const link of plan) {
      await sleep(600 + Math.floor(rnd() * 800));
      const at = Date.now();
      const refuse = REFUSE_MS + Math.floor(rnd() * 300) - 150;
      await Promise.all([
        link !== 'db' ? amqpProxy.cut(refuse) : undefined,
        link !== 'amqp' ? dbProxy.cut(refuse) : undefined,
      ]);
      cuts.push({ link, at, restoredAt: Date.now() });
    }
    await starting;

    const allEnded = await calls.waitAllEnded(ids, 60_000);
    await sleep(1000);

    // The worker keeps working afterwards: RPC and a few more flows, promptly.
    const afterwardsBegan = Date.now();
    const rpc = await env.rpc('GET', `/v1/flows/${flow.id}`);
    const more = Array.from({ length: 10 }, () => calls.start(customer, flow.id));
    const moreEnded = await calls.waitAllEnded(more, 20_000);
    const afterwardsMs = Date.now() - afterwardsBegan;
    await sleep(300);

    const all = [...ids, ...more];
    const verdict = await verify(env, calls, all, model);
    const [outbox] = await env.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
    const dlq = await env.client.checkQueue(env.config.deadLetterQueue);
    const metric = (name: string) => counter(worker.metrics.registry, name);
    const outcomes = await worker.metrics.registry.getSingleMetricAsString('flow_manager_messages_total');
    const requeued = outcomes
      .split('\n')
      .filter((l) => l.includes('outcome="requeued"'))
      .map((l) => Number(l.split(' ').pop()))
      .reduce((a, b) => a + b, 0);
    const errorLogs = new Map<string, number>();
    for (const entry of env.logs) {
      if (Number(entry.level) >= 50)
        errorLogs.set(String(entry.msg), (errorLogs.get(String(entry.msg)) ?? 0) + 1);
    }

    report('connection-loss figures', {
      seed,
      'flows run': all.length,
      'flows finished': all.length - verdict.notFinished.length,
      'link cuts injected': `${cuts.length} (${cuts.map((c) => c.link).join(' ')}), refused ~${REFUSE_MS} ms each`,
      'proxied connections opened (amqp/db)': `${amqpProxy.connections}/${dbProxy.connections}`,
      'events lost (must be 0)': verdict.eventsLost,
      'events received': calls.received,
      'duplicates delivered to consumers': calls.duplicates,
      'order problems': verdict.orderProblems.length,
      'model mismatches': verdict.modelMismatches.length,
      'time to recover (link restored -> every running flow moved again) ms': cuts
        .map((c) => calls.recoveryAfter(c.restoredAt) ?? -1)
        .join(' '),
      'amqp reconnects (metric)': await metric('flow_manager_amqp_reconnects_total'),
      'tx retries (metric)': await metric('flow_manager_tx_retries_total'),
      'inputs recognised as duplicates (metric)': await metric('flow_manager_duplicates_total'),
      'inputs requeued after a failure (metric)': requeued,
      'messages dead-lettered (dlq depth)': dlq.messageCount,
      'unhandled errors in the test process': unhandled.length,
      'worker error log lines': JSON.stringify(Object.fromEntries(errorLogs)),
      'after the cuts: rpc status / 10 more flows ended in ms': `${rpc.status_code} / ${moreEnded ? afterwardsMs : 'NOT ENDED'}`,
      'outbox rows left': outbox?.n ?? -1,
      'load lasted ms':
        Math.max(...[...calls.endedAt.entries()].filter(([k]) => ids.includes(k)).map(([, v]) => v)) -
        loadBegan,
      'wall time ms': Date.now() - began,
    });

    assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
    assert.deepEqual(unhandled, [], 'no unhandled error in the process');
    assert.ok(allEnded, `not every activeflow ended:\n${describeVerdict(verdict)}`);
    assert.deepEqual(verdict.notFinished, [], describeVerdict(verdict));
    assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
    assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
    assert.equal(dlq.messageCount, 0, 'no valid input was dead-lettered');
    assert.equal(rpc.status_code, 200, 'RPC works after the cuts');
    assert.ok(moreEnded, 'flows started after the cuts finish');
    assert.equal(Number(outbox?.n), 0, 'the outbox drains');
  });

  it(
    'dead-letters no valid input during a database outage longer than the transaction retries',
    { timeout: 120_000 },
    async () => {
      const customer = randomUUID();
      const flow = await createFlow(env, customer, IVR_ACTIONS);
      const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });
      const dlqBefore = (await env.client.checkQueue(env.config.deadLetterQueue)).messageCount;
      // Twenty calls wait at `answer`; their action_done reach the worker while the database is away.
      calls.paused = true;
      const ids = Array.from({ length: 20 }, () => calls.start(customer, flow.id));
      await waitUntil(
        () => ids.every((i) => calls.lastUpdate.get(i)?.data.status === 'running') || undefined,
        30_000,
        'every call waits',
      );
      await sleep(300); // the call service's answer delay (<= 200 ms): every answer is now held
      const requeuedBefore = env.logs.filter((l) => l.msg === 'event failed; requeued').length;
      const outageAt = Date.now();
      const outage = dbProxy.cut(LONG_DB_OUTAGE_MS);
      await sleep(100);
      const held = calls.release();
      await outage;
      const restoredAt = Date.now();
      // Fail fast once an input has been dead-lettered: its activeflow can never finish.
      let dlq = 0;
      let allEnded = false;
      while (Date.now() - restoredAt < 30_000) {
        dlq = (await env.client.checkQueue(env.config.deadLetterQueue)).messageCount - dlqBefore;
        allEnded = await calls.waitAllEnded(ids, 500);
        if (allEnded || dlq > 0) break;
      }
      if (dlq > 0) await sleep(1000);
      const verdict = await verify(env, calls, ids, model);
      const requeued = env.logs.filter((l) => l.msg === 'event failed; requeued').length - requeuedBefore;

      report('connection-loss long database outage figures', {
        'flows run': ids.length,
        'flows finished': ids.length - verdict.notFinished.length,
        'database outage ms': restoredAt - outageAt,
        'action_done published during the outage': held,
        'failed deliveries requeued during the outage': requeued,
        'valid inputs dead-lettered (must be 0)': dlq,
        'events lost (must be 0)': verdict.eventsLost,
        'duplicates delivered to consumers': calls.duplicates,
        'time to recover (database back -> every flow finished) ms': allEnded
          ? Math.max(...ids.map((i) => calls.endedAt.get(i) ?? 0)) - restoredAt
          : 'NOT RECOVERED',
        'unhandled errors in the test process': unhandled.length,
      });

      assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
      assert.equal(
        dlq,
        0,
        `${dlq} valid action_done were dead-lettered by the delivery limit while the database was unreachable for ${LONG_DB_OUTAGE_MS} ms; their activeflows never finish`,
      );
      assert.ok(allEnded, describeVerdict(verdict));
      assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
      assert.deepEqual(unhandled, []);
    },
  );
});
