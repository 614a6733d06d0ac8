// A small RPC client for flowctl: SPEC 5.2 requests over direct reply-to, one connection per run.
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

/** The reply envelope of SPEC 5.2. */
export interface RpcReply {
  status_code: number;
  data_type: string;
  data: unknown;
}

export interface RpcClient {
  request(method: string, uri: string, data?: unknown): Promise<RpcReply>;
  close(): Promise<void>;
}

export interface RpcClientOptions {
  url: string;
  queue: string;
  timeoutMs: number;
  publisher?: string;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

/** Connects, checks the request queue exists and listens on `amq.rabbitmq.reply-to`. */
export async function createRpcClient(options: RpcClientOptions): Promise<RpcClient> {
  let connection: ChannelModel;
  try {
    connection = await amqp.connect(options.url, { noDelay: true });
  } catch (err) {
    throw new Error(
      `cannot connect to ${redactUrl(options.url)}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  try {
    const channel = await connection.createChannel();
    await checkQueue(connection, options.queue);
    return await listen(connection, channel, options);
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/** On a channel of its own: a missing queue closes the channel it was checked on. */
async function checkQueue(connection: ChannelModel, queue: string): Promise<void> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(queue);
  } catch (err) {
    throw new Error(`request queue ${queue} does not exist: is a worker running?`, { cause: err });
  }
  await probe.close().catch(() => undefined);
}

async function listen(
  connection: ChannelModel,
  channel: Channel,
  options: RpcClientOptions,
): Promise<RpcClient> {
  const pending = new Map<
    string,
    { resolve: (reply: RpcReply) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }
  >();
  const failAll = (err: Error) => {
    for (const [id, waiter] of pending) {
      clearTimeout(waiter.timer);
      pending.delete(id);
      waiter.reject(err);
    }
  };
  channel.on('error', (err: Error) => failAll(err));
  connection.on('error', (err: Error) => failAll(err));
  await channel.consume(
    'amq.rabbitmq.reply-to',
    (message: ConsumeMessage | null) => {
      if (!message) return;
      const correlationId = String(message.properties.correlationId ?? '');
      const waiter = pending.get(correlationId);
      if (!waiter) return;
      pending.delete(correlationId);
      clearTimeout(waiter.timer);
      try {
        waiter.resolve(JSON.parse(message.content.toString('utf8')) as RpcReply);
      } catch (err) {
        waiter.reject(new Error(`reply is not JSON: ${err instanceof Error ? err.message : String(err)}`));
      }
    },
    { noAck: true },
  );

  return {
    request(method, uri, data = {}) {
      const correlationId = randomUUID();
      const body = {
        uri,
        method,
        publisher: options.publisher ?? 'flowctl',
        data_type: 'application/json',
        data,
      };
      return new Promise<RpcReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(correlationId);
          reject(new Error(`no reply to ${method} ${uri} within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
        pending.set(correlationId, { resolve, reject, timer });
        channel.sendToQueue(options.queue, Buffer.from(JSON.stringify(body)), {
          correlationId,
          replyTo: 'amq.rabbitmq.reply-to',
          contentType: 'application/json',
        });
      });
    },
    async close() {
      failAll(new Error('client closed'));
      await connection.close().catch(() => undefined);
    },
  };
}
