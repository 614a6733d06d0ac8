// /metrics, /healthz and /readyz on HTTP_PORT (0 = no endpoint).
import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.ts';

export interface HealthProbe {
  /** Alive: the process runs its loops. */
  healthy(): boolean;
  /** Ready: connected to the broker and the database, and not shutting down. */
  ready(): Promise<boolean>;
}

export async function startHttpServer(port: number, metrics: Metrics, probe: HealthProbe): Promise<Server | null> {
  if (port === 0) return null;
  const server = createServer((req, res) => {
    const send = (status: number, body: string, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metrics.registry.metrics().then((text) => send(200, text, metrics.registry.contentType), (err: unknown) => send(500, String(err)));
    } else if (path === '/healthz') {
      send(probe.healthy() ? 200 : 503, probe.healthy() ? 'ok\n' : 'unhealthy\n');
    } else if (path === '/readyz') {
      probe.ready().then(
        (ok) => send(ok ? 200 : 503, ok ? 'ready\n' : 'not ready\n'),
        () => send(503, 'not ready\n'),
      );
    } else send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}
