// condition_variable and condition_datetime (SPEC 3.1): every operator for every value type, both
// ways, and the calendar in non-UTC time zones at a fixed instant computed by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../../src/engine/index.ts';
import { A, START, T0, act, historyIds, makeCtx, started } from '../helpers/engine-fixtures.ts';

/** A(1) is the condition; match continues to A(2), no match jumps to A(3). */
function runCondition(type: string, option: JsonObject, variables: Record<string, string>, now = T0) {
  const flow = [
    act(A(1), type, { ...option, false_target_id: A(3) }),
    act(A(2), 'talk'),
    act(A(3), 'answer'),
  ];
  return started(flow, { variables }, makeCtx({ now }));
}

type Op = '==' | '!=' | '>' | '>=' | '<' | '<=';
const OPS: Op[] = ['==', '!=', '>', '>=', '<', '<='];

void describe('condition_variable: variable OP value', () => {
  // [value type, variable, compared value, the expected result for each of == != > >= < <=]
  const rows: [string, string, JsonObject, boolean[]][] = [
    ['string', 'b', { value_string: 'b' }, [true, false, false, true, false, true]],
    ['string', 'b', { value_string: 'a' }, [false, true, true, true, false, false]],
    ['string', 'b', { value_string: 'c' }, [false, true, false, false, true, true]],
    // Strings compare lexicographically: "10" < "9".
    ['string', '10', { value_string: '9' }, [false, true, false, false, true, true]],
    ['number', '10', { value_number: 9 }, [false, true, true, true, false, false]],
    ['number', '10', { value_number: 10 }, [true, false, false, true, false, true]],
    ['number', '-1.5', { value_number: 2 }, [false, true, false, false, true, true]],
    ['number', ' 7 ', { value_number: 7 }, [true, false, false, true, false, true]],
    ['number', '1e3', { value_number: 1000 }, [true, false, false, true, false, true]],
    // Unparsable numbers never match, whatever the operator.
    ['number', 'abc', { value_number: 5 }, [false, false, false, false, false, false]],
    ['number', '12abc', { value_number: 12 }, [false, false, false, false, false, false]],
    ['number', '', { value_number: 0 }, [false, false, false, false, false, false]],
    // Length counts characters (code points), not bytes.
    ['length', 'héllo', { value_length: 5 }, [true, false, false, true, false, true]],
    ['length', 'héllo', { value_length: 4 }, [false, true, true, true, false, false]],
    ['length', '😀😀', { value_length: 3 }, [false, true, false, false, true, true]],
    ['length', '', { value_length: 0 }, [true, false, false, true, false, true]],
  ];
  for (const [valueType, variable, value, expected] of rows) {
    OPS.forEach((op, i) => {
      const matches = expected[i];
      void it(`${valueType}: "${variable}" ${op} ${JSON.stringify(Object.values(value)[0])} is ${String(matches)}`, () => {
        const option = { condition: op, variable: '${x}', value_type: valueType, ...value };
        const out = runCondition('condition_variable', option, { x: variable });
        const af = out.state.activeflow;
        assert.equal(af.status, 'running');
        assert.equal(af.current_action.id, matches ? A(2) : A(3));
        assert.deepEqual(historyIds(out.state), [START, A(1)]);
        // The history shows the substituted variable.
        assert.equal(af.executed_actions[1]?.option['variable'], variable);
        assert.equal(out.effects.length, 1);
      });
    });
  }

  void it('value_type defaults to string and a missing variable substitutes as ""', () => {
    const out = runCondition(
      'condition_variable',
      { condition: '==', variable: '${nope}', value_string: '' },
      {},
    );
    assert.equal(out.state.activeflow.current_action.id, A(2));
  });
});

