import { createServer, type Server } from 'node:http';
import type { Metrics } from './metrics.js';

/**
 * A worker process has no HTTP API, yet it is where drift jobs run in scaled mode: it serves its
 * own GET /metrics on WORKER_METRICS_PORT, open (no key) because the port is meant for the
 * internal network the Prometheus scraper sits on, never for publishing. Everything else is 404.
 */
export async function startMetricsServer(metrics: Metrics, port: number, host = '0.0.0.0'): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (body) => response.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
