// The router alone, without AMQP: matching, params, envelope decoding and error replies.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../src/app/errors.ts';
import { createRouter, type Route, type RouteInput } from '../../src/rpc/router.ts';
import { pageOf, uuidParam } from '../../src/rpc/params.ts';

const seen: { name: string; input: RouteInput }[] = [];
const route = (method: Route['method'], pattern: string, name: string): Route => ({
  method,
  pattern,
  handler: (input) => {
    seen.push({ name, input });
    return Promise.resolve({ name, params: input.params });
  },
});
const routes: Route[] = [
  route('GET', '/v1/things/count', 'count'),
  route('GET', '/v1/things/:id', 'get'),
  route('POST', '/v1/things/:id', 'post'),
  route('GET', '/v1/things/:id/parts/:part_id', 'part'),
  {
    method: 'GET',
    pattern: '/v1/fail/:code',
    handler: ({ params }) => {
      if (params.code === 'app') throw new AppError('FLOW_NOT_FOUND', 'flow x not found');
      throw new Error('boom');
    },
  },
];
const request = (method: string, uri: string, data?: unknown) =>
  JSON.stringify({ uri, method, publisher: 'test', data_type: 'application/json', data });

describe('rpc router', () => {
  const errors: string[] = [];
  const dispatch = createRouter(routes, { onError: (err) => errors.push(err.code) });

  it('matches method and pattern, decodes params and the query, wraps the result', async () => {
    const reply = await dispatch(request('GET', '/v1/things/a%20b/parts/7?page_size=3&x=y', { k: 1 }));
    assert.deepEqual(reply, {
      status_code: 200,
      data_type: 'application/json',
      data: { name: 'part', params: { id: 'a b', part_id: '7' } },
    });
    const last = seen.at(-1)!;
    assert.equal(last.input.query.get('page_size'), '3');
    assert.deepEqual(last.input.data, { k: 1 });
  });

  it('tries routes in order: a literal segment listed first wins over a param', async () => {
    assert.equal(
      ((await dispatch(request('GET', '/v1/things/count'))).data as { name: string }).name,
      'count',
    );
    assert.equal(((await dispatch(request('GET', '/v1/things/other'))).data as { name: string }).name, 'get');
  });

  it('tells methods apart and accepts a lowercase method', async () => {
    assert.equal(((await dispatch(request('post', '/v1/things/1'))).data as { name: string }).name, 'post');
  });

  it('accepts data sent as a JSON string and reads absent data as {}', async () => {
    await dispatch(request('GET', '/v1/things/1', JSON.stringify({ a: 'b' })));
    assert.deepEqual(seen.at(-1)!.input.data, { a: 'b' });
    await dispatch(JSON.stringify({ uri: '/v1/things/1', method: 'GET' }));
    assert.deepEqual(seen.at(-1)!.input.data, {});
  });

  it('replies 400 INVALID_JSON to a body that is not JSON', async () => {
    const reply = await dispatch(Buffer.from('{nope'));
    assert.equal(reply.status_code, 400);
    assert.equal(reply.data_type, 'voipbin_error');
    assert.equal((reply.data as any).reason, 'INVALID_JSON');
    assert.equal((reply.data as any).status, 'INVALID_ARGUMENT');
    assert.equal((reply.data as any).domain, 'flow-manager');
  });

  it('replies 400 naming the field to an envelope without uri or method', async () => {
    const noUri = await dispatch(JSON.stringify({ method: 'GET' }));
    assert.equal(noUri.status_code, 400);
    assert.match((noUri.data as any).message, /^uri:/);
    const noMethod = await dispatch(JSON.stringify({ uri: '/v1/things/1' }));
    assert.match((noMethod.data as any).message, /^method:/);
    const array = await dispatch('[]');
    assert.equal((array.data as any).reason, 'INVALID_ARGUMENT');
  });

  it('replies 404 ROUTE_NOT_FOUND to an unknown uri, a wrong method and a trailing segment', async () => {
    for (const [method, uri] of [
      ['GET', '/v1/nothing'],
      ['DELETE', '/v1/things/1'],
      ['GET', '/v1/things/1/parts'],
      ['GET', '/v1/things'],
    ]) {
      const reply = await dispatch(request(method!, uri!));
      assert.equal(reply.status_code, 404, `${method} ${uri}`);
      assert.equal((reply.data as any).reason, 'ROUTE_NOT_FOUND');
      assert.equal((reply.data as any).status, 'NOT_FOUND');
    }
  });

  it('maps an AppError to its status and anything else to 500 INTERNAL', async () => {
    const app = await dispatch(request('GET', '/v1/fail/app'));
    assert.equal(app.status_code, 404);
    assert.equal((app.data as any).reason, 'FLOW_NOT_FOUND');
    const other = await dispatch(request('GET', '/v1/fail/other'));
    assert.equal(other.status_code, 500);
    assert.equal((other.data as any).reason, 'INTERNAL');
    assert.ok(errors.includes('INTERNAL'));
  });
});

describe('rpc params', () => {
  it('takes a UUID param lowercased and names a malformed one', () => {
    assert.equal(
      uuidParam({ id: 'AAAAAAAA-0000-4000-8000-000000000001' }, 'id'),
      'aaaaaaaa-0000-4000-8000-000000000001',
    );
    assert.throws(
      () => uuidParam({ id: 'nope' }, 'id'),
      (err: AppError) => err.code === 'INVALID_ARGUMENT' && err.message.startsWith('id:'),
    );
  });

  it('reads page_size (default 10, capped at 100) and page_token', () => {
    assert.deepEqual(pageOf(new URLSearchParams('')), { size: 10 });
    assert.deepEqual(pageOf(new URLSearchParams('page_size=500')), { size: 100 });
    const token = '2024-01-02 03:04:05.678000';
    assert.deepEqual(pageOf(new URLSearchParams(`page_size=3&page_token=${encodeURIComponent(token)}`)), {
      size: 3,
      token,
    });
    assert.throws(() => pageOf(new URLSearchParams('page_size=-1')), /page_size/);
    assert.throws(() => pageOf(new URLSearchParams('page_size=abc')), /page_size/);
    assert.throws(() => pageOf(new URLSearchParams('page_token=yesterday')), /page_token/);
  });
});

describe('rpc router: malformed paths', () => {
  const dispatch = createRouter(routes);
  it('replies 400 naming the parameter to a malformed percent escape in a path segment', async () => {
    const reply = await dispatch(request('GET', '/v1/things/%E0%A4%A'));
    assert.equal(reply.status_code, 400);
    assert.match((reply.data as { message: string }).message, /percent-encoding/);
  });
});
