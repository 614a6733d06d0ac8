// One recovering AMQP connection: on every (re)connect it declares the topology, opens the
// publisher's confirm channel and starts the consumers again (amqplib's built-in recovery).
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { declareTopology, type Topology } from './topology.ts';

/** Handles one delivery; must ack or nack it on `channel` (the channel it arrived on). */
export type DeliveryHandler = (channel: Channel, message: ConsumeMessage) => Promise<void>;

export interface Consumer {
  queue: string;
  handler: DeliveryHandler;
}

export interface BrokerHooks {
  onConnect?: () => void;
  onDisconnect?: (err: Error) => void;
}

export interface Broker {
  /** The current confirm channel for publishing (waits for a connection). */
  confirmChannel(): Promise<ConfirmChannel>;
  /** Stops the consumers: no new deliveries; in-flight ones still get acked. */
  stopConsuming(): Promise<void>;
  isConnected(): boolean;
  close(): Promise<void>;
}

export interface BrokerOptions {
  url: string;
  topology: Topology;
  prefetch: number;
  consumers: Consumer[];
  logger: Logger;
  hooks?: BrokerHooks;
}

export async function connectBroker(options: BrokerOptions): Promise<Broker> {
  const { logger } = options;
  let consumeChannel: Channel | null = null;
  let confirm: ConfirmChannel | null = null;
  let waiting: ((ch: ConfirmChannel) => void)[] = [];
  let consuming = true;
  let connected = false;
  const tags: string[] = [];

  let current: ChannelModel | null = null;
  const openConfirm = async (model: ChannelModel): Promise<ConfirmChannel> => {
    const channel = await model.createConfirmChannel();
    guard(channel, logger, 'confirm');
    channel.on('close', () => {
      if (confirm === channel) confirm = null;
    });
    confirm = channel;
    for (const resolve of waiting) resolve(channel);
    waiting = [];
    return channel;
  };
  const setup = async (model: ChannelModel): Promise<void> => {
    current = model;
    model.on('error', (err: Error) => logger.warn({ err }, 'amqp connection error'));
    const admin = await model.createChannel();
    guard(admin, logger, 'admin');
    await declareTopology(admin, options.topology);
    await admin.close();
    await openConfirm(model);
    if (!consuming) return;
    consumeChannel = await model.createChannel();
    guard(consumeChannel, logger, 'consume');
    const channel = consumeChannel;
    await channel.prefetch(options.prefetch);
    tags.length = 0;
    for (const consumer of options.consumers) {
      const reply = await channel.consume(consumer.queue, (message) => {
        if (message === null) return logger.warn({ queue: consumer.queue }, 'consumer cancelled by the broker');
        consumer.handler(channel, message).catch((err: unknown) => {
          logger.error({ err, queue: consumer.queue }, 'delivery handler failed; requeueing');
          safely(() => channel.nack(message, false, true));
        });
      });
      tags.push(reply.consumerTag);
    }
  };

  const model: RecoveringChannelModel = await amqp.connect(options.url, {
    noDelay: true,
    recovery: { initialDelay: 100, maxDelay: 5000, maxRetries: Infinity, initialMaxRetries: 20, setup },
  });
  connected = true;
  model.on('connect', () => {
    connected = true;
    options.hooks?.onConnect?.();
    logger.info('amqp connected');
  });
  model.on('disconnect', (err: Error) => {
    connected = false;
    current = null;
    confirm = null;
    consumeChannel = null;
    options.hooks?.onDisconnect?.(err);
    logger.warn({ err }, 'amqp disconnected; recovering');
  });
  model.on('error', (err: Error) => logger.warn({ err }, 'amqp error'));
  model.on('handler-error', (err: Error, event: string) => logger.error({ err, event }, 'amqp listener threw'));

  return {
    confirmChannel() {
      if (confirm) return Promise.resolve(confirm);
      // A channel error closed it while the connection stayed up: open another one.
      if (connected && current) return openConfirm(current);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async stopConsuming() {
      consuming = false;
      const channel = consumeChannel;
      if (!channel) return;
      for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
    },
    isConnected: () => connected,
    async close() {
      await model.close().catch(() => undefined);
    },
  };
}

/** No channel error may crash the process: log it; recovery or the next setup reopens channels. */
function guard(channel: Channel, logger: Logger, name: string): void {
  channel.on('error', (err: Error) => logger.warn({ err, channel: name }, 'amqp channel error'));
  channel.on('handler-error', (err: Error, event: string) => logger.error({ err, event, channel: name }, 'amqp channel listener threw'));
}

/** Acks and nacks on a channel that has closed throw; the broker redelivers, so ignore. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel is gone: the delivery will be redelivered by the broker.
  }
}
