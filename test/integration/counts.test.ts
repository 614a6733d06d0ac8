// activeflow_counts stays equal to counting the activeflows table, through every write path:
// start_flow, group-committed action_done, hangup, DELETE, customer_deleted and timers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

describe('live counts', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ ACTION_TIMEOUT_MS: '800' });
  });
  after(async () => {
    await env.close();
  });

  it('equal a GROUP BY over activeflows after every kind of write', async () => {
    const [c1, c2] = [randomUUID(), randomUUID()];
    const flows = [
      await createFlow(env, c1, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'digits_receive' }, { id: id(3), type: 'hangup' }]),
      await createFlow(env, c2, [{ id: id(1), type: 'answer' }, { id: id(2), type: 'talk' }]),
    ];
    const started: { af: string; call: string; customer: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const customer = i % 2 === 0 ? c1 : c2;
      const flow = flows[i % 2]!;
      const af = randomUUID();
      const call = randomUUID();
      started.push({ af, call, customer });
      env.publishEvent('start_flow', { activeflow_id: af, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: call });
    }
    await waitUntil(async () => ((await env.query('SELECT COUNT(*) AS n FROM activeflows'))[0].n >= 40 ? true : undefined));
    await waitUntil(async () => ((await env.query("SELECT COUNT(*) AS n FROM activeflows WHERE current_action_type = ''"))[0].n === 0 ? true : undefined));
    // Move half of them on (group commit), hang some up, delete one, let timers end others.
    for (const [i, s] of started.entries()) {
      if (i % 4 === 0) env.publishEvent('action_done', { activeflow_id: s.af, action_id: id(1) });
      if (i % 5 === 1) env.publishEvent('call_hangup', { id: s.call });
    }
    await env.rpc('DELETE', `/v1/activeflows/${started[2]!.af}`);
    env.publishEvent('customer_deleted', { id: c2 });
    await waitUntil(async () => {
      const [row] = await env.query("SELECT COUNT(*) AS n FROM activeflows WHERE status = 'running'");
      return Number(row.n) === 0 || undefined;
    }, 20_000, 'every activeflow ended (timers, hangups, deletion)');

    const filters = [
      {},
      { status: 'running' },
      { status: 'ended' },
      { customer_id: c1 },
      { customer_id: c2, deleted: true },
      { flow_id: flows[0]!.id, deleted: false },
    ];
    for (const filter of filters) {
      for (const groupBy of [undefined, 'status', 'current_action_type', 'flow_id'] as const) {
        const fromCounts = await env.worker.app.store.countActiveflows(filter, groupBy);
        const where = Object.entries(filter).map(([k]) => `${k} = ?`);
        const params = Object.values(filter).map((v) => (typeof v === 'boolean' ? Number(v) : v));
        const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
        if (!groupBy) {
          const [row] = await env.query(`SELECT COUNT(*) AS n FROM activeflows ${clause}`, params);
          assert.equal(fromCounts, Number(row.n), JSON.stringify(filter));
        } else {
          const rows = await env.query(`SELECT ${groupBy} AS k, COUNT(*) AS n FROM activeflows ${clause} GROUP BY ${groupBy} ORDER BY k`, params);
          assert.deepEqual(fromCounts, rows.map((r: any) => ({ key: String(r.k), count: Number(r.n) })), `${JSON.stringify(filter)} by ${groupBy}`);
        }
      }
    }
    const byType = await env.worker.app.store.countActiveflows({}, 'status');
    assert.deepEqual(byType, [{ key: 'ended', count: 40 }]);
    // A failing write path would only be retried and requeued: it must not have happened at all.
    assert.deepEqual(env.logs.filter((l) => (l.level as number) >= 50), []);
    const moved = env.events.filter((e) => e.type === 'activeflow_updated' && (e.data.current_action as any).id === id(2));
    assert.ok(moved.length >= 5, 'action_done moved activeflows on before the timers ended them');
  });
});
