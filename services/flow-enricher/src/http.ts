import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Readiness {
  /** Empty when ready; otherwise what is missing, for the probe's body and for people. */
  notReady(): string[];
}

/**
 * /metrics (Prometheus), /healthz (liveness: the process serves) and /readyz
 * (readiness: consuming, with its NetBox inventory and GeoIP databases loaded).
 */
export function startHttpServer(port: number, registry: Registry, readiness: Readiness, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${e.message}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const missing = readiness.notReady();
      res.writeHead(missing.length === 0 ? 200 : 503, { 'Content-Type': 'text/plain' })
        .end(missing.length === 0 ? 'ready\n' : `not ready: ${missing.join('; ')}\n`);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
