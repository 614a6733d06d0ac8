// Fault test: a poison message (a valid action_done whose processing keeps failing for a
// non-validation reason) must reach the dead-letter queue within the delivery limit, while other
// flows keep completing. The failure is injected in the test's own database: a trigger that
// refuses every UPDATE of one activeflow row (SIGNAL SQLSTATE '45000'), so the event is valid, the
// activeflow exists and waits at that action, and only the store fails: not AppError, not
// retryable by the transaction loop, so the consumer requeues it until the queue's delivery limit
// dead-letters it.
// A second case checks the topology alone: a raw consumer nacks a message with requeue=true until
// the broker's delivery limit moves it to the dead-letter queue.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type GetMessage } from 'amqplib';
import { AMQP_URL, createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { workQueueOptions } from '../../src/adapters/amqp/topology.ts';
import {
  CallService,
  IVR_ACTIONS,
  counter,
  describeVerdict,
  id,
  modelRun,
  report,
  sleep,
  verify,
} from './support.ts';

const DELIVERY_LIMIT = 2;
const FLOWS = 30;

describe('poison message', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ DELIVERY_LIMIT: String(DELIVERY_LIMIT) });
  });
  after(async () => {
    await env.close();
  });

  /** Takes every message currently in the dead-letter queue (acked). */
  const drainDlq = async (): Promise<GetMessage[]> => {
    const got: GetMessage[] = [];
    for (;;) {
      const message = await env.client.get(env.config.deadLetterQueue, { noAck: true });
      if (!message) return got;
      got.push(message);
    }
  };

  it(
    'dead-letters an action_done that keeps failing within the delivery limit while other flows complete',
    { timeout: 120_000 },
    async () => {
      const began = Date.now();
      const poisoned = randomUUID();
      const calls = new CallService(env, {
        ignore: new Set([poisoned]),
        delay: () => Math.floor(Math.random() * 50),
      });
      const customer = randomUUID();
      const flow = await createFlow(env, customer, IVR_ACTIONS);
      const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });

      // The poisoned activeflow waits at `answer`; then every UPDATE of its row fails.
      env.publishEvent('start_flow', {
        activeflow_id: poisoned,
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'call',
        reference_id: randomUUID(),
      });
      await waitUntil(() => calls.lastUpdate.get(poisoned), 15_000, 'the poisoned activeflow waits');
      await env.query(
        `CREATE TRIGGER fault_poison BEFORE UPDATE ON activeflows FOR EACH ROW
       BEGIN IF NEW.id = '${poisoned}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'fault injection: poisoned row'; END IF; END`,
      );
      const [before] = await env.query<{ seq: number; doc: string }>(
        'SELECT seq, doc FROM activeflows WHERE id = ?',
        [poisoned],
      );

      const ids = Array.from({ length: FLOWS / 2 }, () => calls.start(customer, flow.id));
      const poisonId = randomUUID();
      const poisonAt = Date.now();
      env.publishEvent('action_done', { activeflow_id: poisoned, action_id: id(1) }, { messageId: poisonId });
      ids.push(...Array.from({ length: FLOWS / 2 }, () => calls.start(customer, flow.id)));

      const dead = await waitUntil(
        async () => {
          const got = await drainDlq();
          return got.length > 0 ? got : undefined;
        },
        30_000,
        'the poison message in the dead-letter queue',
      );
      const deadLetteredMs = Date.now() - poisonAt;
      const allEnded = await calls.waitAllEnded(ids, 60_000);
      await sleep(500);
      dead.push(...(await drainDlq()));

      const attempts = env.logs.filter(
        (l) => l.msg === 'event failed; requeued' && l.message_id === poisonId,
      ).length;
      const [afterwards] = await env.query<{ seq: number; doc: string }>(
        'SELECT seq, doc FROM activeflows WHERE id = ?',
        [poisoned],
      );
      const verdict = await verify(env, calls, ids, model);
      const deathHeader = (dead[0]?.properties.headers?.['x-death'] ?? []) as {
        reason?: string;
        queue?: string;
        count?: number;
      }[];
      await env.query('DROP TRIGGER fault_poison');

      report('poison figures', {
        'flows run': ids.length,
        'flows finished': ids.length - verdict.notFinished.length,
        'poison messages injected': 1,
        'delivery limit': DELIVERY_LIMIT,
        'deliveries of the poison message that failed': attempts,
        'time to dead-letter ms': deadLetteredMs,
        'dead-letter reason': deathHeader.map((d) => `${d.reason} from ${d.queue}`).join(', ') || 'none',
        'messages in the dead-letter queue': dead.length,
        'events lost (must be 0)': verdict.eventsLost,
        'duplicates delivered to consumers': calls.duplicates,
        'dead-lettered (metric)': await counter(
          env.worker.metrics.registry,
          'flow_manager_dead_lettered_total',
        ),
        'wall time ms': Date.now() - began,
      });

      assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
      assert.equal(dead.length, 1, 'exactly the poison message is dead-lettered');
      assert.equal(dead[0]!.properties.messageId, poisonId);
      assert.deepEqual(JSON.parse(dead[0]!.content.toString()).data, {
        activeflow_id: poisoned,
        action_id: id(1),
      });
      assert.ok(
        attempts >= 1 && attempts <= DELIVERY_LIMIT + 1,
        `delivered ${attempts} times for a limit of ${DELIVERY_LIMIT}`,
      );
      assert.equal(deathHeader[0]?.reason, 'delivery_limit');
      assert.deepEqual(afterwards, before, 'the poisoned activeflow is unchanged');
      assert.ok(allEnded, describeVerdict(verdict));
      assert.deepEqual(verdict.notFinished, [], describeVerdict(verdict));
      assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
      assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
    },
  );

  it(
    'topology: a message nacked with requeue more often than the delivery limit lands in the DLQ',
    { timeout: 60_000 },
    async () => {
      // The worker's queue arguments are as declared: re-declaring with them succeeds, and with
      // another delivery limit or without the dead-letter routing the broker refuses (406).
      const options = workQueueOptions(env.config);
      assert.equal((options.arguments as Record<string, unknown>)['x-delivery-limit'], DELIVERY_LIMIT);
      const connection = await amqp.connect(AMQP_URL);
      const probe = await connection.createChannel();
      probe.on('error', () => undefined);
      await probe.assertQueue(env.config.subscribeQueue, options);
      const refused = await probe
        .assertQueue(env.config.subscribeQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } })
        .then(
          () => false,
          (err: { code?: number }) => err.code === 406,
        );
      assert.ok(refused, 'the subscribe queue has dead-letter arguments');

      // Stop the worker so only our raw consumer competes for the queue.
      await env.worker.stop();
      await drainDlq();
      const messageId = randomUUID();
      env.publishEvent('not_a_real_event', { n: 1 }, { messageId });
      const channel = await connection.createChannel();
      let deliveries = 0;
      await channel.consume(env.config.subscribeQueue, (message) => {
        if (!message) return;
        deliveries++;
        channel.nack(message, false, true);
      });
      const dead = await waitUntil(
        async () => {
          const got = await drainDlq();
          return got.length > 0 ? got : undefined;
        },
        15_000,
        'the nacked message in the dead-letter queue',
      );
      await channel.close();
      await connection.close();
      report('poison topology figures', {
        'delivery limit': DELIVERY_LIMIT,
        'deliveries before dead-lettering': deliveries,
        'dead-letter reason': ((dead[0]?.properties.headers?.['x-death'] ?? []) as { reason?: string }[])
          .map((d) => d.reason)
          .join(', '),
      });
      assert.equal(dead.length, 1);
      assert.equal(dead[0]!.properties.messageId, messageId);
      assert.equal(deliveries, DELIVERY_LIMIT + 1, 'delivered once plus DELIVERY_LIMIT redeliveries');
    },
  );
});
