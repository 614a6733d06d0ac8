// Fault test: two worker processes drive 300 call flows while one of them is SIGKILLed at random
// moments and respawned. Every activeflow must finish exactly as the pure engine says, and every
// activeflow's events must arrive gap-free and in order (after de-duplication by message id).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import {
  CallService,
  IVR_ACTIONS,
  describeVerdict,
  modelRun,
  prng,
  report,
  seedFromEnv,
  sleep,
  verify,
} from './support.ts';

const FLOWS = 300;

/** Collects the error-level log lines of a child worker (pino level 50+), by message. */
function watchErrors(child: ChildProcess, into: Map<string, number>): void {
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string };
        if ((entry.level ?? 0) >= 50) into.set(entry.msg ?? '?', (into.get(entry.msg ?? '?') ?? 0) + 1);
      } catch {
        // a partial line from a killed process
      }
    }
  });
}

describe('worker crash (SIGKILL) under load', () => {
  let env: TestEnv | undefined;
  after(async () => {
    await env?.close();
  });

  it(
    `finishes ${FLOWS} call flows exactly once while workers are killed and respawned`,
    { timeout: 170_000 },
    async () => {
      const seed = seedFromEnv();
      const rnd = prng(seed);
      const began = Date.now();
      env = await createTestEnv({}, { startWorker: false });
      const errors = new Map<string, number>();
      const calls = new CallService(env, { delay: () => 20 + Math.floor(Math.random() * 180) });
      const spawn = async () => {
        const child = await env!.spawnWorker();
        watchErrors(child, errors);
        return child;
      };
      // Two slots, each holding the current worker process (or its respawn in progress).
      const slots: (ChildProcess | null)[] = [await spawn(), await spawn()];
      const respawns: Promise<void>[] = [];
      const customer = randomUUID();
      const flow = await createFlow(env, customer, IVR_ACTIONS);
      const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });

      // Start the flows over ~12 s so that every kill lands in the middle of the load.
      const ids: string[] = [];
      const loadBegan = Date.now();
      const starting = (async () => {
        for (let i = 0; i < FLOWS; i++) {
          ids.push(calls.start(customer, flow.id));
          if (i % 10 === 9) await sleep(400);
        }
      })();

      // Every 1-2.5 s SIGKILL a random running worker and respawn it in the background.
      const kills = 3 + Math.floor(rnd() * 3);
      const killedAt: number[] = [];
      const respawnMs: number[] = [];
      let bothDown = 0;
      for (let k = 0; k < kills; k++) {
        await sleep(1000 + Math.floor(rnd() * 1500));
        let index = Math.floor(rnd() * slots.length);
        if (!slots[index]) index = 1 - index;
        const victim = slots[index];
        if (!victim) {
          k--; // both are respawning: try again a little later
          continue;
        }
        if (slots[1 - index] === null) bothDown++;
        slots[index] = null;
        const exited = new Promise((resolve) => victim.once('exit', resolve));
        killedAt.push(Date.now());
        victim.kill('SIGKILL');
        await exited;
        const t = Date.now();
        respawns.push(
          spawn().then((child) => {
            slots[index] = child;
            respawnMs.push(Date.now() - t);
          }),
        );
      }
      await starting;
      await Promise.all(respawns);

      const allEnded = await calls.waitAllEnded(ids, 90_000);
      await sleep(1000); // late redeliveries and republished outbox rows
      const verdict = await verify(env, calls, ids, model);
      const [outbox] = await env.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
      const recover = killedAt.map((at) => calls.recoveryAfter(at) ?? -1);

      report('worker-crash figures', {
        seed,
        'flows run': FLOWS,
        'flows finished': FLOWS - verdict.notFinished.length,
        'crashes injected (SIGKILL)': kills,
        'events lost (must be 0)': verdict.eventsLost,
        'events received': calls.received,
        'duplicates delivered to consumers': calls.duplicates,
        'action_done re-sent after a duplicate update': calls.reanswered,
        'order problems': verdict.orderProblems.length,
        'model mismatches': verdict.modelMismatches.length,
        'time to recover (kill -> every running flow moved again) ms': recover.join(' '),
        'kills while the other worker was down too': bothDown,
        'worker respawn (kill -> started) ms': respawnMs.join(' '),
        'outbox rows left': outbox?.n ?? -1,
        'worker error log lines': JSON.stringify(Object.fromEntries(errors)),
        'kills at (ms after start of load)': killedAt.map((t) => t - loadBegan).join(' '),
        'load lasted ms': Math.max(...calls.endedAt.values()) - loadBegan,
        'wall time ms': Date.now() - began,
      });

      assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
      assert.ok(allEnded, `not every activeflow ended:\n${describeVerdict(verdict)}`);
      assert.deepEqual(verdict.notFinished, [], describeVerdict(verdict));
      assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
      assert.deepEqual(verdict.modelMismatches, [], describeVerdict(verdict));
      assert.equal(Number(outbox?.n), 0, 'the outbox drains');
    },
  );
});
