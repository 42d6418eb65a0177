// `sync-center worker` on its own serves this process's metrics (items, vendor calls, rate-limit
// waits) at http://<host>:<SYNC_CENTER_WORKER_METRICS_PORT>/metrics; the API's /metrics has them
// under `start`, where worker and API share one process.
import { createServer, type Server } from 'node:http';
import { metricsRegistry } from './metrics';

export async function startMetricsServer(options: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { url: `http://${options.host}:${port}/metrics`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
