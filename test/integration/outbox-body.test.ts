// An event whose data is the activeflow as the batch writes it takes its outbox body from the
// row (CONCAT in SQL), so the document is sent to the database once. Against a fresh database of
// its own, with no relay: the stored bodies are byte for byte the envelope around the data.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { insertOutbox } from '../../src/adapters/db/batch-sql.ts';
import { outboxEntry } from '../../src/adapters/db/batch-tx.ts';
import { stateToActiveflowRow } from '../../src/adapters/db/mappers.ts';
import { createRelayLink } from '../../src/adapters/db/relay-link.ts';
import { createStateCache } from '../../src/adapters/db/state-cache.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import { activeflowJson, envelopeAround } from '../../src/app/documents.ts';
import { apply, type FlowState } from '../../src/engine/index.ts';
import { A, act, makeCtx, started } from '../helpers/engine-fixtures.ts';
import { freshDatabase, outboxEventOf } from '../helpers/database.ts';

const eventOf = outboxEventOf;

describe('outbox bodies built from the activeflow row', () => {
  const fresh = freshDatabase();
  const { query } = fresh;

  it("stores each body byte for byte: from the row where the data is the row's doc, as sent where it is an older state", async () => {
    const store = createStore(fresh.opened.db, fresh.opened.pool, createRelayLink(), { cache: createStateCache(0), outboxIds: 'read' }, 0);
    // Quotes, a backslash and non-ASCII in the document: the row's text must come back unchanged.
    const first = started([act(A(1), 'talk', { text: `it's "quoted" \\ ünïcode 😀` }), act(A(2), 'talk')], { id: randomUUID() }).state;
    const second = (apply(first, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state;
    const events = [eventOf('activeflow_created', first, 1), eventOf('activeflow_updated', second, 2)];
    await store.batch({ lock: [], create: [first.activeflow.id], flows: [], messages: [] }, async (tx) => {
      assert.equal(await tx.insertActiveflow(first, 1), true);
      await tx.updateActiveflow(second, 2);
      await tx.enqueue(events, '2026-01-01 00:00:00');
    });
    const [row] = await query<{ doc: string }>('SELECT doc FROM activeflows WHERE id = ?', [first.activeflow.id]);
    assert.equal(row!.doc, activeflowJson(second.activeflow));
    const stored = await query<{ type: string; body: string }>('SELECT type, body FROM outbox ORDER BY id');
    assert.deepEqual(stored, events.map((e) => ({ type: e.type, body: e.body })));
  });

  it("takes the body from the row only for events whose data is the doc the batch writes", () => {
    const first = started([act(A(1), 'talk'), act(A(2), 'talk')]).state;
    const second = (apply(first, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state;
    const rows = new Map([[second.activeflow.id, stateToActiveflowRow(second, 2)]]);
    assert.deepEqual(outboxEntry(eventOf('activeflow_updated', second, 2), 'now', rows).around, envelopeAround('activeflow_updated'));
    assert.equal(outboxEntry(eventOf('activeflow_updated', first, 1), 'now', rows).around, undefined, 'an older state');
    const withoutData = { ...eventOf('activeflow_updated', second, 2), data: undefined };
    assert.equal(outboxEntry(withoutData, 'now', rows).around, undefined, 'no data text given');
    assert.equal(outboxEntry(eventOf('activeflow_updated', second, 2), 'now', new Map()).around, undefined, 'no row written');
  });

  it('writes CONCAT of the row for those and the text for the others', () => {
    const state = started([act(A(1), 'talk')]).state;
    const [before, after] = envelopeAround('activeflow_updated');
    const entry = { message_id: 'm', aggregate_id: state.activeflow.id, seq: 2, type: 'activeflow_updated', body: 'literal', tm_create: 'now' };
    const statement = insertOutbox([{ ...entry, around: [before, after] }, entry]);
    assert.match(statement.text, /VALUES \(\?, \?, \?, \?, CONCAT\(\?, RTRIM\(\(SELECT doc FROM activeflows WHERE id = \?\)\), \?\), \?\), \(\?, \?, \?, \?, \?, \?\)$/);
    assert.deepEqual(statement.values.slice(0, 8), ['m', state.activeflow.id, 2, 'activeflow_updated', before, state.activeflow.id, after, 'now']);
  });
});
