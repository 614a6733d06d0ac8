// Settles the deliveries of one consume channel, coalescing acks: under group commit many inputs
// finish in the same event-loop turn, and one `basic.ack` with `multiple` (allUpTo) then replaces
// a frame per delivery. Delivery tags are per channel, so there is one settler per channel, shared
// by every consumer on it.
import type { Channel, Message } from 'amqplib';

/** The two channel methods the settler uses (a fake in tests, the consume channel in the worker). */
export type AckChannel = Pick<Channel, 'ack' | 'nack'>;

/** How a handler settles its delivery: exactly once, and only after its input committed. */
export interface Settler {
  /** Acknowledges `message`; the frame goes out at the end of this event-loop turn. */
  ack(message: Message): void;
  /** Rejects `message` at once (dead-lettered, or requeued when `requeue`). */
  nack(message: Message, requeue: boolean): void;
}

/** The channel side of a settler: the broker registers deliveries, flushes and closes it. */
export interface ChannelSettler extends Settler {
  /** Registers a delivery as outstanding; must be called as it arrives, before its handler runs. */
  receive(message: Message): void;
  /** Sends the acks collected so far now instead of at the end of the turn. */
  flush(): void;
  /** The channel closed: the broker redelivers what was unacked; later settles are no-ops. */
  close(): void;
}

/** Acks and nacks on a channel that has closed throw; the broker redelivers, so ignore. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel is gone: the delivery will be redelivered by the broker.
  }
}

export function createSettler(channel: AckChannel): ChannelSettler {
  // Deliveries not yet settled at the broker, in delivery-tag order: AMQP numbers a channel's
  // deliveries 1, 2, 3 ... and a Map iterates in insertion order, so its first entries are the
  // lowest tags.
  const outstanding = new Map<number, Message>();
  // Tags acked by their handlers since the last flush (still in `outstanding` until sent).
  const acked = new Set<number>();
  let scheduled: NodeJS.Immediate | null = null;
  let closed = false;

  /** The outstanding delivery with this tag, if `message` is it (a stale or foreign one is not). */
  const find = (message: Message): number | null => {
    const tag = message.fields.deliveryTag;
    return !closed && outstanding.get(tag) === message ? tag : null;
  };

  const flush = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = null;
    if (closed || acked.size === 0) return;
    // The longest run of acked deliveries from the lowest outstanding tag: every tag below its
    // end is either in it or already settled (acked earlier or nacked: nacks go out at once, so
    // before this frame), so one allUpTo ack covers exactly the run and nothing still in progress.
    let last: Message | null = null;
    let run = 0;
    for (const [tag, message] of outstanding) {
      if (!acked.has(tag)) break;
      outstanding.delete(tag);
      acked.delete(tag);
      last = message;
      run++;
    }
    if (last) {
      const upTo = last;
      safely(() => channel.ack(upTo, run > 1));
    }
    // Acks above a gap (a lower delivery is still being processed) go out one by one now: holding
    // them back would keep their prefetch credit.
    for (const tag of acked) {
      const message = outstanding.get(tag);
      outstanding.delete(tag);
      if (message) safely(() => channel.ack(message));
    }
    acked.clear();
  };

  return {
    receive(message) {
      if (!closed) outstanding.set(message.fields.deliveryTag, message);
    },
    ack(message) {
      const tag = find(message);
      if (tag === null || acked.has(tag)) return;
      acked.add(tag);
      scheduled ??= setImmediate(flush);
    },
    nack(message, requeue) {
      const tag = find(message);
      if (tag === null || acked.has(tag)) return;
      outstanding.delete(tag);
      safely(() => channel.nack(message, false, requeue));
    },
    flush,
    close() {
      closed = true;
      if (scheduled) clearImmediate(scheduled);
      scheduled = null;
      outstanding.clear();
      acked.clear();
    },
  };
}
