// Publishes outbox events on the confirm channel: all of a batch in flight at once (pipelined),
// resolved when the broker has confirmed every one.
import type { Publisher } from '../../app/ports.ts';
import type { Broker } from './broker.ts';

export function createPublisher(broker: Broker, exchange: string): Publisher {
  return {
    async publish(events) {
      if (events.length === 0) return;
      const channel = await broker.confirmChannel();
      const confirms = events.map(
        (event) =>
          new Promise<void>((resolve, reject) => {
            channel.publish(
              exchange,
              '',
              Buffer.from(event.body),
              {
                persistent: true,
                messageId: event.message_id,
                contentType: 'application/json',
                type: event.type,
                headers: { aggregate_id: event.aggregate_id, sequence: event.seq },
              },
              (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('broker nacked the event')) : resolve()),
            );
          }),
      );
      await Promise.all(confirms);
    },
  };
}
