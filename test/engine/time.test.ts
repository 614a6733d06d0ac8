// The wire timestamps (engine/time.ts) against a reference built on Date's own UTC calendar, over
// instants from year 0 to 9999 (whole milliseconds, whole microseconds, and around midnight).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTimestamp, parseTimestamp } from '../../src/engine/index.ts';

/** `YYYY-MM-DD HH:MM:SS.ffffff` from toISOString and the microseconds the instant carries. */
function reference(epochMs: number): string {
  const totalMicros = Math.round(epochMs * 1000);
  const millis = Math.floor(totalMicros / 1000);
  const micros = totalMicros - Math.floor(totalMicros / 1_000_000) * 1_000_000;
  return `${new Date(millis).toISOString().slice(0, 19).replace('T', ' ')}.${String(micros).padStart(6, '0')}`;
}

const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const FIRST_MS = new Date(0).setUTCFullYear(0, 0, 1); // 0000-01-01
const instant = fc.oneof(
  fc.integer({ min: FIRST_MS, max: LAST_MS }),
  // Microseconds: whole epoch microseconds, as the worker's clock gives them.
  fc.integer({ min: 0, max: 4_102_444_800_000_000 }).map((micros) => micros / 1000),
  // Around midnight, where the date part changes.
  fc.tuple(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: -2000, max: 2000 })).map(([day, ms]) => day * 86_400_000 + ms),
);

it('formats every instant as the reference does', () => {
  fc.assert(
    fc.property(instant, (ms) => assert.equal(formatTimestamp(ms), reference(ms))),
    { numRuns: 5000 },
  );
});

it('parses what it formats back to the same microsecond', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4_102_444_800_000_000 }), (micros) => {
      assert.equal(Math.round(parseTimestamp(formatTimestamp(micros / 1000))! * 1000), micros);
    }),
  );
});

it('gives the fixed texts of known instants', () => {
  assert.equal(formatTimestamp(0), '1970-01-01 00:00:00.000000');
  assert.equal(formatTimestamp(Date.UTC(2026, 11, 3, 23, 59, 59, 999) + 0.5), '2026-12-03 23:59:59.999500');
  assert.equal(formatTimestamp(Date.UTC(2024, 1, 29, 12, 0, 0, 1)), '2024-02-29 12:00:00.001000');
  assert.equal(formatTimestamp(-1), '1969-12-31 23:59:59.999000');
});
