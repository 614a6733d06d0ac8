// The catalogs in code and the tables in the docs stay in agreement.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '../../src/app/errors.ts';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.ts';

const tableCells = (text: string, column: number) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) => line.split('|')[column + 1]?.trim() ?? '');

describe('docs agree with the code', () => {
  it('every error code is in the protocol doc with its status, and the doc names no other', () => {
    const doc = readFileSync('docs/protocol.md', 'utf8');
    const rows = doc.split('\n').filter((line) => /^\| \d{3} \|/.test(line));
    const documented = new Map<string, number>();
    for (const row of rows) {
      const [status, reasons] = [row.split('|')[1]!.trim(), row.split('|')[2]!];
      for (const code of reasons.match(/`([A-Z_]+)`/g) ?? []) documented.set(code.replaceAll('`', ''), Number(status));
    }
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      assert.equal(documented.get(code), info.status, `${code} documented with status ${info.status}`);
    }
    assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort());
  });

  it('the README configuration table lists exactly the variables config.ts reads, with their defaults', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Try it'));
    const names = tableCells(section, 0).map((c) => c.replaceAll('`', '')).filter((c) => /^[A-Z_]+$/.test(c));
    assert.deepEqual([...names].sort(), [...CONFIG_VARIABLES].sort());
    const defaults = loadConfig({});
    const documentedDefault = (name: string) =>
      tableCells(section, 1)[tableCells(section, 0).findIndex((c) => c === `\`${name}\``)]!.replaceAll('`', '');
    assert.equal(documentedDefault('HTTP_PORT'), String(defaults.httpPort));
    assert.equal(documentedDefault('MAX_EXECUTE_COUNT'), String(defaults.maxExecuteCount));
    assert.equal(documentedDefault('ACTION_TIMEOUT_MS'), String(defaults.actionTimeoutMs));
    assert.equal(documentedDefault('BATCH_MAX'), String(defaults.batchMax));
    assert.equal(documentedDefault('DATABASE_URL'), defaults.databaseUrl);
    assert.equal(documentedDefault('AMQP_URL'), defaults.amqpUrl);
  });

  it('loadConfig reports every bad variable at once', () => {
    assert.throws(() => loadConfig({ HTTP_PORT: 'x', MAX_EXECUTE_COUNT: '0', QUEUE_TYPE: 'stream' }), (err: Error) =>
      ['HTTP_PORT', 'MAX_EXECUTE_COUNT', 'QUEUE_TYPE'].every((name) => err.message.includes(name)),
    );
  });
});
