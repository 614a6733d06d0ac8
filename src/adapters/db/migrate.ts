// Applies the numbered SQL files of schema/ once each, in order, under a named lock so that
// several workers starting together do not race.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Database } from './tables.ts';

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

/** Splits a migration file into statements (statements end with `;` at the end of a line). */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

export async function migrate(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT GET_LOCK('flow_manager_migrate', 60)`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        version VARCHAR(191) NOT NULL PRIMARY KEY, tm_apply DATETIME(6) NOT NULL)`.execute(conn);
      const done = new Set((await conn.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
      const files = (await readdir(SCHEMA_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file)) continue;
        for (const statement of splitStatements(await readFile(SCHEMA_DIR + file, 'utf8'))) {
          await sql.raw(statement).execute(conn);
        }
        await conn
          .insertInto('schema_migrations')
          .values({ version: file, tm_apply: new Date().toISOString().replace('T', ' ').replace('Z', '') })
          .execute();
        applied.push(file);
      }
      return applied;
    } finally {
      await sql`SELECT RELEASE_LOCK('flow_manager_migrate')`.execute(conn);
    }
  });
}
