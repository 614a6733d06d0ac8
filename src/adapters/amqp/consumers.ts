// The two consumers: events on the subscribe queue, RPC requests on the request queue.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { AppError, toAppError } from '../../app/errors.ts';
import type { EventResult } from '../../app/events.ts';
import type { RpcResponse } from '../../rpc/router.ts';
import type { Metrics } from '../http/metrics.ts';
import type { DeliveryHandler } from './broker.ts';
import { safely, type Settler } from './settler.ts';

export interface ConsumerDeps {
  logger: Logger;
  metrics: Metrics;
  /** Called after each input whose transaction committed (kicks the outbox relay). */
  afterCommit: () => void;
  /** True once shutdown began: stop waiting for the database and hand messages back. */
  stopping: () => boolean;
}

/** While the database is down, an input waits in place (unacked) with this capped backoff. */
const UNAVAILABLE_BACKOFF_MS = [100, 250, 500, 1000, 2000] as const;

/**
 * Events: undecodable or invalid ones are dead-lettered at once (they can never succeed). While
 * the database is unavailable the input is retried in place, so an outage never uses up the
 * queue's delivery limit; anything else that fails is requeued, and the delivery limit
 * dead-letters a poison message.
 */
export function createEventConsumer(
  queue: string,
  handleEvent: (envelope: unknown, messageId?: string) => Promise<EventResult>,
  deps: ConsumerDeps,
): DeliveryHandler {
  return async (settle: Settler, message: ConsumeMessage) => {
    const stop = deps.metrics.handleSeconds.startTimer({ queue });
    const messageId = typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined;
    const deadLetter = (err: AppError) => {
      deps.logger.info({ err, queue, message_id: messageId }, 'invalid event dead-lettered');
      deps.metrics.deadLettered.inc();
      deps.metrics.messages.inc({ queue, outcome: 'dead_lettered' });
      settle.nack(message, false);
    };
    try {
      let envelope: unknown;
      try {
        envelope = JSON.parse(message.content.toString('utf8'));
      } catch (err) {
        return deadLetter(new AppError('INVALID_JSON', `body: not valid JSON (${err instanceof Error ? err.message : String(err)})`));
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await handleEvent(envelope, messageId);
          settle.ack(message);
          deps.metrics.messages.inc({ queue, outcome: result });
          if (result === 'duplicate') deps.metrics.duplicates.inc();
          deps.afterCommit();
          return;
        } catch (err) {
          const error = toAppError(err);
          if (!error.retryable) return deadLetter(error);
          if (error.code === 'DATABASE_UNAVAILABLE' && !deps.stopping()) {
            if (attempt === 0) deps.logger.warn({ err: error, queue, message_id: messageId }, 'database unavailable; waiting');
            await sleep(UNAVAILABLE_BACKOFF_MS[Math.min(attempt, UNAVAILABLE_BACKOFF_MS.length - 1)]);
            continue;
          }
          deps.logger.error({ err: error, queue, message_id: messageId }, 'event failed; requeued');
          deps.metrics.messages.inc({ queue, outcome: 'requeued' });
          settle.nack(message, true);
          return;
        }
      }
    } finally {
      stop();
    }
  };
}

/** RPC: dispatch, reply to reply_to with the correlation id, then acknowledge. */
export function createRpcConsumer(queue: string, dispatch: (body: Buffer) => Promise<RpcResponse>, deps: ConsumerDeps): DeliveryHandler {
  return async (settle: Settler, message: ConsumeMessage, channel: Channel) => {
    const stop = deps.metrics.handleSeconds.startTimer({ queue });
    const response = await dispatch(message.content);
    const { replyTo, correlationId } = message.properties as { replyTo?: string; correlationId?: string };
    if (replyTo) {
      safely(() =>
        channel.sendToQueue(replyTo, Buffer.from(JSON.stringify(response)), {
          contentType: 'application/json',
          ...(correlationId ? { correlationId } : {}),
        }),
      );
    }
    settle.ack(message);
    deps.metrics.messages.inc({ queue, outcome: String(response.status_code) });
    if (response.status_code < 500) deps.afterCommit();
    stop();
  };
}
