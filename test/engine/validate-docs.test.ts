import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../../src/engine/validate/index.ts';

/** The rows of the markdown table(s) in the file, as trimmed cells, header and separator dropped. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.trimStart().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    )
    .filter((cells) => cells[0] !== 'code' && !/^-+$/.test(cells[0] ?? ''));
}

void it('docs/diagnostics.md documents exactly the codes of DIAGNOSTIC_CODES, with their severities', async () => {
  const text = await readFile(new URL('../../docs/diagnostics.md', import.meta.url), 'utf8');
  const rows = tableRows(text);
  const documented = new Map<string, string>();
  for (const cells of rows) {
    assert.equal(cells.length, 4, `a row has 4 cells: ${cells.join(' | ')}`);
    const code = /^`([A-Z0-9_]+)`$/.exec(cells[0]!)?.[1];
    assert.ok(code !== undefined, `the first cell is a backticked code: ${cells[0]}`);
    assert.ok(!documented.has(code), `${code} is documented twice`);
    assert.ok(cells[2]!.length > 0 && cells[3]!.length > 0, `${code} has a meaning and an example fix`);
    documented.set(code, cells[1]!);
  }
  assert.deepEqual([...documented.keys()].sort(), Object.keys(DIAGNOSTIC_CODES).sort());
  for (const [code, severity] of documented) {
    assert.equal(severity, DIAGNOSTIC_CODES[code as DiagnosticCode].severity, `severity of ${code}`);
  }
});

void it('catalog codes are UPPER_SNAKE and have a summary', () => {
  for (const [code, entry] of Object.entries(DIAGNOSTIC_CODES)) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    assert.ok(entry.summary.length > 0);
  }
});
