// Padding of running activeflows' rows (ROW_PAD_BYTES, src/adapters/db/row-padding.ts): the
// stored row fills a whole number of buckets, while what anyone reads (the activeflow, the event
// bodies taken from the row) is the JSON without the spaces. Against a fresh database of its own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { updateActiveflowChecked } from '../../src/adapters/db/batch-sql.ts';
import { stateToActiveflowRow } from '../../src/adapters/db/mappers.ts';
import { createRelayLink } from '../../src/adapters/db/relay-link.ts';
import { docPadding } from '../../src/adapters/db/row-padding.ts';
import { createStateCache } from '../../src/adapters/db/state-cache.ts';
import { createStore } from '../../src/adapters/db/store.ts';
import { activeflowJson } from '../../src/app/documents.ts';
import { apply, type FlowState } from '../../src/engine/index.ts';
import { A, act, makeCtx, started } from '../helpers/engine-fixtures.ts';
import { freshDatabase, outboxEventOf } from '../helpers/database.ts';

const BUCKET = 2048;
const row = (over: Partial<Parameters<typeof docPadding>[0]>) => ({ status: 'running', current_action_type: 'talk', doc: '{"a":1}', variables: '{}', wake_at: null, ...over });
const used = (r: ReturnType<typeof row>) => Buffer.byteLength(r.status) + Buffer.byteLength(r.current_action_type) + Buffer.byteLength(r.doc) + Buffer.byteLength(r.variables) + (r.wake_at === null ? 0 : 8);

