// The API's GET /metrics and a worker's own metrics port (SYNC_CENTER_WORKER_METRICS_PORT) answer
// the same scrapes the same way: with SYNC_CENTER_METRICS_TOKEN set, only a bearer of that token
// (from anywhere); unset, only a scrape from this host (a loopback peer, not forwarded by a proxy).
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { startTestApi } from '../api/testing';
import type { Database } from '../db/client';
import { openTestDatabase } from '../test/support/databases';
import { itemsApplied } from './metrics';
import { metricsRequestHandler, startMetricsServer } from './metrics-server';

const token = 'metrics-token-0123456789abcdef';

interface Scrape {
  /** the TCP peer the endpoint sees */
  peer: string;
  headers?: Record<string, string>;
}

interface Endpoint {
  scrape(s: Scrape): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** The API's /metrics, scraped with fastify.inject (which sets the peer address). */
async function apiEndpoint(database: Database, metricsToken: string | undefined): Promise<Endpoint> {
  const app: FastifyInstance = (await startTestApi(database, { metricsToken })).app;
  return {
    async scrape({ peer, headers }) {
      const res = await app.inject({ method: 'GET', url: '/metrics', headers, remoteAddress: peer });
      return { status: res.statusCode, body: res.body };
    },
    close: () => app.close(),
  };
}

/**
 * The worker's metrics server over real HTTP: on loopback the real server; for another peer the same
 * handler behind a server that presents the connection as coming from that address.
 */
async function workerEndpoint(metricsToken: string | undefined): Promise<Endpoint> {
  const real = await startMetricsServer({ host: '127.0.0.1', port: 0, token: metricsToken });
  const handler = metricsRequestHandler(metricsToken);
  let peer = '';
  const remote: Server = createServer((req, res) => {
    Object.defineProperty(req.socket, 'remoteAddress', { value: peer, configurable: true });
    handler(req, res);
  });
  await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
  const remoteUrl = `http://127.0.0.1:${(remote.address() as { port: number }).port}/metrics`;
  return {
    async scrape(s) {
      peer = s.peer;
      const res = await fetch(s.peer === '127.0.0.1' ? real.url : remoteUrl, { headers: s.headers });
      return { status: res.status, body: await res.text() };
    },
    async close() {
      await real.close();
      await new Promise<void>((resolve) => remote.close(() => resolve()));
    },
  };
}

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase('pglite');
  itemsApplied.inc({ action: 'CreateUser', outcome: 'succeeded' }, 0);
});
afterAll(async () => {
  await database?.close();
});

const remotePeer = '10.1.2.3';
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

describe.each([
  ['API /metrics', (t: string | undefined) => apiEndpoint(database, t)],
  ['worker metrics port', (t: string | undefined) => workerEndpoint(t)],
] as const)('%s', (_name, open) => {
  test('with SYNC_CENTER_METRICS_TOKEN set, only a bearer of that token scrapes, from anywhere', async () => {
    const endpoint = await open(token);
    try {
      expect((await endpoint.scrape({ peer: '127.0.0.1' })).status).toBe(401);
      expect((await endpoint.scrape({ peer: remotePeer })).status).toBe(401);
      expect((await endpoint.scrape({ peer: remotePeer, headers: bearer('wrong') })).status).toBe(401);
      expect((await endpoint.scrape({ peer: remotePeer, headers: bearer(`${token}x`) })).status).toBe(401);
      expect((await endpoint.scrape({ peer: remotePeer, headers: { authorization: token } })).status).toBe(401);
      const refused = await endpoint.scrape({ peer: remotePeer });
      expect(refused.body).toContain('SYNC_CENTER_METRICS_TOKEN');
      expect(refused.body).not.toContain(token);
      const ok = await endpoint.scrape({ peer: remotePeer, headers: bearer(token) });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('sync_center_items_total');
      expect((await endpoint.scrape({ peer: '127.0.0.1', headers: bearer(token) })).status).toBe(200);
    } finally {
      await endpoint.close();
    }
  });

  test('without a token, only this host scrapes: a remote peer or a proxied request is refused', async () => {
    const endpoint = await open(undefined);
    try {
      const local = await endpoint.scrape({ peer: '127.0.0.1' });
      expect(local.status).toBe(200);
      expect(local.body).toContain('sync_center_items_total');
      expect((await endpoint.scrape({ peer: '::ffff:127.0.0.1' })).status).toBe(200);
      const remote = await endpoint.scrape({ peer: remotePeer });
      expect(remote.status).toBe(403);
      expect(remote.body).toContain('SYNC_CENTER_METRICS_TOKEN');
      expect(remote.body).not.toContain('sync_center_items_total');
      expect((await endpoint.scrape({ peer: '192.0.2.7', headers: bearer('anything') })).status).toBe(403);
      // A reverse proxy on this host forwarding an outside scrape is not a local one.
      expect((await endpoint.scrape({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403);
      expect((await endpoint.scrape({ peer: '127.0.0.1', headers: { forwarded: 'for=203.0.113.9' } })).status).toBe(403);
      // nginx's usual proxy_set_header, and a proxy that only says it passed the request on.
      expect((await endpoint.scrape({ peer: '127.0.0.1', headers: { 'x-real-ip': '203.0.113.9' } })).status).toBe(403);
      expect((await endpoint.scrape({ peer: '127.0.0.1', headers: { via: '1.1 proxy' } })).status).toBe(403);
    } finally {
      await endpoint.close();
    }
  });
});
