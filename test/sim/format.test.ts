// The text and JSON renderings of a simulation.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACTION_ID } from '../../src/engine/index.ts';
import {
  createShortIds,
  formatSimJson,
  formatSimResult,
  simulate,
  type SimResult,
} from '../../src/sim/index.ts';

const read = (file: string): any =>
  JSON.parse(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8'));
const ivr = (): SimResult =>
  simulate(read('ivr-menu.flow.json'), read('ivr-menu.script.json'), { referenceType: 'call' });

describe('formatSimResult', () => {
  const text = formatSimResult(ivr());
  const lines = text.trimEnd().split('\n');

  it('prints one aligned line per step: n, type, short id, decision, why, variable changes', () => {
    assert.equal(
      lines[3],
      ' 4  branch          11000004…  jump      voipbin.call.digits="9": default  {voipbin.call.digits: "9" -> ""}',
    );
    assert.equal(
      lines[2],
      ' 3  digits_receive  11000003…  answered  action_done (answers[0])  {voipbin.call.digits: "" -> "9"}',
    );
    assert.match(
      lines[5] ?? '',
      /^ 6 {2}goto {12}11000010… {2}jump {6}jump to 11000002-0000-4000-8000-000000000002, 1 jumps left$/,
    );
  });

  it('shows the text a handed-off action would speak or send, cut when long', () => {
    assert.match(lines[4] ?? '', /text="Sorry, that is not a valid choice\."$/);
    assert.match(lines[1] ?? '', /text="Welcome to Example Corp\. Press 1 for sales, or 2 for support…"$/);
  });

  it('ends with how the run ended and the variables it left, platform ids omitted', () => {
    assert.deepEqual(lines.slice(-2), [
      'end: hangup (the call hung up), execute_count 11',
      'variables: voipbin.call.digits=""',
    ]);
    assert.ok(text.endsWith('\n'));
    assert.equal(lines.length, 12 + 2);
  });
});

describe('createShortIds', () => {
  it('uses the first group when it tells the ids apart, else the tail, else the whole id', () => {
    const heads = createShortIds([
      '4f2a0000-0000-4000-8000-000000000001',
      '9b1c0000-0000-4000-8000-000000000001',
    ]);
    assert.equal(heads('4f2a0000-0000-4000-8000-000000000001'), '4f2a0000…');
    const tails = createShortIds([
      'a0000000-0000-4000-8000-000000000001',
      'a0000000-0000-4000-8000-000000000002',
    ]);
    assert.equal(tails('a0000000-0000-4000-8000-000000000002'), '…00000002');
    const neither = ['a0000000-0000-4000-8000-000000000001', 'a0000000-1111-4000-8000-000000000001'];
    assert.equal(createShortIds(neither)(neither[1]!), neither[1]);
    assert.equal(heads(ACTION_ID.finish), 'finish');
  });
});

describe('formatSimJson', () => {
  it('is the SimResult as JSON', () => {
    const result = ivr();
    const json = formatSimJson(result);
    assert.deepEqual(JSON.parse(json), result);
    assert.ok(json.endsWith('\n'));
  });
});
