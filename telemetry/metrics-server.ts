// `sync-center worker` on its own serves this process's metrics (items, vendor calls, rate-limit
// waits) at http://<host>:<SYNC_CENTER_WORKER_METRICS_PORT>/metrics; the API's /metrics has them
// under `start`, where worker and API share one process. Who may scrape is the API's rule
// (telemetry/metrics-access.ts): the bearer SYNC_CENTER_METRICS_TOKEN when set, else this host only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { metricsRegistry } from './metrics';
import { forwardedByProxy, metricsAccess } from './metrics-access';

/** The server's request handler: GET /metrics for whoever metricsAccess lets through. */
export function metricsRequestHandler(token: string | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  const access = metricsAccess(token);
  return (req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const refused = access({ authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress, forwarded: forwardedByProxy(req.headers) });
    if (refused) {
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      if (refused.status === 401) headers['www-authenticate'] = 'Bearer';
      res.writeHead(refused.status, headers).end(JSON.stringify({ error: refused.code, message: refused.message }));
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  };
}

export async function startMetricsServer(options: { host: string; port: number; token?: string }): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(metricsRequestHandler(options.token));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { url: `http://${options.host}:${port}/metrics`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
