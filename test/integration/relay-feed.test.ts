// The outbox relay under steady load: group commits feed it the rows they read after COMMIT, its
// own reads run beside them, confirmed rows are deleted by later commits. With no fault injected
// every event must arrive exactly once, per activeflow in sequence order, and the outbox drains.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { CallService, IVR_ACTIONS, describeVerdict, modelRun, verify } from '../faults/support.ts';

const FLOWS = 150;

describe('outbox relay under load', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ LOG_LEVEL: 'warn' });
  });
  after(async () => {
    await env.close();
  });

  it('publishes every event exactly once and in order while inputs keep committing', { timeout: 120_000 }, async () => {
    const calls = new CallService(env, { delay: () => Math.floor(Math.random() * 5) });
    const customer = randomUUID();
    const flow = await createFlow(env, customer, IVR_ACTIONS);
    const model = modelRun(flow.actions as never, { maxExecuteCount: env.config.maxExecuteCount });
    const ids = Array.from({ length: FLOWS }, () => calls.start(customer, flow.id));
    assert.ok(await calls.waitAllEnded(ids, 90_000), 'every flow ended');
    const verdict = await verify(env, calls, ids, model);
    assert.equal(verdict.eventsLost, 0, describeVerdict(verdict));
    assert.deepEqual(verdict.orderProblems, [], describeVerdict(verdict));
    assert.equal(calls.duplicates, 0, 'no event delivered twice');
    const left = await waitUntil(async () => {
      const [row] = await env.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
      return Number(row?.n) === 0 || undefined;
    }, 5_000, 'the outbox drains');
    assert.equal(left, true);
  });
});
