// Issue 3: the flow routes of the RPC API, against real RabbitMQ + MariaDB.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expectError } from '../helpers/rpc-asserts.ts';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

const NOT_DELETED = '9999-01-01 00:00:00.000000';

describe('rpc: flows', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  /** The Flow of a create/update reply: everything but the `warnings` it carries alongside. */
  const flowOf = (data: any) => {
    const { warnings, ...flow } = data;
    assert.ok(Array.isArray(warnings), 'a saved flow is replied with its warnings');
    return flow;
  };

  it('POST /v1/flows creates a flow and replies the Flow plus its warnings', async () => {
    const customer = randomUUID();
    const reply = await env.rpc('POST', '/v1/flows', {
      customer_id: customer,
      name: 'ivr',
      detail: 'main menu',
      actions: [{ type: 'answer' }, { id: id(2), type: 'talk', option: { text: 'hi' } }],
      unknown_field: 'ignored',
    });
    assert.equal(reply.status_code, 200);
    assert.equal(reply.data_type, 'application/json');
    assert.deepEqual(reply.data.warnings, []);
    const flow = flowOf(reply.data);
    assert.deepEqual(Object.keys(flow).sort(), [
      'actions',
      'customer_id',
      'detail',
      'id',
      'name',
      'on_complete_flow_id',
      'tm_create',
      'tm_delete',
      'tm_update',
      'type',
    ]);
    assert.equal(flow.customer_id, customer);
    assert.equal(flow.type, 'flow');
    assert.equal(flow.tm_delete, NOT_DELETED);
    assert.equal(flow.on_complete_flow_id, '00000000-0000-0000-0000-000000000000');
    assert.match(flow.actions[0].id, /^[0-9a-f-]{36}$/);
    assert.notEqual(flow.actions[0].id, '00000000-0000-0000-0000-000000000000');
    assert.deepEqual(flow.actions[1], {
      id: id(2),
      next_id: '00000000-0000-0000-0000-000000000000',
      type: 'talk',
      option: { text: 'hi' },
    });
    const event = await env.waitForEvent((e) => e.type === 'flow_created' && e.data.id === flow.id);
    assert.deepEqual(event.data, flow, 'the event carries the Flow alone');
  });

  it('saves a flow with warnings and replies them alongside; errors reject it listing every one', async () => {
    const customer = randomUUID();
    const reply = await env.rpc('POST', '/v1/flows', {
      customer_id: customer,
      actions: [
        { id: id(1), type: 'talk' },
        { id: id(2), type: 'goto', option: { target_id: id(1) } },
        { id: id(3), type: 'block' },
      ],
    });
    assert.equal(reply.status_code, 200, JSON.stringify(reply));
    const warnings = reply.data.warnings;
    assert.deepEqual(
      warnings.map((w: { code: string; action_id: string }) => [w.code, w.action_id]),
      [['GOTO_NEVER_JUMPS', id(2)]],
      'no reference type is known for a flow: a block is not MEDIA_NOT_ALLOWED',
    );
    assert.deepEqual(Object.keys(warnings[0]).sort(), ['action_id', 'code', 'message', 'severity']);
    assert.equal(warnings[0].severity, 'warning');
    assert.match(warnings[0].message, /loop_count/);
    const flow = flowOf(reply.data);
    assert.deepEqual((await env.rpc('GET', `/v1/flows/${flow.id}`)).data, flow, 'saved');
    const event = await env.waitForEvent((e) => e.type === 'flow_created' && e.data.id === flow.id);
    assert.equal('warnings' in event.data, false);

    const hinted = await env.rpc('POST', '/v1/flows', {
      customer_id: customer,
      reference_type: 'call',
      actions: [{ id: id(1), type: 'block' }],
    });
    assert.equal(hinted.status_code, 200, JSON.stringify(hinted));
    assert.deepEqual(
      hinted.data.warnings.map((w: { code: string }) => w.code),
      ['MEDIA_NOT_ALLOWED'],
      'the reference_type hint turns the medium check on',
    );
    assert.equal('reference_type' in hinted.data, false, 'the hint is not stored');
    expectError(
      await env.rpc('POST', '/v1/flows', { customer_id: customer, reference_type: 'fax', actions: [] }),
      400,
      'INVALID_ARGUMENT',
      'reference_type',
    );

    const bad = await env.rpc('POST', '/v1/flows', {
      customer_id: customer,
      actions: [
        { id: id(1), type: 'goto', option: { target_id: id(8), loop_count: 1 } },
        { id: id(2), type: 'branch', option: { target_ids: { '1': id(9) } } },
        { id: id(3), type: 'teleport' },
      ],
    });
    expectError(bad, 400, 'INVALID_FLOW');
    assert.deepEqual(
      bad.data.details.map((d: { code: string; action_id: string; severity: string }) => [
        d.code,
        d.action_id,
        d.severity,
      ]),
      [
        ['MISSING_JUMP_TARGET', id(1), 'error'],
        ['MISSING_JUMP_TARGET', id(2), 'error'],
        ['UNKNOWN_TYPE', id(3), 'error'],
      ],
      'every error, warnings left out',
    );
    assert.equal((await env.rpc('GET', '/v1/flows', { customer_id: customer })).data.length, 2, 'not saved');
  });

  it('PUT /v1/flows/:id and /actions reply the saved Flow plus its warnings', async () => {
    const flow = await createFlow(env, randomUUID(), [{ id: id(1), type: 'talk' }]);
    const updated = await env.rpc('PUT', `/v1/flows/${flow.id}`, {
      actions: [
        { id: id(1), type: 'talk' },
        { id: id(2), type: 'goto', option: { target_id: id(1), loop_count: 0 } },
      ],
    });
    assert.equal(updated.status_code, 200, JSON.stringify(updated));
    assert.deepEqual(
      updated.data.warnings.map((w: { code: string; action_id: string }) => [w.code, w.action_id]),
      [['GOTO_NEVER_JUMPS', id(2)]],
    );
    const event = await env.waitForEvent((e) => e.type === 'flow_updated' && e.data.id === flow.id);
    assert.deepEqual(event.data, flowOf(updated.data));

    const renamed = await env.rpc('PUT', `/v1/flows/${flow.id}`, { name: 'renamed' });
    assert.equal(renamed.status_code, 200);
    assert.deepEqual(
      renamed.data.warnings.map((w: { code: string }) => w.code),
      ['GOTO_NEVER_JUMPS'],
      'a rename replies the warnings of the stored actions',
    );

    const replaced = await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, {
      reference_type: 'sms',
      actions: [
        { id: id(3), type: 'talk' },
        { id: id(4), type: 'branch', option: { target_ids: { '1': id(5) } } },
        { id: id(5), type: 'message_send' },
      ],
    });
    assert.equal(replaced.status_code, 200, JSON.stringify(replaced));
    assert.deepEqual(
      replaced.data.warnings.map((w: { code: string; action_id: string }) => [w.code, w.action_id]),
      [
        ['MEDIA_NOT_ALLOWED', id(3)],
        ['BRANCH_NO_DEFAULT', id(4)],
      ],
    );
    const clean = await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, {
      actions: [{ id: id(5), type: 'talk' }],
    });
    assert.deepEqual(clean.data.warnings, []);

    const rejected = await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, {
      actions: [{ id: id(6), type: 'goto', option: { target_id: id(7), loop_count: 1 } }],
    });
    expectError(rejected, 400, 'INVALID_FLOW');
    assert.equal(rejected.data.details[0].code, 'MISSING_JUMP_TARGET');
    assert.deepEqual(
      (await env.rpc('GET', `/v1/flows/${flow.id}`)).data.actions.map((a: { id: string }) => a.id),
      [id(5)],
      'a rejected update changes nothing',
    );
  });

  it('POST /v1/flows: 400 naming the field, 400 INVALID_FLOW with diagnostics, 409 on a duplicate id', async () => {
    expectError(
      await env.rpc('POST', '/v1/flows', { name: 'x', actions: [] }),
      400,
      'INVALID_ARGUMENT',
      'customer_id',
    );
    expectError(
      await env.rpc('POST', '/v1/flows', { customer_id: randomUUID(), name: 5 }),
      400,
      'INVALID_ARGUMENT',
      'name',
    );
    expectError(
      await env.rpc('POST', '/v1/flows', { customer_id: randomUUID(), type: 'nope' }),
      400,
      'INVALID_ARGUMENT',
      'type',
    );
    const bad = await env.rpc('POST', '/v1/flows', {
      customer_id: randomUUID(),
      actions: [{ id: id(1), type: 'goto', option: { target_id: id(9), loop_count: 1 } }],
    });
    expectError(bad, 400, 'INVALID_FLOW');
    assert.equal(bad.data.details[0].code, 'MISSING_JUMP_TARGET');
    const flow = await createFlow(env, randomUUID(), []);
    expectError(
      await env.rpc('POST', '/v1/flows', { id: flow.id, customer_id: randomUUID() }),
      409,
      'ALREADY_EXISTS',
      'id',
    );
  });

  it('GET /v1/flows/:id replies the flow; 404 unknown; 400 naming a malformed id', async () => {
    const flow = await createFlow(env, randomUUID(), [{ id: id(1), type: 'talk' }]);
    const reply = await env.rpc('GET', `/v1/flows/${flow.id}`);
    assert.equal(reply.status_code, 200);
    assert.deepEqual(reply.data, flowOf(flow));
    assert.equal(
      (await env.rpc('GET', `/v1/flows/${flow.id.toUpperCase()}`)).data.id,
      flow.id,
      'ids are case-insensitive',
    );
    expectError(await env.rpc('GET', `/v1/flows/${randomUUID()}`), 404, 'FLOW_NOT_FOUND');
    expectError(await env.rpc('GET', '/v1/flows/not-a-uuid'), 400, 'INVALID_ARGUMENT', 'id');
  });

  it('PUT /v1/flows/:id updates the given fields; 400; 404', async () => {
    const flow = await createFlow(env, randomUUID(), [{ id: id(1), type: 'talk' }]);
    const reply = await env.rpc('PUT', `/v1/flows/${flow.id}`, {
      name: 'renamed',
      actions: [{ id: id(2), type: 'hangup' }],
    });
    assert.equal(reply.status_code, 200);
    assert.equal(reply.data.name, 'renamed');
    assert.equal(reply.data.detail, '');
    assert.deepEqual(
      reply.data.actions.map((a: { id: string }) => a.id),
      [id(2)],
    );
    assert.equal((await env.rpc('GET', `/v1/flows/${flow.id}`)).data.name, 'renamed');
    expectError(
      await env.rpc('PUT', `/v1/flows/${flow.id}`, { detail: ['x'] }),
      400,
      'INVALID_ARGUMENT',
      'detail',
    );
    expectError(
      await env.rpc('PUT', `/v1/flows/${flow.id}`, { actions: [{ type: 'nope' }] }),
      400,
      'INVALID_FLOW',
    );
    expectError(await env.rpc('PUT', `/v1/flows/${randomUUID()}`, { name: 'x' }), 404, 'FLOW_NOT_FOUND');
    expectError(await env.rpc('PUT', '/v1/flows/123', { name: 'x' }), 400, 'INVALID_ARGUMENT', 'id');
  });

  it('PUT /v1/flows/:id/actions replaces the actions only; 400 without actions; 404', async () => {
    const flow = await createFlow(env, randomUUID(), [{ id: id(1), type: 'talk' }], { name: 'keep' });
    const reply = await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, {
      name: 'ignored',
      actions: [
        { id: id(3), type: 'answer' },
        { id: id(4), type: 'hangup' },
      ],
    });
    assert.equal(reply.status_code, 200);
    assert.equal(reply.data.name, 'keep');
    assert.deepEqual(
      reply.data.actions.map((a: { id: string }) => a.id),
      [id(3), id(4)],
    );
    expectError(await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, {}), 400, 'INVALID_ARGUMENT', 'actions');
    expectError(
      await env.rpc('PUT', `/v1/flows/${flow.id}/actions`, { actions: 'talk' }),
      400,
      'INVALID_FLOW',
    );
    expectError(
      await env.rpc('PUT', `/v1/flows/${randomUUID()}/actions`, { actions: [] }),
      404,
      'FLOW_NOT_FOUND',
    );
  });

  it('DELETE /v1/flows/:id soft-deletes; a second delete is 404; lists hide it by default', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, []);
    const reply = await env.rpc('DELETE', `/v1/flows/${flow.id}`);
    assert.equal(reply.status_code, 200);
    assert.notEqual(reply.data.tm_delete, NOT_DELETED);
    const got = await env.rpc('GET', `/v1/flows/${flow.id}`);
    assert.equal(got.data.tm_delete, reply.data.tm_delete, 'still readable by id, marked deleted');
    expectError(await env.rpc('DELETE', `/v1/flows/${flow.id}`), 404, 'FLOW_NOT_FOUND');
    expectError(await env.rpc('DELETE', `/v1/flows/${randomUUID()}`), 404, 'FLOW_NOT_FOUND');
    assert.deepEqual((await env.rpc('GET', '/v1/flows', { customer_id: customer })).data, []);
    const deleted = await env.rpc('GET', '/v1/flows', { customer_id: customer, deleted: true });
    assert.deepEqual(
      deleted.data.map((f: { id: string }) => f.id),
      [flow.id],
    );
    assert.equal(
      (await env.rpc('GET', '/v1/flows/count_by_customer', { customer_id: customer })).data.count,
      0,
    );
    await env.waitForEvent((e) => e.type === 'flow_deleted' && e.data.id === flow.id);
  });

  it('GET /v1/flows/:id/actions/:action_id replies the action; 404 ACTION_NOT_FOUND; 400 naming action_id', async () => {
    const flow = await createFlow(env, randomUUID(), [{ id: id(1), type: 'talk', option: { text: 'a' } }]);
    const reply = await env.rpc('GET', `/v1/flows/${flow.id}/actions/${id(1)}`);
    assert.equal(reply.status_code, 200);
    assert.deepEqual(reply.data, {
      id: id(1),
      next_id: '00000000-0000-0000-0000-000000000000',
      type: 'talk',
      option: { text: 'a' },
    });
    expectError(
      await env.rpc('GET', `/v1/flows/${flow.id}/actions/${id(2)}`),
      404,
      'ACTION_NOT_FOUND',
      'action_id',
    );
    expectError(await env.rpc('GET', `/v1/flows/${randomUUID()}/actions/${id(1)}`), 404, 'FLOW_NOT_FOUND');
    expectError(await env.rpc('GET', `/v1/flows/${flow.id}/actions/x`), 400, 'INVALID_ARGUMENT', 'action_id');
  });

  it('POST /v1/flows/validate reports errors and warnings without saving', async () => {
    const reply = await env.rpc('POST', '/v1/flows/validate', {
      actions: [
        { id: id(1), type: 'goto', option: { target_id: id(9), loop_count: 1 } },
        { id: id(2), type: 'branch', option: {} },
      ],
    });
    assert.equal(reply.status_code, 200);
    assert.equal(reply.data.valid, false);
    assert.ok(reply.data.errors.some((d: { code: string }) => d.code === 'MISSING_JUMP_TARGET'));
    assert.ok(reply.data.warnings.some((d: { code: string }) => d.code === 'BRANCH_NO_DEFAULT'));
    const ok = await env.rpc('POST', '/v1/flows/validate', { actions: [{ type: 'talk' }] });
    assert.deepEqual(ok.data, { valid: true, errors: [], warnings: [] });
    const malformed = await env.rpc('POST', '/v1/flows/validate', { actions: 'x' });
    assert.equal(malformed.data.valid, false);
    assert.equal(malformed.data.errors[0].code, 'MALFORMED_ACTIONS');
  });

  it('GET /v1/flows/count_by_customer counts live flows of that customer; 400 without customer_id', async () => {
    const customer = randomUUID();
    for (let i = 0; i < 3; i++) await createFlow(env, customer, []);
    await createFlow(env, randomUUID(), []);
    const reply = await env.rpc('GET', '/v1/flows/count_by_customer', { customer_id: customer });
    assert.equal(reply.status_code, 200);
    assert.deepEqual(reply.data, { count: 3 });
    expectError(
      await env.rpc('GET', '/v1/flows/count_by_customer', {}),
      400,
      'INVALID_ARGUMENT',
      'customer_id',
    );
    expectError(
      await env.rpc('GET', '/v1/flows/count_by_customer', { customer_id: 'x' }),
      400,
      'INVALID_ARGUMENT',
      'customer_id',
    );
  });

  it('GET /v1/flows pages 25 flows newest first with page_size and page_token', async () => {
    const customer = randomUUID();
    const created: string[] = [];
    for (let i = 0; i < 25; i++) {
      created.push((await createFlow(env, customer, [], { name: `f${i}` })).id);
      // Timestamps have millisecond resolution; `tm_create < page_token` needs distinct values.
      await new Promise((r) => setTimeout(r, 2));
    }
    await createFlow(env, randomUUID(), []);
    const seen: { id: string; tm_create: string; customer_id: string }[] = [];
    let token = '';
    for (let page = 0; page < 5; page++) {
      const uri = `/v1/flows?page_size=10${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const reply = await env.rpc('GET', uri, { customer_id: customer });
      assert.equal(reply.status_code, 200);
      assert.ok(reply.data.length <= 10);
      if (reply.data.length === 0) break;
      seen.push(...reply.data);
      token = reply.data.at(-1).tm_create;
    }
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen.map((f) => f.id)).size, 25);
    assert.ok(
      seen.every((f) => f.customer_id === customer),
      "never another customer's rows",
    );
    assert.deepEqual(
      seen.map((f) => f.id),
      [...created].reverse(),
      'newest first',
    );
    const sizes = [];
    token = '';
    for (;;) {
      const reply = await env.rpc(
        'GET',
        `/v1/flows?page_size=10${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
        { customer_id: customer },
      );
      if (reply.data.length === 0) break;
      sizes.push(reply.data.length);
      token = reply.data.at(-1).tm_create;
    }
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.equal(
      (await env.rpc('GET', '/v1/flows', { customer_id: customer })).data.length,
      10,
      'default page size 10',
    );
  });

  it('GET /v1/flows filters by type and rejects ill-typed filters and paging', async () => {
    const customer = randomUUID();
    const queue = await createFlow(env, customer, [], { type: 'queue' });
    await createFlow(env, customer, []);
    const reply = await env.rpc('GET', '/v1/flows', { customer_id: customer, type: 'queue' });
    assert.deepEqual(
      reply.data.map((f: { id: string }) => f.id),
      [queue.id],
    );
    expectError(
      await env.rpc('GET', '/v1/flows', { customer_id: 'nope' }),
      400,
      'INVALID_ARGUMENT',
      'customer_id',
    );
    expectError(await env.rpc('GET', '/v1/flows', { deleted: 'maybe' }), 400, 'INVALID_ARGUMENT', 'deleted');
    expectError(await env.rpc('GET', '/v1/flows?page_size=ten', {}), 400, 'INVALID_ARGUMENT', 'page_size');
    expectError(
      await env.rpc('GET', '/v1/flows?page_token=yesterday', {}),
      400,
      'INVALID_ARGUMENT',
      'page_token',
    );
  });

  it('replies 400 INVALID_JSON to a body that is not JSON and 404 ROUTE_NOT_FOUND to an unknown uri', async () => {
    expectError(
      await env.rpc('POST', '/v1/flows', undefined, Buffer.from('{"uri": "/v1/flows",')),
      400,
      'INVALID_JSON',
    );
    expectError(await env.rpc('GET', '/v1/flowz'), 404, 'ROUTE_NOT_FOUND');
    expectError(await env.rpc('PATCH', '/v1/flows'), 404, 'ROUTE_NOT_FOUND');
    expectError(await env.rpc('GET', `/v1/flows/${randomUUID()}/extra`), 404, 'ROUTE_NOT_FOUND');
  });
});
