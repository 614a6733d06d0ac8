// Prefills the activeflows table with N rows (95% ended, 5% running at a realistic spread of
// actions) through multi-row INSERTs, for the benchmarks of growth and live search.
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mysql2/promise';

const TYPES = ['talk', 'digits_receive', 'play', 'queue_join', 'message_send', 'block'];

export async function prefill(sql: Connection, rows: number, flowId: string, customerId: string): Promise<void> {
  const doc = JSON.stringify({ filler: 'x'.repeat(200) });
  const batch = 2000;
  for (let done = 0; done < rows; done += batch) {
    const values: unknown[] = [];
    const marks: string[] = [];
    for (let i = done; i < Math.min(rows, done + batch); i++) {
      const running = i % 20 === 0;
      const type = running ? TYPES[i % TYPES.length]! : '';
      const stamp = `2026-01-01 00:00:00.${String(i % 1_000_000).padStart(6, '0')}`;
      marks.push('(?,?,?,?,?,?,?,0,NULL,1,?,?,?,?)');
      values.push(randomUUID(), customerId, flowId, running ? 'running' : 'ended', 'call', randomUUID(), type, doc, '{}', stamp, stamp);
    }
    await sql.query(
      `INSERT INTO activeflows (id, customer_id, flow_id, status, reference_type, reference_id, current_action_type,
        deleted, wake_at, seq, doc, variables, tm_create, tm_update) VALUES ${marks.join(',')}`,
      values,
    );
  }
  // The worker keeps activeflow_counts in step with its own writes; rows put in here need theirs.
  await sql.query(
    `INSERT INTO activeflow_counts (customer_id, flow_id, status, current_action_type, deleted, shard, n)
     SELECT customer_id, flow_id, status, current_action_type, deleted, 0, COUNT(*) FROM activeflows
     WHERE flow_id = ? GROUP BY customer_id, flow_id, status, current_action_type, deleted
     ON DUPLICATE KEY UPDATE n = n + VALUES(n)`,
    [flowId],
  );
}
