// Publishes committed outbox rows in id order and deletes them once confirmed (outbox-pump.ts).
// One relay at a time across all workers (a MySQL named lock), so events of one activeflow never
// overtake each other; a crash between publish and delete republishes (consumers de-duplicate by
// message_id).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'mysql2';
import type { Logger } from 'pino';
import type { Publisher } from '../../app/ports.ts';
import type { RelayLink } from './relay-link.ts';
import { pumpOutbox } from './outbox-pump.ts';
import { acquire } from './raw.ts';

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

/** `pollMs`: OUTBOX_POLL_MS; `deleteAfterMs`: how long confirmed rows wait before the relay deletes them (outbox-pump.ts). */
export interface RelayTiming {
  pollMs: number;
  deleteAfterMs?: number;
}

export function createOutboxRelay(pool: Pool, publisher: Publisher, link: RelayLink, logger: Logger, { pollMs, deleteAfterMs }: RelayTiming, hooks: RelayHooks = {}): OutboxRelay {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const control = {
    takeKick: () => {
      const kicked = again;
      again = false;
      return kicked;
    },
    nextKick: () => new Promise<void>((resolve) => (wake = resolve)),
    stopped: () => stopped,
    ...(deleteAfterMs !== undefined ? { deleteAfterMs } : {}),
    ...(hooks.onPublished ? { onPublished: hooks.onPublished } : {}),
  };

  /** One drain under the lock; false when another worker holds the lock. */
  const drainOnce = async (): Promise<boolean> => {
    const conn = await acquire(pool);
    let broken = true;
    try {
      const got = (await conn.query({ text: 'SELECT GET_LOCK(CONCAT(?, DATABASE()), 0) AS got', values: [LOCK_PREFIX] })) as { got: number | null }[];
      if (Number(got[0]?.got) !== 1) {
        broken = false;
        return false;
      }
      try {
        await pumpOutbox(conn, pool, publisher, link, control);
      } finally {
        await conn.query({ text: 'SELECT RELEASE_LOCK(CONCAT(?, DATABASE()))', values: [LOCK_PREFIX] });
      }
      broken = false;
      return true;
    } finally {
      // A connection that failed may still hold the lock: closing it releases the lock for sure.
      conn.release(broken);
    }
  };

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
      wake?.();
      wake = null;
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
