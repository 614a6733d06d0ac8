// Integration test environment: a fresh database and unique queue/exchange names per test file,
// a worker started in-process against the real RabbitMQ and MariaDB, and a client that plays
// the platform's other services (publishes events, sends RPC requests, collects our events).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createConnection } from 'mysql2/promise';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import { startWorker, type Worker } from '../../src/worker.ts';

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface ReceivedEvent {
  type: string;
  publisher: string;
  data: Record<string, unknown> & { id: string };
  messageId: string;
  sequence: number;
  aggregateId: string;
}

export interface TestEnv {
  config: Config;
  /** The in-process worker started last. */
  worker: Worker;
  logs: Record<string, unknown>[];
  events: ReceivedEvent[];
  client: Channel;
  /** Publishes an event envelope on an upstream exchange (as the call service would). */
  publishEvent(type: string, data: unknown, options?: { messageId?: string; raw?: Buffer }): void;
  /** Sends an RPC request and waits for its reply. */
  rpc(method: string, uri: string, data?: unknown, raw?: Buffer): Promise<{ status_code: number; data_type: string; data: any }>;
  /** Waits until an event matching `predicate` has arrived; returns it. */
  waitForEvent(predicate: (e: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  /** Runs a SQL query against this file's database. */
  query<T = any>(text: string, params?: unknown[]): Promise<T[]>;
  startAnotherWorker(overrides?: Record<string, string>): Promise<Worker>;
  /** Runs a worker as a child process (`src/main.ts`), resolved once it logged that it started. */
  spawnWorker(overrides?: Record<string, string>): Promise<ChildProcess>;
  close(): Promise<void>;
}

export async function waitUntil<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface EnvOptions {
  /** Start the in-process worker (default true); without it, the test starts workers itself. */
  startWorker?: boolean;
}

export async function createTestEnv(overrides: Record<string, string> = {}, options: EnvOptions = {}): Promise<TestEnv> {
  const tag = randomUUID().slice(0, 8);
  const database = `fm_test_${tag}`;
  const names = {
    QUEUE_REQUEST: `test-${tag}.request`,
    QUEUE_SUBSCRIBE: `test-${tag}.subscribe`,
    EXCHANGE_EVENT: `test-${tag}.flow-event`,
    SUBSCRIBE_EXCHANGES: `test-${tag}.call-event,test-${tag}.message-event,test-${tag}.customer-event`,
    DEAD_LETTER_QUEUE: `test-${tag}.dead-letter`,
  };
  const env: Record<string, string> = {
    AMQP_URL,
    DATABASE_URL: `${MYSQL_URL}/${database}`,
    HTTP_PORT: '0',
    TIMER_POLL_MS: '50',
    OUTBOX_POLL_MS: '200',
    LOG_LEVEL: 'debug',
    ...names,
    ...overrides,
  };
  const config = loadConfig(env);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = pino({ level: config.logLevel }, sink);
  const workers: Worker[] = [];
  const children: ChildProcess[] = [];
  if (options.startWorker !== false) workers.push(await startWorker(config, logger, { defaultMetrics: false }));
  if (options.startWorker === false) {
    // Create the database and topology once, so events can be published before any worker runs.
    const bootstrap = await startWorker(config, logger, { defaultMetrics: false });
    await bootstrap.stop();
  }

  const connection: ChannelModel = await amqp.connect(AMQP_URL, { noDelay: true });
  const client = await connection.createChannel();
  const events: ReceivedEvent[] = [];
  const { queue: eventQueue } = await client.assertQueue('', { exclusive: true, autoDelete: true });
  await client.bindQueue(eventQueue, config.eventExchange, '');
  await client.consume(
    eventQueue,
    (message: ConsumeMessage | null) => {
      if (!message) return;
      const body = JSON.parse(message.content.toString('utf8'));
      const headers = message.properties.headers ?? {};
      events.push({ ...body, messageId: message.properties.messageId, sequence: Number(headers.sequence), aggregateId: String(headers.aggregate_id) });
    },
    { noAck: true },
  );
  const pending = new Map<string, (reply: any) => void>();
  await client.consume(
    'amq.rabbitmq.reply-to',
    (message) => {
      if (!message) return;
      const resolve = pending.get(message.properties.correlationId);
      pending.delete(message.properties.correlationId);
      resolve?.(JSON.parse(message.content.toString('utf8')));
    },
    { noAck: true },
  );
  const [callExchange] = config.subscribeExchanges;
  const sql = await createConnection({ uri: `${MYSQL_URL}/${database}`, dateStrings: true });

  return {
    config,
    get worker() {
      const last = workers[workers.length - 1];
      if (!last) throw new Error('no in-process worker was started');
      return last;
    },
    logs,
    events,
    client,
    publishEvent(type, data, options = {}) {
      const body = options.raw ?? Buffer.from(JSON.stringify({ type, publisher: 'call-manager', data_type: 'application/json', data }));
      client.publish(callExchange ?? '', '', body, { persistent: true, ...(options.messageId ? { messageId: options.messageId } : {}) });
    },
    rpc(method, uri, data = {}, raw) {
      const correlationId = randomUUID();
      const body = raw ?? Buffer.from(JSON.stringify({ uri, method, publisher: 'test', data_type: 'application/json', data }));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`RPC ${method} ${uri} timed out`)), 15_000);
        pending.set(correlationId, (reply) => {
          clearTimeout(timer);
          resolve(reply);
        });
        client.sendToQueue(config.requestQueue, body, { correlationId, replyTo: 'amq.rabbitmq.reply-to' });
      });
    },
    waitForEvent(predicate, timeoutMs = 10_000) {
      return waitUntil(() => events.find(predicate), timeoutMs, 'event');
    },
    async query(text, params = []) {
      const [rows] = await sql.query(text, params);
      return rows as any[];
    },
    async startAnotherWorker(extra = {}) {
      const another = await startWorker(loadConfig({ ...env, ...extra }), logger, { defaultMetrics: false });
      workers.push(another);
      return another;
    },
    spawnWorker(extra = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'info', ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('"worker started"')) resolve(child);
        });
        child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting: ${out}`)));
      });
    },
    async close() {
      /**
       * Once every worker stopped (or was killed), none of their database connections or queue
       * consumers may remain: a test that leaks one fails here (STYLE: tests fail on leaks).
       */
      const assertNothingLeaked = async () => {
        const count = async () => {
          const [rows] = (await sql.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database])) as [{ n: number }[], unknown];
          const queues = await Promise.all([config.requestQueue, config.subscribeQueue].map((q) => client.checkQueue(q).then((r) => r.consumerCount, () => 0)));
          return { connections: Number(rows[0]?.n ?? 0), consumers: queues.reduce((a, b) => a + b, 0) };
        };
        let left = await count();
        for (let waited = 0; (left.connections > 0 || left.consumers > 0) && waited < 5_000; waited += 100) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          left = await count();
        }
        if (left.connections > 0 || left.consumers > 0) {
          throw new Error(`leaked after the workers stopped: ${left.connections} database connection(s), ${left.consumers} queue consumer(s)`);
        }
      };
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const w of workers) await w.stop();
      // Clean up whatever the check finds, then fail (a thrown check must not leave handles open).
      const leak = await assertNothingLeaked().then(() => null, (err: unknown) => err);
      for (const q of [config.requestQueue, config.subscribeQueue, config.deadLetterQueue]) await client.deleteQueue(q).catch(() => undefined);
      for (const x of [config.eventExchange, ...config.subscribeExchanges]) await client.deleteExchange(x).catch(() => undefined);
      await connection.close();
      await sql.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await sql.end();
      if (leak) throw leak;
    },
  };
}

/** Inserts a flow through the RPC API and returns it (fails the test on a non-200 reply). */
export async function createFlow(env: TestEnv, customerId: string, actions: unknown[], extra: Record<string, unknown> = {}) {
  const reply = await env.rpc('POST', '/v1/flows', { customer_id: customerId, name: 'test flow', actions, ...extra });
  if (reply.status_code !== 200) throw new Error(`flow create failed: ${JSON.stringify(reply)}`);
  return reply.data as { id: string; actions: { id: string; type: string }[] };
}
