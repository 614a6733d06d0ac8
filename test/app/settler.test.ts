// The per-channel ack settler, against a recording fake of the channel's ack/nack that also plays
// the broker's bookkeeping of unacknowledged deliveries (no RabbitMQ needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'amqplib';
import fc from 'fast-check';
import { createSettler } from '../../src/adapters/amqp/settler.ts';

type Frame = { op: 'ack'; tag: number; allUpTo: boolean } | { op: 'nack'; tag: number; requeue: boolean };
type Outcome = 'ack' | 'nack';

const delivery = (tag: number): Message => ({ fields: { deliveryTag: tag } }) as unknown as Message;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Records frames and checks each one as the broker would: a tag must be unacknowledged when a frame
 * names it, and an allUpTo ack may only cover deliveries whose handler already acked them.
 */
function fakeChannel() {
  const frames: Frame[] = [];
  const errors: string[] = [];
  const unacked = new Set<number>();
  const handlerAcked = new Set<number>();
  const settledAs = new Map<number, Outcome[]>();
  const settle = (tag: number, outcome: Outcome) => {
    unacked.delete(tag);
    settledAs.set(tag, [...(settledAs.get(tag) ?? []), outcome]);
  };
  let broken = false;
  return {
    frames,
    errors,
    settledAs,
    /** The broker delivered `tag`; its handler has not finished. */
    deliver(tag: number) {
      unacked.add(tag);
    },
    /** The handler of `tag` is about to call settler.ack. */
    handlerAcks(tag: number) {
      handlerAcked.add(tag);
    },
    get unacked() {
      return [...unacked];
    },
    /** From now on every call throws, as amqplib does on a closed channel. */
    breakIt() {
      broken = true;
    },
    ack(message: Message, allUpTo = false) {
      if (broken) throw new Error('Channel closed');
      const tag = message.fields.deliveryTag;
      frames.push({ op: 'ack', tag, allUpTo });
      if (!unacked.has(tag)) errors.push(`ack of unknown delivery tag ${tag}`);
      if (!allUpTo) return settle(tag, 'ack');
      for (const t of [...unacked].filter((t) => t <= tag)) {
        if (!handlerAcked.has(t))
          errors.push(`ack(${tag}, allUpTo) covers ${t}, which its handler has not acked`);
        settle(t, 'ack');
      }
    },
    nack(message: Message, allUpTo = false, requeue = true) {
      if (broken) throw new Error('Channel closed');
      const tag = message.fields.deliveryTag;
      frames.push({ op: 'nack', tag, requeue });
      if (allUpTo) errors.push(`nack(${tag}) with allUpTo`);
      if (!unacked.has(tag)) errors.push(`nack of unknown delivery tag ${tag}`);
      settle(tag, 'nack');
    },
  };
}

/** A settler on a fake channel with deliveries 1..count received. */
function setup(count: number) {
  const channel = fakeChannel();
  const settler = createSettler(channel);
  const messages = new Map<number, Message>();
  const receive = (tag: number) => {
    const message = delivery(tag);
    messages.set(tag, message);
    channel.deliver(tag);
    settler.receive(message);
  };
  for (let tag = 1; tag <= count; tag++) receive(tag);
  const m = (tag: number) => messages.get(tag) ?? assert.fail(`no delivery ${tag}`);
  const ack = (...tags: number[]) => {
    for (const tag of tags) {
      channel.handlerAcks(tag);
      settler.ack(m(tag));
    }
  };
  return { channel, settler, receive, m, ack };
}

