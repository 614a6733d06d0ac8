// Group commit: several activeflows' inputs in one transaction, with per-input isolation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

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
});
