// Pruning processed_messages (src/app/prune.ts): a worker deletes the ids of inputs past
// PROCESSED_RETENTION_MS in the background and keeps the recent ones, so a redelivery within the
// retention is still a duplicate; with a retention of 0 nothing is deleted. Against the real
// MariaDB and RabbitMQ, in databases of their own.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { formatTimestamp } from '../../src/engine/index.ts';
import { createFlow, createTestEnv, waitUntil, type TestEnv } from '../helpers/env.ts';
import { id } from '../helpers/flows.ts';

const RETENTION_MS = 600_000;

/** Inserts `count` input ids recorded `ageMs` ago; returns their ids. */
async function recordIds(env: TestEnv, count: number, ageMs: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const at = formatTimestamp(Date.now() - ageMs);
  for (let i = 0; i < ids.length; i += 500) await env.query('INSERT INTO processed_messages (message_id, tm_create) VALUES ?', [ids.slice(i, i + 500).map((m) => [m, at])]);
  return ids;
}

const countOf = async (env: TestEnv, ids: string[]) => Number((await env.query('SELECT COUNT(*) AS n FROM processed_messages WHERE message_id IN (?)', [ids]))[0].n);

describe('pruning processed_messages', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ PROCESSED_RETENTION_MS: String(RETENTION_MS), PRUNE_INTERVAL_MS: '50' });
  });
  after(async () => {
    await env.close();
  });

  it('deletes the ids past the retention, more than one chunk of them, and keeps the recent ones', async () => {
    const old = await recordIds(env, 2_600, RETENTION_MS + 3_600_000);
    const recent = await recordIds(env, 20, RETENTION_MS - 60_000);
    await waitUntil(async () => (await countOf(env, old)) === 0 || undefined, 15_000, 'the old ids to be pruned');
    assert.equal(await countOf(env, recent), 20, 'ids within the retention stay');
    const { values } = await env.worker.metrics.processedPruned.get();
    assert.ok((values[0]?.value ?? 0) >= old.length, `the metric counts the ${old.length} pruned ids`);
    assert.ok(env.logs.some((l) => l.msg === 'input ids past their retention pruned' && Number(l.deleted) > 0));
  });

  it('still recognises a redelivered input within the retention while pruning runs', async () => {
    const customer = randomUUID();
    const flow = await createFlow(env, customer, [{ id: id(1), type: 'talk' }]);
    const reference = randomUUID();
    const messageId = randomUUID();
    // No activeflow_id: only processed_messages tells the second delivery from a new start.
    const start = { customer_id: customer, flow_id: flow.id, reference_type: 'call', reference_id: reference };
    env.publishEvent('start_flow', start, { messageId });
    await waitUntil(async () => (await env.query('SELECT id FROM activeflows WHERE reference_id = ?', [reference])).length === 1 || undefined);
    await new Promise((r) => setTimeout(r, 300)); // several pruning runs
    const duplicates = async () => (await env.worker.metrics.duplicates.get()).values[0]?.value ?? 0;
    const before = await duplicates();
    env.publishEvent('start_flow', start, { messageId });
    await waitUntil(async () => (await duplicates()) > before || undefined, 10_000, 'the redelivery counted as a duplicate');
    assert.equal((await env.query('SELECT id FROM activeflows WHERE reference_id = ?', [reference])).length, 1);
    assert.equal(await countOf(env, [messageId]), 1);
  });
});

describe('pruning processed_messages turned off', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv({ PROCESSED_RETENTION_MS: '0', PRUNE_INTERVAL_MS: '10' });
  });
  after(async () => {
    await env.close();
  });

  it('keeps every id with a retention of 0', async () => {
    const old = await recordIds(env, 50, 365 * 86_400_000);
    await new Promise((r) => setTimeout(r, 500)); // fifty intervals
    assert.equal(await countOf(env, old), 50);
    const { values } = await env.worker.metrics.processedPruned.get();
    assert.equal(values[0]?.value ?? 0, 0);
  });
});
