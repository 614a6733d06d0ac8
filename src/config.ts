// The only reader of process.env: parses every setting, reports every problem at once, freezes.
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);

const schema = z.object({
  AMQP_URL: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
  DATABASE_URL: z.string().default('mysql://root@127.0.0.1:3306/flow_manager'),
  HTTP_PORT: int(0).max(65535).default(9464),
  MAX_EXECUTE_COUNT: int(1).default(100),
  ACTION_TIMEOUT_MS: int(1).default(86_400_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QUEUE_REQUEST: z.string().min(1).default('bin-manager.flow-manager.request'),
  QUEUE_SUBSCRIBE: z.string().min(1).default('bin-manager.flow-manager.subscribe'),
  EXCHANGE_EVENT: z.string().min(1).default('bin-manager.flow-manager.event'),
  SUBSCRIBE_EXCHANGES: z
    .string()
    .default('bin-manager.call-manager.event,bin-manager.message-manager.event,bin-manager.customer-manager.event'),
  QUEUE_TYPE: z.enum(['quorum', 'classic']).default('quorum'),
  DELIVERY_LIMIT: int(1).default(5),
  DEAD_LETTER_QUEUE: z.string().min(1).default('bin-manager.flow-manager.dead-letter'),
  PREFETCH: int(1).max(65535).default(256),
  DB_POOL_SIZE: int(1).default(10),
  TIMER_POLL_MS: int(10).default(1000),
  OUTBOX_POLL_MS: int(10).default(500),
  OUTBOX_DELETE_MS: int(0).default(50),
  TX_MAX_RETRIES: int(0).default(5),
  BATCH_MAX: int(1).default(32),
  BATCH_IN_FLIGHT: int(1).default(4),
  STATE_CACHE_SIZE: int(0).default(10_000),
  ROW_PAD_BYTES: int(0).max(65_536).default(2048),
  PROCESSED_RETENTION_MS: int(0).default(86_400_000),
  PRUNE_INTERVAL_MS: int(10).default(60_000),
  SHUTDOWN_TIMEOUT_MS: int(100).default(10_000),
});

export type Config = Readonly<{
  amqpUrl: string;
  databaseUrl: string;
  httpPort: number;
  maxExecuteCount: number;
  actionTimeoutMs: number;
  logLevel: string;
  requestQueue: string;
  subscribeQueue: string;
  eventExchange: string;
  subscribeExchanges: readonly string[];
  queueType: 'quorum' | 'classic';
  deliveryLimit: number;
  deadLetterQueue: string;
  prefetch: number;
  dbPoolSize: number;
  timerPollMs: number;
  outboxPollMs: number;
  outboxDeleteMs: number;
  txMaxRetries: number;
  batchMax: number;
  batchInFlight: number;
  stateCacheSize: number;
  rowPadBytes: number;
  processedRetentionMs: number;
  pruneIntervalMs: number;
  shutdownTimeoutMs: number;
}>;

/** Every variable this service reads, with its default (the README's table is checked against it). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** Parses the environment; throws one error listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    amqpUrl: e.AMQP_URL,
    databaseUrl: e.DATABASE_URL,
    httpPort: e.HTTP_PORT,
    maxExecuteCount: e.MAX_EXECUTE_COUNT,
    actionTimeoutMs: e.ACTION_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    requestQueue: e.QUEUE_REQUEST,
    subscribeQueue: e.QUEUE_SUBSCRIBE,
    eventExchange: e.EXCHANGE_EVENT,
    subscribeExchanges: Object.freeze(e.SUBSCRIBE_EXCHANGES.split(',').map((s) => s.trim()).filter(Boolean)),
    queueType: e.QUEUE_TYPE,
    deliveryLimit: e.DELIVERY_LIMIT,
    deadLetterQueue: e.DEAD_LETTER_QUEUE,
    prefetch: e.PREFETCH,
    dbPoolSize: e.DB_POOL_SIZE,
    timerPollMs: e.TIMER_POLL_MS,
    outboxPollMs: e.OUTBOX_POLL_MS,
    outboxDeleteMs: e.OUTBOX_DELETE_MS,
    txMaxRetries: e.TX_MAX_RETRIES,
    batchMax: e.BATCH_MAX,
    batchInFlight: e.BATCH_IN_FLIGHT,
    stateCacheSize: e.STATE_CACHE_SIZE,
    rowPadBytes: e.ROW_PAD_BYTES,
    processedRetentionMs: e.PROCESSED_RETENTION_MS,
    pruneIntervalMs: e.PRUNE_INTERVAL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}