describe('ack settler', () => {
  it('acks a contiguous run finished in one turn with one allUpTo frame, at the end of the turn', async () => {
    const { channel, ack } = setup(10);
    ack(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    assert.deepEqual(channel.frames, [], 'nothing is sent before the turn ends');
    await turn();
    assert.deepEqual(channel.frames, [{ op: 'ack', tag: 10, allUpTo: true }]);
    assert.deepEqual(channel.errors, []);
    assert.deepEqual(channel.unacked, []);
  });

  it('coalesces out-of-order completion within one turn', async () => {
    const { channel, ack } = setup(4);
    ack(3, 1, 4, 2);
    await turn();
    assert.deepEqual(channel.frames, [{ op: 'ack', tag: 4, allUpTo: true }]);
    assert.deepEqual(channel.errors, []);
  });

  it('sends acks above a gap individually at once and never covers the delivery still in progress', async () => {
    const { channel, ack } = setup(6);
    ack(2, 3, 5);
    await turn();
    assert.deepEqual(channel.frames, [
      { op: 'ack', tag: 2, allUpTo: false },
      { op: 'ack', tag: 3, allUpTo: false },
      { op: 'ack', tag: 5, allUpTo: false },
    ]);
    assert.deepEqual(channel.unacked.sort(), [1, 4, 6]);
    ack(1, 6);
    await turn();
    assert.deepEqual(channel.frames.slice(3), [
      { op: 'ack', tag: 1, allUpTo: false },
      { op: 'ack', tag: 6, allUpTo: false },
    ]);
    assert.deepEqual(channel.unacked, [4]);
    ack(4);
    await turn();
    assert.deepEqual(channel.frames.slice(5), [{ op: 'ack', tag: 4, allUpTo: false }]);
    assert.deepEqual(channel.errors, []);
    assert.deepEqual(channel.unacked, []);
  });

  it('groups the run below a gap and sends the rest one by one in the same flush', async () => {
    const { channel, ack } = setup(6);
    ack(5, 1, 2);
    await turn();
    assert.deepEqual(channel.frames, [
      { op: 'ack', tag: 2, allUpTo: true },
      { op: 'ack', tag: 5, allUpTo: false },
    ]);
    assert.deepEqual(channel.unacked.sort(), [3, 4, 6]);
    assert.deepEqual(channel.errors, []);
  });

  it('sends a nack at once; a nacked delivery does not block the run, and its nack precedes the covering ack', async () => {
    const { channel, settler, m, ack } = setup(5);
    ack(1, 2);
    settler.nack(m(3), true);
    assert.deepEqual(channel.frames, [{ op: 'nack', tag: 3, requeue: true }], 'nack is not deferred');
    ack(5, 4);
    await turn();
    assert.deepEqual(channel.frames, [
      { op: 'nack', tag: 3, requeue: true },
      { op: 'ack', tag: 5, allUpTo: true },
    ]);
    assert.deepEqual(channel.errors, []);
    assert.deepEqual(channel.settledAs.get(3), ['nack']);
    assert.deepEqual(
      [1, 2, 4, 5].map((t) => channel.settledAs.get(t)),
      [['ack'], ['ack'], ['ack'], ['ack']],
    );
  });

  it('settles each delivery once: later acks and nacks of it, and unknown deliveries, send nothing', async () => {
    const { channel, settler, m, ack } = setup(3);
    ack(1);
    settler.ack(m(1));
    settler.nack(m(1), true);
    settler.nack(m(2), false);
    settler.nack(m(2), true);
    settler.ack(m(2));
    settler.ack(delivery(3)); // same tag number, not the delivery this channel handed out
    settler.ack(delivery(99));
    await turn();
    assert.deepEqual(channel.frames, [
      { op: 'nack', tag: 2, requeue: false },
      { op: 'ack', tag: 1, allUpTo: false },
    ]);
    ack(3);
    await turn();
    assert.deepEqual(channel.errors, []);
    assert.deepEqual(channel.unacked, []);
    assert.deepEqual([...channel.settledAs.values()], [['nack'], ['ack'], ['ack']]);
  });

  it('flush() sends the collected acks before the turn ends, and the scheduled flush then sends nothing more', async () => {
    const { channel, settler, ack } = setup(3);
    ack(1, 2, 3);
    settler.flush();
    assert.deepEqual(channel.frames, [{ op: 'ack', tag: 3, allUpTo: true }]);
    await turn();
    assert.equal(channel.frames.length, 1);
  });

  it('after its channel closed, settling is a harmless no-op; the next channel gets its own settler', async () => {
    const old = setup(3);
    old.ack(1);
    old.channel.breakIt();
    old.settler.close();
    old.ack(2);
    assert.doesNotThrow(() => old.settler.nack(old.m(3), true));
    await turn();
    assert.deepEqual(old.channel.frames, []);

    const fresh = setup(2);
    fresh.settler.ack(old.m(1)); // tag 1 of the old channel is not tag 1 of this one
    await turn();
    assert.deepEqual(fresh.channel.frames, []);
    fresh.ack(1, 2);
    await turn();
    assert.deepEqual(fresh.channel.frames, [{ op: 'ack', tag: 2, allUpTo: true }]);
  });

  it('never throws when the channel closed without the settler knowing yet', async () => {
    const { channel, settler, m, ack } = setup(2);
    channel.breakIt();
    assert.doesNotThrow(() => settler.nack(m(1), true));
    ack(2);
    await turn();
    assert.doesNotThrow(() => settler.flush());
  });

  it('random arrival and completion orders: each delivery settled exactly once as its handler chose, no allUpTo over work in progress', async () => {
    const schedule = fc
      .array(
        fc.record({
          delay: fc.integer({ min: 1, max: 4 }),
          nack: fc.oneof(fc.constant(false), fc.constant(false), fc.constant(true)),
          order: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        {
          minLength: 1,
          maxLength: 60,
        },
      )
      .chain((items) =>
        fc.tuple(
          fc.constant(items),
          fc.array(fc.integer({ min: 0, max: 3 }), { minLength: items.length, maxLength: items.length }),
        ),
      );
    await fc.assert(
      fc.asyncProperty(schedule, async ([items, gaps]) => {
        // Delivery tag n+1 arrives in turn arrival[n] (non-decreasing) and finishes `delay` turns later.
        const arrival: number[] = [];
        gaps.forEach((g, n) => arrival.push((arrival[n - 1] ?? 0) + (g === 0 ? 1 : 0)));
        const { channel, settler, receive, m, ack } = setup(0);
        const lastTurn = Math.max(...items.map((it, n) => arrival[n]! + it.delay));
        for (let t = 0; t <= lastTurn; t++) {
          items.forEach((_, n) => arrival[n] === t && receive(n + 1));
          const finishing = items
            .map((it, n) => ({ ...it, tag: n + 1, at: arrival[n]! + it.delay }))
            .filter((it) => it.at === t)
            .sort((a, b) => a.order - b.order);
          for (const it of finishing) {
            if (it.nack) settler.nack(m(it.tag), true);
            else ack(it.tag);
          }
          await turn();
        }
        assert.deepEqual(channel.errors, []);
        assert.deepEqual(channel.unacked, []);
        items.forEach((it, n) =>
          assert.deepEqual(channel.settledAs.get(n + 1), [it.nack ? 'nack' : 'ack'], `tag ${n + 1}`),
        );
        const frames = channel.frames.length;
        assert.ok(frames <= items.length, `${frames} frames for ${items.length} deliveries`);
      }),
      { numRuns: 200 },
    );
  });

  it('sends fewer ack frames than deliveries when completion is contiguous across turns', async () => {
    const { channel, ack } = setup(100);
    for (let first = 1; first <= 100; first += 10) {
      ack(...Array.from({ length: 10 }, (_, i) => first + i).reverse());
      await turn();
    }
    assert.equal(channel.frames.length, 10);
    assert.ok(channel.frames.every((f) => f.op === 'ack' && f.allUpTo));
    assert.deepEqual(channel.errors, []);
    assert.deepEqual(channel.unacked, []);
  });
});
