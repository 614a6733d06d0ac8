// Issue 4: durable timers, blocks, stacks, on-complete chains and deletion, on the real services.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

describe('activeflow lifecycle', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ ACTION_TIMEOUT_MS: '1500' }, { startWorker: false });
  });
  after(async () => {
    await env.close();
  });
  // As a consumer should: an event republished after a worker was killed counts once (message_id).
  const updates = (afId: string) =>
    env.events.filter((e, i, all) => e.type === 'activeflow_updated' && e.data.id === afId && all.findIndex((o) => o.messageId === e.messageId) === i);
  const update = async (afId: string, n: number) => {
    await waitUntil(() => updates(afId).length >= n || undefined, 15_000, `update #${n} of ${afId}`);
    return updates(afId)[n - 1]!.data as any;
  };
  const start = (customer: string, flowId: string, referenceType = 'call', variables?: Record<string, string>) => {
    const afId = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: afId, customer_id: customer, flow_id: flowId, reference_type: referenceType, reference_id: randomUUID(), ...(variables ? { variables } : {}) });
    return afId;
  };

  it('fires a handed-off action timeout in another worker after the arming worker was killed', async () => {
    const child = await env.spawnWorker();
    await env.startAnotherWorker({ TIMER_POLL_MS: '100000' }); // serves RPC only until the kill
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    await env.worker.stop();
    const afId = start(customer, flow.id);
    const waiting = await update(afId, 1);
    assert.equal(waiting.current_action.id, id(1));
    const [armed] = await env.query('SELECT wake_at FROM activeflows WHERE id = ?', [afId]);
    assert.ok(armed.wake_at, 'the timer is stored on the row');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(updates(afId).length, 1, 'not fired before the kill');
    await env.startAnotherWorker();
    const ended = await update(afId, 2);
    assert.equal(ended.status, 'ended');
    assert.equal(ended.end_reason, 'timeout');
    assert.match(ended.end_detail, /not done within 1500 ms/);
    const [row] = await env.query('SELECT wake_at, status FROM activeflows WHERE id = ?', [afId]);
    assert.equal(row.wake_at, null);
    assert.equal(row.status, 'ended');
  });

  it('jumps to the timeout target when a block times out', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [
      { id: id(1), type: 'block', option: { timeout_ms: 300, timeout_target_id: id(3) } },
      { id: id(2), type: 'message_send', option: { text: 'continued' } },
      { id: id(3), type: 'message_send', option: { text: 'timed out' } },
    ]);
    const afId = start(customer, flow.id, 'sms');
    assert.equal((await update(afId, 1)).current_action.id, id(1));
    const jumped = await update(afId, 2);
    assert.equal(jumped.current_action.id, id(3));
    assert.equal(jumped.status, 'running');
  });

  it('refuses continue with a wrong id and changes nothing; the right id resumes', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'block' }, { id: id(2), type: 'message_send' }]);
    const afId = start(customer, flow.id, 'sms');
    await update(afId, 1);
    const [before] = await env.query('SELECT doc, seq FROM activeflows WHERE id = ?', [afId]);
    const refused = await env.worker.app.activeflows.input(afId, { type: 'continue', current_action_id: id(2) });
    assert.equal(refused.outcome.kind, 'rejected');
    const [afterRefusal] = await env.query('SELECT doc, seq FROM activeflows WHERE id = ?', [afId]);
    assert.deepEqual(afterRefusal, before);
    const resumed = await env.worker.app.activeflows.input(afId, { type: 'continue', current_action_id: id(1) });
    assert.equal(resumed.activeflow.current_action.id, id(2));
  });

  it('returns from a pushed stack to the action after the pushing one on service_stop', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'talk' }, { id: id(3), type: 'hangup' }]);
    const afId = start(customer, flow.id);
    await update(afId, 1);
    const pushed = await env.worker.app.activeflows.input(afId, {
      type: 'push_actions',
      actions: [
        { id: id(11), next_id: id(0), type: 'play', option: {} },
        { id: id(12), next_id: id(0), type: 'play', option: {} },
      ].map((a) => ({ ...a, next_id: '00000000-0000-0000-0000-000000000000' })),
    });
    const stackId = pushed.activeflow.current_stack_id;
    assert.equal(pushed.activeflow.current_action.id, id(11));
    assert.notEqual(stackId, '00000000-0000-0000-0000-000000000001');
    env.publishEvent('action_done', { activeflow_id: afId, action_id: id(11) });
    assert.equal((await update(afId, 3)).current_action.id, id(12));
    const popped = await env.worker.app.activeflows.input(afId, { type: 'service_stop', service_id: stackId });
    assert.equal(popped.activeflow.current_action.id, id(2));
    assert.equal(popped.activeflow.stack_map[stackId], undefined, 'the finished stack is removed');
  });

  it('stops a self-referencing on-complete chain at exactly 5 activeflows', async () => {
    const customer = randomUUID();
    const flowId = randomUUID();
    await createFlow(env, customer, [{ id: id(1), type: 'variable_set', option: { key: 'n', value: '${n}x' } }], { id: flowId, on_complete_flow_id: flowId });
    const first = start(customer, flowId, 'call', { n: '' });
    const rows = await waitUntil(async () => {
      const found = await env.query('SELECT id, status, doc, variables FROM activeflows WHERE flow_id = ? ORDER BY tm_create, id', [flowId]);
      return found.length >= 5 && found.every((r: any) => r.status === 'ended') ? found : undefined;
    }, 15_000, 'chain of 5');
    await new Promise((r) => setTimeout(r, 300));
    const all = await env.query('SELECT id, doc, variables FROM activeflows WHERE flow_id = ?', [flowId]);
    assert.equal(all.length, 5);
    const docs = rows.map((r: any) => ({ doc: JSON.parse(r.doc), vars: JSON.parse(r.variables) }));
    const byParent = new Map(docs.map((d: any) => [d.doc.reference_activeflow_id, d]));
    let link = docs.find((d: any) => d.doc.id === first)!;
    for (let depth = 0; depth < 5; depth++) {
      assert.equal(link.vars['voipbin.activeflow.complete_count'], String(depth));
      assert.equal(link.vars.n, 'x'.repeat(depth + 1), 'variables are inherited along the chain');
      if (depth < 4) link = byParent.get(link.doc.id)!;
    }
  });

  it('ends a running activeflow with deleted before soft-deleting it', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }]);
    const afId = start(customer, flow.id);
    await update(afId, 1);
    const result = await env.worker.app.activeflows.input(afId, { type: 'delete' });
    assert.equal(result.activeflow.end_reason, 'deleted');
    assert.notEqual(result.activeflow.tm_delete, '9999-01-01 00:00:00.000000');
    const deleted = await env.waitForEvent((e) => e.type === 'activeflow_deleted' && e.data.id === afId);
    const ended = updates(afId)[1]!;
    assert.ok(ended.sequence < deleted.sequence, 'ended is announced before deleted');
  });
});
