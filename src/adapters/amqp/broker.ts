// One recovering AMQP connection: on every (re)connect it declares the topology, opens the
// publisher's confirm channel and starts the consumers again (amqplib's built-in recovery).
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { coalesceWrites, SOCKET_HIGH_WATER_MARK } from './coalesce.ts';
import { createSettler, type ChannelSettler, type Settler } from './settler.ts';
import { declareTopology, type Topology } from './topology.ts';

/**
 * Handles one delivery; must settle it exactly once through `settle` (the settler of the channel
 * it arrived on), never with `channel.ack`/`nack`, which would bypass the settler's tag tracking.
 * `channel` is for sending replies.
 */
export type DeliveryHandler = (settle: Settler, message: ConsumeMessage, channel: Channel) => Promise<void>;

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
  let settler: ChannelSettler | null = null;
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
    if (!coalesceWrites(model)) logger.warn('amqplib internals not as expected: frames are written one by one');
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
    // One settler per channel (its tags start at 1 again); once the channel closes, settling one
    // of its deliveries is a no-op: the broker redelivers them.
    const settle = createSettler(channel);
    settler = settle;
    channel.on('close', () => {
      settle.close();
      if (settler === settle) settler = null;
    });
    await channel.prefetch(options.prefetch);
    tags.length = 0;
    for (const consumer of options.consumers) {
      const reply = await channel.consume(consumer.queue, (message) => {
        if (message === null) return logger.warn({ queue: consumer.queue }, 'consumer cancelled by the broker');
        // Outstanding before its handler can settle it, so no allUpTo ack can cover it meanwhile.
        settle.receive(message);
        consumer.handler(settle, message, channel).catch((err: unknown) => {
          logger.error({ err, queue: consumer.queue }, 'delivery handler failed; requeueing');
          settle.nack(message, true);
        });
      });
      tags.push(reply.consumerTag);
    }
  };

  // amqplib passes these on to net.connect; its types do not list the stream option.
  const socketOptions = {
    noDelay: true,
    writableHighWaterMark: SOCKET_HIGH_WATER_MARK,
    recovery: { initialDelay: 100, maxDelay: 5000, maxRetries: Infinity, initialMaxRetries: 20, setup },
  };
  const model: RecoveringChannelModel = await amqp.connect(options.url, socketOptions);
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
      // Acks collected in this turn go out before the connection closes (else they'd be redelivered).
      settler?.flush();
      await model.close().catch(() => undefined);
    },
  };
}

/** No channel error may crash the process: log it; recovery or the next setup reopens channels. */
function guard(channel: Channel, logger: Logger, name: string): void {
  channel.on('error', (err: Error) => logger.warn({ err, channel: name }, 'amqp channel error'));
  channel.on('handler-error', (err: Error, event: string) => logger.error({ err, event, channel: name }, 'amqp channel listener threw'));
}
