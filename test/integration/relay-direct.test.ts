// Direct hand-over (src/adapters/db/relay-link.ts): a group commit from the state cache hands its
// own events to the relay from memory, with the ids its INSERT gave (consecutive from the first
// one, or by RETURNING), only while nothing committed earlier may still wait outside the relay's
// hands; otherwise it reads the outbox after COMMIT as before. Against a fresh database of its
// own, with a stand-in relay.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { outboxIdsOf } from '../../src/adapters/db/connect.ts';
import { createRelayLink, type OutboxRecord } from '../../src/adapters/db/relay-link.ts';
import { createStateCache } from '../../src/adapters/db/state-cache.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import { apply, type FlowState } from '../../src/engine/index.ts';
import { A, act, makeCtx, started } from '../helpers/engine-fixtures.ts';
import { freshDatabase, outboxEventOf } from '../helpers/database.ts';

const eventOf = (state: FlowState, seq: number) => outboxEventOf('activeflow_updated', state, seq);

describe('direct hand-over of a cached commit’s events to the relay', () => {
  const fresh = freshDatabase();
  const { query } = fresh;

  it('chooses how a commit learns its outbox ids from what the server says', () => {
    const maria = '10.11.19-MariaDB-0+deb12u1';
    assert.equal(outboxIdsOf({ version: maria, lock_mode: 1 }), 'consecutive');
    assert.equal(outboxIdsOf({ version: '8.0.36', lock_mode: '0' }), 'consecutive');
    assert.equal(outboxIdsOf({ version: maria, lock_mode: 2 }), 'returning', 'interleaved ids: RETURNING');
    assert.equal(outboxIdsOf({ version: '8.0.36', lock_mode: 2 }), 'read', 'MySQL 8 by default');
    assert.equal(outboxIdsOf({ version: '10.4.30-MariaDB', lock_mode: null }), 'read');
  });

  it('this server gives one INSERT consecutive ids (MariaDB: innodb_autoinc_lock_mode 1)', () => {
    assert.equal(fresh.opened.outboxIds, 'consecutive');
  });

  for (const outboxIds of ['consecutive', 'returning'] as const) {
    it(`ids ${outboxIds}: two activeflows' events in one commit go to the relay with the ids they were stored with`, async () => {
      const link = createRelayLink();
      const cache = createStateCache(10);
      const store = createStore(fresh.opened.db, fresh.opened.pool, link, { cache, outboxIds }, 0);
      const states = [0, 1].map(() => started([act(A(1), 'talk'), act(A(2), 'talk')], { id: randomUUID() }).state);
      const ids = states.map((s) => s.activeflow.id);
      await store.batch({ lock: [], create: ids, flows: [], messages: [] }, async (tx) => {
        for (const s of states) await tx.insertActiveflow(s, 1);
      });
      const offered: OutboxRecord[][] = [];
      link.attach({ skip: () => [], offer: (rows) => offered.push(rows) > 0 });
      link.startRead();
      link.endRead(true);
      assert.equal(link.directOk(), true);
      // Each event's data is the doc its commit writes: its body comes from the row (a subquery).
      const nexts = states.map((s) => (apply(s, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state);
      const events = nexts.map((next) => eventOf(next, 2));
      await store.batch({ lock: ids, create: [], flows: [], messages: [] }, async (tx) => {
        for (const [i, next] of nexts.entries()) {
          await tx.lockActiveflow(next.activeflow.id);
          await tx.updateActiveflow(next, 2);
          await tx.enqueue([events[i]!], '2026-01-01 00:00:01.000000');
        }
      });
      assert.equal(offered.length, 1, 'handed over directly, not read');
      const stored = await query<{ id: number; message_id: string; body: string }>('SELECT id, message_id, body FROM outbox WHERE message_id IN (?)', [events.map((e) => e.message_id)]);
      assert.equal(stored.length, 2);
      assert.deepEqual(
        offered[0]!.map((r) => [r.id, r.message_id, r.body]).sort(),
        stored.map((r) => [Number(r.id), r.message_id, r.body]).sort(),
      );
      await query('DELETE FROM outbox');
    });
  }

  it('a new activeflow whose flow the batch does not know is a miss of the cache (nothing sent), not a stale try', async () => {
    const outcomes: string[] = [];
    const store = createStore(fresh.opened.db, fresh.opened.pool, createRelayLink(), { cache: createStateCache(10), outboxIds: 'consecutive' }, 0, { onCached: (outcome) => outcomes.push(outcome) });
    const state = started([act(A(1), 'talk')], { id: randomUUID() }).state;
    await store.batch({ lock: [], create: [state.activeflow.id], flows: [], messages: [] }, async (tx) => {
      await tx.insertActiveflow(state, 1);
    });
    assert.deepEqual(outcomes, ['miss']);
    assert.equal((await query('SELECT id FROM activeflows WHERE id = ?', [state.activeflow.id])).length, 1, 'inserted the usual way');
  });

  it('hands over only its own rows, from memory, while the relay is clean; reads the outbox after COMMIT while it is not', async () => {
    const link = createRelayLink();
    const cache = createStateCache(10);
    const store = createStore(fresh.opened.db, fresh.opened.pool, link, { cache, outboxIds: 'consecutive' }, 0);
    const offered: OutboxRecord[][] = [];
    // An activeflow this worker wrote (cached), and a row another worker left in the outbox.
    let state = started([act(A(1), 'talk'), act(A(2), 'talk'), act(A(3), 'talk')], { id: randomUUID() }).state;
    await store.batch({ lock: [], create: [state.activeflow.id], flows: [], messages: [] }, async (tx) => {
      await tx.insertActiveflow(state, 1);
    });
    assert.ok(cache.get(state.activeflow.id));
    const [foreign] = await query<{ id: number }>(
      "INSERT INTO outbox (message_id, aggregate_id, seq, type, body, tm_create) VALUES (?, ?, 1, 'test', '{}', '2026-01-01 00:00:00') RETURNING id",
      [randomUUID(), randomUUID()],
    );
    link.attach({ skip: () => [], offer: (rows) => offered.push(rows) > 0 });
    const step = async (action: string, seq: number) => {
      const next = (apply(state, { type: 'action_done', action_id: action }, makeCtx()) as { state: FlowState }).state;
      const event = eventOf(next, seq);
      await store.batch({ lock: [state.activeflow.id], create: [], flows: [], messages: [] }, async (tx) => {
        await tx.lockActiveflow(state.activeflow.id);
        await tx.updateActiveflow(next, seq);
        await tx.enqueue([event], '2026-01-01 00:00:01.000000');
      });
      state = next;
      return event;
    };

    // Attached just now: not clean, so the commit reads the outbox after COMMIT (both rows).
    const first = await step(A(1), 2);
    assert.deepEqual(offered.at(-1)!.map((r) => r.message_id).sort(), [first.message_id, (await query<{ message_id: string }>('SELECT message_id FROM outbox WHERE id = ?', [foreign!.id]))[0]!.message_id].sort());
    assert.equal(link.directOk(), true, 'that read began after the attach, ended complete, and went to the relay');

    // Clean: the next commit hands over its own row only (the foreign one is not read again).
    const second = await step(A(2), 3);
    const [own] = offered.at(-1)!;
    assert.equal(offered.at(-1)!.length, 1);
    const [stored] = await query<{ id: number; body: string }>('SELECT id, body FROM outbox WHERE message_id = ?', [second.message_id]);
    assert.deepEqual(
      { id: own!.id, message_id: own!.message_id, aggregate_id: own!.aggregate_id, seq: own!.seq, type: own!.type, body: own!.body },
      { id: Number(stored!.id), message_id: second.message_id, aggregate_id: state.activeflow.id, seq: 3, type: 'activeflow_updated', body: stored!.body },
    );

    // An unfed commit elsewhere: not clean until a complete read that began after it.
    link.markUnfed();
    assert.equal(link.directOk(), false);
    const count = offered.length;
    await step(A(3), 4);
    assert.equal(offered.length, count + 1);
    assert.ok(offered.at(-1)!.some((r) => Number(r.id) === Number(foreign!.id)), 'read after COMMIT: rows left by others come along');
  });

  it('clean only after a complete read that began after the last event that may have left rows behind', () => {
    const link = createRelayLink();
    assert.equal(link.directOk(), false, 'no relay');
    let take = true;
    link.attach({ skip: () => [], offer: () => take });
    assert.equal(link.directOk(), false, 'just attached');
    assert.equal(link.startRead(), true);
    link.markUnfed(); // during the read
    link.endRead(true);
    assert.equal(link.directOk(), false, 'the read began before that unfed commit');
    link.startRead();
    link.endRead(false);
    assert.equal(link.directOk(), false, 'a failed or partial read clears nothing');
    link.startRead();
    link.endRead(true);
    assert.equal(link.directOk(), true);
    link.feedSkip();
    link.offer(Array.from({ length: 500 }, (_, i) => ({ id: i }) as OutboxRecord));
    assert.equal(link.directOk(), false, 'a feed that stopped at the limit left rows behind');
    link.feedSkip();
    link.offer([]);
    assert.equal(link.directOk(), true);
    take = false;
    link.takeUnfed();
    link.offerDirect([{ id: 1 } as OutboxRecord], link.tenure());
    assert.equal(link.directOk(), false, 'rows the relay dropped wait in the outbox');
    assert.equal(link.takeUnfed(), true, 'and the relay is asked to read them');
    link.detach();
    assert.equal(link.directOk(), false);
  });

  it('a hand-over that outlasted the hold of the lock it began under reaches no later hold', () => {
    // Between the two holds another worker's relay may have published those rows: handing them
    // to this relay's next hold would publish them twice. They wait in the outbox for its read.
    const link = createRelayLink();
    const offered: number[] = [];
    const relay = { skip: () => [], offer: (rows: OutboxRecord[]) => offered.push(...rows.map((r) => r.id)) >= 0 };
    link.attach(relay);
    const first = link.tenure();
    assert.deepEqual(link.feedSkip(), [], 'a commit starts its read after COMMIT');
    link.detach();
    link.attach(relay);
    assert.notEqual(link.tenure(), first);
    link.takeUnfed();
    link.offer([{ id: 7 } as OutboxRecord]);
    link.offerDirect([{ id: 8 } as OutboxRecord], first);
    assert.deepEqual(offered, [], 'neither the feed nor the direct rows of the first hold');
    assert.equal(link.takeUnfed(), true, 'the relay is asked to read them');
    link.offerDirect([{ id: 9 } as OutboxRecord], link.tenure());
    assert.deepEqual(link.feedSkip(), [], 'the stale read has ended');
    link.offer([{ id: 10 } as OutboxRecord]);
    assert.deepEqual(offered, [9, 10], 'hand-overs begun under the current hold are taken');
  });
});
