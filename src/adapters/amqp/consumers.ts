// The two consumers: events on the subscribe queue, RPC requests on the request queue.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { AppError, toAppError } from '../../app/errors.ts';
import type { EventResult } from '../../app/events.ts';
import type { RpcResponse } from '../../rpc/router.ts';
import type { Metrics } from '../http/metrics.ts';
import { safely, type DeliveryHandler } from './broker.ts';

export interface ConsumerDeps {
  logger: Logger;
  metrics: Metrics;
  /** Called after each input whose transaction committed (kicks the outbox relay). */
  afterCommit: () => void;
}

/**
 * Events: undecodable or invalid ones are dead-lettered at once (they can never succeed);
 * anything else that fails is requeued, and the queue's delivery limit dead-letters a poison one.
 */
export function createEventConsumer(
  queue: string,
  handleEvent: (envelope: unknown, messageId?: string) => Promise<EventResult>,
  deps: ConsumerDeps,
): DeliveryHandler {
  return async (channel: Channel, message: ConsumeMessage) => {
    const stop = deps.metrics.handleSeconds.startTimer({ queue });
    const messageId = typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined;
    try {
      const envelope = JSON.parse(message.content.toString('utf8')) as unknown;
      const result = await handleEvent(envelope, messageId);
      safely(() => channel.ack(message));
      deps.metrics.messages.inc({ queue, outcome: result });
      if (result === 'duplicate') deps.metrics.duplicates.inc();
      deps.afterCommit();
    } catch (err) {
      const permanent = err instanceof SyntaxError || (err instanceof AppError && !err.retryable);
      if (permanent) {
        deps.logger.info({ err: toAppError(err), queue, message_id: messageId }, 'invalid event dead-lettered');
        deps.metrics.deadLettered.inc();
        deps.metrics.messages.inc({ queue, outcome: 'dead_lettered' });
        safely(() => channel.nack(message, false, false));
      } else {
        deps.logger.error({ err, queue, message_id: messageId }, 'event failed; requeued');
        deps.metrics.messages.inc({ queue, outcome: 'requeued' });
        safely(() => channel.nack(message, false, true));
      }
    } finally {
      stop();
    }
  };
}

/** RPC: dispatch, reply to reply_to with the correlation id, then acknowledge. */
export function createRpcConsumer(queue: string, dispatch: (body: Buffer) => Promise<RpcResponse>, deps: ConsumerDeps): DeliveryHandler {
  return async (channel: Channel, message: ConsumeMessage) => {
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
    safely(() => channel.ack(message));
    deps.metrics.messages.inc({ queue, outcome: String(response.status_code) });
    if (response.status_code < 500) deps.afterCommit();
    stop();
  };
}
