// Issue 3: the activeflow routes of the RPC API, against real RabbitMQ + MariaDB; includes a call
// flow driven purely by RPC the way the call service does it (create, then `next` after each action).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expectError, ok } from '../helpers/rpc-asserts.ts';
import { CALL_IVR, id } from '../helpers/flows.ts';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';

const ZERO = '00000000-0000-0000-0000-000000000000';
const START = '00000000-0000-0000-0000-000000000001';
const FINISH = '00000000-0000-0000-0000-000000000002';
const NOT_DELETED = '9999-01-01 00:00:00.000000';

describe('rpc: activeflows', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  const start = async (customer: string, flowId: string, extra: Record<string, unknown> = {}) =>
    ok(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flowId,
        reference_type: 'call',
        reference_id: randomUUID(),
        ...extra,
      }),
    );
  const next = (afId: string, current: string) =>
    env.rpc('GET', `/v1/activeflows/${afId}/next`, { current_action_id: current });
  const get = async (afId: string) => ok(await env.rpc('GET', `/v1/activeflows/${afId}`));
  const seqOf = async (afId: string) =>
    Number((await env.query('SELECT seq FROM activeflows WHERE id = ?', [afId]))[0].seq);
  const talkFlow = (customer: string) =>
    createFlow(env, customer, [
      { id: id(1), type: 'talk' },
      { id: id(2), type: 'talk' },
      { id: id(3), type: 'talk' },
      { id: id(4), type: 'hangup' },
    ]);

  it('drives a call flow purely by RPC: create, then next after each action, through a branch, to finish', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, CALL_IVR);
    const af = await start(customer, flow.id);
    assert.equal(af.status, 'running');
    // Ids the worker makes are time-ordered UUIDs (v7): new rows go to the end of the primary key.
    assert.match(af.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok((await start(customer, flow.id)).id > af.id, 'a later id sorts after an earlier one');
    assert.equal(af.current_action.id, START);
    assert.equal(af.execute_count, 0, 'created, not executed');

    let current = START;
    const seen: string[] = [];
    for (let step = 0; step < 10; step++) {
      if (current === id(3))
        ok(
          await env.rpc('POST', `/v1/variables/${af.id}/variables`, {
            variables: { 'voipbin.call.digits': '1' },
          }),
        );
      const action = ok(await next(af.id, current));
      if (action.id === FINISH) {
        assert.deepEqual(action, { id: FINISH, next_id: ZERO, type: '', option: {} });
        break;
      }
      seen.push(`${action.type}:${action.id}`);
      if (action.id === id(2)) assert.equal(action.option.text, 'welcome call', 'options substituted');
      current = action.id;
    }
    assert.deepEqual(seen, [
      `answer:${id(1)}`,
      `talk:${id(2)}`,
      `digits_receive:${id(3)}`,
      `talk:${id(5)}`,
      `hangup:${id(7)}`,
    ]);
    const ended = await get(af.id);
    assert.equal(ended.status, 'ended');
    assert.equal(ended.end_reason, 'finished');
    assert.deepEqual(
      ended.executed_actions.map((a: { id: string }) => a.id),
      [START, id(1), id(2), id(3), id(4), id(5), id(7)],
    );
    const last = await env.waitForEvent(
      (e) => e.type === 'activeflow_updated' && e.data.id === af.id && e.data.status === 'ended',
    );
    assert.equal(last.data.end_reason, 'finished');
    assert.deepEqual(
      ok(await next(af.id, id(7))),
      { id: FINISH, next_id: ZERO, type: '', option: {} },
      'next of an ended one: finish',
    );
  });

  it('GET next with a stale current_action_id: 409, the activeflow still running and unchanged', async () => {
    const customer = randomUUID();
    const flow = await talkFlow(customer);
    const af = await start(customer, flow.id);
    ok(await next(af.id, START));
    const before = await get(af.id);
    const seq = await seqOf(af.id);
    const reply = await next(af.id, START);
    expectError(reply, 409, 'STALE_ACTION');
    assert.equal(reply.data.status, 'FAILED_PRECONDITION');
    expectError(await next(af.id, id(3)), 409, 'STALE_ACTION');
    const after = await get(af.id);
    assert.equal(after.status, 'running');
    assert.deepEqual(after, before);
    assert.equal(await seqOf(af.id), seq, 'nothing stored');
    expectError(await next(af.id, 'start'), 400, 'INVALID_ARGUMENT', 'current_action_id');
    expectError(
      await env.rpc('GET', `/v1/activeflows/${af.id}/next`, {}),
      400,
      'INVALID_ARGUMENT',
      'current_action_id',
    );
    expectError(await next(randomUUID(), START), 404, 'ACTIVEFLOW_NOT_FOUND');
  });

  it('POST /v1/activeflows: drops voipbin.* variables, rejects unknown, deleted and foreign flows, bad fields and duplicates', async () => {
    const customer = randomUUID();
    const flow = await talkFlow(customer);
    const afId = randomUUID();
    const af = await start(customer, flow.id, {
      id: afId,
      variables: { name: 'Ada', 'voipbin.activeflow.id': 'forged', 'VOIPBIN.call.digits': '9' },
    });
    assert.equal(af.id, afId);
    const vars = ok(await env.rpc('GET', `/v1/variables/${afId}`)).variables;
    assert.equal(vars.name, 'Ada');
    assert.equal(vars['voipbin.activeflow.id'], afId);
    assert.equal(vars['VOIPBIN.call.digits'], undefined);
    await env.waitForEvent((e) => e.type === 'activeflow_created' && e.data.id === afId);

    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'call',
        id: afId,
      }),
      409,
      'ALREADY_EXISTS',
    );
    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: randomUUID(),
        reference_type: 'call',
      }),
      404,
      'FLOW_NOT_FOUND',
      'flow_id',
    );
    const other = randomUUID();
    const foreign = await env.rpc('POST', '/v1/activeflows', {
      customer_id: other,
      flow_id: flow.id,
      reference_type: 'call',
    });
    expectError(foreign, 400, 'CUSTOMER_MISMATCH');
    assert.equal((await env.query('SELECT id FROM activeflows WHERE customer_id = ?', [other])).length, 0);
    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'fax',
      }),
      400,
      'INVALID_ARGUMENT',
      'reference_type',
    );
    expectError(
      await env.rpc('POST', '/v1/activeflows', { customer_id: customer, reference_type: 'call' }),
      400,
      'INVALID_ARGUMENT',
      'flow_id',
    );
    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'call',
        variables: { a: 1 },
      }),
      400,
      'INVALID_ARGUMENT',
      'a',
    );
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']));
    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'call',
        variables: many,
      }),
      400,
      'VARIABLES_TOO_LARGE',
      'variables',
    );
    const gone = await createFlow(env, customer, []);
    ok(await env.rpc('DELETE', `/v1/flows/${gone.id}`));
    expectError(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: gone.id,
        reference_type: 'call',
      }),
      404,
      'FLOW_NOT_FOUND',
    );
  });

  it('GET /v1/activeflows/:id replies the activeflow; 404 unknown; 400 malformed id', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    assert.deepEqual(await get(af.id), af);
    expectError(await env.rpc('GET', `/v1/activeflows/${randomUUID()}`), 404, 'ACTIVEFLOW_NOT_FOUND');
    expectError(await env.rpc('GET', '/v1/activeflows/42'), 400, 'INVALID_ARGUMENT', 'id');
  });

  it('POST execute runs to the first wait once; a second execute changes nothing', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    const executed = ok(await env.rpc('POST', `/v1/activeflows/${af.id}/execute`));
    assert.equal(executed.current_action.id, id(1));
    assert.equal(executed.execute_count, 1);
    assert.deepEqual(ok(await env.rpc('POST', `/v1/activeflows/${af.id}/execute`)), executed);
    expectError(
      await env.rpc('POST', `/v1/activeflows/${randomUUID()}/execute`),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('POST continue resumes a block; 409 when not at that block; next at a block replies the empty action', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [
      { id: id(1), type: 'block' },
      { id: id(2), type: 'message_send', option: { text: 'x' } },
    ]);
    const af = await start(customer, flow.id, { reference_type: 'sms' });
    assert.deepEqual(
      ok(await next(af.id, START)),
      { id: ZERO, next_id: ZERO, type: '', option: {} },
      'waits at the block',
    );
    assert.deepEqual(
      ok(await next(af.id, id(1))),
      { id: ZERO, next_id: ZERO, type: '', option: {} },
      'still at the block',
    );
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/continue`, { current_action_id: id(2) }),
      409,
      'STALE_ACTION',
    );
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/continue`, { current_action_id: 7 }),
      400,
      'INVALID_ARGUMENT',
      'current_action_id',
    );
    const resumed = ok(
      await env.rpc('POST', `/v1/activeflows/${af.id}/continue`, { current_action_id: id(1) }),
    );
    assert.equal(resumed.current_action.id, id(2));
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/continue`, { current_action_id: id(1) }),
      409,
      'STALE_ACTION',
    );
    expectError(
      await env.rpc('POST', `/v1/activeflows/${randomUUID()}/continue`, { current_action_id: id(1) }),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('PUT forward_action_id: later on next, or at once with forward_now; 400 TARGET_NOT_FOUND', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    ok(await next(af.id, START));
    const forwarded = ok(
      await env.rpc('PUT', `/v1/activeflows/${af.id}/forward_action_id`, {
        forward_action_id: id(3),
        forward_now: false,
      }),
    );
    assert.equal(forwarded.forward_action_id, id(3));
    assert.equal(forwarded.current_action.id, id(1));
    assert.equal(ok(await next(af.id, id(1))).id, id(3));
    const now = ok(
      await env.rpc('PUT', `/v1/activeflows/${af.id}/forward_action_id`, {
        forward_action_id: id(2),
        forward_now: true,
      }),
    );
    assert.equal(now.current_action.id, id(2));
    assert.equal(now.forward_action_id, ZERO);
    expectError(
      await env.rpc('PUT', `/v1/activeflows/${af.id}/forward_action_id`, { forward_action_id: id(99) }),
      400,
      'TARGET_NOT_FOUND',
    );
    expectError(
      await env.rpc('PUT', `/v1/activeflows/${af.id}/forward_action_id`, {
        forward_action_id: id(3),
        forward_now: 'soon',
      }),
      400,
      'INVALID_ARGUMENT',
      'forward_now',
    );
    expectError(
      await env.rpc('PUT', `/v1/activeflows/${randomUUID()}/forward_action_id`, { forward_action_id: id(3) }),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('POST stop ends with stopped; stopping again changes nothing', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    ok(await next(af.id, START));
    const stopped = ok(await env.rpc('POST', `/v1/activeflows/${af.id}/stop`));
    assert.equal(stopped.status, 'ended');
    assert.equal(stopped.end_reason, 'stopped');
    assert.deepEqual(ok(await env.rpc('POST', `/v1/activeflows/${af.id}/stop`)), stopped);
    assert.equal(ok(await next(af.id, id(1))).id, FINISH);
    expectError(await env.rpc('POST', `/v1/activeflows/${randomUUID()}/stop`), 404, 'ACTIVEFLOW_NOT_FOUND');
  });

  it('POST push_actions runs the pushed stack next; service_stop pops it; bad actions are 400', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    ok(await next(af.id, START));
    const pushed = ok(
      await env.rpc('POST', `/v1/activeflows/${af.id}/push_actions`, {
        actions: [
          { id: id(10), type: 'play' },
          { id: id(11), type: 'play' },
        ],
      }),
    );
    assert.equal(pushed.current_action.id, id(10));
    assert.notEqual(pushed.current_stack_id, START);
    assert.equal(ok(await next(af.id, id(10))).id, id(11));
    assert.equal(ok(await next(af.id, id(11))).id, id(2), 'back in the main stack after the pushing action');

    const again = ok(
      await env.rpc('POST', `/v1/activeflows/${af.id}/push_actions`, { actions: [{ type: 'play' }] }),
    );
    assert.match(again.current_action.id, /^[0-9a-f-]{36}$/, 'ids generated');
    const popped = ok(
      await env.rpc('POST', `/v1/activeflows/${af.id}/service_stop`, { service_id: again.current_stack_id }),
    );
    assert.equal(popped.current_action.id, id(3));
    assert.equal(popped.stack_map[again.current_stack_id], undefined);
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/service_stop`, { service_id: 'x' }),
      400,
      'INVALID_ARGUMENT',
      'service_id',
    );

    const invalid = await env.rpc('POST', `/v1/activeflows/${af.id}/push_actions`, {
      actions: [{ type: 5 }],
    });
    expectError(invalid, 400, 'INVALID_FLOW');
    assert.equal(invalid.data.details[0].code, 'MALFORMED_ACTION');
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/push_actions`, { actions: [] }),
      400,
      'INVALID_ARGUMENT',
      'actions',
    );
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/push_actions`, { actions: 'play' }),
      400,
      'INVALID_ARGUMENT',
      'actions',
    );
    expectError(
      await env.rpc('POST', `/v1/activeflows/${randomUUID()}/push_actions`, { actions: [{ type: 'play' }] }),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('POST add_actions inserts after the current action', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    ok(await next(af.id, START));
    const added = ok(
      await env.rpc('POST', `/v1/activeflows/${af.id}/add_actions`, {
        actions: [{ id: id(20), type: 'beep' }],
      }),
    );
    assert.equal(added.current_action.id, id(1), 'the current action stays');
    assert.equal(ok(await next(af.id, id(1))).id, id(20));
    assert.equal(ok(await next(af.id, id(20))).id, id(2));
    expectError(
      await env.rpc('POST', `/v1/activeflows/${af.id}/add_actions`, {}),
      400,
      'INVALID_ARGUMENT',
      'actions',
    );
  });

  it('DELETE ends a running activeflow with deleted and soft-deletes it', async () => {
    const customer = randomUUID();
    const af = await start(customer, (await talkFlow(customer)).id);
    const deleted = ok(await env.rpc('DELETE', `/v1/activeflows/${af.id}`));
    assert.equal(deleted.status, 'ended');
    assert.equal(deleted.end_reason, 'deleted');
    assert.notEqual(deleted.tm_delete, NOT_DELETED);
    assert.deepEqual(ok(await env.rpc('DELETE', `/v1/activeflows/${af.id}`)), deleted, 'idempotent');
    await env.waitForEvent((e) => e.type === 'activeflow_deleted' && e.data.id === af.id);
    assert.deepEqual(ok(await env.rpc('GET', '/v1/activeflows', { customer_id: customer })), []);
    assert.equal(
      ok(await env.rpc('GET', '/v1/activeflows', { customer_id: customer, deleted: true }))[0].id,
      af.id,
    );
    expectError(await env.rpc('DELETE', `/v1/activeflows/${randomUUID()}`), 404, 'ACTIVEFLOW_NOT_FOUND');
  });

  it("lists and counts by filters, never leaking another customer's rows", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const flowA = await talkFlow(a);
    const answerA = await createFlow(env, a, [{ id: id(1), type: 'answer' }]);
    const flowB = await talkFlow(b);
    // tm_create has millisecond resolution: keep the creations apart so newest-first is defined.
    const spaced = async (customer: string, flowId: string, extra: Record<string, unknown> = {}) => {
      await new Promise((r) => setTimeout(r, 2));
      return start(customer, flowId, extra);
    };
    const afs = [
      await spaced(a, flowA.id),
      await spaced(a, flowA.id),
      await spaced(a, flowA.id),
      await spaced(a, answerA.id, { reference_type: 'sms' }),
    ];
    const bs = [await spaced(b, flowB.id), await spaced(b, flowB.id)];
    ok(await next(afs[0].id, START));
    ok(await next(afs[1].id, START));
    ok(await next(bs[0].id, START));
    ok(await env.rpc('POST', `/v1/activeflows/${afs[2].id}/stop`));

    const listA = ok(await env.rpc('GET', '/v1/activeflows?page_size=100', { customer_id: a }));
    assert.deepEqual(listA.map((x: { id: string }) => x.id).sort(), afs.map((x) => x.id).sort());
    assert.ok(listA.every((x: { customer_id: string }) => x.customer_id === a));
    assert.deepEqual(
      listA.map((x: { id: string }) => x.id),
      [...afs].reverse().map((x) => x.id),
      'newest first',
    );
    const listB = ok(await env.rpc('GET', '/v1/activeflows', { customer_id: b }));
    assert.deepEqual(listB.map((x: { id: string }) => x.id).sort(), bs.map((x) => x.id).sort());
    const talking = ok(
      await env.rpc('GET', '/v1/activeflows', {
        customer_id: a,
        status: 'running',
        current_action_type: 'talk',
      }),
    );
    assert.deepEqual(talking.map((x: { id: string }) => x.id).sort(), [afs[0].id, afs[1].id].sort());
    assert.equal(
      ok(await env.rpc('GET', '/v1/activeflows', { customer_id: a, reference_type: 'sms' }))[0].id,
      afs[3].id,
    );
    assert.equal(
      ok(await env.rpc('GET', '/v1/activeflows', { customer_id: a, flow_id: answerA.id })).length,
      1,
    );
    assert.equal(
      ok(await env.rpc('GET', '/v1/activeflows', { customer_id: a, reference_id: afs[1].reference_id }))[0]
        .id,
      afs[1].id,
    );
    assert.equal(
      ok(await env.rpc('GET', '/v1/activeflows', { customer_id: b, flow_id: flowA.id })).length,
      0,
      "B filtered by A's flow: nothing",
    );
    const paged = ok(
      await env.rpc(
        'GET',
        `/v1/activeflows?page_size=2&page_token=${encodeURIComponent(listA[1].tm_create)}`,
        { customer_id: a },
      ),
    );
    assert.deepEqual(
      paged.map((x: { id: string }) => x.id),
      listA.slice(2, 4).map((x: { id: string }) => x.id),
    );

    assert.deepEqual(ok(await env.rpc('GET', '/v1/activeflows/count', { customer_id: a })), { count: 4 });
    assert.deepEqual(
      ok(await env.rpc('GET', '/v1/activeflows/count', { customer_id: a, status: 'running' })),
      { count: 3 },
    );
    assert.deepEqual(
      ok(
        await env.rpc('GET', '/v1/activeflows/count', {
          customer_id: a,
          status: 'running',
          group_by: 'current_action_type',
        }),
      ),
      {
        groups: [
          { key: '', count: 1 },
          { key: 'talk', count: 2 },
        ],
      },
    );
    assert.deepEqual(
      ok(await env.rpc('GET', '/v1/activeflows/count', { customer_id: a, group_by: 'status' })),
      {
        groups: [
          { key: 'ended', count: 1 },
          { key: 'running', count: 3 },
        ],
      },
    );
    assert.deepEqual(
      ok(await env.rpc('GET', '/v1/activeflows/count', { customer_id: b, group_by: 'flow_id' })),
      { groups: [{ key: flowB.id, count: 2 }] },
    );
    expectError(
      await env.rpc('GET', '/v1/activeflows/count', { customer_id: a, group_by: 'customer_id' }),
      400,
      'INVALID_ARGUMENT',
      'group_by',
    );
    expectError(
      await env.rpc('GET', '/v1/activeflows', { status: 'paused' }),
      400,
      'INVALID_ARGUMENT',
      'status',
    );
    expectError(
      await env.rpc('GET', '/v1/activeflows', { customer_id: 12 }),
      400,
      'INVALID_ARGUMENT',
      'customer_id',
    );
    expectError(
      await env.rpc('GET', '/v1/activeflows?page_size=0', {}),
      400,
      'INVALID_ARGUMENT',
      'page_size',
    );
  });

  it('replies 400 INVALID_JSON to a body that is not JSON and 404 ROUTE_NOT_FOUND to an unknown uri', async () => {
    expectError(
      await env.rpc('GET', '/v1/activeflows', undefined, Buffer.from('not json at all')),
      400,
      'INVALID_JSON',
    );
    expectError(await env.rpc('POST', `/v1/activeflows/${randomUUID()}/pause`), 404, 'ROUTE_NOT_FOUND');
    expectError(await env.rpc('PUT', '/v1/activeflows'), 404, 'ROUTE_NOT_FOUND');
  });
});
