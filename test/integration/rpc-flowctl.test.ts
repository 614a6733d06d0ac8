// Issue 3: flowctl as an operator runs it (a child process) against the test worker's queues.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AMQP_URL, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

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
    const { warnings, ...flow } = JSON.parse(created.stdout);
    assert.deepEqual(warnings, [], 'the create reply carries the warnings of the analysis');
    assert.equal(created.stderr, '');
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

  it('flow create saves a flow with warnings and prints them on stderr', async () => {
    const file = join(dir, 'warned.json');
    await writeFile(
      file,
      JSON.stringify([
        { id: id(1), type: 'talk' },
        { id: id(2), type: 'goto', option: { target_id: id(1) } },
        { id: id(3), type: 'block' },
      ]),
    );
    const run = await flowctl([
      'flow',
      'create',
      '-f',
      file,
      '--customer',
      randomUUID(),
      '--reference-type',
      'call',
      ...broker,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const reply = JSON.parse(run.stdout);
    assert.deepEqual(
      reply.warnings.map((w: { code: string; action_id: string }) => [w.code, w.action_id]),
      [
        ['GOTO_NEVER_JUMPS', id(2)],
        ['MEDIA_NOT_ALLOWED', id(3)],
      ],
    );
    assert.match(run.stderr, new RegExp(`^WARNING GOTO_NEVER_JUMPS ${id(2)} `, 'm'));
    assert.match(run.stderr, new RegExp(`^WARNING MEDIA_NOT_ALLOWED ${id(3)} `, 'm'));
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

  it('simulate FILE --reference-type call --script SCRIPT prints the path and the end, locally', async () => {
    const noBroker = ['--amqp', 'amqp://nobody@127.0.0.1:1'];
    const args = [
      'simulate',
      'examples/ivr-menu.flow.json',
      '--reference-type',
      'call',
      '--script',
      'examples/ivr-menu.script.json',
      ...noBroker,
    ];
    const run = await flowctl(args);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'the example has no findings for call');
    const lines = run.stdout.trimEnd().split('\n');
    const path = lines
      .filter((line) => /^\s*\d+ /.test(line))
      .map((line) => line.trim().split(/\s+/).slice(1, 4));
    assert.deepEqual(path.slice(0, 4), [
      ['answer', '11000001…', 'answered'],
      ['talk', '11000002…', 'answered'],
      ['digits_receive', '11000003…', 'answered'],
      ['branch', '11000004…', 'jump'],
    ]);
    assert.deepEqual(path.slice(-3), [
      ['talk', '11000007…', 'answered'],
      ['hangup', '11000008…', 'hangup'],
      ['hangup', '11000008…', 'end'],
    ]);
    assert.match(run.stdout, /^end: hangup \(the call hung up\), execute_count 11$/m);
    assert.match(run.stdout, /^variables: voipbin\.call\.digits=""$/m);

    const json = await flowctl([...args, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    assert.equal(result.end_reason, 'hangup');
    assert.equal(result.steps.at(-1).action_id, '11000008-0000-4000-8000-000000000008');
    assert.equal(result.steps.length, 12);

    // The script's clock is Tuesday 10:30 in New York; --now wins over it: Saturday is closed.
    const closed = await flowctl([
      'simulate',
      'examples/business-hours.flow.json',
      '--reference-type',
      'call',
      '--script',
      'examples/business-hours.script.json',
      '--now',
      '2026-01-10T15:00:00Z',
      '--json',
    ]);
    assert.equal(closed.code, 0, closed.stderr);
    const closedPath = JSON.parse(closed.stdout).steps.map((s: { action_id: string }) =>
      s.action_id.slice(0, 8),
    );
    assert.deepEqual(closedPath, ['22000001', '22000002', '22000006', '22000007', '22000007']);
  });

  it('simulate: a bare actions array, start variables, findings on stderr', async () => {
    const file = join(dir, 'sim-bare.json');
    await writeFile(
      file,
      JSON.stringify([
        { id: id(1), type: 'message_send', option: { text: 'hi ${name}' } },
        { id: id(2), type: 'talk' },
      ]),
    );
    const run = await flowctl(['simulate', file, '--reference-type', 'sms', '--var', 'name=Ada', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.end_reason, 'finished');
    assert.deepEqual(result.steps[0].option, { text: 'hi Ada' });
    assert.equal(result.steps[1].decision, 'skip');
    assert.match(run.stderr, new RegExp(`^WARNING MEDIA_NOT_ALLOWED ${id(2)} `, 'm'));
  });

  it('simulate exits 1 on an invalid flow or script, listing every problem; 2 without --reference-type', async () => {
    const badFlow = join(dir, 'sim-bad-flow.json');
    await writeFile(
      badFlow,
      JSON.stringify({
        actions: [
          { id: id(1), type: 5 },
          { id: id(2), option: [] },
        ],
      }),
    );
    const flow = await flowctl(['simulate', badFlow, '--reference-type', 'call']);
    assert.equal(flow.code, 1);
    assert.match(flow.stdout, /^end: invalid_flow /m);
    assert.match(flow.stderr, /invalid flow/);
    assert.equal((flow.stderr.match(/^ {2}ERROR MALFORMED_ACTION /gm) ?? []).length >= 2, true, flow.stderr);

    const badScript = join(dir, 'sim-bad-script.json');
    await writeFile(badScript, JSON.stringify({ answer: [], max_steps: 0 }));
    const script = await flowctl([
      'simulate',
      'examples/ivr-menu.flow.json',
      '--reference-type',
      'call',
      '--script',
      badScript,
      '--json',
    ]);
    assert.equal(script.code, 1);
    assert.equal(JSON.parse(script.stdout).end_reason, 'invalid_script');
    assert.match(script.stderr, /^ {2}script: .*"answer"/m);
    assert.match(script.stderr, /^ {2}script\.max_steps: /m);

    const usage = await flowctl(['simulate', 'examples/ivr-menu.flow.json']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--reference-type is required/);
  });

  it('validate passes --reference-type to the analysis', async () => {
    const file = join(dir, 'media.json');
    await writeFile(file, JSON.stringify([{ id: id(1), type: 'talk' }]));
    const plain = await flowctl(['validate', file]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.doesNotMatch(plain.stdout, /MEDIA_NOT_ALLOWED/);
    const sms = await flowctl(['validate', file, '--reference-type', 'sms']);
    assert.equal(sms.code, 0, sms.stderr);
    assert.match(sms.stdout, new RegExp(`^WARNING MEDIA_NOT_ALLOWED ${id(1)} `, 'm'));
    assert.match(sms.stdout, /^valid: 0 error\(s\), 1 warning\(s\)$/m);
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