void describe('condition_datetime: option OP now', () => {
  // T0 is Friday 2024-03-15 20:30 UTC = Saturday 2024-03-16 05:30 in Asia/Seoul (UTC+9, no DST)
  // = Friday 16:30 in America/New_York (EDT since 2024-03-10, UTC-4) = Friday 21:30 in
  // Europe/Paris (CET, UTC+1; summer time only from 2024-03-31).
  const rows: [string, JsonObject, boolean][] = [
    ['UTC by default: hour 20 == 20', { condition: '==', hour: 20 }, true],
    ['UTC: hour 21 == 20', { condition: '==', hour: 21 }, false],
    ['UTC: hour 21 > 20', { condition: '>', hour: 21 }, true],
    ['UTC: hour 20 > 20', { condition: '>', hour: 20 }, false],
    ['UTC: minute 30 >= 30 and day 15 == 15', { condition: '>=', minute: 30, day: 15 }, true],
    ['UTC: month 3 != 3', { condition: '!=', month: 3 }, false],
    ['UTC: weekdays [5] contains Friday', { condition: '==', weekdays: [5] }, true],
    ['UTC: weekdays [6, 0] lacks Friday', { condition: '==', weekdays: [6, 0] }, false],
    ['negative fields are not checked', { condition: '==', minute: -1, hour: -1, day: -1, month: -1 }, true],
    ['an empty weekdays list is not checked', { condition: '==', weekdays: [] }, true],
    ['Seoul: hour 5 == 5', { condition: '==', hour: 5, timezone: 'Asia/Seoul' }, true],
    ['Seoul: hour 20 == 5', { condition: '==', hour: 20, timezone: 'Asia/Seoul' }, false],
    [
      'Seoul: hour 9 <= 5 (option OP now, literally)',
      { condition: '<=', hour: 9, timezone: 'Asia/Seoul' },
      false,
    ],
    ['Seoul: hour 3 <= 5', { condition: '<=', hour: 3, timezone: 'Asia/Seoul' }, true],
    ['Seoul: hour 9 > 5', { condition: '>', hour: 9, timezone: 'Asia/Seoul' }, true],
    ['Seoul: day 16 == 16', { condition: '==', day: 16, timezone: 'Asia/Seoul' }, true],
    ['Seoul: day 15 == 16', { condition: '==', day: 15, timezone: 'Asia/Seoul' }, false],
    [
      'Seoul: weekdays [6] contains Saturday',
      { condition: '==', weekdays: [6], timezone: 'Asia/Seoul' },
      true,
    ],
    [
      'Seoul: weekdays [1,2,3,4,5] lacks Saturday',
      { condition: '==', weekdays: [1, 2, 3, 4, 5], timezone: 'Asia/Seoul' },
      false,
    ],
    [
      'Seoul: every field holds but the weekday',
      { condition: '==', hour: 5, minute: 30, day: 16, month: 3, weekdays: [5], timezone: 'Asia/Seoul' },
      false,
    ],
    [
      'Seoul: hour and day hold together',
      { condition: '==', hour: 5, day: 16, month: 3, timezone: 'Asia/Seoul' },
      true,
    ],
    [
      'Seoul: one failing field fails all',
      { condition: '==', hour: 5, day: 15, timezone: 'Asia/Seoul' },
      false,
    ],
    ['New York (EDT): hour 16 == 16', { condition: '==', hour: 16, timezone: 'America/New_York' }, true],
    ['New York (EDT): hour 15 == 16', { condition: '==', hour: 15, timezone: 'America/New_York' }, false],
    ['Paris (CET): hour 21 == 21', { condition: '==', hour: 21, timezone: 'Europe/Paris' }, true],
    ['Paris (CET): hour 22 < 21', { condition: '<', hour: 22, timezone: 'Europe/Paris' }, false],
    ['Paris (CET): hour 20 < 21', { condition: '<', hour: 20, timezone: 'Europe/Paris' }, true],
  ];
  for (const [name, option, matches] of rows) {
    void it(`${name}: ${matches ? 'continues' : 'jumps to false_target_id'}`, () => {
      const out = runCondition('condition_datetime', option, {});
      assert.equal(out.state.activeflow.status, 'running');
      assert.equal(out.state.activeflow.current_action.id, matches ? A(2) : A(3));
      assert.deepEqual(historyIds(out.state), [START, A(1)]);
    });
  }

  void it('midnight in Seoul is hour 0 (not 24) on the next weekday', () => {
    const midnightSeoul = Date.UTC(2024, 2, 15, 15, 0, 0); // Sat 00:00 in Seoul
    const out = runCondition(
      'condition_datetime',
      { condition: '==', hour: 0, minute: 0, weekdays: [6], timezone: 'Asia/Seoul' },
      {},
      midnightSeoul,
    );
    assert.equal(out.state.activeflow.current_action.id, A(2));
  });

  void it('the timezone may come from a variable', () => {
    const out = runCondition(
      'condition_datetime',
      { condition: '==', weekdays: [6], timezone: '${tz}' },
      { tz: 'Asia/Seoul' },
    );
    assert.equal(out.state.activeflow.current_action.id, A(2));
  });

  for (const timezone of ['Mars/Olympus_Mons', 'Not a zone']) {
    void it(`an unknown timezone ${JSON.stringify(timezone)} ends with error naming it`, () => {
      const out = runCondition('condition_datetime', { condition: '==', hour: 5, timezone }, {});
      const af = out.state.activeflow;
      assert.equal(af.status, 'ended');
      assert.equal(af.end_reason, 'error');
      assert.match(af.end_detail, /timezone/);
      assert.ok(af.end_detail.includes(JSON.stringify(timezone)), af.end_detail);
      assert.equal(af.current_action.id, A(1));
      assert.equal(out.state.wake_at, null);
    });
  }
});
