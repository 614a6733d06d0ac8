import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeFlow,
  DIAGNOSTIC_CODES,
  type AnalyzeOptions,
  type DiagnosticCode,
} from '../../src/engine/validate/index.ts';
import { ACTION_ID, ZERO_ID, type Action, type JsonObject } from '../../src/engine/types.ts';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const act = (n: number, type: string, option: JsonObject = {}, next = ZERO_ID): Action =>
  Object.freeze({ id: id(n), next_id: next, type, option });

interface Case {
  code: DiagnosticCode;
  actionId: string;
  flow: Action[];
  clean: Action[];
  opts?: AnalyzeOptions;
}

/** For every analyzeFlow code: a minimal flow that triggers it and a clean counterpart. */
const CASES: Case[] = [
  {
    code: 'UNKNOWN_TYPE',
    actionId: id(1),
    flow: [act(1, 'dance')],
    clean: [act(1, 'answer')],
  },
  {
    code: 'DUPLICATE_ID',
    actionId: id(1),
    flow: [act(1, 'answer'), act(1, 'hangup')],
    clean: [act(1, 'answer'), act(2, 'hangup')],
  },
  {
    code: 'RESERVED_ID',
    actionId: ACTION_ID.finish,
    flow: [{ id: ACTION_ID.finish, next_id: ZERO_ID, type: 'answer', option: {} }],
    clean: [act(1, 'answer')],
  },
  {
    code: 'MISSING_NEXT_TARGET',
    actionId: id(1),
    flow: [act(1, 'answer', {}, id(9)), act(2, 'hangup')],
    clean: [act(1, 'answer', {}, id(2)), act(2, 'hangup')],
  },
  {
    code: 'MISSING_JUMP_TARGET',
    actionId: id(2),
    flow: [act(1, 'answer'), act(2, 'goto', { target_id: id(9), loop_count: 1 }), act(3, 'hangup')],
    clean: [act(1, 'answer'), act(2, 'goto', { target_id: id(1), loop_count: 1 }), act(3, 'hangup')],
  },
  {
    code: 'INVALID_OPTION',
    actionId: id(2),
    flow: [act(1, 'answer'), act(2, 'variable_set', { key: '' }), act(3, 'hangup')],
    clean: [act(1, 'answer'), act(2, 'variable_set', { key: 'lang', value: 'en' }), act(3, 'hangup')],
  },
  {
    code: 'INVALID_TIMEZONE',
    actionId: id(1),
    flow: [
      act(1, 'condition_datetime', {
        condition: '>=',
        hour: 9,
        timezone: 'Mars/Olympus',
        false_target_id: id(3),
      }),
      act(2, 'talk', { text: 'open' }),
      act(3, 'hangup'),
    ],
    clean: [
      act(1, 'condition_datetime', {
        condition: '>=',
        hour: 9,
        timezone: 'Asia/Seoul',
        false_target_id: id(3),
      }),
      act(2, 'talk', { text: 'open' }),
      act(3, 'hangup'),
    ],
  },
  {
    code: 'MEDIA_NOT_ALLOWED',
    actionId: id(1),
    flow: [act(1, 'talk', { text: 'hi' })],
    clean: [act(1, 'message_send', { text: 'hi' })],
    opts: { referenceType: 'sms' },
  },
  {
    code: 'UNREACHABLE_ACTION',
    actionId: id(3),
    flow: [act(1, 'answer'), act(2, 'stop'), act(3, 'hangup')],
    clean: [act(1, 'answer'), act(2, 'hangup')],
  },
  {
    code: 'GOTO_NEVER_JUMPS',
    actionId: id(2),
    flow: [act(1, 'talk'), act(2, 'goto', { target_id: id(1), loop_count: 0 }), act(3, 'hangup')],
    clean: [act(1, 'talk'), act(2, 'goto', { target_id: id(1), loop_count: 2 }), act(3, 'hangup')],
  },
  {
    code: 'INFINITE_LOOP',
    actionId: id(2),
    flow: [
      act(1, 'answer'),
      act(2, 'empty'),
      act(3, 'condition_variable', {
        condition: '==',
        variable: '${x}',
        value_string: '1',
        false_target_id: id(2),
      }),
      act(4, 'hangup'),
    ],
    clean: [
      act(1, 'answer'),
      act(2, 'talk', { text: 'again' }),
      act(3, 'condition_variable', {
        condition: '==',
        variable: '${x}',
        value_string: '1',
        false_target_id: id(2),
      }),
      act(4, 'hangup'),
    ],
    opts: { knownVariables: ['x'] },
  },
  {
    code: 'BRANCH_NO_DEFAULT',
    actionId: id(3),
    flow: [
      act(1, 'answer'),
      act(2, 'digits_receive', { length: 1 }),
      act(3, 'branch', { target_ids: { '1': id(4) } }),
      act(4, 'hangup'),
    ],
    clean: [
      act(1, 'answer'),
      act(2, 'digits_receive', { length: 1 }),
      act(3, 'branch', { target_ids: { '1': id(4) }, default_target_id: id(4) }),
      act(4, 'hangup'),
    ],
  },
  {
    code: 'UNSET_VARIABLE',
    actionId: id(2),
    flow: [act(1, 'answer'), act(2, 'talk', { text: 'Hello ${name}' })],
    clean: [act(1, 'variable_set', { key: 'name', value: 'Ann' }), act(2, 'talk', { text: 'Hello ${name}' })],
  },
  {
    code: 'EMPTY_FLOW',
    actionId: ZERO_ID,
    flow: [],
    clean: [act(1, 'answer')],
  },
];

void describe('analyzeFlow: one trigger and one clean flow per code', () => {
  void it('covers every analyzeFlow code of the catalog', () => {
    const parseCodes = ['MALFORMED_ACTIONS', 'MALFORMED_ACTION'];
    const expected = Object.keys(DIAGNOSTIC_CODES).filter((code) => !parseCodes.includes(code));
    assert.deepEqual(CASES.map((c) => c.code).sort(), expected.sort());
  });
  for (const c of CASES) {
    void it(`${c.code}: reported with its severity and action id`, () => {
      const report = analyzeFlow(c.flow, c.opts);
      const found = [...report.errors, ...report.warnings].filter((d) => d.code === c.code);
      assert.ok(found.length > 0, `expected ${c.code}, got ${JSON.stringify(report)}`);
      const severity = DIAGNOSTIC_CODES[c.code].severity;
      for (const d of found) {
        assert.equal(d.severity, severity);
        assert.equal(d.action_id, c.actionId);
        assert.ok(d.message.length > 0);
      }
      assert.ok((severity === 'error' ? report.errors : report.warnings).includes(found[0]!));
      assert.equal(report.valid, report.errors.length === 0);
    });
    void it(`${c.code}: clean counterpart has no findings at all`, () => {
      assert.deepEqual(analyzeFlow(c.clean, c.opts), { valid: true, errors: [], warnings: [] });
    });
  }
});
