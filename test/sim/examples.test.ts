// The example flows in examples/: each validates clean for its medium, and its script drives it to
// the documented end (docs/simulator.md, examples/README.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { isHandedOffType, type ReferenceType } from '../../src/engine/index.ts';
import { analyzeFlow, parseActions } from '../../src/engine/validate/index.ts';
import { simulate, type SimOptions, type SimResult, type SimScript } from '../../src/sim/index.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url);

interface Example {
  name: string;
  referenceType: ReferenceType;
}

const TABLE: Example[] = [
  { name: 'ivr-menu', referenceType: 'call' },
  { name: 'business-hours', referenceType: 'call' },
  { name: 'sms-keyword', referenceType: 'sms' },
];

function load(name: string): { flow: { name: string; detail: string; actions: unknown }; script: SimScript } {
  const read = (file: string): any => JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8'));
  return { flow: read(`${name}.flow.json`), script: read(`${name}.script.json`) };
}

function run(name: string, options: Partial<SimOptions> = {}, script?: SimScript): SimResult {
  const example = TABLE.find((e) => e.name === name);
  assert.ok(example, name);
  const loaded = load(name);
  return simulate(loaded.flow, script ?? loaded.script, { referenceType: example.referenceType, ...options });
}

/** The handed-off actions the script answered, in order (ids). */
function handedOff(result: SimResult): string[] {
  return result.steps.filter((s) => s.decision !== 'end' && isHandedOffType(s.type)).map((s) => s.action_id);
}

const id = (prefix: string, n: number): string =>
  `${prefix}${String(n).padStart(6, '0')}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ivr = (n: number): string => id('11', n);
const hours = (n: number): string => id('22', n);
const sms = (n: number): string => id('33', n);

describe('examples', () => {
  it('the table lists every example, each with a flow and a script', () => {
    const files = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const expected = TABLE.flatMap((e) => [`${e.name}.flow.json`, `${e.name}.script.json`]).sort();
    assert.deepEqual(files, expected);
  });

  for (const { name, referenceType } of TABLE) {
    it(`${name} validates clean for ${referenceType}: no errors, no warnings`, () => {
      const { flow } = load(name);
      assert.equal(typeof flow.name, 'string');
      assert.equal(typeof flow.detail, 'string');
      const parsed = parseActions(flow.actions, () => assert.fail('every example action has an explicit id'));
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.deepEqual(analyzeFlow(parsed.actions, { referenceType }), {
        valid: true,
        errors: [],
        warnings: [],
      });
    });
  }
});

describe('ivr-menu', () => {
  it('an invalid digit replays the menu once, then 2 reaches support and the call hangs up', () => {
    const result = run('ivr-menu');
    assert.equal(result.end_reason, 'hangup');
    assert.deepEqual(handedOff(result), [ivr(1), ivr(2), ivr(3), ivr(9), ivr(2), ivr(3), ivr(7), ivr(8)]);
    const branches = result.steps.filter((s) => s.type === 'branch');
    assert.deepEqual(
      branches.map((s) => [s.decision, s.why]),
      [
        ['jump', 'voipbin.call.digits="9": default'],
        ['jump', 'voipbin.call.digits="2" matched'],
      ],
    );
    const gotoStep = result.steps.find((s) => s.type === 'goto');
    assert.match(gotoStep?.why ?? '', /1 jumps left$/);
    assert.equal(result.steps.at(-2)?.decision, 'hangup');
    assert.equal(result.variables['voipbin.call.digits'], '');
  });

  it('three invalid digits use up the goto and end with goodbye', () => {
    const result = run('ivr-menu', {}, { default: { variables: { 'voipbin.call.digits': '0' } } });
    assert.equal(result.end_reason, 'hangup');
    assert.deepEqual(handedOff(result).slice(-3), [ivr(9), ivr(11), ivr(12)]);
    const gotos = result.steps.filter((s) => s.type === 'goto');
    assert.deepEqual(
      gotos.map((s) => s.decision),
      ['jump', 'jump', 'continue'],
    );
    assert.match(gotos[2]?.why ?? '', /loop_count is 0/);
  });

  it('pressing 1 reaches sales', () => {
    const script: SimScript = {
      answers: [{ match: { id: ivr(3) }, variables: { 'voipbin.call.digits': '1' } }],
    };
    const result = run('ivr-menu', {}, script);
    assert.deepEqual(handedOff(result).slice(-2), [ivr(5), ivr(6)]);
  });
});

describe('business-hours', () => {
  it('Tuesday 10:30 in New York (the script time) is open', () => {
    const result = run('business-hours');
    assert.equal(result.end_reason, 'hangup');
    assert.deepEqual(handedOff(result), [hours(1), hours(4), hours(5)]);
    assert.match(result.steps[1]?.why ?? '', /now Tue 2026-01-06 10:30 in America\/New_York/);
  });

  for (const [label, now, failedAt] of [
    ['Monday 05:00 (the default clock) is before opening', undefined, hours(2)],
    ['Saturday 10:30 is the weekend', Date.UTC(2026, 0, 10, 15, 30), hours(2)],
    ['Tuesday 17:00 is after closing', Date.UTC(2026, 0, 6, 22, 0), hours(3)],
  ] as const) {
    it(`${label}: closed`, () => {
      const result = run('business-hours', now === undefined ? {} : { now }, { default: {} });
      assert.equal(result.end_reason, 'hangup');
      assert.deepEqual(handedOff(result).slice(1), [hours(6), hours(7)]);
      const jumped = result.steps.find((s) => s.decision === 'jump');
      assert.equal(jumped?.action_id, failedAt);
    });
  }

  it('Tuesday 16:59 is still open', () => {
    const result = run('business-hours', { now: Date.UTC(2026, 0, 6, 21, 59) });
    assert.deepEqual(handedOff(result).slice(1), [hours(4), hours(5)]);
  });
});

describe('sms-keyword', () => {
  it('HOURS gets the opening hours and the stop ends the flow', () => {
    const result = run('sms-keyword');
    assert.equal(result.end_reason, 'finished');
    assert.equal(result.end_detail, 'stop action');
    assert.deepEqual(handedOff(result), [sms(6)]);
    const send = result.steps.find((s) => s.action_id === sms(6));
    assert.deepEqual(send?.option?.['destinations'], [{ type: 'tel', target: '+15551230001' }]);
    // The branch resets the variable it read (SPEC 3.1), so `keyword` ends empty.
    assert.equal(result.variables['keyword'], '');
    assert.deepEqual(result.steps.find((s) => s.type === 'branch')?.variables_changed, {
      keyword: ['HOURS', ''],
    });
  });

  it('STOP unsubscribes', () => {
    const result = run('sms-keyword', { variables: { 'voipbin.message.text': 'STOP' } });
    assert.equal(result.end_reason, 'finished');
    assert.deepEqual(handedOff(result), [sms(2)]);
  });

  it('an unknown keyword gets the help text and runs off the end', () => {
    const result = run('sms-keyword', { variables: { 'voipbin.message.text': 'hello' } });
    assert.equal(result.end_reason, 'finished');
    assert.equal(result.end_detail, 'end of the main stack');
    assert.deepEqual(handedOff(result), [sms(10)]);
  });
});
