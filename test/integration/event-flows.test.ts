// Issue 2: call and SMS flows driven only by published events, against real RabbitMQ + MariaDB.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CALL_IVR, id } from '../helpers/flows.ts';
import { createFlow, createTestEnv, waitUntil, type ReceivedEvent, type TestEnv } from '../helpers/env.ts';


describe('flows driven by events', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  const updatesOf = (afId: string) => env.events.filter((e) => e.type === 'activeflow_updated' && e.data.id === afId);
  const nextUpdate = async (afId: string, count: number): Promise<ReceivedEvent> => {
    await waitUntil(() => updatesOf(afId).length >= count || undefined, 10_000, `update #${count} of ${afId}`);
    return updatesOf(afId)[count - 1]!;
  };

  it('runs answer -> talk -> digits_receive -> branch -> talk -> hangup to finished', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, CALL_IVR);
    const afId = randomUUID();
    const callId = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: afId, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: callId });

    const created = await env.waitForEvent((e) => e.type === 'activeflow_created' && e.data.id === afId);
    assert.equal(created.publisher, 'flow-manager');
    assert.equal(created.sequence, 1);
    let update = await nextUpdate(afId, 1);
    assert.equal((update.data.current_action as any).id, id(1));
    assert.equal((update.data.current_action as any).type, 'answer');

    const expected: [string, Record<string, string> | undefined, string][] = [
      [id(1), undefined, id(2)],
      [id(2), undefined, id(3)],
      [id(3), { 'voipbin.call.digits': '1' }, id(5)],
      [id(5), undefined, id(7)],
    ];
    for (const [index, [done, variables, next]] of expected.entries()) {
      env.publishEvent('action_done', { activeflow_id: afId, action_id: done, ...(variables ? { variables } : {}) });
      update = await nextUpdate(afId, index + 2);
      assert.equal((update.data.current_action as any).id, next, `after ${done}`);
      assert.equal(update.data.status, 'running');
    }
    assert.equal((updatesOf(afId)[1]!.data.current_action as any).option.text, 'welcome call', 'substituted');

    env.publishEvent('action_done', { activeflow_id: afId, action_id: id(7) });
    update = await nextUpdate(afId, 6);
    assert.equal(update.data.status, 'ended');
    assert.equal(update.data.end_reason, 'finished');

    const sequences = env.events.filter((e) => e.aggregateId === afId).map((e) => e.sequence);
    assert.deepEqual(sequences, [1, 2, 3, 4, 5, 6, 7]);
    const [row] = await env.query('SELECT status, current_action_type, wake_at, doc, variables FROM activeflows WHERE id = ?', [afId]);
    assert.equal(row.status, 'ended');
    assert.equal(row.wake_at, null);
    const doc = JSON.parse(row.doc);
    assert.equal(doc.end_reason, 'finished');
    assert.deepEqual(
      doc.executed_actions.map((a: { id: string }) => a.id),
      ['00000000-0000-0000-0000-000000000001', id(1), id(2), id(3), id(4), id(5), id(7)],
    );
    assert.equal(JSON.parse(row.variables)['voipbin.call.digits'], '', 'branch resets the variable it read');
  });

  it('ignores stale and duplicate inputs: no change, no event', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    const afId = randomUUID();
    const start = { activeflow_id: afId, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: randomUUID() };
    env.publishEvent('start_flow', start);
    await nextUpdate(afId, 1);
    env.publishEvent('start_flow', start);
    env.publishEvent('action_done', { activeflow_id: afId, action_id: randomUUID() });
    env.publishEvent('action_done', { activeflow_id: randomUUID(), action_id: id(1) });
    env.publishEvent('action_done', { activeflow_id: afId, action_id: id(1) });
    env.publishEvent('action_done', { activeflow_id: afId, action_id: id(1) });
    await nextUpdate(afId, 2);
    // A marker after the noise: once it is processed, everything before it was too.
    const marker = randomUUID();
    env.publishEvent('start_flow', { ...start, activeflow_id: marker });
    await nextUpdate(marker, 1);
    assert.equal(env.events.filter((e) => e.aggregateId === afId).length, 3, 'created + 2 updates only');
    assert.equal((updatesOf(afId)[1]!.data.current_action as any).id, id(2));
    const [row] = await env.query('SELECT seq FROM activeflows WHERE id = ?', [afId]);
    assert.equal(Number(row.seq), 3);
  });

  it('runs an SMS flow with variable_set, condition_variable and message_send, skipping talk', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [
      { id: id(1), type: 'variable_set', option: { key: 'greeting', value: 'hi ${name}' } },
      { id: id(2), type: 'talk', option: { text: 'never on sms' } },
      { id: id(3), type: 'condition_variable', option: { condition: '==', variable: '${keyword}', value_type: 'string', value_string: 'STOP', false_target_id: id(5) } },
      { id: id(4), type: 'stop' },
      { id: id(5), type: 'message_send', option: { text: '${greeting}', numbers: [1, 2] } },
    ]);
    const afId = randomUUID();
    env.publishEvent('start_flow', {
      activeflow_id: afId, customer_id: customer, flow_id: flow.id, reference_type: 'sms', reference_id: randomUUID(),
      variables: { name: 'Ada', keyword: 'HELLO' },
    });
    const update = await nextUpdate(afId, 1);
    const current = update.data.current_action as any;
    assert.equal(current.type, 'message_send');
    assert.deepEqual(current.option, { text: 'hi Ada', numbers: [1, 2] });
    assert.ok((update.data.executed_actions as any[]).some((a) => a.type === 'talk'), 'talk recorded as skipped');
    env.publishEvent('action_done', { activeflow_id: afId, action_id: id(5) });
    const end = await nextUpdate(afId, 2);
    assert.equal(end.data.status, 'ended');
    assert.equal(end.data.end_reason, 'finished');
  });

  it('ends a waiting call flow with hangup on call_hangup', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }, { id: id(2), type: 'hangup' }]);
    const afId = randomUUID();
    const callId = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: afId, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: callId });
    await nextUpdate(afId, 1);
    env.publishEvent('call_hangup', { id: callId, status: 'hangup' });
    const end = await nextUpdate(afId, 2);
    assert.equal(end.data.status, 'ended');
    assert.equal(end.data.end_reason, 'hangup');
    const [row] = await env.query('SELECT status FROM activeflows WHERE id = ?', [afId]);
    assert.equal(row.status, 'ended');
  });

  it('dead-letters a garbage message and still processes the next good one', async () => {
    env.publishEvent('', null, { raw: Buffer.from('{not json') });
    env.publishEvent('start_flow', { customer_id: 'not-a-uuid' });
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }]);
    const afId = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: afId, customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: randomUUID() });
    await nextUpdate(afId, 1);
    const dead = await waitUntil(async () => {
      const q = await env.client.checkQueue(env.config.deadLetterQueue);
      return q.messageCount >= 2 ? q.messageCount : undefined;
    }, 10_000, 'dead letters');
    assert.equal(dead, 2);
    const first = await env.client.get(env.config.deadLetterQueue, { noAck: true });
    assert.ok(first && first.content.toString() === '{not json');
    const logged = env.logs.find((l) => l.msg === 'invalid event dead-lettered' && String((l.err as any)?.message ?? '').includes('customer_id'));
    assert.ok(logged, 'the invalid start_flow is logged naming the bad field');
  });

  it('refuses to start another customer\'s flow', async () => {
    const owner = randomUUID();
    const flow = await createFlow(env, owner, [{ id: id(1), type: 'talk' }]);
    const afId = randomUUID();
    env.publishEvent('start_flow', { activeflow_id: afId, customer_id: randomUUID(), flow_id: flow.id, reference_type: 'call', reference_id: randomUUID() });
    await waitUntil(() => env.logs.find((l) => String((l.err as any)?.message ?? '').includes(`does not belong`)), 10_000, 'rejection log');
    const rows = await env.query('SELECT id FROM activeflows WHERE id = ?', [afId]);
    assert.equal(rows.length, 0);
  });
});
