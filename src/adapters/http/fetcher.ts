// The HttpFetcher port over the global fetch, with a hard timeout and a size cap on replies.
import type { HttpFetcher } from '../../app/ports.ts';

const MAX_REPLY_BYTES = 1024 * 1024;

export function createHttpFetcher(): HttpFetcher {
  return {
    async fetchJson({ method, url, timeout_ms, body }) {
      try {
        const response = await fetch(url, {
          method,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          signal: AbortSignal.timeout(timeout_ms),
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        if (response.status !== 200) return { ok: false, error: `HTTP ${response.status} from ${url}` };
        if (text.length > MAX_REPLY_BYTES) return { ok: false, error: `reply from ${url} is over ${MAX_REPLY_BYTES} bytes` };
        return { ok: true, json: JSON.parse(text) as unknown };
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        return { ok: false, error: `request to ${url} failed (${reason})` };
      }
    },
  };
}
