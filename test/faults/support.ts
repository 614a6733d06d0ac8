// Shared pieces of the fault tests: the IVR flow, a call service that answers every update, an
// in-memory model run of the engine, a TCP proxy that can cut a link, and the final checks.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import {
  apply,
  createActiveflow,
  isHandedOffType,
  ZERO_ID,
  type Action,
  type EngineContext,
  type EngineInput,
  type FlowState,
  type Outcome,
} from '../../src/engine/index.ts';
import type { ReceivedEvent, TestEnv } from '../helpers/env.ts';
import { CALL_IVR } from '../helpers/flows.ts';

export { id } from '../helpers/flows.ts';
export const DIGITS = 'voipbin.call.digits';

/** answer -> talk -> digits_receive -> branch('1' -> talk 5, default -> talk 6) -> hangup. */
export const IVR_ACTIONS = CALL_IVR;

/** What the call service reports when it has done an action: digits at digits_receive. */
export function doneVariables(action: { type: string }): Record<string, string> | undefined {
  return action.type === 'digits_receive' ? { [DIGITS]: '1' } : undefined;
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with FAULT_SEED. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedFromEnv(): number {
  const fromEnv = Number(process.env.FAULT_SEED);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The call service

export interface CallServiceOptions {
  /** Delay before answering an update (ms); default none. */
  delay?: () => number;
  /** Activeflows the call service must not answer (their inputs are published by the test). */
  ignore?: Set<string>;
  /** Called for every real action_done published (to add duplicates or stale ones). */
  onAnswer?: (
    activeflowId: string,
    action: { id: string; type: string },
    messageId: string,
    body: Record<string, unknown>,
  ) => void;
}

/**
 * Plays the call service: for every `activeflow_updated` with status running it publishes
 * `action_done` for `current_action.id`. Collects every event from our exchange, de-duplicates by
 * message id and records, per aggregate, the sequence numbers in arrival order.
 */
export class CallService {
  readonly seen = new Set<string>();
  readonly sequences = new Map<string, number[]>();
  readonly lastUpdate = new Map<string, ReceivedEvent>();
  readonly ended = new Set<string>();
  /** Per activeflow: arrival time of each first-seen event, and when its end arrived. */
  readonly arrivals = new Map<string, number[]>();
  readonly endedAt = new Map<string, number>();
  /** Events whose message id had been received before (redeliveries, republished outbox rows). */
  duplicates = 0;
  received = 0;
  answered = 0;
  /** action_done sent again because an update arrived twice. */
  reanswered = 0;
  lastEventAt = Date.now();
  /** While paused, answers are held back and go out on `release()`. */
  paused = false;
  private held: (() => void)[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly eventTimes: number[] = [];

  constructor(
    private readonly env: TestEnv,
    private readonly options: CallServiceOptions = {},
  ) {
    // Hook the helper's collector: handle each event the moment it arrives (no polling delay).
    const events = env.events;
    const push = events.push.bind(events);
    events.push = (...items: ReceivedEvent[]) => {
      const length = push(...items);
      for (const item of items) this.onEvent(item);
      return length;
    };
    for (const item of events.slice()) this.onEvent(item);
  }

  private onEvent(event: ReceivedEvent): void {
    this.received++;
    this.lastEventAt = Date.now();
    this.eventTimes.push(this.lastEventAt);
    const duplicate = this.seen.has(event.messageId);
    if (duplicate) this.duplicates++;
    else {
      this.seen.add(event.messageId);
      const list = this.sequences.get(event.aggregateId) ?? [];
      list.push(event.sequence);
      this.sequences.set(event.aggregateId, list);
      const times = this.arrivals.get(event.aggregateId) ?? [];
      times.push(this.lastEventAt);
      this.arrivals.set(event.aggregateId, times);
      if (event.type === 'activeflow_updated') {
        this.lastUpdate.set(event.data.id, event);
        if (event.data.status === 'ended') {
          this.ended.add(event.data.id);
          this.endedAt.set(event.data.id, this.lastEventAt);
        }
      }
    }
    if (
      event.type === 'activeflow_updated' &&
      event.data.status === 'running' &&
      !this.options.ignore?.has(event.data.id)
    ) {
      const action = event.data.current_action as { id: string; type: string };
      if (isHandedOffType(action.type)) {
        if (duplicate) this.reanswered++;
        const delay = this.options.delay?.() ?? 0;
        if (delay > 0) setTimeout(() => this.answer(event.data.id, action), delay);
        else this.answer(event.data.id, action);
      }
    }
    for (const wake of this.waiters) wake();
  }

  /** Publishes the answers held while paused, and answers at once again. */
  release(): number {
    this.paused = false;
    const held = this.held.splice(0);
    for (const send of held) send();
    return held.length;
  }

  private answer(activeflowId: string, action: { id: string; type: string }): void {
    if (this.paused) {
      this.held.push(() => this.answer(activeflowId, action));
      return;
    }
    const variables = doneVariables(action);
    const body = { activeflow_id: activeflowId, action_id: action.id, ...(variables ? { variables } : {}) };
    const messageId = randomUUID();
    this.env.publishEvent('action_done', body, { messageId });
    this.answered++;
    this.options.onAnswer?.(activeflowId, action, messageId, body);
  }

  /** Publishes start_flow for a new activeflow (with a message id); returns its id. */
  start(customerId: string, flowId: string, referenceType = 'call'): string {
    const afId = randomUUID();
    this.env.publishEvent(
      'start_flow',
      {
        activeflow_id: afId,
        customer_id: customerId,
        flow_id: flowId,
        reference_type: referenceType,
        reference_id: randomUUID(),
      },
      { messageId: randomUUID() },
    );
    return afId;
  }

  /** Resolves once every id has ended (true) or the timeout passed (false). */
  async waitAllEnded(ids: string[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ids.every((i) => this.ended.has(i))) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 200));
        this.waiters.add(wake);
      });
    }
    return true;
  }

  /** Milliseconds from `at` to the first event that arrived after it (null: none since). */
  firstEventAfter(at: number): number | null {
    const t = this.eventTimes.find((x) => x > at);
    return t === undefined ? null : t - at;
  }

  /**
   * Time to recover from a fault at `at`: how long until every activeflow that was running then
   * (seen before `at`, not ended by then) published its next event. Includes the call service's
   * own answer delay. `null` when nothing was running.
   */
  recoveryAfter(at: number): number | null {
    let worst: number | null = null;
    for (const [afId, times] of this.arrivals) {
      if (!this.lastUpdate.has(afId)) continue; // not an activeflow
      if ((times[0] ?? Infinity) > at) continue;
      const end = this.endedAt.get(afId);
      if (end !== undefined && end <= at) continue;
      const next = times.find((x) => x > at);
      const took = next === undefined ? Date.now() - at : next - at;
      worst = worst === null ? took : Math.max(worst, took);
    }
    return worst;
  }
}

