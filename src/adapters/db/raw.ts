// Promise wrappers over one mysql2 pool connection, for the group commit's multi-statement
// round trips (the rest of the adapter goes through Kysely on the same pool).
import type { Pool, PoolConnection } from 'mysql2';
import type { Statement } from './batch-sql.ts';

export interface RawConnection {
  /** Runs one statement, or several joined by `;` (then resolves with one result per statement). */
  query(statement: Statement): Promise<unknown>;
  /** Back to the pool; `broken` closes it instead (after a failure that may have left it unusable). */
  release(broken: boolean): void;
}

export function acquire(pool: Pool): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    pool.getConnection((err, conn) => (err ? reject(err) : resolve(wrap(conn))));
  });
}

function wrap(conn: PoolConnection): RawConnection {
  return {
    query: (statement) =>
      new Promise((resolve, reject) => {
        conn.query(statement.text, statement.values, (err, result) => (err ? reject(err) : resolve(result)));
      }),
    release(broken) {
      if (broken) conn.destroy();
      else conn.release();
    },
  };
}
