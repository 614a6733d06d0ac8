// Declares the worker's exchanges and queues (SPEC 5.1) on a channel; idempotent.
import type { Channel, Options } from 'amqplib';

export interface Topology {
  requestQueue: string;
  subscribeQueue: string;
  eventExchange: string;
  subscribeExchanges: readonly string[];
  queueType: 'quorum' | 'classic';
  /** Deliveries after which a message is dead-lettered (quorum queues count them for us). */
  deliveryLimit: number;
  deadLetterQueue: string;
}

/** Queue arguments: durable, quorum by default, an explicit delivery limit and a dead-letter queue. */
export function workQueueOptions(t: Topology): Options.AssertQueue {
  const args: Record<string, unknown> = {
    'x-queue-type': t.queueType,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': t.deadLetterQueue,
  };
  if (t.queueType === 'quorum') args['x-delivery-limit'] = t.deliveryLimit;
  return { durable: true, arguments: args };
}

export async function declareTopology(channel: Channel, t: Topology): Promise<void> {
  await channel.assertQueue(t.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': t.queueType } });
  await channel.assertExchange(t.eventExchange, 'fanout', { durable: true });
  await channel.assertQueue(t.requestQueue, workQueueOptions(t));
  await channel.assertQueue(t.subscribeQueue, workQueueOptions(t));
  for (const exchange of t.subscribeExchanges) {
    await channel.assertExchange(exchange, 'fanout', { durable: true });
    await channel.bindQueue(t.subscribeQueue, exchange, '');
  }
}
