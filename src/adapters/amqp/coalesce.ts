// amqplib hands every frame to the socket on its own: a publish of a body over 2 KB is two
// socket writes, each a system call (noDelay is on, so nothing waits to be merged). Its frame
// multiplexer writes out, in one pass, all frames the channels queued since the last pass; here
// the socket is corked for the length of a pass, so the pass leaves as one writev.
//
// This reaches into amqplib's Connection (`muxer`, `stream`, `_readIncoming`; 2.3.x), which it
// does not export as API: when those are not there, nothing is changed and frames go out one by
// one as before.
import type { ChannelModel } from 'amqplib';

interface Muxer {
  _readIncoming: () => void;
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Buffered bytes before a write asks the multiplexer to wait for `drain` (Node's default: 16 KiB). */
export const SOCKET_HIGH_WATER_MARK = 1024 * 1024;

/** Corks the socket for each pass of the connection's multiplexer; false when amqplib has no such pass. */
export function coalesceWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: { muxer?: Partial<Muxer>; stream?: Partial<Corkable> } }).connection;
  const muxer = connection?.muxer;
  const stream = connection?.stream;
  if (typeof muxer?._readIncoming !== 'function' || typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return false;
  const pass = muxer._readIncoming.bind(muxer);
  const socket = stream as Corkable;
  muxer._readIncoming = () => {
    socket.cork();
    try {
      pass();
    } finally {
      socket.uncork();
    }
  };
  return true;
}
