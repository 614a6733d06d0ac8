// Corked multiplexer passes against the real RabbitMQ: a burst of publishes with bodies over
// amqplib's 2 KB single-chunk limit (two frames chunks each) leaves in a handful of socket
// writes instead of one per chunk, and every message arrives whole and in order.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import amqp, { type ChannelModel } from 'amqplib';
import { coalesceWrites, SOCKET_HIGH_WATER_MARK } from '../../src/adapters/amqp/coalesce.ts';
import { AMQP_URL, waitUntil } from '../helpers/env.ts';

const MESSAGES = 200;
const body = (n: number) => Buffer.from(JSON.stringify({ n, pad: 'x'.repeat(3000 + n) }));

interface CountedSocket {
  _write: (...args: unknown[]) => unknown;
  _writev: (...args: unknown[]) => unknown;
}

/** Counts the socket's writes (each `_write` or `_writev` is one call into libuv). */
function countWrites(model: ChannelModel): () => number {
  const socket = (model as unknown as { connection: { stream: CountedSocket } }).connection.stream;
  let writes = 0;
  const write = socket._write.bind(socket);
  const writev = socket._writev.bind(socket);
  socket._write = (...args) => (writes++, write(...args));
  socket._writev = (...args) => (writes++, writev(...args));
  return () => writes;
}

/** Publishes the burst in one tick and returns the socket writes it took. */
async function burst(model: ChannelModel, queue: string): Promise<number> {
  const writes = countWrites(model);
  const channel = await model.createConfirmChannel();
  const before = writes();
  for (let n = 0; n < MESSAGES; n++) channel.sendToQueue(queue, body(n));
  await channel.waitForConfirms();
  const used = writes() - before;
  await channel.close();
  return used;
}

describe('coalesced socket writes on a real RabbitMQ connection', () => {
  const queue = `test-coalesce-${randomUUID()}`;
  let admin: ChannelModel;

  before(async () => {
    admin = await amqp.connect(AMQP_URL, { noDelay: true });
    const channel = await admin.createChannel();
    await channel.assertQueue(queue, { durable: false });
    await channel.close();
  });
  after(async () => {
    const channel = await admin.createChannel();
    await channel.deleteQueue(queue);
    await admin.close();
  });

  it('sends a burst in far fewer writes than chunks, and every message arrives intact and in order', async () => {
    const plain = await amqp.connect(AMQP_URL, { noDelay: true });
    // amqplib passes the socket option on to net.connect; its types do not list it.
    const corkedOptions = { noDelay: true, writableHighWaterMark: SOCKET_HIGH_WATER_MARK };
    const corked = await amqp.connect(AMQP_URL, corkedOptions);
    try {
      assert.equal(coalesceWrites(corked), true, 'amqplib has the multiplexer pass this relies on');
      const plainWrites = await burst(plain, queue);
      const corkedWrites = await burst(corked, queue);
      // Two chunks per message (method+header, body) and a write each without corking.
      assert.ok(plainWrites >= 2 * MESSAGES, `plain: ${plainWrites} writes`);
      assert.ok(corkedWrites * 10 <= plainWrites, `corked: ${corkedWrites} writes against ${plainWrites}`);

      const channel = await admin.createChannel();
      const received: Buffer[] = [];
      await channel.consume(queue, (m) => m && received.push(m.content), { noAck: true });
      await waitUntil(() => (received.length >= 2 * MESSAGES ? true : undefined), 10_000, 'all messages');
      await channel.close();
      const expected = [...Array(MESSAGES).keys()].map(body);
      assert.deepEqual(received.slice(0, MESSAGES), expected, 'the plain burst');
      assert.deepEqual(received.slice(MESSAGES), expected, 'the corked burst');
    } finally {
      await plain.close();
      await corked.close();
    }
  });

  it('changes nothing and says so when the connection has no multiplexer pass', () => {
    assert.equal(coalesceWrites({} as ChannelModel), false);
    assert.equal(coalesceWrites({ connection: { muxer: {}, stream: {} } } as unknown as ChannelModel), false);
  });
});
