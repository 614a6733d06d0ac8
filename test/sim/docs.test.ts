// docs/simulator.md stays true: its sample script parses and its sample output is what the
// simulator prints for the example.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatSimResult, parseSimScript, simulate } from '../../src/sim/index.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const doc = read('docs/simulator.md');

/** The fenced code blocks of the section under `heading`, in order. */
function blocks(heading: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no section ${heading}`);
  const end = doc.indexOf('\n## ', start + heading.length + 2);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

describe('docs/simulator.md', () => {
  it('the sample script is a valid script', () => {
    const [sample] = blocks('## Script format');
    const parsed = parseSimScript(JSON.parse(sample ?? ''));
    assert.ok(parsed.ok, JSON.stringify(parsed));
  });

  it('the ivr-menu sample output is what the simulator prints', () => {
    const [sample] = blocks('## Example');
    const result = simulate(
      JSON.parse(read('examples/ivr-menu.flow.json')),
      JSON.parse(read('examples/ivr-menu.script.json')),
      {
        referenceType: 'call',
      },
    );
    assert.equal(formatSimResult(result), sample);
  });

  it('the business-hours sample lines are what the simulator prints at the default clock', () => {
    const sample = blocks('## Example')[2] ?? '';
    const result = simulate(
      JSON.parse(read('examples/business-hours.flow.json')),
      {},
      { referenceType: 'call' },
    );
    assert.ok(formatSimResult(result).startsWith(sample), sample);
  });
});
