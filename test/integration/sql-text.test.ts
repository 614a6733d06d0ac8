// SqlText writes the JSON documents of a group commit into the query text itself. Against the
// real MariaDB, through the worker's own pool (openDatabase): any string, stored in the column
// types of the documents and read back, is unchanged, and hostile text stays data.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { escape } from 'mysql2';
import type { PoolConnection } from 'mysql2/promise';
import { SESSION_SETTINGS, openDatabase } from '../../src/adapters/db/connect.ts';
import { SqlText } from '../../src/adapters/db/sql-text.ts';
import { MYSQL_URL } from '../helpers/env.ts';

const database = `fm_test_${randomUUID().slice(0, 8)}`;

describe('SqlText literals', () => {
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  const query = <T>(text: string, values: unknown[] = []) =>
    new Promise<T[]>((resolve, reject) => opened.pool.query(text, values, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));

  /** Stores the values with SqlText in one multi-row INSERT and reads them back in order. */
  const roundTrip = async (values: string[]): Promise<string[]> => {
    await query('DELETE FROM texts');
    await query('INSERT INTO texts (n, body, doc) VALUES ?', [values.map((v, n) => [n, new SqlText(v), new SqlText(v)])]);
    const rows = await query<{ body: string; doc: string }>('SELECT body, doc FROM texts ORDER BY n');
    for (const row of rows) assert.equal(row.doc, row.body);
    return rows.map((r) => r.body);
  };

  before(async () => {
    opened = await openDatabase(`${MYSQL_URL}/${database}`, 2);
    // The column types of activeflows.doc and outbox.body.
    const doc = (await query<{ t: string }>("SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'activeflows' AND COLUMN_NAME = 'doc'", [database]))[0]!.t;
    const body = (await query<{ t: string }>("SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'outbox' AND COLUMN_NAME = 'body'", [database]))[0]!.t;
    await query(`CREATE TABLE texts (n INT PRIMARY KEY, body ${body} NOT NULL, doc ${doc} NOT NULL)`);
  });
  after(async () => {
    await query(`DROP DATABASE IF EXISTS \`${database}\``);
    await opened.db.destroy();
  });

  it('stores hostile and awkward text unchanged, as data', async () => {
    const values = [
      "'",
      "\\'",
      '\\',
      "x\\",
      "'; DROP TABLE texts; --",
      "\\'; DROP TABLE texts; --",
      '\0 NUL \x1a ctrl-Z \n LF \r CR \t TAB \b BS',
      '"quoted" \\"escaped\\" ``',
      'emoji 😀 and ümlaut and 中文',
      '',
      '{"a":"it\'s","b":"back\\\\slash","c":"\\u0000"}',
    ];
    assert.deepEqual(await roundTrip(values), values);
    const tables = await query<{ n: number }>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
    assert.ok(Number(tables[0]!.n) > 1, 'the tables are all still there');
  });

  it('any string of code points and any JSON text round-trips (fast-check, fixed seed)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json()), { minLength: 1, maxLength: 20 }), async (values) => {
        assert.deepEqual(await roundTrip(values), values);
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('writes text with nothing to escape as it is, and leaves any other text to mysql2', () => {
    const json = '{"a":"b\tc","d":[1,2]}';
    assert.equal(new SqlText(json).toSqlString(), `'${json}'`);
    for (const text of [`a'b`, 'c\\d', 'e\0f', 'g\nh', 'i\rj', 'k\x1al']) assert.equal(new SqlText(text).toSqlString(), escape(text), JSON.stringify(text));
  });

  it("a new pool connection's first statement turns NO_BACKSLASH_ESCAPES off, STRICT_TRANS_TABLES on, and keeps the rest of sql_mode", async () => {
    // Here on connections that have them the other way (the server's default is left alone:
    // other test files share the server).
    await onOwnConnection(async (conn) => {
      await conn.query("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES,ERROR_FOR_DIVISION_BY_ZERO'");
      await conn.query(SESSION_SETTINGS);
      const [rows] = await conn.query('SELECT @@SESSION.sql_mode AS mode');
      assert.equal((rows as { mode: string }[])[0]!.mode, 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO');
      await conn.query("SET SESSION sql_mode = ''");
      await conn.query(SESSION_SETTINGS);
      const [strict] = await conn.query('SELECT @@SESSION.sql_mode AS mode');
      assert.equal((strict as { mode: string }[])[0]!.mode, 'STRICT_TRANS_TABLES');
    });
    const [mode] = await query<{ mode: string }>('SELECT @@SESSION.sql_mode AS mode');
    assert.doesNotMatch(mode!.mode, /NO_BACKSLASH_ESCAPES/);
    assert.match(mode!.mode, /STRICT_TRANS_TABLES/);
  });

  it('the same statement gives the session an auto-increment step of 1, so one INSERT\'s outbox ids are consecutive', async () => {
    // On a connection whose step is 2 (set for this session only: other test files share the server).
    await onOwnConnection(async (conn) => {
      await conn.query('SET SESSION auto_increment_increment = 2');
      await conn.query(SESSION_SETTINGS);
      const [rows] = await conn.query('SELECT @@SESSION.auto_increment_increment AS step');
      assert.equal(Number((rows as { step: number }[])[0]!.step), 1);
      const [inserted] = await conn.query(
        "INSERT INTO outbox (message_id, aggregate_id, seq, type, body, tm_create) VALUES ('m1', 'a', 1, 't', '{}', '2026-01-01 00:00:00'), ('m2', 'a', 2, 't', '{}', '2026-01-01 00:00:00') RETURNING id",
      );
      const [first, second] = (inserted as { id: number }[]).map((r) => Number(r.id));
      assert.equal(second, first! + 1);
      await conn.query('DELETE FROM outbox');
    });
  });

  /** Runs `fn` on a pool connection of its own, destroyed afterwards (its session settings die with it). */
  async function onOwnConnection(fn: (conn: PoolConnection) => Promise<void>): Promise<void> {
    const conn = await opened.pool.promise().getConnection();
    try {
      await fn(conn);
    } finally {
      conn.destroy();
    }
  }
});
