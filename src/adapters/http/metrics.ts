// Prometheus metrics of one worker (its own registry, so tests can run several in one process).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics(withDefaults = true) {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'flow_manager_' });
  const r = [registry];
  return {
    registry,
    messages: new Counter({ name: 'flow_manager_messages_total', help: 'Consumed messages by queue and outcome', labelNames: ['queue', 'outcome'] as const, registers: r }),
    transitions: new Counter({ name: 'flow_manager_transitions_total', help: 'Settled activeflow transitions', registers: r }),
    retries: new Counter({ name: 'flow_manager_tx_retries_total', help: 'Transactions run again, by error code', labelNames: ['reason'] as const, registers: r }),
    cachedBatches: new Counter({ name: 'flow_manager_cached_batches_total', help: 'Group commits tried from the state cache, by outcome (committed, miss, stale, failed)', labelNames: ['outcome'] as const, registers: r }),
    duplicates: new Counter({ name: 'flow_manager_duplicates_total', help: 'Inputs recognised as already processed', registers: r }),
    deadLettered: new Counter({ name: 'flow_manager_dead_lettered_total', help: 'Messages rejected to the dead-letter queue', registers: r }),
    published: new Counter({ name: 'flow_manager_events_published_total', help: 'Events published and confirmed', registers: r }),
    outboxLag: new Histogram({ name: 'flow_manager_outbox_lag_seconds', help: 'Age of the oldest event of a published batch', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers: r }),
    reconnects: new Counter({ name: 'flow_manager_amqp_reconnects_total', help: 'AMQP connections lost and recovered', registers: r }),
    handleSeconds: new Histogram({ name: 'flow_manager_handle_seconds', help: 'Time to handle one message', labelNames: ['queue'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5], registers: r }),
    processedPruned: new Counter({ name: 'flow_manager_processed_pruned_total', help: 'Input ids deleted from processed_messages after their retention', registers: r }),
    timersFired: new Counter({ name: 'flow_manager_timers_fired_total', help: 'Durable timers fired', registers: r }),
    ready: new Gauge({ name: 'flow_manager_ready', help: '1 when connected to the broker and the database', registers: r }),
  };
}
