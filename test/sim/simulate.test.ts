// simulate() on small hand-made flows: the path, the decisions and their reasons, variables per
// step, media skips, fetch and fetch_flow from canned replies, blocks, limits and determinism.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_ID, type JsonObject } from '../../src/engine/index.ts';
import {
  DEFAULT_SIM_NOW,
  simulate,
  type SimResult,
  type SimScript,
  type SimStep,
} from '../../src/sim/index.ts';

const Z = '00000000-0000-0000-0000-000000000000';
/** A readable action id: A(3) = `a0000000-0000-4000-8000-000000000003`. */
const A = (n: number): string => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const act = (n: number, type: string, option: JsonObject = {}, nextId = Z) => ({
  id: A(n),
  next_id: nextId,
  type,
  option,
});

/** The steps as [action id, decision] pairs: the path at a glance. */
const path = (result: SimResult): [string, string][] => result.steps.map((s) => [s.action_id, s.decision]);
const stepAt = (result: SimResult, n: number): SimStep => {
  const step = result.steps[n - 1];
  assert.ok(step, `no step ${n}`);
  return step;
};

describe('simulate: a digit menu with a bounded retry loop', () => {
  const flow = {
    actions: [
      act(1, 'digits_receive', { duration: 3000, length: 1 }),
      act(2, 'branch', { target_ids: { '1': A(4) }, default_target_id: A(3) }),
      act(3, 'goto', { target_id: A(1), loop_count: 2 }),
      act(4, 'talk', { text: 'Your digit was ${voipbin.call.digits}.' }),
    ],
  };
  const result = simulate(
    flow,
    { default: { variables: { 'voipbin.call.digits': '7' } } },
    { referenceType: 'call' },
  );

  it('takes the default twice, counts the goto down, then falls through', () => {
    assert.deepEqual(path(result), [
      [A(1), 'answered'],
      [A(2), 'jump'],
      [A(3), 'jump'],
      [A(1), 'answered'],
      [A(2), 'jump'],
      [A(3), 'jump'],
      [A(1), 'answered'],
      [A(2), 'jump'],
      [A(3), 'continue'],
      [A(4), 'answered'],
      [ACTION_ID.finish, 'end'],
    ]);
    assert.equal(result.end_reason, 'finished');
    assert.equal(result.end_detail, 'end of the main stack');
    assert.deepEqual(
      result.steps.map((s) => s.n),
      result.steps.map((_, i) => i + 1),
    );
  });

  it('says why: the branch value, the jumps left, the exhausted loop', () => {
    assert.equal(stepAt(result, 2).why, 'voipbin.call.digits="7": default');
    assert.equal(stepAt(result, 3).why, `jump to ${A(1)}, 1 jumps left`);
    assert.equal(stepAt(result, 6).why, `jump to ${A(1)}, 0 jumps left`);
    assert.equal(stepAt(result, 9).why, 'loop_count is 0: no jump');
    assert.equal(stepAt(result, 1).why, 'action_done (default)');
  });

  it('records the variables each step changed', () => {
    assert.deepEqual(stepAt(result, 1).variables_changed, { 'voipbin.call.digits': ['', '7'] });
    assert.deepEqual(stepAt(result, 2).variables_changed, { 'voipbin.call.digits': ['7', ''] });
    assert.deepEqual(stepAt(result, 3).variables_changed, {});
    // The talk's option is shown as the call service gets it: substituted when the cursor arrived.
    assert.deepEqual(stepAt(result, 10).option, { text: 'Your digit was .' });
    assert.equal(result.variables['voipbin.call.digits'], '7');
  });
});

