// Composition of one worker: database, broker, app, consumers, timers, outbox relay, HTTP.
import type { Server } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createApp, type App } from './app/index.ts';
import { pruneProcessed } from './app/prune.ts';
import { connectBroker, type Broker } from './adapters/amqp/broker.ts';
import { createEventConsumer, createRpcConsumer } from './adapters/amqp/consumers.ts';
import { createPublisher } from './adapters/amqp/publisher.ts';
import { openDatabase } from './adapters/db/connect.ts';
import { createRelayLink } from './adapters/db/relay-link.ts';
import { createOutboxRelay, type OutboxRelay } from './adapters/db/outbox-relay.ts';
import { createStateCache } from './adapters/db/state-cache.ts';
import { createIdSource } from './adapters/ids.ts';
import { createStore } from './adapters/db/store.ts';
import type { Database } from './adapters/db/tables.ts';
import { createHttpFetcher } from './adapters/http/fetcher.ts';
import { createMetrics, type Metrics } from './adapters/http/metrics.ts';
import { startHttpServer } from './adapters/http/server.ts';
import { createRouter } from './rpc/router.ts';
import { createRoutes } from './rpc/routes.ts';
import { every, type Periodic } from './periodic.ts';

/** Wall-clock time with sub-millisecond precision, so timestamps carry real microseconds. */
const preciseNow = () => performance.timeOrigin + performance.now();
/** Longest a run of the pruning job deletes before it leaves the rest to its next run. */
const PRUNE_BUDGET_MS = 5_000;

export interface Worker {
  app: App;
  metrics: Metrics;
  relay: OutboxRelay;
  db: Kysely<Database>;
  /** Stops consuming, finishes in-flight work, flushes the outbox and closes; bounded in time. */
  stop(): Promise<void>;
}

export interface WorkerOptions {
  clock?: () => number;
  /** Register process-wide default metrics (off in tests that run several workers). */
  defaultMetrics?: boolean;
}

export async function startWorker(config: Config, logger: Logger, options: WorkerOptions = {}): Promise<Worker> {
  const metrics = createMetrics(options.defaultMetrics ?? true);
  const { db, pool, outboxIds } = await openDatabase(config.databaseUrl, config.dbPoolSize);
  // Outbox rows this worker's relay published, to be deleted by a group commit or by the relay
  // (OUTBOX_DELETE_MS, relay-link.ts).
  const relayLink = createRelayLink();
  // The states this worker committed last: a group commit of inputs for them needs no read.
  const stateCache = createStateCache(config.stateCacheSize);
  const store = createStore(db, pool, relayLink, { cache: stateCache, outboxIds, commitsDelete: config.outboxDeleteMs === 0, rowPadBytes: config.rowPadBytes }, config.txMaxRetries, {
    onRetry: (reason, attempt, err) => {
      metrics.retries.inc({ reason });
      logger.warn({ reason, attempt, err }, 'transaction retried');
    },
    onCached: (outcome, err) => {
      metrics.cachedBatches.inc({ outcome });
      if (err) logger.info({ err }, 'group commit from the state cache failed; running it the usual way');
    },
  });
  const clock = options.clock ?? preciseNow;
  let relay: OutboxRelay | null = null;
  const afterCommit = () => relay?.kick();
  const app = createApp(
    store,
    {
      http: createHttpFetcher(),
      clock,
      // Time-ordered (v7): new activeflows and events go to the right end of the primary key,
      // whose pages stay cached, instead of random pages of a large table.
      newId: createIdSource(),
      maxExecuteCount: config.maxExecuteCount,
      actionTimeoutMs: config.actionTimeoutMs,
      logger,
    },
    afterCommit,
    { batchMax: config.batchMax, batchInFlight: config.batchInFlight },
  );
  const dispatch = createRouter(createRoutes(app), {
    onError: (err, request) => {
      if (err.status >= 500) logger.error({ err, ...request }, 'request failed');
      else logger.info({ code: err.code, message: err.message, ...request }, 'request rejected');
    },
  });
  let stopping = false;
  const consumerDeps = { logger, metrics, afterCommit, stopping: () => stopping };
  let inFlight = 0;
  const track = <T extends unknown[]>(fn: (...args: T) => Promise<void>) => async (...args: T) => {
    inFlight++;
    try {
      await fn(...args);
    } finally {
      inFlight--;
    }
  };
  const broker: Broker = await connectBroker({
    url: config.amqpUrl,
    topology: config,
    prefetch: config.prefetch,
    logger,
    consumers: [
      { queue: config.subscribeQueue, handler: track(createEventConsumer(config.subscribeQueue, app.handleEvent, consumerDeps)) },
      { queue: config.requestQueue, handler: track(createRpcConsumer(config.requestQueue, dispatch, consumerDeps)) },
    ],
    hooks: { onDisconnect: () => metrics.reconnects.inc() },
  });
  // OUTBOX_DELETE_MS=0: group commits delete published rows (then the relay's fallback waits 5 ms).
  const timing = { pollMs: config.outboxPollMs, ...(config.outboxDeleteMs > 0 ? { deleteAfterMs: config.outboxDeleteMs } : {}) };
  relay = createOutboxRelay(pool, createPublisher(broker, config.eventExchange), relayLink, logger, timing, {
    onPublished: (count, ageMs) => {
      metrics.published.inc(count);
      metrics.outboxLag.observe(ageMs / 1000);
    },
  });
  relay.start();

  const jobs: Periodic[] = [
    every(config.timerPollMs, () =>
      app.activeflows.fireDueTimers().then(
        (fired) => {
          if (fired > 0) {
            metrics.timersFired.inc(fired);
            afterCommit();
          }
        },
        (err: unknown) => logger.warn({ err }, 'timer scan failed'),
      ),
    ),
  ];
  if (config.processedRetentionMs > 0) {
    jobs.push(
      every(config.pruneIntervalMs, () =>
        pruneProcessed(store, clock, config.processedRetentionMs, PRUNE_BUDGET_MS).then(
          (deleted) => {
            if (deleted === 0) return;
            metrics.processedPruned.inc(deleted);
            logger.info({ deleted, retention_ms: config.processedRetentionMs }, 'input ids past their retention pruned');
          },
          (err: unknown) => logger.warn({ err }, 'pruning processed_messages failed'),
        ),
      ),
    );
  }

  const server: Server | null = await startHttpServer(config.httpPort, metrics, {
    healthy: () => !stopping,
    ready: async () => !stopping && broker.isConnected() && (await db.selectFrom('flows').select('id').limit(1).execute().then(() => true, () => false)),
  });
  metrics.ready.set(1);
  logger.info({ http_port: config.httpPort, request_queue: config.requestQueue, subscribe_queue: config.subscribeQueue }, 'worker started');

  return {
    app,
    metrics,
    relay,
    db,
    async stop() {
      if (stopping) return;
      stopping = true;
      metrics.ready.set(0);
      for (const job of jobs) job.stop();
      await broker.stopConsuming();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      while ((inFlight > 0 || jobs.some((job) => job.busy())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await relay.flush();
      await relay.stop();
      await broker.close();
      await db.destroy();
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
      logger.info({ in_flight_left: inFlight }, 'worker stopped');
    },
  };
}