// ---------------------------------------------------------------------------------------------
// The model: the pure engine, driven with the same inputs

export interface ModelResult {
  status: string;
  end_reason: string;
  executed: string[];
  execute_count: number;
  /** Events the activeflow publishes: created plus one per settled state (= its final seq). */
  events: number;
}

export function modelRun(
  actions: Action[],
  options: { maxExecuteCount: number; referenceType?: 'call' | 'sms' },
): ModelResult {
  let n = 0;
  const ctx: EngineContext = {
    now: Date.UTC(2024, 0, 1),
    newId: () => `ffffffff-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    maxExecuteCount: options.maxExecuteCount,
    actionTimeoutMs: 86_400_000,
  };
  let state: FlowState = createActiveflow(
    {
      id: randomUUID(),
      customer_id: randomUUID(),
      flow_id: randomUUID(),
      reference_type: options.referenceType ?? 'call',
      reference_id: randomUUID(),
      reference_activeflow_id: ZERO_ID,
      on_complete_flow_id: ZERO_ID,
      actions,
      variables: {},
      complete_count: 0,
    },
    ctx.now,
  );
  let events = 1;
  const step = (input: EngineInput): void => {
    const outcome: Outcome = apply(state, input, ctx);
    if (outcome.kind !== 'settled') throw new Error(`model: ${input.type} gave ${outcome.kind}`);
    events += outcome.effects.filter((e) => e.kind === 'event').length;
    state = outcome.state;
  };
  step({ type: 'execute' });
  for (let guard = 0; state.activeflow.status === 'running'; guard++) {
    if (guard > 10_000) throw new Error('model: does not end');
    const current = state.activeflow.current_action;
    const variables = doneVariables(current);
    step({ type: 'action_done', action_id: current.id, ...(variables ? { variables } : {}) });
  }
  const af = state.activeflow;
  return {
    status: af.status,
    end_reason: af.end_reason,
    executed: af.executed_actions.map((a) => a.id),
    execute_count: af.execute_count,
    events,
  };
}

// ---------------------------------------------------------------------------------------------
// Final checks

export interface Verdict {
  flows: number;
  notFinished: string[];
  /** Sequence numbers the database used but no consumer ever received. */
  eventsLost: number;
  /** Activeflows whose de-duplicated sequence is not 1..N in arrival order. */
  orderProblems: string[];
  /** Activeflows whose stored state differs from the model. */
  modelMismatches: string[];
  details: string[];
}

export async function verify(
  env: TestEnv,
  calls: CallService,
  ids: string[],
  model: ModelResult,
): Promise<Verdict> {
  const rows = await env.query<{ id: string; status: string; seq: number; doc: string }>(
    `SELECT id, status, seq, doc FROM activeflows WHERE id IN (${ids.map(() => '?').join(',')})`,
    ids,
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const verdict: Verdict = {
    flows: ids.length,
    notFinished: [],
    eventsLost: 0,
    orderProblems: [],
    modelMismatches: [],
    details: [],
  };
  for (const afId of ids) {
    const row = byId.get(afId);
    const seqs = calls.sequences.get(afId) ?? [];
    if (!row) {
      verdict.notFinished.push(afId);
      verdict.details.push(`${afId}: no row`);
      continue;
    }
    const doc = JSON.parse(row.doc) as {
      end_reason: string;
      execute_count: number;
      executed_actions: { id: string }[];
      current_action: { id: string };
    };
    if (row.status !== 'ended' || doc.end_reason !== 'finished') {
      verdict.notFinished.push(afId);
      verdict.details.push(
        `${afId}: ${row.status}/${doc.end_reason} at ${doc.current_action.id}, seq ${row.seq}, received ${JSON.stringify(seqs)}`,
      );
    }
    const stored = Number(row.seq);
    const distinct = new Set(seqs);
    for (let s = 1; s <= stored; s++) if (!distinct.has(s)) verdict.eventsLost++;
    const expected = Array.from({ length: stored }, (_, i) => i + 1);
    if (JSON.stringify(seqs) !== JSON.stringify(expected)) {
      verdict.orderProblems.push(afId);
      verdict.details.push(`${afId}: sequences ${JSON.stringify(seqs)} (db seq ${stored})`);
    }
    const actual = {
      status: row.status,
      end_reason: doc.end_reason,
      executed: doc.executed_actions.map((a) => a.id),
      execute_count: doc.execute_count,
      events: stored,
    };
    const want = {
      status: model.status,
      end_reason: model.end_reason,
      executed: model.executed,
      execute_count: model.execute_count,
      events: model.events,
    };
    if (JSON.stringify(actual) !== JSON.stringify(want)) {
      verdict.modelMismatches.push(afId);
      verdict.details.push(`${afId}: stored ${JSON.stringify(actual)} != model ${JSON.stringify(want)}`);
    }
  }
  return verdict;
}

/**
 * Prints the figures of a run as `# ` lines. Under `node --test` the runner itself turns each
 * stdout line of a test file into a `# ` comment (and would escape a `#` of ours), so the prefix
 * is only added when the file runs on its own.
 */
export function report(title: string, figures: Record<string, string | number>): void {
  const prefix = process.env.NODE_TEST_CONTEXT ? '' : '# ';
  console.log(`${prefix}${title}`);
  for (const [name, value] of Object.entries(figures)) console.log(`${prefix}${name}: ${value}`);
}

export function describeVerdict(v: Verdict): string {
  return [
    `not finished: ${v.notFinished.length}`,
    `events lost: ${v.eventsLost}`,
    `order problems: ${v.orderProblems.length}`,
    `model mismatches: ${v.modelMismatches.length}`,
    ...v.details.slice(0, 20),
  ].join('\n');
}

/** Counts `flow_manager_*` counter values of an in-process worker (summed over labels). */
export async function counter(
  registry: { getSingleMetricAsString(name: string): Promise<string> },
  name: string,
): Promise<number> {
  const text = await registry.getSingleMetricAsString(name).catch(() => '');
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy on 127.0.0.1 that can cut its link

export class TcpProxy {
  port = 0;
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  connections = 0;
  cuts = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
  ) {
    this.server = this.createServer();
  }

  private createServer(): net.Server {
    const server = net.createServer({ noDelay: true }, (client) => {
      this.connections++;
      const upstream = net.connect({ port: this.targetPort, host: this.targetHost, noDelay: true });
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.on('error', () => undefined);
    return server;
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Destroys every proxied connection and refuses new ones for `refuseMs`, then accepts again. */
  async cut(refuseMs: number): Promise<void> {
    this.cuts++;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
    await sleep(refuseMs);
    this.server = this.createServer();
    for (let attempt = 0; ; attempt++) {
      try {
        await this.listen(this.port);
        return;
      } catch (err) {
        if (attempt >= 50) throw err;
        await sleep(20);
      }
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }
}
