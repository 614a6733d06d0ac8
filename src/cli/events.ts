// `flowctl events`: tails the event exchange through an exclusive queue, one line per event.
import amqp, { type ConsumeMessage } from 'amqplib';
import type { CliIo } from './io.ts';
import { redactUrl } from './rpc-client.ts';

export interface EventsOptions {
  url: string;
  exchange: string;
  /** Print the raw envelope (one JSON object a line) instead of the summary. */
  json: boolean;
  /** Stop after this many events (0: until interrupted). */
  count: number;
}

/** `time type id seq=N status current_action_type`, `-` for what the resource does not have. */
export function formatEvent(message: Pick<ConsumeMessage, 'content' | 'properties'>, now: Date): string {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  let body: { type?: unknown; data?: Record<string, unknown> };
  try {
    body = JSON.parse(message.content.toString('utf8')) as typeof body;
  } catch {
    return `${now.toISOString()} (not JSON) ${message.content.toString('utf8').slice(0, 200)}`;
  }
  const data = body.data ?? {};
  const current = data.current_action as { type?: unknown } | undefined;
  const field = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '-');
  const status = data.status === 'ended' ? `ended(${field(data.end_reason)})` : field(data.status);
  return [
    now.toISOString(),
    field(body.type),
    field(data.id),
    `seq=${headers.sequence === undefined ? '-' : String(headers.sequence)}`,
    status,
    field(current?.type),
  ].join(' ');
}

/** Runs until the signal aborts (or `count` events arrived); exit code 0. */
export async function eventsCommand(options: EventsOptions, io: CliIo): Promise<number> {
  let connection;
  try {
    connection = await amqp.connect(options.url, { noDelay: true });
  } catch (err) {
    io.err(
      `error: cannot connect to ${redactUrl(options.url)}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
  try {
    const probe = await connection.createChannel();
    probe.on('error', () => undefined);
    try {
      await probe.checkExchange(options.exchange);
      await probe.close();
    } catch {
      io.err(`error: exchange ${options.exchange} does not exist: is a worker running?\n`);
      return 1;
    }
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, options.exchange, '');
    let seen = 0;
    let stop: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (stop = resolve));
    if (io.signal.aborted) stop();
    io.signal.addEventListener('abort', () => stop(), { once: true });
    connection.on('close', () => stop());
    await channel.consume(
      queue,
      (message) => {
        if (!message) return stop();
        io.out(
          options.json ? `${message.content.toString('utf8')}\n` : `${formatEvent(message, new Date())}\n`,
        );
        if (options.count > 0 && ++seen >= options.count) stop();
      },
      { noAck: true },
    );
    io.err(`listening on ${options.exchange} (Ctrl-C to stop)\n`);
    await done;
    return 0;
  } finally {
    await connection.close().catch(() => undefined);
  }
}
