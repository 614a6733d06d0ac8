// Grouped acks against the real RabbitMQ: deliveries finished out of order, in random groups, are
// all acknowledged (the queue is empty once the channel closes), none twice (RabbitMQ closes the
// channel on an unknown delivery tag), with fewer ack frames than deliveries.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type ChannelModel, type ConsumeMessage, type Message } from 'amqplib';
import { createSettler } from '../../src/adapters/amqp/settler.ts';
import { AMQP_URL, waitUntil } from '../helpers/env.ts';

const MESSAGES = 500;
const PREFETCH = 64;
/** Messages whose first delivery is nacked with requeue (a nack between acks, on the real broker). */
const nackedFirst = (index: number) => index % 50 === 7;

describe('grouped acks on a real RabbitMQ channel', () => {
  let connection: ChannelModel;
  const connectionErrors: Error[] = [];
  const queue = `test-ack-groups-${randomUUID()}`;

  before(async () => {
    connection = await amqp.connect(AMQP_URL, { noDelay: true });
    connection.on('error', (err: Error) => connectionErrors.push(err));
    const admin = await connection.createChannel();
    await admin.assertQueue(queue, { durable: false });
    await admin.close();
  });
  after(async () => {
    // On a connection of its own: a failed test may have left the first one closed by the broker.
    const cleanup = await amqp.connect(AMQP_URL);
    const admin = await cleanup.createChannel();
    await admin.deleteQueue(queue);
    await cleanup.close();
    await connection.close().catch(() => undefined);
  });

  it('acknowledges every delivery once, never one still in progress, in fewer frames than deliveries', async (t) => {
    const publisher = await connection.createConfirmChannel();
    for (let i = 0; i < MESSAGES; i++) publisher.sendToQueue(queue, Buffer.from(String(i)));
    await publisher.waitForConfirms();
    await publisher.close();

    const channel = await connection.createChannel();
    const channelErrors: Error[] = [];
    channel.on('error', (err: Error) => channelErrors.push(err));
    await channel.prefetch(PREFETCH);

    const inProgress = new Set<number>();
    const violations: string[] = [];
    let ackFrames = 0;
    let groupedFrames = 0;
    // The settler sends through this wrapper: count ack frames and check that an allUpTo ack
    // covers no delivery whose handler is still running.
    const settler = createSettler({
      ack(message: Message, allUpTo?: boolean) {
        ackFrames++;
        const tag = message.fields.deliveryTag;
        if (allUpTo) {
          groupedFrames++;
          for (const other of inProgress)
            if (other <= tag) violations.push(`ack(${tag}, allUpTo) while ${other} is in progress`);
        }
        channel.ack(message, allUpTo);
      },
      nack: (message: Message, allUpTo?: boolean, requeue?: boolean) =>
        channel.nack(message, allUpTo, requeue),
    });

    const acked = new Map<number, number>();
    let nacks = 0;
    let redelivered = 0;
    const finish = (message: ConsumeMessage) => {
      inProgress.delete(message.fields.deliveryTag);
      const index = Number(message.content.toString('utf8'));
      if (nackedFirst(index) && !message.fields.redelivered) {
        nacks++;
        settler.nack(message, true);
      } else {
        acked.set(index, (acked.get(index) ?? 0) + 1);
        settler.ack(message);
      }
    };
    // Each delivery finishes after a small random delay, so completion order is shuffled; the
    // ones whose timers expire together finish in one event-loop turn, as a group commit does.
    const timers = new Set<NodeJS.Timeout>();
    await channel.consume(queue, (message) => {
      if (!message) return;
      settler.receive(message);
      inProgress.add(message.fields.deliveryTag);
      if (message.fields.redelivered) redelivered++;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          finish(message);
        },
        randomInt(0, 6),
      );
      timers.add(timer);
    });

    try {
      await waitUntil(
        () => acked.size === MESSAGES || channelErrors.length > 0,
        30_000,
        `${MESSAGES} messages acked`,
      );
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
    // Let the settler's end-of-turn flush send the last acks: closing the channel then requeues
    // whatever is still unacknowledged, which the checks below would find.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(channelErrors, [], 'RabbitMQ closed the channel (a tag acked twice or unknown?)');
    assert.deepEqual(connectionErrors, []);
    await channel.close();

    assert.deepEqual(violations, []);
    assert.ok(
      [...acked.values()].every((n) => n === 1),
      'each message acked once by its handler',
    );
    const expectedNacks = Array.from({ length: MESSAGES }, (_, i) => i).filter(nackedFirst).length;
    assert.equal(nacks, expectedNacks);
    assert.equal(redelivered, expectedNacks, 'only the nacked messages come back');

    const check = await connection.createChannel();
    const { messageCount, consumerCount } = await check.checkQueue(queue);
    assert.equal(consumerCount, 0);
    assert.equal(messageCount, 0, 'every delivery was acknowledged before the channel closed');
    assert.equal(await check.get(queue), false);
    await check.close();

    assert.ok(ackFrames < MESSAGES, `${ackFrames} ack frames for ${MESSAGES} messages`);
    assert.ok(groupedFrames > 0, 'some acks were grouped');
    t.diagnostic(
      `ack frames: ${ackFrames} (${groupedFrames} allUpTo) for ${MESSAGES} messages, ${nacks} nacks`,
    );
  });
});
