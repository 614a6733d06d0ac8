// Issue 4: customer_deleted ends and soft-deletes every activeflow and flow of the customer
// (2,500 activeflows, in bounded batches) while another customer's flows keep running.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';

const COUNT = 2500;

describe('customer_deleted', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ LOG_LEVEL: 'warn' });
  });
  after(async () => {
    await env.close();
  });

  it(`ends and deletes all ${COUNT} activeflows of the customer and none of another's`, async () => {
    const doomed = randomUUID();
    const other = randomUUID();
    const doomedFlows = [await createFlow(env, doomed, [{ type: 'talk' }]), await createFlow(env, doomed, [{ type: 'answer' }])];
    const otherFlow = await createFlow(env, other, [{ type: 'talk' }, { type: 'hangup' }]);
    for (let i = 0; i < COUNT; i++) {
      env.publishEvent('start_flow', { customer_id: doomed, flow_id: doomedFlows[i % 2]!.id, reference_type: 'call', reference_id: randomUUID() });
    }
    const survivor = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: survivor, customer_id: other, flow_id: otherFlow.id, reference_type: 'call', reference_id: randomUUID() });
    await waitUntil(async () => {
      const [row] = await env.query("SELECT COUNT(*) AS n FROM activeflows WHERE customer_id = ? AND status = 'running'", [doomed]);
      return Number(row.n) === COUNT || undefined;
    }, 120_000, `${COUNT} running activeflows`);

    const started = Date.now();
    env.publishEvent('customer_deleted', { id: doomed, name: 'gone' });
    await waitUntil(async () => {
      const [row] = await env.query('SELECT COUNT(*) AS n FROM activeflows WHERE customer_id = ? AND deleted = 0', [doomed]);
      return Number(row.n) === 0 || undefined;
    }, 240_000, 'every activeflow deleted');
    const seconds = (Date.now() - started) / 1000;
    console.log(`# customer_deleted: ${COUNT} activeflows ended and deleted in ${seconds.toFixed(1)} s`);

    const states = await env.query('SELECT status, deleted, doc FROM activeflows WHERE customer_id = ?', [doomed]);
    assert.equal(states.length, COUNT);
    for (const row of states) {
      assert.equal(row.status, 'ended');
      assert.equal(Number(row.deleted), 1);
      assert.equal(JSON.parse(row.doc).end_reason, 'deleted');
    }
    await waitUntil(async () => {
      const [row] = await env.query("SELECT COUNT(*) AS n FROM flows WHERE customer_id = ? AND tm_delete = '9999-01-01 00:00:00.000000'", [doomed]);
      return Number(row.n) === 0 || undefined;
    }, 30_000, 'flows deleted');

    const [kept] = await env.query('SELECT status, deleted FROM activeflows WHERE id = ?', [survivor]);
    assert.equal(kept.status, 'running');
    assert.equal(Number(kept.deleted), 0);
    const action = JSON.parse((await env.query('SELECT doc FROM activeflows WHERE id = ?', [survivor]))[0].doc).current_action;
    env.publishEvent('action_done', { activeflow_id: survivor, action_id: action.id });
    const moved = await env.waitForEvent((e) => e.type === 'activeflow_updated' && e.data.id === survivor && (e.data.current_action as any).type === 'hangup');
    assert.equal(moved.data.status, 'running');
    const [otherFlowRow] = await env.query('SELECT tm_delete FROM flows WHERE id = ?', [otherFlow.id]);
    assert.equal(otherFlowRow.tm_delete, '9999-01-01 00:00:00.000000');
  });
});
