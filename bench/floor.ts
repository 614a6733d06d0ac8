// The floor: the least a reliable consumer must do per message, with the same broker, database,
// prefetch and pool as the worker. Per message, in one transaction: a primary-key SELECT ... FOR
// UPDATE, an UPDATE of a ~1 KB JSON row and an INSERT of the message id; commit; publish one
// confirmed persistent message; acknowledge. Run as a child process by bench/run.ts.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { createPool } from 'mysql2/promise';
import { loadConfig } from '../src/config.ts';

const { AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672', MYSQL_URL = 'mysql://root@127.0.0.1:3306/fm_bench' } = process.env;
// The worker's prefetch and pool, as its config reads them (run.ts passes the run's values).
const { prefetch: PREFETCH, dbPoolSize: POOL } = loadConfig(process.env);
export const FLOOR_IN = 'bench.floor.in';
export const FLOOR_OUT = 'bench.floor.out';

const pool = createPool({ uri: MYSQL_URL, connectionLimit: POOL });
await pool.query('CREATE TABLE IF NOT EXISTS floor_rows (id CHAR(36) PRIMARY KEY, doc LONGTEXT NOT NULL) ENGINE=InnoDB');
await pool.query('CREATE TABLE IF NOT EXISTS floor_msgs (id CHAR(36) PRIMARY KEY) ENGINE=InnoDB');
const connection = await amqp.connect(AMQP_URL, { noDelay: true });
const channel = await connection.createChannel();
const confirm = await connection.createConfirmChannel();
await channel.assertQueue(FLOOR_IN, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
await channel.assertExchange(FLOOR_OUT, 'fanout', { durable: true });
await channel.prefetch(PREFETCH);
const filler = 'y'.repeat(1000);
const known = new Set<string>();

await channel.consume(FLOOR_IN, (message) => {
  if (!message) return;
  (async () => {
    const { row } = JSON.parse(message.content.toString()) as { row: string };
    // A conversation's row is created on its first message, outside the measured transaction shape.
    if (!known.has(row)) {
      await pool.query('INSERT IGNORE INTO floor_rows (id, doc) VALUES (?, ?)', [row, JSON.stringify({ n: 0, filler })]);
      known.add(row);
    }
    const conn = await pool.getConnection();
    try {
      await conn.beginTransaction();
      const [found] = (await conn.query('SELECT doc FROM floor_rows WHERE id = ? FOR UPDATE', [row])) as any[];
      const doc = JSON.stringify({ n: JSON.parse(found[0].doc).n + 1, filler });
      await conn.query('UPDATE floor_rows SET doc = ? WHERE id = ?', [doc, row]);
      await conn.query('INSERT INTO floor_msgs (id) VALUES (?)', [randomUUID()]);
      await conn.commit();
    } finally {
      conn.release();
    }
    await new Promise<void>((resolve, reject) =>
      confirm.publish(FLOOR_OUT, '', message.content, { persistent: true }, (err: unknown) => (err ? reject(new Error(String(err))) : resolve())),
    );
    channel.ack(message);
  })().catch(() => undefined); // in flight at shutdown: the broker redelivers it
});
console.log(JSON.stringify({ msg: 'floor started' }));
process.on('SIGTERM', () => void connection.close().then(
  () => process.exit(0),
  () => process.exit(0),
));