describe('row padding', () => {
  it('fills the variable-length columns of a running row up to the next multiple of the bucket', () => {
    for (const r of [row({}), row({ doc: 'x'.repeat(2030) }), row({ doc: 'x'.repeat(5000), wake_at: '2026-01-01 00:00:00.000000' }), row({ current_action_type: 'digits_receive', variables: '{"k":"v"}' })]) {
      const padding = docPadding(r, BUCKET);
      assert.ok(padding >= 0 && padding < BUCKET, `padding ${padding}`);
      assert.equal((used(r) + padding) % BUCKET, 0);
    }
    const exact = row({ doc: 'x'.repeat(BUCKET - used(row({ doc: '' }))) });
    assert.equal(docPadding(exact, BUCKET), 0, 'a row already on a multiple');
  });

  it('counts bytes, not characters, and pads neither ended rows nor with a bucket of 0', () => {
    const ascii = row({ doc: '{"t":"aaaa"}' });
    const wide = row({ doc: '{"t":"😀😀"}' }); // the same 12 UTF-16 units, 4 more bytes
    assert.equal(docPadding(ascii, BUCKET) - docPadding(wide, BUCKET), 4);
    assert.equal(docPadding(row({ status: 'ended' }), BUCKET), 0);
    assert.equal(docPadding(row({}), 0), 0);
  });

  it("has the server write the checked UPDATE's spaces (SPACE), not the statement", () => {
    const state = started([act(A(1), 'talk'), act(A(2), 'talk')]).state;
    const r = stateToActiveflowRow(state, 1);
    const statement = updateActiveflowChecked(r, 3, BUCKET);
    const doc = statement.values.find((v) => typeof v === 'object' && v !== null && 'toSqlString' in v && String((v as { toSqlString(): string }).toSqlString()).startsWith('CONCAT('));
    assert.ok(doc, 'the doc is written as CONCAT(text, SPACE(n))');
    assert.equal((doc as { toSqlString(): string }).toSqlString(), `CONCAT('${r.doc}', SPACE(${docPadding(r, BUCKET)}))`);
    assert.equal(updateActiveflowChecked(r, 3, 0).values.some((v) => typeof v === 'object' && v !== null && String((v as { toSqlString?: () => string }).toSqlString?.()).startsWith('CONCAT(')), false, 'no padding with 0');
  });

  describe('in the database', () => {
    const fresh = freshDatabase();
    const { query } = fresh;
    const lengths = 'LENGTH(status) + LENGTH(current_action_type) + LENGTH(doc) + LENGTH(variables) + IF(wake_at IS NULL, 0, 8)';

    it('stores padded rows, reads them back as they were, and keeps the spaces out of event bodies', async () => {
      const store = createStore(fresh.opened.db, fresh.opened.pool, createRelayLink(), { cache: createStateCache(0), outboxIds: 'read', rowPadBytes: BUCKET }, 0);
      const first = started([act(A(1), 'talk', { text: 'ünïcode 😀' }), act(A(2), 'talk')], { id: randomUUID() }).state;
      const second = (apply(first, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state;
      const id = first.activeflow.id;
      await store.batch({ lock: [], create: [id], flows: [], messages: [] }, async (tx) => {
        assert.equal(await tx.insertActiveflow(first, 1), true);
        await tx.enqueue([outboxEventOf('activeflow_created', first, 1)], '2026-01-01 00:00:00');
      });
      const [created] = await query<{ doc: string; total: number }>(`SELECT doc, ${lengths} AS total FROM activeflows WHERE id = ?`, [id]);
      assert.equal(Number(created!.total) % BUCKET, 0, 'the new row fills whole buckets');
      assert.equal(created!.doc.trimEnd(), activeflowJson(first.activeflow));
      assert.match(created!.doc.slice(activeflowJson(first.activeflow).length), /^ +$/, 'only spaces after the JSON');

      const updated = outboxEventOf('activeflow_updated', second, 2);
      await store.batch({ lock: [id], create: [], flows: [], messages: [] }, async (tx) => {
        await tx.updateActiveflow(second, 2);
        await tx.enqueue([updated], '2026-01-01 00:00:01');
      });
      const [after] = await query<{ doc: string; total: number }>(`SELECT doc, ${lengths} AS total FROM activeflows WHERE id = ?`, [id]);
      assert.equal(Number(after!.total) % BUCKET, 0, 'the updated row fills whole buckets');
      assert.equal(after!.doc.trimEnd(), activeflowJson(second.activeflow));
      assert.deepEqual((await store.getActiveflow(id))?.state.activeflow, second.activeflow, 'read back as written');
      const [body] = await query<{ body: string }>('SELECT body FROM outbox WHERE seq = 2 AND aggregate_id = ?', [id]);
      assert.equal(body!.body, updated.body, 'the body taken from the row has no padding');
    });

    it('pads in the one-input transactions (RPC, timers) as in group commits', async () => {
      const store = createStore(fresh.opened.db, fresh.opened.pool, createRelayLink(), { cache: createStateCache(0), outboxIds: 'read', rowPadBytes: BUCKET }, 0);
      const first = started([act(A(1), 'talk'), act(A(2), 'talk')], { id: randomUUID() }).state;
      const second = (apply(first, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state;
      const id = first.activeflow.id;
      await store.transaction(async (tx) => assert.equal(await tx.insertActiveflow(first, 1), true));
      const totalOf = async () => Number((await query<{ total: number }>(`SELECT ${lengths} AS total FROM activeflows WHERE id = ?`, [id]))[0]!.total);
      assert.equal((await totalOf()) % BUCKET, 0, 'inserted padded');
      await store.transaction(async (tx) => {
        await tx.lockActiveflow(id);
        await tx.updateActiveflow(second, 2);
      });
      assert.equal((await totalOf()) % BUCKET, 0, 'updated padded');
      assert.deepEqual((await store.getActiveflow(id))?.state.activeflow, second.activeflow);
    });

    it('writes an ended activeflow without padding', async () => {
      const store = createStore(fresh.opened.db, fresh.opened.pool, createRelayLink(), { cache: createStateCache(0), outboxIds: 'read', rowPadBytes: BUCKET }, 0);
      const running = started([act(A(1), 'talk')], { id: randomUUID() }).state;
      const ended = (apply(running, { type: 'action_done', action_id: A(1) }, makeCtx()) as { state: FlowState }).state;
      assert.equal(ended.activeflow.status, 'ended');
      const id = running.activeflow.id;
      await store.batch({ lock: [], create: [id], flows: [], messages: [] }, async (tx) => void (await tx.insertActiveflow(running, 1)));
      await store.batch({ lock: [id], create: [], flows: [], messages: [] }, async (tx) => tx.updateActiveflow(ended, 2));
      const [r] = await query<{ doc: string }>('SELECT doc FROM activeflows WHERE id = ?', [id]);
      assert.equal(r!.doc, activeflowJson(ended.activeflow));
    });
  });
});
