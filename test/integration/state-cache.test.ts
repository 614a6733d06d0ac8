// Group commits from the state cache (src/adapters/db/state-cache.ts): an input for an activeflow
// this worker wrote last is applied to the state it kept and written in one round trip, by an
// UPDATE that checks the row's version; a start_flow on a flow it read before, by an INSERT that
// checks the flow's seq. Against real MariaDB and RabbitMQ, in a database of its own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BatchItem } from '../../src/app/activeflows.ts';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

const ZERO = '00000000-0000-0000-0000-000000000000';

describe('group commits from the state cache', () => {
  let env: TestEnv;
  // The worker under test (env.worker becomes the one started last).
  let worker: TestEnv['worker'];
  before(async () => {
    env = await createTestEnv();
    worker = env.worker;
  });
  after(async () => {
    await env.close();
  });

  /** How many batches ended how since the worker started. */
  const outcomes = async () => {
    const { values } = await worker.metrics.cachedBatches.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value])) as Record<string, number | undefined>;
  };
  /** The outcomes a step added. */
  const during = async (step: () => Promise<unknown>) => {
    const before = await outcomes();
    await step();
    const after = await outcomes();
    return Object.fromEntries(Object.entries(after).map(([k, n]) => [k, (n ?? 0) - (before[k] ?? 0)]).filter(([, n]) => n !== 0));
  };
  const row = async (af: string) => (await env.query('SELECT current_action_type, seq, version, variables FROM activeflows WHERE id = ?', [af]))[0];
  const run = async (item: BatchItem) => {
    const [result] = await worker.app.activeflows.inputBatch([item]);
    assert.ok(result?.ok, `input failed: ${JSON.stringify(result)}`);
    return result.result;
  };
  /** A running activeflow, started by this worker (so in its cache), waiting at action 1. */
  const startOne = async (actions = [{ id: id(1), type: 'talk' }, { id: id(2), type: 'talk' }, { id: id(3), type: 'hangup' }]) => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, actions);
    const af = randomUUID();
    await run({ id: af, start: { customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: randomUUID(), reference_activeflow_id: ZERO } });
    return { af, customer };
  };

  it('an input for an activeflow this worker wrote last is committed from the cache, raising the row version', async () => {
    const { af } = await startOne();
    assert.equal(Number((await row(af)).version), 0, 'a new row');
    const added = await during(() => run({ id: af, input: { type: 'action_done', action_id: id(1) } }));
    assert.deepEqual(added, { committed: 1 });
    const after = await row(af);
    assert.equal(after.current_action_type, 'talk');
    assert.equal(Number(after.seq), 3);
    assert.equal(Number(after.version), 1);
    const event = await env.waitForEvent((e) => e.type === 'activeflow_updated' && e.data.id === af && e.sequence === 3);
    assert.equal((event.data.current_action as { id: string }).id, id(2));
    const [counted] = await env.query("SELECT SUM(n) AS n FROM activeflow_counts WHERE flow_id = (SELECT flow_id FROM activeflows WHERE id = ?) AND current_action_type = 'talk' AND status = 'running'", [af]);
    assert.equal(Number(counted.n), 1, 'counts moved with the cached write too');
  });

  it('a row another worker wrote meanwhile fails the cached commit before COMMIT; the batch then runs on the row as stored (no lost update)', async () => {
    const { af } = await startOne();
    const other = await env.startAnotherWorker();
    // Written by the other worker: this worker's cached state does not have the variable.
    await other.app.activeflows.setVariables(af, { note: 'kept' });
    assert.equal(Number((await row(af)).version), 1);
    const added = await during(() => run({ id: af, input: { type: 'action_done', action_id: id(1) } }));
    assert.deepEqual(added, { stale: 1 });
    const after = await row(af);
    assert.equal(after.current_action_type, 'talk');
    assert.equal(Number(after.version), 2);
    assert.equal(JSON.parse(after.variables).note, 'kept', "the other worker's write is not overwritten");
    await env.waitForEvent((e) => e.type === 'activeflow_updated' && e.data.id === af && e.sequence === 3);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.events.filter((e) => e.data.id === af && e.sequence === 3).length, 1, 'the stale try left no event behind');
    // The batch that read the row cached it again: the next input goes from the cache.
    assert.deepEqual(await during(() => run({ id: af, input: { type: 'action_done', action_id: id(2) } })), { committed: 1 });
  });

  it('an input left alone on a cached state (a stale action) is judged again on the row', async () => {
    const { af } = await startOne();
    const added = await during(async () => {
      const result = await run({ id: af, input: { type: 'action_done', action_id: id(2) } });
      assert.equal(result?.outcome.kind, 'ignored');
    });
    assert.deepEqual(added, { miss: 1 });
    assert.equal(Number((await row(af)).version), 0, 'nothing written');
  });

  it('an input id seen before fails the cached commit and is then recognised as a duplicate, changing nothing', async () => {
    const first = await startOne();
    const second = await startOne();
    const messageId = randomUUID();
    await run({ id: first.af, input: { type: 'action_done', action_id: id(1) }, messageId });
    const added = await during(async () => {
      const result = await run({ id: second.af, input: { type: 'action_done', action_id: id(1) }, messageId });
      assert.equal(result?.outcome.kind, 'duplicate');
    });
    assert.deepEqual(added, { failed: 1 });
    const after = await row(second.af);
    assert.equal(after.current_action_type, 'talk');
    assert.equal(Number(after.seq), 2, 'still at its first wait');
    assert.equal(Number(after.version), 0);
  });

  /** A start_flow for `flow` of `customer`, in a batch of its own. */
  const startOn = (customer: string, flow: string, af = randomUUID()) =>
    worker.app.activeflows.inputBatch([{ id: af, start: { customer_id: customer, flow_id: flow, reference_type: 'call', reference_id: randomUUID(), reference_activeflow_id: ZERO } }]);

  it('a start_flow on a flow a batch read before is committed from the cache, with its input beside it', async () => {
    const { af: first, customer } = await startOne();
    const flowId = (await env.query('SELECT flow_id FROM activeflows WHERE id = ?', [first]))[0].flow_id as string;
    const af = randomUUID();
    const added = await during(async () => {
      const results = await worker.app.activeflows.inputBatch([
        { id: af, start: { customer_id: customer, flow_id: flowId, reference_type: 'call', reference_id: randomUUID(), reference_activeflow_id: ZERO }, messageId: randomUUID() },
        { id: first, input: { type: 'action_done', action_id: id(1) }, messageId: randomUUID() },
      ]);
      assert.deepEqual(results.map((r) => r.ok && r.result?.outcome.kind), ['started', 'settled']);
    });
    assert.deepEqual(added, { committed: 1 });
    const created = await row(af);
    assert.equal(created.current_action_type, 'talk');
    assert.equal(Number(created.version), 0);
    assert.equal(Number((await row(first)).version), 1);
    await env.waitForEvent((e) => e.type === 'activeflow_created' && e.data.id === af);
    const [counted] = await env.query("SELECT SUM(n) AS n FROM activeflow_counts WHERE flow_id = ? AND current_action_type = 'talk' AND status = 'running'", [flowId]);
    assert.equal(Number(counted.n), 2, 'counts moved for the new row too');
    // The new activeflow is cached as well: its next input takes one round trip.
    assert.deepEqual(await during(() => run({ id: af, input: { type: 'action_done', action_id: id(1) } })), { committed: 1 });
  });

  it('a flow another worker updated since fails the cached start before COMMIT; the start then runs on the flow as stored', async () => {
    const { af: first, customer } = await startOne();
    const flowId = (await env.query('SELECT flow_id FROM activeflows WHERE id = ?', [first]))[0].flow_id as string;
    const other = await env.startAnotherWorker();
    await other.app.flows.update(flowId, { actions: [{ id: id(7), type: 'talk' }, { id: id(8), type: 'hangup' }] });
    const af = randomUUID();
    const added = await during(async () => {
      const [result] = await startOn(customer, flowId, af);
      assert.equal(result?.ok && result.result?.outcome.kind, 'started');
    });
    assert.deepEqual(added, { stale: 1 });
    const created = await env.query('SELECT doc, version FROM activeflows WHERE id = ?', [af]);
    assert.equal(created.length, 1);
    assert.equal((JSON.parse(created[0].doc).current_action as { id: string }).id, id(7), 'the updated actions');
    await env.waitForEvent((e) => e.type === 'activeflow_created' && e.data.id === af);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(env.events.filter((e) => e.type === 'activeflow_created' && e.data.id === af).length, 1, 'the stale try left no event behind');
    // Read again by that batch: the next start goes from the cache.
    assert.deepEqual(await during(() => startOn(customer, flowId)), { committed: 1 });
  });

  it('a flow deleted since it was cached starts nothing', async () => {
    const { af: first, customer } = await startOne();
    const flowId = (await env.query('SELECT flow_id FROM activeflows WHERE id = ?', [first]))[0].flow_id as string;
    const other = await env.startAnotherWorker();
    await other.app.flows.remove(flowId);
    const af = randomUUID();
    const added = await during(async () => {
      const [result] = await startOn(customer, flowId, af);
      assert.equal(result?.ok, false);
      assert.equal(!result?.ok && result?.error.code, 'FLOW_NOT_FOUND');
    });
    assert.deepEqual(added, { stale: 1 });
    assert.equal((await env.query('SELECT id FROM activeflows WHERE id = ?', [af])).length, 0);
  });

  it('a start_flow for an activeflow id that exists fails the cached commit and is then a duplicate, changing nothing', async () => {
    const { af, customer } = await startOne();
    const flowId = (await env.query('SELECT flow_id FROM activeflows WHERE id = ?', [af]))[0].flow_id as string;
    const before = await row(af);
    const added = await during(async () => {
      const [result] = await startOn(customer, flowId, af);
      assert.deepEqual(result, { ok: true, result: null });
    });
    assert.deepEqual(added, { failed: 1 });
    assert.deepEqual(await row(af), before);
  });

  it("a start rejected on a cached flow (another customer's) is judged again on the row", async () => {
    const { af } = await startOne();
    const flowId = (await env.query('SELECT flow_id FROM activeflows WHERE id = ?', [af]))[0].flow_id as string;
    const added = await during(async () => {
      const [result] = await startOn(randomUUID(), flowId);
      assert.equal(!result?.ok && result?.error.code, 'CUSTOMER_MISMATCH');
    });
    assert.deepEqual(added, { miss: 1 });
  });

  it('an ended activeflow leaves the cache', async () => {
    const { af } = await startOne([{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    await run({ id: af, input: { type: 'action_done', action_id: id(1) } });
    assert.deepEqual(await during(() => run({ id: af, input: { type: 'action_done', action_id: id(2) } })), { committed: 1 }, 'the hangup done ends it');
    assert.equal((await env.query('SELECT status FROM activeflows WHERE id = ?', [af]))[0].status, 'ended');
    const added = await during(async () => {
      const result = await run({ id: af, input: { type: 'action_done', action_id: id(2) } });
      assert.equal(result?.outcome.kind, 'ignored');
    });
    assert.deepEqual(added, {}, 'not tried: nothing cached');
  });
});
