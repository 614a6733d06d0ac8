// Issue 3: flowctl as an operator runs it (a child process) against the test worker's queues.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AMQP_URL, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/flowctl.js ...args`; `onStderr` sees stderr as it arrives. */
function flowctl(args: string[], onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/flowctl.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('flowctl', () => {
  let env: TestEnv;
  let dir: string;
  let broker: string[];
  before(async () => {
    env = await createTestEnv();
    dir = await mkdtemp(join(tmpdir(), 'flowctl-'));
    broker = ['--amqp', AMQP_URL, '--queue', env.config.requestQueue];
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await env.close();
  });

  it('flow create -f FILE and flow get print the flow as JSON', async () => {
    const customer = randomUUID();
    const file = join(dir, 'flow.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'from a file',
        actions: [
          { id: id(1), type: 'answer' },
          { id: id(2), type: 'hangup' },
        ],
      }),
    );
    const created = await flowctl(['flow', 'create', '-f', file, '--customer', customer, ...broker]);
    assert.equal(created.code, 0, created.stderr);
    const flow = JSON.parse(created.stdout);
    assert.equal(flow.customer_id, customer);
    assert.equal(flow.name, 'from a file');
    assert.deepEqual(
      flow.actions.map((a: { id: string }) => a.id),
      [id(1), id(2)],
    );

    const got = await flowctl(['flow', 'get', flow.id, ...broker]);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout), flow);

    const listed = await flowctl(['flow', 'list', '--customer', customer, ...broker]);
    assert.deepEqual(
      JSON.parse(listed.stdout).map((f: { id: string }) => f.id),
      [flow.id],
    );
  });

  it('prints the error of a non-200 reply and exits 1', async () => {
    const missing = randomUUID();
    const run = await flowctl(['flow', 'get', missing, ...broker]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /error: 404 FLOW_NOT_FOUND: .*not found/);
    const file = join(dir, 'invalid.json');
    await writeFile(
      file,
      JSON.stringify([{ id: id(1), type: 'goto', option: { target_id: id(9), loop_count: 1 } }]),
    );
    const invalid = await flowctl(['flow', 'create', '-f', file, '--customer', randomUUID(), ...broker]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /400 INVALID_FLOW/);
    assert.match(invalid.stderr, new RegExp(`ERROR MISSING_JUMP_TARGET ${id(1)}`));
  });

  it('af start / next / stop drive an activeflow', async () => {
    const customer = randomUUID();
    const file = join(dir, 'call.json');
    await writeFile(
      file,
      JSON.stringify([
        { id: id(1), type: 'talk' },
        { id: id(2), type: 'hangup' },
      ]),
    );
    const flow = JSON.parse(
      (await flowctl(['flow', 'create', '-f', file, '--customer', customer, ...broker])).stdout,
    );
    const started = await flowctl([
      'af',
      'start',
      '--flow',
      flow.id,
      '--customer',
      customer,
      '--reference-type',
      'call',
      '--reference-id',
      randomUUID(),
      ...broker,
    ]);
    assert.equal(started.code, 0, started.stderr);
    const af = JSON.parse(started.stdout);
    const next = await flowctl([
      'af',
      'next',
      af.id,
      '--current',
      '00000000-0000-0000-0000-000000000001',
      ...broker,
    ]);
    assert.equal(JSON.parse(next.stdout).id, id(1));
    const stale = await flowctl([
      'af',
      'next',
      af.id,
      '--current',
      '00000000-0000-0000-0000-000000000001',
      ...broker,
    ]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /409 STALE_ACTION/);
    const stopped = await flowctl(['af', 'stop', af.id, ...broker]);
    assert.equal(JSON.parse(stopped.stdout).end_reason, 'stopped');
  });

  it('validate FILE runs locally: prints SEVERITY CODE action_id message, exit 1 on errors', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        actions: [
          { id: id(1), type: 'goto', option: { target_id: id(9), loop_count: 1 } },
          { id: id(2), type: 'teleport' },
        ],
      }),
    );
    const run = await flowctl(['validate', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, new RegExp(`^ERROR MISSING_JUMP_TARGET ${id(1)} `, 'm'));
    assert.match(run.stdout, new RegExp(`^ERROR UNKNOWN_TYPE ${id(2)} `, 'm'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify([{ id: id(1), type: 'talk' }]));
    const ok = await flowctl(['validate', good, '--amqp', 'amqp://nobody@127.0.0.1:1']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^valid: 0 error/m);
  });

  it('events prints one line per event: time type id seq status current action type', async () => {
    const customer = randomUUID();
    let listening = false;
    const running = flowctl(
      ['events', '--count', '1', '--amqp', AMQP_URL, '--exchange', env.config.eventExchange],
      (text) => {
        if (text.includes('listening on')) listening = true;
      },
    );
    await waitUntil(() => listening, 20_000, 'flowctl events to listen');
    const created = await env.rpc('POST', '/v1/flows', { customer_id: customer, actions: [] });
    const run = await running;
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ flow_created ${created.data.id} seq=1 - -\\n$`),
    );
  });
});
