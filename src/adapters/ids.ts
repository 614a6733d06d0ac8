// The ids the worker makes: UUIDv7 (uuid's v7), with their random bits drawn from a pooled
// buffer. Called bare, uuid's v7 asks the CSPRNG for 16 bytes per id (crypto.getRandomValues:
// ~4 % of the worker's CPU at saturation, by its profile); one randomFillSync per POOL_IDS ids
// draws the same kind of bits for less. Given its bytes, v7 keeps no state of its own, so the
// order within one millisecond is kept here: a counter seeded from the random bits at each new
// millisecond and raised by one for each further id in it (RFC 9562, 6.2 method 1; on overflow
// the id takes the next millisecond).
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const POOL_IDS = 256;

export function createIdSource(now: () => number = Date.now): () => string {
  const pool = Buffer.allocUnsafe(16 * POOL_IDS);
  let at = pool.length;
  let msecs = -Infinity;
  let seq = 0;
  return () => {
    if (at === pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    const random = pool.subarray(at, at + 16);
    at += 16;
    const ms = now();
    if (ms > msecs) {
      msecs = ms;
      // 31 bits, so that raising it leaves room before it wraps.
      seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    } else {
      seq = (seq + 1) | 0;
      if (seq === 0) msecs++;
    }
    return v7({ random, msecs, seq });
  };
}
