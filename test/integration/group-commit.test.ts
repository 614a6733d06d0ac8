// Group commit: several activeflows' inputs in one transaction, with per-input isolation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

const ZERO = '00000000-0000-0000-0000-000000000000';

describe('group commit (inputBatch)', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  it('applies inputs of several activeflows in one transaction; unknown and duplicate ones change nothing', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    const [a, b] = [randomUUID(), randomUUID()];
    for (const af of [a, b]) {
      env.publishEvent('start_flow', { activeflow_id: af, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: randomUUID() });
    }
    await waitUntil(async () => {
      const rows = await env.query("SELECT id FROM activeflows WHERE id IN (?, ?) AND current_action_type = 'talk'", [a, b]);
      return rows.length === 2 || undefined;
    });
    const messageId = randomUUID();
    const results = await env.worker.app.activeflows.inputBatch([
      { id: a, input: { type: 'action_done', action_id: id(1) }, messageId },
      { id: randomUUID(), input: { type: 'action_done', action_id: id(1) } },
      { id: b, input: { type: 'action_done', action_id: id(9) } },
    ]);
    assert.equal(results.length, 3);
    assert.ok(results[0]!.ok && results[0]!.result?.outcome.kind === 'settled');
    assert.ok(results[1]!.ok && results[1]!.result === null, 'unknown activeflow: null');
    assert.ok(results[2]!.ok && results[2]!.result?.outcome.kind === 'ignored', 'stale action: ignored');
    const rows = await env.query('SELECT id, current_action_type, seq FROM activeflows WHERE id IN (?, ?) ORDER BY id', [a, b]);
    const byId = Object.fromEntries(rows.map((r: any) => [r.id, r]));
    assert.equal(byId[a].current_action_type, 'hangup');
    assert.equal(Number(byId[a].seq), 3);
    assert.equal(byId[b].current_action_type, 'talk');
    assert.equal(Number(byId[b].seq), 2);
    const again = await env.worker.app.activeflows.inputBatch([{ id: a, input: { type: 'action_done', action_id: id(2) }, messageId }]);
    assert.ok(again[0]!.ok && again[0]!.result?.outcome.kind === 'duplicate', 'the same input id is recognised');
    const [processed] = await env.query('SELECT COUNT(*) AS n FROM processed_messages WHERE message_id = ?', [messageId]);
    assert.equal(Number(processed.n), 1);
    const update = await env.waitForEvent((e) => e.type === 'activeflow_updated' && e.data.id === a && e.sequence === 3);
    assert.equal((update.data.current_action as any).id, id(2));
  });

  it('creates activeflows of start_flow items next to other inputs; a failing one is undone alone', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    const [a, b] = [randomUUID(), randomUUID()];
    const start = (af: string, flowId = flow.id) => ({ id: af, start: { customer_id: customer, flow_id: flowId, reference_type: 'call' as const, reference_id: randomUUID(), reference_activeflow_id: ZERO } });
    const missingFlow = randomUUID();
    const results = await env.worker.app.activeflows.inputBatch([start(a), { ...start(randomUUID(), missingFlow), messageId: randomUUID() }, { ...start(b), messageId: randomUUID() }]);
    assert.ok(results[0]!.ok && results[0]!.result?.activeflow.current_action.type === 'talk');
    assert.ok(!results[1]!.ok && results[1]!.error.code === 'FLOW_NOT_FOUND', 'unknown flow: that item fails alone');
    assert.ok(results[2]!.ok && results[2]!.result?.activeflow.id === b);
    const rows = await env.query('SELECT id, current_action_type, seq FROM activeflows WHERE customer_id = ? ORDER BY id', [customer]);
    assert.deepEqual(
      rows.map((r: any) => [r.id, r.current_action_type, Number(r.seq)]),
      [a, b].sort().map((af) => [af, 'talk', 2]),
    );
    const [counted] = await env.query("SELECT SUM(n) AS n FROM activeflow_counts WHERE customer_id = ? AND current_action_type = 'talk'", [customer]);
    assert.equal(Number(counted.n), 2);
    for (const af of [a, b]) await env.waitForEvent((e) => e.type === 'activeflow_created' && e.data.id === af);
  });

  it('a start whose activeflow id exists already (a retried batch, a caller reusing an id) is a duplicate', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }]);
    const af = randomUUID();
    const item = { id: af, start: { customer_id: customer, flow_id: flow.id, reference_type: 'sms' as const, reference_id: randomUUID(), reference_activeflow_id: ZERO } };
    const first = await env.worker.app.activeflows.inputBatch([item]);
    assert.ok(first[0]!.ok && first[0]!.result !== null);
    const again = await env.worker.app.activeflows.inputBatch([item]);
    assert.ok(again[0]!.ok && again[0]!.result === null, 'the existing row is found, not inserted twice');
    // Two batches racing for the same new id: one creates it, the other is retried and finds it.
    const raced = randomUUID();
    const both = await Promise.all([0, 1].map(() => env.worker.app.activeflows.inputBatch([{ ...item, id: raced }])));
    assert.deepEqual(both.map((r) => r[0]!.ok && r[0]!.result !== null).sort(), [false, true]);
    const [row] = await env.query('SELECT COUNT(*) AS n FROM activeflows WHERE customer_id = ?', [customer]);
    assert.equal(Number(row.n), 2);
    const [counted] = await env.query('SELECT SUM(n) AS n FROM activeflow_counts WHERE customer_id = ?', [customer]);
    assert.equal(Number(counted.n), 2);
  });
});