describe('simulate: media gating and variables', () => {
  it('skips a talk on sms and sends the message', () => {
    const flow = {
      actions: [
        act(1, 'variable_set', { key: 'name', value: 'Ada ${surname}' }),
        act(2, 'talk', { text: 'hello' }),
        act(3, 'message_send', { text: 'Hi ${name}' }),
      ],
    };
    const result = simulate(flow, { variables: { surname: 'Lovelace' } }, { referenceType: 'sms' });
    assert.deepEqual(path(result), [
      [A(1), 'continue'],
      [A(2), 'skip'],
      [A(3), 'answered'],
      [ACTION_ID.finish, 'end'],
    ]);
    assert.equal(stepAt(result, 1).why, 'name = "Ada Lovelace"');
    assert.deepEqual(stepAt(result, 1).variables_changed, { name: ['', 'Ada Lovelace'] });
    assert.equal(stepAt(result, 2).why, 'not allowed for sms');
    assert.deepEqual(stepAt(result, 3).option, { text: 'Hi Ada Lovelace' });
    assert.equal(result.end_reason, 'finished');
  });

  it('answers by id and by type in order, each entry `times` times, then the default', () => {
    const flow = {
      actions: [
        act(1, 'message_send'),
        act(2, 'message_send'),
        act(3, 'message_send'),
        act(4, 'message_send'),
      ],
    };
    const script: SimScript = {
      answers: [
        { match: { type: 'message_send' }, variables: { n: 'first' }, times: 2 },
        { match: { id: A(3).toUpperCase() }, variables: { n: 'by id' } },
      ],
      default: { variables: { n: 'default' } },
    };
    const result = simulate(flow, script, { referenceType: 'sms' });
    assert.deepEqual(
      result.steps.slice(0, 4).map((s) => [s.why, s.variables_changed]),
      [
        ['action_done (answers[0])', { n: ['', 'first'] }],
        ['action_done (answers[0])', {}],
        ['action_done (answers[1])', { n: ['first', 'by id'] }],
        ['action_done (default)', { n: ['by id', 'default'] }],
      ],
    );
  });

  it('a caller who hangs up mid-flow ends it with hangup', () => {
    const flow = { actions: [act(1, 'answer'), act(2, 'talk', { text: 'menu' }), act(3, 'hangup')] };
    const result = simulate(
      flow,
      { answers: [{ match: { type: 'talk' }, outcome: 'hangup' }] },
      { referenceType: 'call' },
    );
    assert.deepEqual(path(result), [
      [A(1), 'answered'],
      [A(2), 'hangup'],
      [A(2), 'end'],
    ]);
    assert.equal(result.end_reason, 'hangup');
  });

  it('a hangup action answered as done shows the flow running on past it', () => {
    const flow = { actions: [act(1, 'hangup'), act(2, 'talk', { text: 'never heard' })] };
    const result = simulate(flow, { default: { outcome: 'done' } }, { referenceType: 'call' });
    assert.deepEqual(
      path(result).map(([id]) => id),
      [A(1), A(2), ACTION_ID.finish],
    );
  });
});

