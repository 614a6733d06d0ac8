// Issue 3: the variable routes of the RPC API, against real RabbitMQ + MariaDB.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { expectError, ok } from '../helpers/rpc-asserts.ts';
import { createFlow, createTestEnv, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

describe('rpc: variables', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv();
  });
  after(async () => {
    await env.close();
  });

  const newActiveflow = async (variables: Record<string, string> = {}) => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [
      { id: id(1), type: 'talk', option: { text: '${greeting} ${name}' } },
    ]);
    return ok(
      await env.rpc('POST', '/v1/activeflows', {
        customer_id: customer,
        flow_id: flow.id,
        reference_type: 'call',
        variables,
      }),
    );
  };

  it('GET /v1/variables/:id replies {id, variables} with the platform variables; 404; 400', async () => {
    const af = await newActiveflow({ name: 'Ada' });
    const reply = ok(await env.rpc('GET', `/v1/variables/${af.id}`));
    assert.deepEqual(Object.keys(reply).sort(), ['id', 'variables']);
    assert.equal(reply.id, af.id);
    assert.equal(reply.variables.name, 'Ada');
    assert.equal(reply.variables['voipbin.activeflow.id'], af.id);
    assert.equal(reply.variables['voipbin.activeflow.flow_id'], af.flow_id);
    assert.equal(reply.variables['voipbin.activeflow.reference_type'], 'call');
    expectError(await env.rpc('GET', `/v1/variables/${randomUUID()}`), 404, 'ACTIVEFLOW_NOT_FOUND');
    expectError(await env.rpc('GET', '/v1/variables/abc'), 400, 'INVALID_ARGUMENT', 'id');
  });

  it('POST variables sets values substituted at set time, voipbin.* allowed, and the next move sees them', async () => {
    const af = await newActiveflow({ name: 'Ada' });
    const set = ok(
      await env.rpc('POST', `/v1/variables/${af.id}/variables`, {
        variables: {
          greeting: 'hello',
          'voipbin.call.digits': '${voipbin.call.digits}1',
          literal: '${name}!',
        },
      }),
    );
    assert.equal(set.id, af.id);
    assert.equal(set.variables.greeting, 'hello');
    assert.equal(set.variables['voipbin.call.digits'], '1');
    assert.equal(set.variables.literal, 'Ada!');
    const appended = ok(
      await env.rpc('POST', `/v1/variables/${af.id}/variables`, {
        variables: { 'voipbin.call.digits': '${voipbin.call.digits}5' },
      }),
    );
    assert.equal(appended.variables['voipbin.call.digits'], '15', 'appends a digit');
    assert.deepEqual(ok(await env.rpc('GET', `/v1/variables/${af.id}`)), appended, 'stored');
    const action = ok(
      await env.rpc('GET', `/v1/activeflows/${af.id}/next`, {
        current_action_id: '00000000-0000-0000-0000-000000000001',
      }),
    );
    assert.equal(action.option.text, 'hello Ada');

    expectError(
      await env.rpc('POST', `/v1/variables/${af.id}/variables`, { variables: { n: 5 } }),
      400,
      'INVALID_ARGUMENT',
      'n',
    );
    expectError(
      await env.rpc('POST', `/v1/variables/${af.id}/variables`, {}),
      400,
      'INVALID_ARGUMENT',
      'variables',
    );
    expectError(
      await env.rpc('POST', `/v1/variables/${af.id}/variables`, {
        variables: { big: 'x'.repeat(33 * 1024) },
      }),
      400,
      'VARIABLES_TOO_LARGE',
      'big',
    );
    expectError(
      await env.rpc('POST', `/v1/variables/${randomUUID()}/variables`, { variables: { a: 'b' } }),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('POST variables changes neither the activeflow document nor its sequence and publishes nothing', async () => {
    const af = await newActiveflow();
    await env.waitForEvent((e) => e.aggregateId === af.id && e.type === 'activeflow_created');
    const [before] = await env.query('SELECT seq, doc FROM activeflows WHERE id = ?', [af.id]);
    const eventsBefore = env.events.filter((e) => e.aggregateId === af.id).length;
    ok(await env.rpc('POST', `/v1/variables/${af.id}/variables`, { variables: { a: 'b' } }));
    ok(await env.rpc('DELETE', `/v1/variables/${af.id}/variables/a`));
    const [after] = await env.query('SELECT seq, doc FROM activeflows WHERE id = ?', [af.id]);
    assert.deepEqual(after, before);
    // A later state change is published with the next sequence number: nothing was skipped.
    ok(await env.rpc('POST', `/v1/activeflows/${af.id}/stop`));
    const stopped = await env.waitForEvent((e) => e.aggregateId === af.id && e.type === 'activeflow_updated');
    assert.equal(stopped.sequence, Number(before.seq) + 1);
    assert.equal(env.events.filter((e) => e.aggregateId === af.id).length, eventsBefore + 1);
  });

  it('concurrent POST variables on one activeflow lose no update (the row is locked)', async () => {
    const af = await newActiveflow();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        env.rpc('POST', `/v1/variables/${af.id}/variables`, { variables: { [`k${i}`]: String(i) } }),
      ),
    );
    const { variables } = ok(await env.rpc('GET', `/v1/variables/${af.id}`));
    for (let i = 0; i < 10; i++) assert.equal(variables[`k${i}`], String(i));
  });

  it('DELETE variables/:key removes one variable; a missing key is no error; 404; 400', async () => {
    const af = await newActiveflow({ a: '1', 'b c': '2' });
    const reply = ok(await env.rpc('DELETE', `/v1/variables/${af.id}/variables/a`));
    assert.equal(reply.variables.a, undefined);
    assert.equal(reply.variables['b c'], '2');
    assert.equal(
      ok(await env.rpc('DELETE', `/v1/variables/${af.id}/variables/b%20c`)).variables['b c'],
      undefined,
      'the key is URI-decoded',
    );
    assert.equal(ok(await env.rpc('GET', `/v1/variables/${af.id}`)).variables.a, undefined);
    const same = ok(await env.rpc('DELETE', `/v1/variables/${af.id}/variables/nothing`));
    assert.equal(same.variables['voipbin.activeflow.id'], af.id);
    expectError(
      await env.rpc('DELETE', `/v1/variables/${randomUUID()}/variables/a`),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
    expectError(await env.rpc('DELETE', '/v1/variables/nope/variables/a'), 400, 'INVALID_ARGUMENT', 'id');
  });

  it('POST substitute replaces ${name} with values, "" when missing; 404; 400', async () => {
    const af = await newActiveflow({ name: 'Ada' });
    const reply = ok(
      await env.rpc('POST', `/v1/variables/${af.id}/substitute`, {
        data: 'hi ${name}, ${missing}call ${voipbin.activeflow.reference_type} $name ${',
      }),
    );
    assert.deepEqual(reply, { data: 'hi Ada, call call $name ${' });
    expectError(
      await env.rpc('POST', `/v1/variables/${af.id}/substitute`, { data: 5 }),
      400,
      'INVALID_ARGUMENT',
      'data',
    );
    expectError(
      await env.rpc('POST', `/v1/variables/${af.id}/substitute`, {}),
      400,
      'INVALID_ARGUMENT',
      'data',
    );
    expectError(
      await env.rpc('POST', `/v1/variables/${randomUUID()}/substitute`, { data: 'x' }),
      404,
      'ACTIVEFLOW_NOT_FOUND',
    );
  });

  it('replies 400 INVALID_JSON to a body that is not JSON and 404 ROUTE_NOT_FOUND to an unknown uri', async () => {
    expectError(
      await env.rpc('GET', '/v1/variables', undefined, Buffer.from('\u0000\u0001')),
      400,
      'INVALID_JSON',
    );
    expectError(await env.rpc('GET', '/v1/variables'), 404, 'ROUTE_NOT_FOUND');
    expectError(await env.rpc('PUT', `/v1/variables/${randomUUID()}/variables`), 404, 'ROUTE_NOT_FOUND');
  });
});
