// OUTBOX_DELETE_MS > 0 (the default): group commits of fewer than 8 inputs leave published outbox
// rows alone, and the relay deletes all the rows confirmed within that window in one statement of
// its own. Against a fresh database of its own; the relay (pumpOutbox) publishes to a fake that
// confirms at once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/adapters/db/connect.ts';
import { createRelayLink } from '../../src/adapters/db/relay-link.ts';
import { pumpOutbox } from '../../src/adapters/db/outbox-pump.ts';
import { acquire } from '../../src/adapters/db/raw.ts';
import { createStateCache } from '../../src/adapters/db/state-cache.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import type { OutgoingEvent } from '../../src/app/ports.ts';
import type { OutboxRecord } from '../../src/adapters/db/relay-link.ts';
import { MYSQL_URL, waitUntil } from '../helpers/env.ts';

const database = `fm_test_${randomUUID().slice(0, 8)}`;
const NOTHING = { lock: [], create: [], flows: [], messages: [] };

describe('outbox deletes by the relay, off the commits', () => {
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  const query = <T>(text: string, values: unknown[] = []) =>
    new Promise<T[]>((resolve, reject) => opened.pool.query(text, values, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  const outboxIds = async () => (await query<{ id: number }>('SELECT id FROM outbox ORDER BY id')).map((r) => Number(r.id));
  const insertRows = (count: number) =>
    query(
      'INSERT INTO outbox (message_id, aggregate_id, seq, type, body, tm_create) VALUES ?',
      [Array.from({ length: count }, () => [randomUUID(), randomUUID(), 1, 'test', '{}', '2026-01-01 00:00:00'])],
    );

  before(async () => {
    opened = await openDatabase(`${MYSQL_URL}/${database}`, 3);
  });
  after(async () => {
    await query(`DROP DATABASE IF EXISTS \`${database}\``);
    await opened.db.destroy();
  });

  it('a small group commit leaves the published rows to the relay, a large one deletes them', async () => {
    await insertRows(2);
    const [a, b] = await outboxIds();
    const link = createRelayLink();
    const store = createStore(opened.db, opened.pool, link, { cache: createStateCache(0), outboxIds: 'read', commitsDelete: false }, 0);
    link.add([a!, b!]);
    await store.batch(NOTHING, async () => undefined);
    assert.deepEqual(await outboxIds(), [a, b]);
    assert.equal(link.waiting(), 2, 'still waiting for the relay, still skipped by its reads');
    assert.equal(link.taken(), 0);
    // A batch of eight inputs (a busy worker) takes them: for unknown activeflows, writing nothing else.
    const eight = Array.from({ length: 8 }, () => randomUUID());
    await store.batch({ ...NOTHING, lock: eight }, async () => undefined);
    assert.deepEqual(await outboxIds(), []);
    assert.equal(link.waiting() + link.taken(), 0);
  });

  it('the relay deletes the rows confirmed within the window together, after it', async () => {
    const WINDOW_MS = 1000;
    await insertRows(5);
    const ids = await outboxIds();
    const link = createRelayLink();
    const published: number[] = [];
    // Counts of the outbox sampled while the relay runs: one DELETE takes all five at once.
    const seen: number[] = [];
    let confirmedAt = 0;
    const publisher = {
      publish: async (rows: OutgoingEvent[]) => {
        published.push(...rows.map((r) => Number((r as OutboxRecord).id)));
        confirmedAt = performance.now();
      },
    };
    // Kicks every 20 ms, as commits would: an idle relay would let go of the lock and delete at once.
    let stop = false;
    let kicked = false;
    let wake: (() => void) | null = null;
    const kicker = setInterval(() => {
      kicked = true;
      wake?.();
      wake = null;
    }, 20);
    const takeKick = () => {
      const was = kicked;
      kicked = false;
      return was;
    };
    const control = { takeKick, nextKick: () => new Promise<void>((resolve) => (wake = resolve)), stopped: () => stop, deleteAfterMs: WINDOW_MS };
    const conn = await acquire(opened.pool);
    try {
      const pumping = pumpOutbox(conn, opened.pool, publisher, link, control);
      await waitUntil(() => (published.length === 5 ? true : undefined), 5_000, 'the rows published');
      const sampling = (async () => {
        for (;;) {
          const left = (await outboxIds()).length;
          seen.push(left);
          if (left === 0) return performance.now();
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const deletedAt = await sampling;
      stop = true;
      await pumping;
      assert.deepEqual(published, ids);
      assert.equal(seen[0], 5, 'not deleted as soon as confirmed');
      assert.ok(deletedAt - confirmedAt >= WINDOW_MS * 0.9, `deleted ${(deletedAt - confirmedAt).toFixed(0)} ms after the confirm, not after the window`);
      assert.deepEqual([...new Set(seen)], [5, 0], 'all at once, in one statement');
      assert.equal(link.waiting() + link.taken(), 0);
    } finally {
      clearInterval(kicker);
      conn.release(false);
    }
  });
});
