// What group commits share with the relay. Published outbox rows are deleted by the next group
// commit (no commit of their own); when that commit fails they wait for the next one. Against a
// fresh database of its own, with no relay. And the feed: rows read after COMMIT reach the relay
// only while it holds the lock; a deleted id stays known for a while.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openDatabase } from '../../src/adapters/db/connect.ts';
import { createRelayLink, type RelayLink } from '../../src/adapters/db/relay-link.ts';
import { pumpOutbox } from '../../src/adapters/db/outbox-pump.ts';
import { acquire } from '../../src/adapters/db/raw.ts';
import { deleteOutbox, lockActiveflows, type Statement } from '../../src/adapters/db/batch-sql.ts';
import type { OutgoingEvent } from '../../src/app/ports.ts';
import { createStateCache } from '../../src/adapters/db/state-cache.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import type { OutboxRecord } from '../../src/adapters/db/relay-link.ts';
import { MYSQL_URL, waitUntil } from '../helpers/env.ts';

const pick = ({ type, key }: { type: string; key: string | null }) => ({ type, key });
const database = `fm_test_${randomUUID().slice(0, 8)}`;
const NOTHING = { lock: [], create: [], flows: [], messages: [] };

describe('outbox deletes ride on group commits', () => {
  let opened: Awaited<ReturnType<typeof openDatabase>>;
  const query = <T>(text: string, values: unknown[] = []) =>
    new Promise<T[]>((resolve, reject) => opened.pool.query(text, values, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  const outboxIds = async () => (await query<{ id: number }>('SELECT id FROM outbox ORDER BY id')).map((r) => Number(r.id));
  const insertRow = () =>
    query("INSERT INTO outbox (message_id, aggregate_id, seq, type, body, tm_create) VALUES (?, ?, 1, 'test', '{}', '2026-01-01 00:00:00')", [randomUUID(), randomUUID()]);

  before(async () => {
    opened = await openDatabase(`${MYSQL_URL}/${database}`, 2);
    for (let n = 0; n < 3; n++) {
      await insertRow();
    }
  });
  after(async () => {
    await query(`DROP DATABASE IF EXISTS \`${database}\``);
    await opened.db.destroy();
  });

  it('a batch deletes the rows handed to it in its own transaction, and only those', async () => {
    const [a, b, c] = await outboxIds();
    const deletes = createRelayLink();
    const store = createStore(opened.db, opened.pool, deletes, { cache: createStateCache(0), outboxIds: 'read' }, 0);
    deletes.add([a!, b!]);
    await store.batch(NOTHING, async () => undefined);
    assert.deepEqual(await outboxIds(), [c]);
    assert.deepEqual(deletes.ids(), [], 'deleted for sure: no longer skipped by the relay');
  });

  it('deletes and locks stay on the primary key even when their ids are most of a small table', async () => {
    // A whole-table scan would lock every row and the end of the table: concurrent batches
    // deadlocked on it (seen at saturation) and no INSERT into the outbox could go on meanwhile.
    const before = new Set(await outboxIds());
    for (let n = 0; n < 40; n++) await insertRow();
    const added = (await outboxIds()).filter((id) => !before.has(id));
    const ids = added.slice(0, 34);
    const plan = async (statement: Statement) => (await query<{ type: string; key: string | null }>(`EXPLAIN ${statement.text}`, statement.values))[0]!;
    assert.deepEqual(pick(await plan(deleteOutbox(ids))), { type: 'range', key: 'PRIMARY' });
    await query("INSERT INTO activeflows (id, customer_id, flow_id, status, reference_type, reference_id, current_action_type, doc, variables, tm_create, tm_update) SELECT UUID(), UUID(), UUID(), 'running', 'call', UUID(), 'talk', REPEAT('x', 2000), '{}', NOW(6), NOW(6) FROM seq_1_to_20");
    const afIds = (await query<{ id: string }>('SELECT id FROM activeflows ORDER BY id')).map((r) => r.id).slice(0, 18);
    assert.deepEqual(pick(await plan(lockActiveflows(afIds))), { type: 'range', key: 'PRIMARY' });
    await query('DELETE FROM outbox WHERE id IN (?)', [added]);
    await query('DELETE FROM activeflows');
  });

  it('rows of a batch that fails wait for the next one, and are not deleted meanwhile', async () => {
    const [c] = await outboxIds();
    const deletes = createRelayLink();
    const store = createStore(opened.db, opened.pool, deletes, { cache: createStateCache(0), outboxIds: 'read' }, 0);
    const messageId = randomUUID();
    await query("INSERT INTO processed_messages (message_id, tm_create) VALUES (?, '2026-01-01 00:00:00')", [messageId]);
    deletes.add([c!]);
    // The input id was seen by another transaction after this batch read it: its INSERT fails.
    const failed = store.batch({ ...NOTHING, messages: [] }, async (tx) => {
      await tx.markProcessed(messageId, '2026-01-01 00:00:00');
    });
    await assert.rejects(failed, (err: { code?: string }) => err.code === 'DATABASE_UNAVAILABLE');
    assert.deepEqual(await outboxIds(), [c], 'rolled back with the batch');
    assert.equal(deletes.waiting(), 1);
    assert.equal(deletes.taken(), 0);
    await store.batch(NOTHING, async () => undefined);
    assert.deepEqual(await outboxIds(), []);
  });

  it('a batch feeds the relay the outbox rows it reads after COMMIT, only while a relay is attached', async () => {
    await insertRow();
    const [id] = await outboxIds();
    const link = createRelayLink();
    const store = createStore(opened.db, opened.pool, link, { cache: createStateCache(0), outboxIds: 'read' }, 0);
    const offered: OutboxRecord[][] = [];
    await store.batch(NOTHING, async () => undefined);
    assert.equal(offered.length, 0);
    link.attach({ skip: () => [], offer: (rows) => offered.push(rows) > 0 });
    await store.batch(NOTHING, async () => undefined);
    assert.deepEqual(offered.map((rows) => rows.map((r) => Number(r.id))), [[id]]);
    link.attach({ skip: () => [id!], offer: (rows) => offered.push(rows) > 0 });
    await store.batch(NOTHING, async () => undefined);
    assert.deepEqual(offered.at(-1), [], 'ids the relay has in flight are left out of the read');
    link.detach();
    assert.equal(link.feedSkip(), null);
    link.offer([]);
    assert.equal(offered.length, 2, 'nothing reaches a relay that let go');
  });

  it('one outbox read at a time: while one is under way no commit and not the relay starts another', async () => {
    const link = createRelayLink();
    const offered: number[][] = [];
    link.attach({ skip: () => [1, 2], offer: (rows) => offered.push(rows.map((r) => r.id)) > 0 });
    assert.deepEqual(link.feedSkip(), [1, 2], 'a commit starts a read');
    assert.equal(link.feedSkip(), null, 'a second commit reads nothing meanwhile');
    assert.equal(link.startRead(), false, 'nor does the relay');
    let ended = false;
    const waiting = link.readEnded().then(() => (ended = true));
    await Promise.resolve();
    assert.equal(ended, false);
    link.offer([{ id: 3 } as OutboxRecord]);
    await waiting;
    assert.deepEqual(offered, [[3]], 'the rows reached the relay before the read ended');
    assert.equal(link.startRead(), true, 'the relay reads now');
    assert.equal(link.feedSkip(), null, 'and no commit meanwhile');
    link.endRead(true);
    assert.deepEqual(link.feedSkip(), [1, 2]);
    link.offer(null);
    assert.deepEqual(offered, [[3]], 'a failed read offers nothing');
    assert.equal(link.startRead(), true, 'and still ends');
    link.endRead(true);
  });

  it('a group commit read that is held up holds the relay up only briefly: it then reads itself', async () => {
    const link = createRelayLink();
    const published: number[] = [];
    const publisher = { publish: async (rows: OutgoingEvent[]) => void published.push(...rows.map((r) => Number((r as OutboxRecord).id))) };
    // Kicks every 25 ms until the commit's read ends, so that the relay, idle otherwise, keeps the
    // lock (it lets go after 50 ms without one). A kick that lands while the relay is reading is
    // kept for its next takeKick, as a commit's is: on a busy box its reads take longer than the
    // kicks' spacing, and a kick seen only by nextKick would then be missed (a likely cause of
    // this test's one failure, timed out waiting for a commit's read, in a full run of
    // 2026-12-02). The relay's 10 ms lingering read still beats most kicks to nextKick, so it
    // still reads.
    let kick = new Promise<void>(() => undefined);
    let fire = () => undefined as void;
    let pending = false;
    const rearm = () => {
      kick = new Promise<void>((resolve) => (fire = resolve));
    };
    rearm();
    const kicker = setInterval(() => {
      const fired = fire;
      rearm();
      pending = true;
      fired();
    }, 25);
    const never = new Promise<void>(() => undefined);
    let holding = true;
    const takeKick = () => {
      const taken = pending && holding;
      pending = false;
      return taken;
    };
    const control = { takeKick, nextKick: () => (holding ? kick : never), stopped: () => false };
    await query('DELETE FROM outbox');
    await insertRow();
    const [first] = await outboxIds();
    const conn = await acquire(opened.pool);
    try {
      const pumping = pumpOutbox(conn, opened.pool, publisher, link, control);
      await waitUntil(() => (published.includes(first!) ? true : undefined), 5_000, 'the first row published');
      // A commit starts a read and does not end it (say its round trip waits on a lock).
      await waitUntil(() => link.feedSkip() ?? undefined, 5_000, 'a read started by a commit');
      await insertRow();
      const second = (await outboxIds()).find((id) => id !== first);
      await waitUntil(() => (published.includes(second!) ? true : undefined), 2_000, 'the relay publishing the next row meanwhile');
      link.offer(null);
      holding = false;
      clearInterval(kicker);
      await pumping;
      assert.deepEqual(published, [first, second]);
    } finally {
      clearInterval(kicker);
      conn.release(false);
    }
  });

  /**
   * A relay (pumpOutbox) on its own connection whose publishes stay unconfirmed until `finish`:
   * it waits for them or a kick and never lingers, so it reads only when the rule says so.
   */
  async function heldRelay(link: RelayLink) {
    const published: number[] = [];
    let release: () => void = () => undefined;
    const confirmed = new Promise<void>((resolve) => (release = resolve));
    const publisher = { publish: (rows: OutgoingEvent[]) => (published.push(...rows.map((r) => Number((r as OutboxRecord).id))), confirmed) };
    let kicked = false;
    let wake: (() => void) | null = null;
    let stop = false;
    const control = {
      takeKick: () => {
        const was = kicked;
        kicked = false;
        return was;
      },
      nextKick: () => new Promise<void>((resolve) => (wake = resolve)),
      stopped: () => stop,
    };
    const kick = () => {
      kicked = true;
      wake?.();
      wake = null;
    };
    const conn = await acquire(opened.pool);
    const relay = { published, reads: 0, kick, finish: async () => undefined };
    const counting = { query: (s: Statement) => (s.text.includes('FROM outbox') && s.text.startsWith('SELECT') && relay.reads++, conn.query(s)), release: conn.release };
    const pumping = pumpOutbox(counting, opened.pool, publisher, link, control);
    relay.finish = async () => {
      stop = true;
      release();
      kick();
      await pumping.finally(() => conn.release(false));
    };
    return relay;
  }

  it('a kick makes the relay read only when a commit fed it nothing', async () => {
    await query('DELETE FROM outbox');
    const link = createRelayLink();
    await insertRow();
    const [first] = await outboxIds();
    const relay = await heldRelay(link);
    try {
      await waitUntil(() => (relay.published.length === 1 && relay.reads === 2 ? true : undefined), 5_000, 'the first row read and published, then an empty read');
      await insertRow();
      const second = (await outboxIds()).find((id) => id !== first)!;
      relay.kick();
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(relay.reads, 2, 'a kick alone (a commit that fed the relay) costs no read');
      assert.deepEqual(relay.published, [first]);
      link.markUnfed();
      relay.kick();
      await waitUntil(() => (relay.published.includes(second) ? true : undefined), 2_000, 'the unfed commit published');
      assert.ok(relay.reads >= 3);
    } finally {
      await relay.finish();
    }
  });

  it("a commit's read that began before an unfed commit does not stand in for the relay's read", async () => {
    await query('DELETE FROM outbox');
    const link = createRelayLink();
    const relay = await heldRelay(link);
    try {
      await insertRow();
      link.markUnfed();
      relay.kick();
      await waitUntil(() => (relay.published.length === 1 ? true : undefined), 5_000, 'the first row published');
      // A group commit starts its read; then another commit writes a row and feeds nothing.
      await waitUntil(() => link.feedSkip() ?? undefined, 5_000, 'a read started by a commit');
      await insertRow();
      const [, second] = await outboxIds();
      link.markUnfed();
      relay.kick();
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The commit's read lands with nothing (it ran before the row was written).
      link.offer([]);
      await waitUntil(() => (relay.published.includes(second!) ? true : undefined), 2_000, 'the unfed row published after that read landed');
    } finally {
      await relay.finish();
    }
  });

  it('a relay letting go deletes the rows a failed group commit gave back, so no other relay republishes them', async () => {
    await query('DELETE FROM outbox');
    await insertRow();
    const [id] = await outboxIds();
    const link = createRelayLink();
    // A group commit takes the confirmed row for its delete as soon as it is confirmed...
    let takenByCommit: number[] = [];
    let detached = false;
    const commits: RelayLink = {
      ...link,
      add: (ids) => (link.add(ids), (takenByCommit = link.take(1000))),
      detach: () => (link.detach(), (detached = true)),
    };
    const publisher = { publish: async () => undefined };
    const control = { takeKick: () => false, nextKick: () => new Promise<void>(() => undefined), stopped: () => takenByCommit.length > 0 };
    const conn = await acquire(opened.pool);
    try {
      const pumping = pumpOutbox(conn, opened.pool, publisher, commits, control);
      await waitUntil(() => (takenByCommit.length > 0 ? true : undefined), 5_000, 'the row published and taken by a commit');
      await waitUntil(() => (detached ? true : undefined), 5_000, 'the relay letting go');
      // ...and fails (a cached batch whose row another worker moved on), while the relay lets go.
      link.settle(takenByCommit, false);
      await pumping;
      assert.deepEqual(takenByCommit, [id]);
      assert.deepEqual(await outboxIds(), [], 'deleted before the lock goes');
      assert.equal(link.waiting() + link.taken(), 0);
    } finally {
      conn.release(false);
    }
  });

  it('remembers a deleted id for a while, so a read that began before the delete cannot republish it', () => {
    let now = 1_000;
    const link = createRelayLink(() => now);
    link.add([7]);
    const taken = link.take(10);
    link.settle(taken, true);
    assert.equal(link.has(7), true);
    now += 2_500;
    link.settle([], true);
    assert.equal(link.has(7), false);
  });
});
