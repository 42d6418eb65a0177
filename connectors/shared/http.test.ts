import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VendorError } from '../errors';
import { redactUrl, requestJson, scrubSecrets } from './http';

/** the suites' own servers; SYNC_CENTER_ALLOW_ANY_HOST would let them through anyway */
const allowedHosts = ['127.0.0.1'];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ok') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, got: body ? JSON.parse(body) : null, q: url.searchParams.get('q') })));
    } else if (url.pathname === '/boom') {
      res.writeHead(503, { 'retry-after': '7' }).end('down');
    } else if (url.pathname === '/slow') {
      setTimeout(() => res.end('{}'), 500);
    } else if (url.pathname === '/huge') {
      // Chunked, no content-length: the cap must hold while streaming.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const push = () => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', push);
        else res.end();
      };
      res.write('"');
      push();
    } else if (url.pathname === '/declared') {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end();
    } else if (url.pathname === '/html') {
      res.writeHead(200).end('<html>');
    } else {
      res.writeHead(404).end(JSON.stringify({ error: 'nope' }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function caught(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VendorError) return err;
    throw err;
  }
  throw new Error('expected a VendorError');
}

describe('requestJson', () => {
  it('sends JSON and query, returns parsed JSON', async () => {
    const res = await requestJson<{ method: string; got: unknown; q: string }>({ allowedHosts, method: 'POST', url: `${base}/ok`, query: { q: 'x', skip: undefined }, body: { a: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ method: 'POST', got: { a: 1 }, q: 'x' });
  });

  it('returns 4xx to the caller to interpret', async () => {
    const res = await requestJson({ allowedHosts, method: 'GET', url: `${base}/missing` });
    expect(res).toMatchObject({ status: 404, body: { error: 'nope' } });
  });

  it('turns a 5xx into a transient error with the Retry-After hint, without the token', async () => {
    const err = await caught(requestJson({ allowedHosts, method: 'GET', url: `${base}/boom`, query: { access_token: 'sekrit-token' } }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: 'http_503', retryAfterMs: 7000 });
    expect(err.message).toContain('access_token=REDACTED');
    expect(err.message).not.toContain('sekrit-token');
  });

  it('turns a refused connection into a transient network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await caught(requestJson({ allowedHosts, method: 'GET', url: `http://127.0.0.1:${port}/x`, query: { corpsecret: 'my-secret' } }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: 'network' });
    expect(err.message).not.toContain('my-secret');
  });

  it('times out as a transient error', async () => {
    const err = await caught(requestJson({ allowedHosts, method: 'GET', url: `${base}/slow`, timeoutMs: 50 }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: 'timeout' });
  });

  it('refuses an answer past the size cap without reading it all, streamed or declared', async () => {
    const streamed = await caught(requestJson({ allowedHosts, method: 'GET', url: `${base}/huge`, maxResponseBytes: 1024 * 1024 }));
    expect(streamed).toMatchObject({ kind: 'permanent', vendorCode: 'response_too_large' });
    const declared = await caught(requestJson({ allowedHosts, method: 'GET', url: `${base}/declared`, maxResponseBytes: 1024 * 1024 }));
    expect(declared).toMatchObject({ kind: 'permanent', vendorCode: 'response_too_large' });
    // Under the cap, the same answer is read whole.
    const whole = await requestJson({ allowedHosts, method: 'GET', url: `${base}/ok` });
    expect(whole.status).toBe(200);
  });

  it('refuses a 2xx that is not JSON as permanent', async () => {
    const err = await caught(requestJson({ allowedHosts, method: 'GET', url: `${base}/html` }));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_response' });
  });
});

describe('redaction', () => {
  it('redacts secret query parameters and scrubs known secret values', () => {
    expect(redactUrl('https://v/x?access_token=abc&id=1')).toBe('https://v/x?access_token=REDACTED&id=1');
    expect(scrubSecrets('token abcdef leaked', ['abcdef', undefined])).toBe('token REDACTED leaked');
  });
});
