// Publishes committed outbox rows in id order and deletes them once confirmed. One relay at a
// time across all workers (a MySQL named lock), so events of one activeflow never overtake each
// other; a crash between publish and delete republishes (consumers de-duplicate by message_id).
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { OutgoingEvent, Publisher } from '../../app/ports.ts';
import type { Database } from './tables.ts';

export interface OutboxRelay {
  /** Asks for a drain soon (after a commit). */
  kick(): void;
  /** Publishes everything committed so far; resolves when the outbox was seen empty (or on stop). */
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface RelayHooks {
  onPublished?: (count: number, oldestAgeMs: number) => void;
  onError?: (err: unknown) => void;
}

/** The relay lock is per database: several deployments may share one MySQL server. */
const LOCK_PREFIX = 'flow_manager_outbox.';
const BATCH = 500;

export function createOutboxRelay(db: Kysely<Database>, publisher: Publisher, logger: Logger, pollMs: number, hooks: RelayHooks = {}): OutboxRelay {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  /** One drain under the lock; false when another worker holds the lock. */
  const drainOnce = () =>
    db.connection().execute(async (conn) => {
      const got = await sql<{ got: number | null }>`SELECT GET_LOCK(CONCAT(${LOCK_PREFIX}, DATABASE()), 0) AS got`.execute(conn);
      if (Number(got.rows[0]?.got) !== 1) return false;
      try {
        for (;;) {
          const rows = await conn.selectFrom('outbox').selectAll().orderBy('id').limit(BATCH).execute();
          if (rows.length === 0) {
            // A commit kicked us while we drained: look again under the lock we hold.
            if (!again || stopped) return true;
            again = false;
            continue;
          }
          const events: OutgoingEvent[] = rows.map((r) => ({ ...r, seq: Number(r.seq) }));
          await publisher.publish(events);
          await conn.deleteFrom('outbox').where('id', 'in', rows.map((r) => r.id)).execute();
          const oldest = rows[0] ? Date.parse(rows[0].tm_create.replace(' ', 'T') + 'Z') : Date.now();
          hooks.onPublished?.(rows.length, Date.now() - oldest);
        }
      } finally {
        await sql`SELECT RELEASE_LOCK(CONCAT(${LOCK_PREFIX}, DATABASE()))`.execute(conn);
      }
    });

  const loop = async (): Promise<void> => {
    do {
      again = false;
      try {
        const drained = await drainOnce();
        // Another worker holds the lock; it may have looked before our commit: look again soon.
        if (!drained && !stopped) {
          await sleep(20);
          again = true;
        }
      } catch (err) {
        hooks.onError?.(err);
        logger.warn({ err }, 'outbox relay failed; will retry');
        if (!stopped) await sleep(200);
        again = !stopped;
      }
    } while (again && !stopped);
  };

  const kick = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => (running = null));
  };

  return {
    kick,
    async flush() {
      while (running) await running;
      kick();
      while (running) await running;
    },
    start() {
      stopped = false;
      const tick = () => {
        kick();
        if (!stopped) timer = setTimeout(tick, pollMs);
      };
      tick();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      const pending = running;
      stopped = true;
      if (pending) await pending;
    },
  };
}