describe('simulate: fetch and fetch_flow from the script', () => {
  const flow = {
    actions: [
      act(1, 'fetch', { event_url: 'https://example.com/next?who=${who}', error_target_id: A(3) }),
      act(2, 'talk', { text: 'after the fetch' }),
      act(3, 'talk', { text: 'fetch failed' }),
    ],
  };
  const options = { referenceType: 'call' as const };

  it('pushes the canned actions (found by URL) and returns to the flow after them', () => {
    const script: SimScript = {
      variables: { who: 'ada' },
      fetch: {
        'https://example.com/next?who=ada': [
          { type: 'talk', option: { text: 'pushed one' } },
          { type: 'variable_set', option: { key: 'fetched', value: 'yes' } },
        ],
      },
    };
    const result = simulate(flow, script, options);
    const fetchStep = stepAt(result, 1);
    assert.equal(fetchStep.decision, 'push');
    assert.equal(
      fetchStep.why,
      'POST https://example.com/next?who=ada: from script.fetch["https://example.com/next?who=ada"]; ' +
        '2 actions as stack 5e000000-0000-4000-8000-000000000006',
    );
    const pushed = stepAt(result, 2);
    assert.match(pushed.action_id, /^5e000000-0000-4000-8000-/, 'pushed actions get counter ids');
    assert.deepEqual(pushed.option, { text: 'pushed one' });
    assert.deepEqual(stepAt(result, 3).variables_changed, { fetched: ['', 'yes'] });
    assert.deepEqual(path(result).slice(3), [
      [A(2), 'answered'],
      [A(3), 'answered'],
      [ACTION_ID.finish, 'end'],
    ]);
  });

  it('an empty canned reply pushes nothing and moves on', () => {
    const result = simulate(flow, { fetch: { 'https://example.com/next?who=': [] } }, options);
    assert.equal(stepAt(result, 1).decision, 'push');
    assert.equal(stepAt(result, 2).action_id, A(2));
  });

  it('a canned error (found by action id) jumps to the error target', () => {
    const result = simulate(flow, { fetch: { [A(1)]: { error: 'HTTP 503' } } }, options);
    assert.equal(stepAt(result, 1).decision, 'failed');
    assert.match(stepAt(result, 1).why, /HTTP 503/);
    assert.deepEqual(stepAt(result, 2).action_id, A(3));
  });

  it('no canned reply is a failure; without an error target the flow ends with error', () => {
    const bare = { actions: [act(1, 'fetch', { event_url: 'https://example.com/x' }), act(2, 'talk')] };
    const result = simulate(bare, {}, options);
    assert.deepEqual(path(result), [
      [A(1), 'failed'],
      [A(1), 'end'],
    ]);
    assert.equal(result.end_reason, 'error');
    assert.match(result.end_detail, /no reply for .* in script\.fetch/);
  });

  it('fetch_flow pushes the actions of the flow named in script.flows', () => {
    const other = 'f0000000-0000-4000-8000-000000000009';
    const withFlow = {
      actions: [act(1, 'fetch_flow', { flow_id: other }), act(2, 'message_send', { text: 'back' })],
    };
    const script: SimScript = {
      flows: { [other]: [{ id: A(50), type: 'message_send', option: { text: 'from the other flow' } }] },
    };
    const result = simulate(withFlow, script, { referenceType: 'sms' });
    assert.deepEqual(path(result), [
      [A(1), 'push'],
      [A(50), 'answered'],
      [A(2), 'answered'],
      [ACTION_ID.finish, 'end'],
    ]);
  });
});

describe('simulate: blocks, timers and limits', () => {
  const flow = {
    actions: [
      act(1, 'block', { timeout_ms: 5000, timeout_target_id: A(3) }),
      act(2, 'message_send', { text: 'continued' }, A(4)),
      act(3, 'message_send', { text: 'timed out at ${time}' }),
      act(4, 'stop'),
    ],
  };

  it('answers a block with continue, setting the script variables first', () => {
    const result = simulate(flow, { default: { variables: { time: 'noon' } } }, { referenceType: 'sms' });
    assert.deepEqual(path(result), [
      [A(1), 'answered'],
      [A(2), 'answered'],
      [A(4), 'end'],
    ]);
    assert.equal(stepAt(result, 1).why, 'continue (default)');
    assert.deepEqual(stepAt(result, 1).variables_changed, { time: ['', 'noon'] });
  });

  it('a timeout outcome advances the clock and takes the timeout target', () => {
    const script: SimScript = {
      answers: [{ match: { type: 'block' }, outcome: 'timeout', variables: { time: 'later' } }],
    };
    const result = simulate(flow, script, { referenceType: 'sms' });
    assert.deepEqual(path(result).slice(0, 2), [
      [A(1), 'timeout'],
      [A(3), 'answered'],
    ]);
    assert.equal(stepAt(result, 1).why, 'timer fired (answers[0]); block timed out');
    assert.deepEqual(stepAt(result, 2).option, { text: 'timed out at later' });
  });

  it('a timeout on a handed-off action ends the activeflow with timeout', () => {
    const result = simulate(
      { actions: [act(1, 'talk')] },
      { default: { outcome: 'timeout' } },
      { referenceType: 'call' },
    );
    assert.equal(result.end_reason, 'timeout');
  });

  it('max_steps stops a flow that would wait forever, at the wait', () => {
    const loop = {
      actions: [act(1, 'talk', { text: 'again' }), act(2, 'goto', { target_id: A(1), loop_count: 1000 })],
    };
    const result = simulate(loop, { max_steps: 5 }, { referenceType: 'call', maxExecuteCount: 10_000 });
    assert.equal(result.end_reason, 'max_steps');
    assert.equal(result.steps.length, 5);
    assert.equal(result.steps.at(-1)?.decision, 'wait');
    assert.match(
      result.end_detail,
      /^stopped after 5 steps, waiting at a0000000-0000-4000-8000-000000000001 \(talk\)$/,
    );
  });

  it('the execute limit ends a busy loop', () => {
    const busy = { actions: [act(1, 'empty'), act(2, 'goto', { target_id: A(1), loop_count: 1000 })] };
    const result = simulate(busy, {}, { referenceType: 'call', maxExecuteCount: 7 });
    assert.equal(result.end_reason, 'execute_limit');
    assert.equal(result.execute_count, 7);
    assert.equal(result.steps.at(-1)?.decision, 'end');
  });
});

