// Plays the call service against a running system and measures transitions/s and latency.
// `ours`: start_flow, then answer every activeflow_updated that waits with action_done.
// `floor`: one message in per row, the confirmed message out triggers the next one.
import { randomUUID } from 'node:crypto';
import type { Channel } from 'amqplib';

export interface Measure {
  transitions: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every latency of the measured window, in ms, sorted (left out of the JSON report). */
  latencies: number[];
}

/** The q-quantile of sorted latencies. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export interface Target {
  /** Starts one more conversation (a flow or a floor row). */
  startOne(): void;
  /** Sends the next input of a conversation that is ready. */
  send(key: string): void;
}

/**
 * Runs for `seconds` with `concurrency` conversations. With `ratePerSecond`, inputs of ready
 * conversations are sent at that fixed rate; without it, at once (saturation).
 */
export function createLoop(concurrency: number, ratePerSecond?: number) {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const ready: string[] = [];
  let transitions = 0;
  let measuring = false;
  let target: Target | null = null;
  let pacer: NodeJS.Timeout | null = null;
  const dispatch = (key: string) => {
    sentAt.set(key, performance.now());
    target?.send(key);
  };
  return {
    /** A conversation settled at a new wait: record latency, then send its next input. */
    onWait(key: string) {
      const sent = sentAt.get(key);
      if (sent !== undefined) {
        sentAt.delete(key);
        if (measuring) {
          transitions++;
          latencies.push(performance.now() - sent);
        }
      }
      if (ratePerSecond) ready.push(key);
      else dispatch(key);
    },
    /** A conversation ended: start another to keep the concurrency. */
    onEnd(key: string) {
      const sent = sentAt.get(key);
      if (sent !== undefined && measuring) {
        transitions++;
        latencies.push(performance.now() - sent);
      }
      sentAt.delete(key);
      target?.startOne();
    },
    /** `onMeasure` runs once the warm-up is over, just before the measured window starts. */
    async run(t: Target, warmupSeconds: number, seconds: number, onMeasure?: () => Promise<void>): Promise<Measure> {
      target = t;
      for (let i = 0; i < concurrency; i++) t.startOne();
      if (ratePerSecond) {
        // Credit by the time that really passed: a busy event loop runs 5 ms timers late, and
        // counting each tick as 5 ms offered ours (whose bigger events keep this loop busier)
        // ~10 % less than the rate asked for.
        const tickMs = 5;
        let credit = 0;
        let last = performance.now();
        pacer = setInterval(() => {
          const now = performance.now();
          credit += (ratePerSecond * (now - last)) / 1000;
          last = now;
          while (credit >= 1 && ready.length > 0) {
            credit -= 1;
            dispatch(ready.shift()!);
          }
          if (ready.length === 0) credit = Math.min(credit, 1);
        }, tickMs);
      }
      await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
      await onMeasure?.();
      measuring = true;
      const started = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      measuring = false;
      const elapsed = (performance.now() - started) / 1000;
      if (pacer) clearInterval(pacer);
      target = null;
      latencies.sort((a, b) => a - b);
      const pick = (q: number) => quantile(latencies, q);
      return { transitions, seconds: elapsed, perSecond: transitions / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99), maxMs: latencies.at(-1) ?? NaN, latencies };
    },
  };
}

/** Our worker: the flow answer -> talk -> digits_receive -> branch -> talk -> hangup. */
export async function driveOurs(channel: Channel, names: { callExchange: string; eventExchange: string }, customerId: string, flowId: string, loop: ReturnType<typeof createLoop>, warmup: number, seconds: number, onMeasure?: () => Promise<void>): Promise<Measure> {
  const waitingAt = new Map<string, { id: string; type: string }>();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, names.eventExchange, '');
  // Each event with a message id of its own, as a platform service publishes them: the worker
  // records it in processed_messages, as the floor records its message ids.
  const publish = (type: string, data: unknown) =>
    channel.publish(names.callExchange, '', Buffer.from(JSON.stringify({ type, publisher: 'bench', data_type: 'application/json', data })), { persistent: true, messageId: randomUUID() });
  const { consumerTag } = await channel.consume(queue, (m) => {
    if (!m) return;
    const event = JSON.parse(m.content.toString());
    if (event.type !== 'activeflow_updated') return;
    const af = event.data;
    if (af.status === 'ended') loop.onEnd(af.id);
    else {
      waitingAt.set(af.id, af.current_action);
      loop.onWait(af.id);
    }
  }, { noAck: true });
  const result = await loop.run(
    {
      startOne: () => publish('start_flow', { customer_id: customerId, flow_id: flowId, reference_type: 'call', reference_id: randomUUID() }),
      send: (afId) => {
        const action = waitingAt.get(afId);
        if (!action) return;
        const variables = action.type === 'digits_receive' ? { 'voipbin.call.digits': '1' } : undefined;
        publish('action_done', { activeflow_id: afId, action_id: action.id, ...(variables ? { variables } : {}) });
      },
    },
    warmup,
    seconds,
    onMeasure,
  );
  await channel.cancel(consumerTag);
  await channel.deleteQueue(queue);
  return result;
}

/** The floor consumer of bench/floor.ts. */
export async function driveFloor(channel: Channel, loop: ReturnType<typeof createLoop>, warmup: number, seconds: number, onMeasure?: () => Promise<void>): Promise<Measure> {
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, 'bench.floor.out', '');
  const rounds = new Map<string, number>();
  const { consumerTag } = await channel.consume(queue, (m) => {
    if (!m) return;
    const { row } = JSON.parse(m.content.toString());
    const n = (rounds.get(row) ?? 0) + 1;
    rounds.set(row, n);
    // Five transitions per conversation, like the flow (answer, talk, digits, talk, hangup).
    if (n % 5 === 0) loop.onEnd(row);
    else loop.onWait(row);
  }, { noAck: true });
  const send = (row: string) => channel.sendToQueue('bench.floor.in', Buffer.from(JSON.stringify({ row })), { persistent: true });
  const result = await loop.run({ startOne: () => { const row = randomUUID(); loop.onWait(row); }, send }, warmup, seconds, onMeasure);
  await channel.cancel(consumerTag);
  await channel.deleteQueue(queue);
  return result;
}
