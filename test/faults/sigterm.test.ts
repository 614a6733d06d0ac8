// Fault test: a worker process gets SIGTERM in the middle of ~200 call flows. It must stop
// consuming, finish what it holds, flush the outbox and exit 0 within the bound; a worker started
// afterwards must finish every flow (every input was either fully processed or redelivered), with
// gap-free ordered events and the final state the pure engine computes.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import { CallService, IVR_ACTIONS, describeVerdict, modelRun, report, sleep, verify } from './support.ts';

const FLOWS = 200;
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** main.ts forces exit(1) after SHUTDOWN_TIMEOUT_MS + 5 s; a clean stop must come well before. */
const EXIT_BOUND_MS = SHUTDOWN_TIMEOUT_MS + 5_000;

/** Parses the JSON log lines a child writes from now on. */
function collectLogs(child: ChildProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  return lines;
}

describe('SIGTERM under load', () => {
  let env: TestEnv | undefined;
  after(async () => {
    await env?.close();
  });

  it(`exits 0 mid-load and loses none of ${FLOWS} flows`, { timeout: 170_000 }, async () => {
    const began = Date.now();
    env = await createTestEnv({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }, { startWorker: false });
    const calls = new CallService(env, { delay: () => 20 + Math.floor(Math.random() * 180) });
    const first = await env.spawnWorker();
    const firstLogs = collectLogs(first);
    const customer = randomUUID();
    const flow = await createFlow(env, customer, IVR_ACTIONS);
    const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });

    const ids: string[] = [];
    const starting = (async () => {
      for (let i = 0; i < FLOWS; i++) {
        ids.push(calls.start(customer, flow.id));
        if (i % 20 === 19) await sleep(400);
      }
    })();

    // Mid-load: SIGTERM, and the call service keeps answering whatever it has been asked.
    await sleep(2000);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      first.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const termAt = Date.now();
    const startedBeforeTerm = ids.length;
    const endedBeforeTerm = calls.ended.size;
    first.kill('SIGTERM');
    const bound = sleep(EXIT_BOUND_MS).then(() => ({ code: null, signal: null, timedOut: true as const }));
    const exit = await Promise.race([exited, bound]);
    const stopMs = Date.now() - termAt;
    if ('timedOut' in exit) first.kill('SIGKILL');

    // Right after the exit: nothing committed is left unpublished, and every committed event arrived.
    await sleep(300);
    const [outboxAtExit] = await env.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
    const rowsAtExit = await env.query<{ id: string; seq: number }>('SELECT id, seq FROM activeflows');
    const unpublishedAtExit = rowsAtExit.filter(
      (r) => (calls.sequences.get(r.id)?.length ?? 0) < Number(r.seq),
    ).length;
    const stopped = firstLogs.find((l) => l.msg === 'worker stopped');

    await starting;
    await sleep(500); // the queue fills while no worker runs
    const queued = (await env.client.checkQueue(env.config.subscribeQueue)).messageCount;
    const restartAt = Date.now();
    await env.spawnWorker();
    const allEnded = await calls.waitAllEnded(ids, 90_000);
    const recoverMs = Date.now() - restartAt;
    await sleep(1000);
    const verdict = await verify(env, calls, ids, model);
    const [outbox] = await env.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');

    report('sigterm figures', {
      'flows run': FLOWS,
      'flows finished': FLOWS - verdict.notFinished.length,
      'flows started / ended before SIGTERM': `${startedBeforeTerm} / ${endedBeforeTerm}`,
      'SIGTERMs injected': 1,
      'exit code / signal':
        'timedOut' in exit ? `none within ${EXIT_BOUND_MS} ms` : `${exit.code} / ${exit.signal}`,
      'SIGTERM -> exit ms': stopMs,
      'in-flight left at stop (log)': stopped ? String(stopped.in_flight_left) : 'no "worker stopped" line',
      'outbox rows right after exit': outboxAtExit?.n ?? -1,
      'activeflows with committed but unreceived events right after exit': unpublishedAtExit,
      'inputs queued while no worker ran': queued,
      'events lost (must be 0)': verdict.eventsLost,
      'events received': calls.received,
      'duplicates delivered to consumers': calls.duplicates,
      'order problems': verdict.orderProblems.length,
      'model mismatches': verdict.modelMismatches.length,
      'time to recover (new worker spawned -> every flow finished) ms': recoverMs,
      'wall time ms': Date.now() - began,
    });

    assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
    assert.ok(!('timedOut' in exit), `no exit within ${EXIT_BOUND_MS} ms of SIGTERM`);
    assert.equal(exit.code, 0, 'SIGTERM exits 0');
    assert.ok(stopMs < EXIT_BOUND_MS, `stopped in ${stopMs} ms`);
    assert.equal(Number(outboxAtExit?.n), 0, 'the outbox was flushed before exit');
    assert.equal(unpublishedAtExit, 0, 'every event committed before exit was published');
    assert.ok(allEnded, `not every activeflow ended:\n${describeVerdict(verdict)}`);
    assert.deepEqual(verdict.notFinished, [], describeVerdict(verdict));
    assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
    assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
    assert.equal(Number(outbox?.n), 0, 'the outbox drains');
  });
});
