// Which database failures are worth running the whole transaction again for.

/** MySQL error codes of transient failures: deadlock, lock wait timeout, and lost connections. */
const RETRYABLE_ERRNO = new Set([1213, 1205, 2006, 2013, 1927, 1053]);
const RETRYABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
]);

/** A short label of a retryable error (for metrics), or null when retrying cannot help. */
export function retryableReason(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { errno?: unknown; code?: unknown; fatal?: unknown };
  if (typeof e.errno === 'number' && RETRYABLE_ERRNO.has(e.errno)) return String(e.errno);
  if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return e.code;
  if (e.fatal === true) return 'fatal_connection';
  return null;
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(2000, 20 * 2 ** attempt));
}
