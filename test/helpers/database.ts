// A database of a test file's own, opened (schema applied) before its tests and dropped after;
// for tests of the db adapter without a worker. Call inside `describe`.
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { openDatabase } from '../../src/adapters/db/connect.ts';
import { activeflowJson, eventBody } from '../../src/app/documents.ts';
import type { FlowState } from '../../src/engine/index.ts';
import { MYSQL_URL } from './env.ts';

export interface FreshDatabase {
  /** Set once `before` ran. */
  opened: Awaited<ReturnType<typeof openDatabase>>;
  query<T>(text: string, values?: unknown[]): Promise<T[]>;
}

export function freshDatabase(poolSize = 2): FreshDatabase {
  const name = `fm_test_${randomUUID().slice(0, 8)}`;
  const fresh: FreshDatabase = {
    opened: undefined as unknown as FreshDatabase['opened'],
    query: <T>(text: string, values: unknown[] = []) =>
      new Promise<T[]>((resolve, reject) => fresh.opened.pool.query(text, values, (err, rows) => (err ? reject(err) : resolve(rows as T[])))),
  };
  before(async () => {
    fresh.opened = await openDatabase(`${MYSQL_URL}/${name}`, poolSize);
  });
  after(async () => {
    await fresh.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await fresh.opened.db.destroy();
  });
  return fresh;
}

/** An outbox event as the runner builds it: data is the activeflow's JSON text. */
export function outboxEventOf(type: string, state: FlowState, seq: number) {
  const data = activeflowJson(state.activeflow);
  return { message_id: randomUUID(), aggregate_id: state.activeflow.id, seq, type, body: eventBody(type, data), data };
}
