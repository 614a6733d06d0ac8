import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeFlow, type AnalyzeOptions } from '../../src/engine/validate/index.ts';
import { ZERO_ID, type Action, type JsonObject } from '../../src/engine/types.ts';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const act = (n: number, type: string, option: JsonObject = {}, next = ZERO_ID): Action =>
  Object.freeze({ id: id(n), next_id: next, type, option });

void describe('analyzeFlow: details', () => {
  const codes = (flow: Action[], opts?: AnalyzeOptions): string[] => {
    const report = analyzeFlow(flow, opts);
    return [...report.errors, ...report.warnings].map((d) => d.code);
  };

  void it('a realistic IVR validates clean, with no warnings', () => {
    const ivr = [
      act(1, 'answer'),
      act(2, 'talk', { text: 'Press 1 for sales, 2 for support.', language: 'en-US' }),
      act(3, 'digits_receive', { duration: 5000, length: 1 }),
      act(4, 'branch', {
        variable: 'voipbin.call.digits',
        target_ids: { '1': id(5), '2': id(6) },
        default_target_id: id(7),
      }),
      act(5, 'talk', { text: 'Connecting you to sales.' }, id(8)),
      act(6, 'talk', { text: 'Connecting you to support.' }, id(8)),
      act(7, 'goto', { target_id: id(2), loop_count: 3 }),
      act(8, 'hangup'),
    ];
    assert.deepEqual(analyzeFlow(ivr, { referenceType: 'call' }), { valid: true, errors: [], warnings: [] });
  });

  void it('reports one INVALID_OPTION per problem, naming each field', () => {
    const report = analyzeFlow([act(1, 'goto', { target_id: 5, loop_count: 'x' })]);
    const invalid = report.errors.filter((d) => d.code === 'INVALID_OPTION');
    assert.equal(invalid.length, 2);
    assert.match(invalid[0]!.message, /^actions\[0\] \(goto\): option\.target_id: /);
    assert.match(invalid[1]!.message, /option\.loop_count: /);
    assert.equal(report.valid, false);
  });

  void it('a required target set to the zero id is a missing jump target', () => {
    const flow = [
      act(1, 'condition_variable', {
        condition: '==',
        variable: '${voipbin.call.digits}',
        false_target_id: ZERO_ID,
      }),
      act(2, 'hangup'),
    ];
    const report = analyzeFlow(flow);
    assert.deepEqual(
      report.errors.map((d) => [d.code, d.action_id]),
      [['MISSING_JUMP_TARGET', id(1)]],
    );
    assert.match(report.errors[0]!.message, /option\.false_target_id is required/);
  });

  void it('checks every branch.target_ids value and names its key', () => {
    const flow = [
      act(1, 'branch', { target_ids: { '1': id(2), '9': id(99) }, default_target_id: id(2) }),
      act(2, 'hangup'),
    ];
    const report = analyzeFlow(flow);
    assert.deepEqual(
      report.errors.map((d) => d.code),
      ['MISSING_JUMP_TARGET'],
    );
    assert.match(report.errors[0]!.message, /option\.target_ids\.9/);
  });

  void it('does not check template targets, and then reports nothing unreachable', () => {
    const flow = [act(1, 'goto', { target_id: '${next}', loop_count: 1 }), act(2, 'stop'), act(3, 'hangup')];
    assert.deepEqual(codes(flow, { knownVariables: ['next'] }), []);
  });

  void it('a goto with loop_count > 0 reaches its target and its successor; a branch with a default does not fall through', () => {
    const flow = [
      act(1, 'talk'),
      act(2, 'branch', { target_ids: { '1': id(4) }, default_target_id: id(5) }),
      act(3, 'talk', { text: 'never' }),
      act(4, 'goto', { target_id: id(1), loop_count: 2 }),
      act(5, 'hangup'),
    ];
    const report = analyzeFlow(flow);
    assert.deepEqual(
      report.warnings.map((d) => [d.code, d.action_id]),
      [['UNREACHABLE_ACTION', id(3)]],
    );
  });

  void it('a goto with loop_count > 0 bounds a loop of flow-control actions', () => {
    const flow = [
      act(1, 'answer'),
      act(2, 'empty'),
      act(3, 'goto', { target_id: id(2), loop_count: 3 }),
      act(4, 'hangup'),
    ];
    assert.deepEqual(codes(flow), []);
  });

  void it('a self-loop through next_id is an infinite loop; a handed-off self-loop is not', () => {
    assert.deepEqual(codes([act(1, 'empty', {}, id(1))]), ['INFINITE_LOOP']);
    assert.deepEqual(codes([act(1, 'talk', {}, id(1))]), []);
  });

  void it('an action skipped for the medium does not break a busy loop', () => {
    const flow = [act(1, 'talk', {}, id(2)), act(2, 'empty', {}, id(1))];
    assert.deepEqual(codes(flow, { referenceType: 'call' }), []);
    assert.deepEqual(codes(flow, { referenceType: 'sms' }), ['INFINITE_LOOP', 'MEDIA_NOT_ALLOWED']);
  });

  void it('MEDIA_NOT_ALLOWED is only checked when a reference type is given, and says the action is skipped', () => {
    const flow = [act(1, 'block', { timeout_ms: 1000 })];
    assert.deepEqual(codes(flow), []);
    const report = analyzeFlow(flow, { referenceType: 'call' });
    assert.equal(report.valid, true);
    assert.equal(report.warnings[0]!.code, 'MEDIA_NOT_ALLOWED');
    assert.match(report.warnings[0]!.message, /skip/);
  });

  void it('does not report platform variables, known variables, or anything when a key is a template', () => {
    const talk = act(2, 'talk', { text: '${VoipBin.call.source.target} ${lang} ${x}' });
    assert.deepEqual(codes([act(1, 'answer'), talk], { knownVariables: ['lang', 'x'] }), []);
    assert.deepEqual(codes([act(1, 'answer'), talk], { knownVariables: ['lang'] }), ['UNSET_VARIABLE']);
    const dynamicKey = act(1, 'variable_set', { key: '${which}', value: '1' });
    assert.deepEqual(codes([dynamicKey, talk]), []);
  });

  void it('reads variables in nested option strings and branch.variable, once per action and name', () => {
    const flow = [
      act(1, 'webhook_send', { data: { a: ['${token}', '${token}'] }, uri: '${host}' }),
      act(2, 'branch', { variable: 'choice', default_target_id: id(3) }),
      act(3, 'hangup'),
    ];
    const report = analyzeFlow(flow);
    assert.deepEqual(
      report.warnings.map((d) => [d.action_id, d.message.match(/\$\{[^}]*\}/)?.[0]]),
      [
        [id(1), '${token}'],
        [id(1), '${host}'],
        [id(2), '${choice}'],
      ],
    );
    assert.match(report.warnings[0]!.message, /option\.data\.a\.0/);
  });

  void it('orders findings by action index, then code, and separates errors from warnings', () => {
    const flow = [
      act(1, 'goto', { target_id: id(9) }),
      act(2, 'dance', {}, id(8)),
      act(2, 'talk', { text: '${a}' }),
    ];
    const report = analyzeFlow(flow);
    assert.deepEqual(
      report.errors.map((d) => [d.code, d.action_id]),
      [
        ['MISSING_JUMP_TARGET', id(1)],
        ['MISSING_NEXT_TARGET', id(2)],
        ['UNKNOWN_TYPE', id(2)],
        ['DUPLICATE_ID', id(2)],
      ],
    );
    assert.deepEqual(
      report.warnings.map((d) => d.code),
      ['GOTO_NEVER_JUMPS', 'UNREACHABLE_ACTION', 'UNSET_VARIABLE'],
    );
  });

  void it('names the action index, type and field in messages', () => {
    const report = analyzeFlow([act(1, 'answer', {}, id(7))]);
    assert.equal(
      report.errors[0]!.message,
      `actions[0] (answer): next_id ${id(7)} is not an action of this flow`,
    );
  });
});
