// Opens the pool, creating the database if it is missing, and applies schema/ migrations.
import { Kysely, MysqlDialect } from 'kysely';
import { createConnection, createPool, type Pool, type PoolOptions } from 'mysql2';
import type { Database } from './tables.ts';
import { migrate } from './migrate.ts';

/** Parts of a mysql:// URL that mysql2 needs, with the database name separated out. */
export function parseDatabaseUrl(url: string): { options: PoolOptions; database: string } {
  const u = new URL(url);
  if (u.protocol !== 'mysql:') throw new Error(`DATABASE_URL: expected mysql://, got ${u.protocol}//`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$-]+$/.test(database)) throw new Error(`DATABASE_URL: bad database name "${database}"`);
  return {
    database,
    options: {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
      dateStrings: true,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      charset: 'utf8mb4',
    },
  };
}

/**
 * The session as the adapter needs it. Its sql_mode keeps the rest of the server's, with
 * backslash escapes on (NO_BACKSLASH_ESCAPES off) and STRICT_TRANS_TABLES on, so that a NULL
 * written to a NOT NULL column fails the statement instead of becoming 0 with a warning (the
 * version check of batch-sql.ts relies on that). Its auto-increment step is 1, whatever the
 * server's is or becomes, so that one INSERT's outbox rows have consecutive ids (outboxIdsOf).
 */
export const SESSION_SETTINGS =
  "SET SESSION sql_mode = CONCAT(REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', ''), ',STRICT_TRANS_TABLES'), SESSION auto_increment_increment = 1";

/** Whether a server of this VERSION() has INSERT ... RETURNING: MariaDB 10.5 and later, not MySQL. */
export function hasInsertReturning(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+.*MariaDB/i.exec(version);
  return m !== null && (Number(m[1]) > 10 || (Number(m[1]) === 10 && Number(m[2]) >= 5));
}

/**
 * How a group commit learns the ids of the outbox rows it inserts (batch-tx.ts), from what the
 * server says of itself. `consecutive`: one INSERT's rows get consecutive ids from the first one,
 * which its OK packet carries, at no cost: InnoDB's auto-increment lock modes 0 and 1 (MariaDB's
 * default; the mode is fixed while the server runs), with the step of 1 every session of ours
 * has (SESSION_SETTINGS); not mode 2 (MySQL 8's default, and Galera's). `returning`: INSERT ...
 * RETURNING. `read`: neither, so the rows are read after COMMIT.
 */
export function outboxIdsOf(server: { version: string; lock_mode: number | string | null }): OutboxIds {
  if ([0, 1].includes(Number(server.lock_mode ?? 2))) return 'consecutive';
  return hasInsertReturning(server.version) ? 'returning' : 'read';
}

export type OutboxIds = 'consecutive' | 'returning' | 'read';

/** Creates the database named in the URL if it does not exist. */
export async function ensureDatabase(url: string): Promise<void> {
  const { options, database } = parseDatabaseUrl(url);
  const connection = createConnection(options).promise();
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } finally {
    await connection.end();
  }
}

/**
 * A Kysely instance over a mysql2 pool, with the schema up to date, and the pool itself (group
 * commits send several statements per round trip on it: every value is still passed as a
 * parameter, never spliced into the text).
 */
export async function openDatabase(url: string, poolSize: number): Promise<{ db: Kysely<Database>; pool: Pool; outboxIds: OutboxIds }> {
  await ensureDatabase(url);
  const { options, database } = parseDatabaseUrl(url);
  const pool = createPool({ ...options, database, connectionLimit: poolSize, enableKeepAlive: true, multipleStatements: true });
  pool.on('connection', (conn) => {
    // A pool error (a dropped idle connection) must never crash the process; queries retry.
    conn.on('error', () => undefined);
    // mysql2 and sql-text.ts escape with backslashes: under NO_BACKSLASH_ESCAPES a `\'` would end
    // the literal; the version check needs strict mode; direct hand-over, a step of 1. Queued
    // before any query of this connection; a connection where it failed is not used (with no
    // callback, a failure would be an unhandled 'error' event: a crash).
    conn.query(SESSION_SETTINGS, (err) => {
      if (err) conn.destroy();
    });
  });
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  await migrate(db);
  const [server] = (await pool.promise().query('SELECT VERSION() AS version, @@innodb_autoinc_lock_mode AS lock_mode'))[0] as Parameters<typeof outboxIdsOf>[0][];
  return { db, pool, outboxIds: server ? outboxIdsOf(server) : 'read' };
}