describe('simulate: inputs it cannot run', () => {
  it('an invalid flow is reported, not run', () => {
    const result = simulate({ actions: { not: 'an array' } }, {}, { referenceType: 'call' });
    assert.equal(result.end_reason, 'invalid_flow');
    assert.match(result.end_detail, /must be an array/);
    assert.deepEqual(result.steps, []);
  });

  it('an invalid script is reported with every problem', () => {
    const script = { answers: [{ match: {} }], max_steps: 0, now: 'yesterday' } as unknown as SimScript;
    const result = simulate({ actions: [] }, script, { referenceType: 'call' });
    assert.equal(result.end_reason, 'invalid_script');
    assert.match(result.end_detail, /script\.answers\.0\.match: must name a "type" or an "id"/);
    assert.match(result.end_detail, /script\.max_steps/);
  });

  it('a misspelt script field is reported rather than ignored', () => {
    const script = { answer: [], default: { varibles: {} } } as unknown as SimScript;
    const result = simulate({ actions: [] }, script, { referenceType: 'call' });
    assert.equal(result.end_reason, 'invalid_script');
    assert.match(result.end_detail, /"answer"/);
    assert.match(result.end_detail, /script\.default: .*"varibles"/);
  });

  it('an unparsable script time is reported', () => {
    const result = simulate({ actions: [] }, { now: 'yesterday' }, { referenceType: 'call' });
    assert.equal(result.end_reason, 'invalid_script');
    assert.match(result.end_detail, /script\.now/);
  });

  it('an empty flow finishes at once', () => {
    const result = simulate({ actions: [] }, {}, { referenceType: 'call' });
    assert.equal(result.end_reason, 'finished');
    assert.equal(result.end_detail, 'the flow has no actions');
  });
});

describe('simulate: determinism', () => {
  it('two runs are deep-equal, pushed ids and platform variables included', () => {
    const flow = {
      actions: [
        act(1, 'condition_datetime', { condition: '<=', hour: 9, false_target_id: A(3) }),
        act(2, 'fetch', { event_url: 'https://example.com/a' }),
        act(3, 'talk', { text: '${voipbin.activeflow.id}' }),
      ],
    };
    const script: SimScript = {
      fetch: { 'https://example.com/a': [{ type: 'talk' }, { type: 'digits_receive' }] },
    };
    const first = simulate(flow, script, { referenceType: 'call' });
    const second = simulate(structuredClone(flow), structuredClone(script), { referenceType: 'call' });
    assert.deepEqual(first, second);
    assert.equal(first.variables['voipbin.activeflow.id'], '5e000000-0000-4000-8000-000000000001');
  });

  it('the default clock is 2026-01-05T10:00:00Z and options.now wins over the script', () => {
    assert.equal(DEFAULT_SIM_NOW, Date.parse('2026-01-05T10:00:00Z'));
    const flow = {
      actions: [
        act(1, 'condition_datetime', { condition: '==', hour: 10, false_target_id: A(2) }),
        act(2, 'talk'),
      ],
    };
    const at = (script: SimScript, now?: number) =>
      stepAt(simulate(flow, script, { referenceType: 'call', now }), 1).decision;
    assert.equal(at({}), 'continue');
    assert.equal(at({ now: '2026-01-05T11:00:00Z' }), 'jump');
    assert.equal(at({ now: '2026-01-05T11:00:00Z' }, DEFAULT_SIM_NOW), 'continue');
  });
});
