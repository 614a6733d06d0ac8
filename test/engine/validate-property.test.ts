import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeFlow, parseActions, DIAGNOSTIC_CODES } from '../../src/engine/validate/index.ts';
import { FLOW_CONTROL_TYPES, HANDED_OFF_TYPES } from '../../src/engine/action-types.ts';
import { REFERENCE_TYPES, ZERO_ID, type Action } from '../../src/engine/types.ts';

const counter = (): (() => string) => {
  let n = 0;
  return () => `00000000-0000-4000-a000-${String(++n).padStart(12, '0')}`;
};

/** Random flows over a small id pool, so targets often (but not always) resolve. */
const idPool = ['a', 'b', 'c', 'd', 'e'].map((c) => `${c.repeat(8)}-0000-4000-8000-000000000000`);
const anyId = fc.constantFrom(...idPool, ZERO_ID);
const anyType = fc.constantFrom(...FLOW_CONTROL_TYPES, ...HANDED_OFF_TYPES, 'dance');
const anyOption = fc.record(
  {
    target_id: anyId,
    loop_count: fc.integer({ min: -1, max: 3 }),
    target_ids: fc.dictionary(fc.string({ maxLength: 2 }), anyId, { maxKeys: 3 }),
    default_target_id: anyId,
    false_target_id: anyId,
    condition: fc.constantFrom('==', '<', 'nope'),
    variable: fc.constantFrom('${x}', 'voipbin.call.digits', 'y'),
    key: fc.constantFrom('x', 'y', ''),
    timezone: fc.constantFrom('UTC', 'Asia/Seoul', 'Nowhere/Land'),
    text: fc.string({ maxLength: 8 }),
  },
  { requiredKeys: [] },
);
const anyAction: fc.Arbitrary<Action> = fc.record({
  id: anyId,
  next_id: anyId,
  type: anyType,
  option: anyOption,
});
const anyFlow = fc.array(anyAction, { maxLength: 8 });

void it('analyzeFlow is total, deterministic, does not mutate its input, and uses catalog codes', () => {
  fc.assert(
    fc.property(
      anyFlow,
      fc.option(fc.constantFrom(...REFERENCE_TYPES), { nil: undefined }),
      (flow, referenceType) => {
        const before = JSON.stringify(flow);
        const report = analyzeFlow(flow, { referenceType });
        assert.equal(JSON.stringify(flow), before);
        assert.deepEqual(analyzeFlow(flow, { referenceType }), report);
        assert.equal(report.valid, report.errors.length === 0);
        for (const d of [...report.errors, ...report.warnings]) {
          assert.equal(d.severity, DIAGNOSTIC_CODES[d.code].severity);
          assert.ok(d.action_id === ZERO_ID || flow.some((a) => a.id === d.action_id));
        }
      },
    ),
  );
});

void it('parseActions never throws on arbitrary JSON and its output re-parses to itself', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (input) => {
      const result = parseActions(input, counter());
      if (!result.ok) {
        assert.ok(result.diagnostics.length > 0);
        return;
      }
      assert.deepEqual(parseActions(result.actions, counter()), result);
    }),
  );
});

void it('parseActions accepts every action-shaped object and keeps its order', () => {
  fc.assert(
    fc.property(anyFlow, (flow) => {
      const result = parseActions(flow, counter());
      assert.ok(result.ok);
      assert.deepEqual(
        result.actions.map((a) => a.type),
        flow.map((a) => a.type),
      );
    }),
  );
});
