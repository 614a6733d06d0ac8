import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseActions } from '../../src/engine/validate/index.ts';
import { ZERO_ID } from '../../src/engine/types.ts';

/** A deterministic id source that counts its calls. */
function ids(): { newId: () => string; calls: () => number } {
  let n = 0;
  return {
    newId: () => `00000000-0000-4000-a000-${String(++n).padStart(12, '0')}`,
    calls: () => n,
  };
}
const generated = (n: number): string => `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`;

void describe('parseActions', () => {
  void it('MALFORMED_ACTIONS: the document is not an array', () => {
    for (const input of [{}, 'x', null, undefined, 3]) {
      const result = parseActions(input, ids().newId);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.diagnostics.length, 1);
      const [d] = result.diagnostics;
      assert.deepEqual([d!.code, d!.severity, d!.action_id], ['MALFORMED_ACTIONS', 'error', ZERO_ID]);
      assert.match(d!.message, /^actions: must be an array/);
    }
    assert.deepEqual(parseActions([], ids().newId), { ok: true, actions: [] });
  });

  void it('MALFORMED_ACTION: a bad field, with a clean counterpart', () => {
    const bad = parseActions([{ id: 'ABC', type: '' }], ids().newId);
    assert.deepEqual(bad, {
      ok: false,
      diagnostics: [
        {
          code: 'MALFORMED_ACTION',
          severity: 'error',
          action_id: 'abc',
          message: 'actions[0].type: must be a non-empty string',
        },
      ],
    });
    assert.equal(parseActions([{ id: 'ABC', type: 'answer' }], ids().newId).ok, true);
  });

  void it('reports every problem, each naming the index and field, and generates no ids then', () => {
    const source = ids();
    const result = parseActions(
      [
        { type: 'answer' },
        { id: 5, next_id: [], type: 7 },
        'talk',
        { type: 'talk', option: [] },
        { type: 'talk', option: { n: Number.NaN, f: () => 1 } },
        null,
      ],
      source.newId,
    );
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.diagnostics.map((d) => d.message),
      [
        'actions[1].id: must be a string, got number',
        'actions[1].next_id: must be a string, got array',
        'actions[1].type: must be a non-empty string',
        'actions[2]: must be an object, got string',
        'actions[3].option: must be an object, got array',
        'actions[4].option.n: must be a JSON value, got number',
        'actions[4].option.f: must be a JSON value, got function',
        'actions[5]: must be an object, got null',
      ],
    );
    assert.ok(result.diagnostics.every((d) => d.code === 'MALFORMED_ACTION' && d.action_id === ZERO_ID));
    assert.equal(source.calls(), 0);
  });

  void it('generates ids for absent, empty and zero ids; lowercases ids and targets; defaults the rest', () => {
    const input = [
      { type: 'answer', extra: 'ignored' },
      { id: '', type: 'talk', option: { text: 'Hi' } },
      { id: ZERO_ID, type: 'digits_receive', next_id: null },
      {
        id: 'AAAAAAAA-0000-4000-8000-000000000001',
        next_id: 'BBBBBBBB-0000-4000-8000-000000000002',
        type: 'hangup',
      },
      {
        id: 'bbbbbbbb-0000-4000-8000-000000000002',
        type: 'goto',
        option: { target_id: 'AAAAAAAA-0000-4000-8000-000000000001', loop_count: 1 },
      },
      {
        type: 'branch',
        option: { variable: 'Digits', target_ids: { A: 'CCCC', B: '${Next}' }, default_target_id: 'DDDD' },
      },
    ];
    const frozen = JSON.stringify(input);
    const result = parseActions(input, ids().newId);
    assert.equal(JSON.stringify(input), frozen);
    assert.deepEqual(result, {
      ok: true,
      actions: [
        { id: generated(1), next_id: ZERO_ID, type: 'answer', option: {} },
        { id: generated(2), next_id: ZERO_ID, type: 'talk', option: { text: 'Hi' } },
        { id: generated(3), next_id: ZERO_ID, type: 'digits_receive', option: {} },
        {
          id: 'aaaaaaaa-0000-4000-8000-000000000001',
          next_id: 'bbbbbbbb-0000-4000-8000-000000000002',
          type: 'hangup',
          option: {},
        },
        {
          id: 'bbbbbbbb-0000-4000-8000-000000000002',
          next_id: ZERO_ID,
          type: 'goto',
          option: { target_id: 'aaaaaaaa-0000-4000-8000-000000000001', loop_count: 1 },
        },
        {
          id: generated(4),
          next_id: ZERO_ID,
          type: 'branch',
          option: { variable: 'Digits', target_ids: { A: 'cccc', B: '${Next}' }, default_target_id: 'dddd' },
        },
      ],
    });
  });

  void it('copies options, so the result shares nothing with the input', () => {
    const option = { nested: { list: [1, 'two', null, true] } };
    const result = parseActions([{ type: 'webhook_send', option }], ids().newId);
    assert.ok(result.ok);
    assert.deepEqual(result.actions[0]!.option, option);
    assert.notEqual(result.actions[0]!.option, option);
    option.nested.list.push(5);
    assert.equal((result.actions[0]!.option['nested'] as { list: unknown[] }).list.length, 4);
  });

  void it('keeps a __proto__ key as plain data', () => {
    const input: unknown = JSON.parse('[{"type":"talk","option":{"__proto__":{"polluted":true}}}]');
    const result = parseActions(input, ids().newId);
    assert.ok(result.ok);
    const option = result.actions[0]!.option;
    assert.equal(Object.getPrototypeOf(option), Object.prototype);
    assert.deepEqual(Object.keys(option), ['__proto__']);
    assert.equal((option as { polluted?: boolean }).polluted, undefined);
  });

  void it('rejects options nested too deeply instead of walking them', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    const result = parseActions([{ type: 'talk', option: { deep } }], ids().newId);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.diagnostics.length, 1);
    assert.match(
      result.diagnostics[0]!.message,
      /^actions\[0\]\.option\.deep(\.0)+: nests deeper than 64 levels$/,
    );
  });
});
