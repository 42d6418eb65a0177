import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VendorError } from '../errors';
import { WecomClient } from './client';

// A scripted WeCom: each test decides how the API answers a given token.
let server: Server;
let baseUrl: string;
let issued = 0;
let answer: (token: string, body: string) => Record<string, unknown>;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/cgi-bin/gettoken') {
      issued += 1;
      setTimeout(() => res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: `tok-${issued}-secretish`, expires_in: 7200 })), 10);
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(JSON.stringify(answer(url.searchParams.get('access_token') ?? '', body))));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cgi-bin`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  issued = 0;
});

const client = () => new WecomClient({ baseUrl, corpId: 'ww1', corpSecret: 'the-corp-secret' });

describe('WecomClient token handling', () => {
  it.each([42001, 40014, 41001])('fetches a new token on %s and repeats the call once', async (code) => {
    answer = (token) => (token.startsWith('tok-1-') ? { errcode: code, errmsg: `bad token ${token}` } : { errcode: 0, errmsg: 'ok', value: 42 });
    await expect(client().get<{ value: number }>('/thing')).resolves.toMatchObject({ value: 42 });
    expect(issued).toBe(2);
  });

  it('gives up after one retry, with the token scrubbed from the message', async () => {
    answer = (token) => ({ errcode: 40014, errmsg: `invalid access_token ${token}` });
    const err = (await client().get('/thing').catch((e: unknown) => e)) as VendorError;
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '40014' });
    expect(`${err.message} ${err.vendorMessage}`).not.toMatch(/tok-\d-secretish/);
    expect(issued).toBe(2);
  });

  it('shares one token fetch among concurrent calls', async () => {
    answer = () => ({ errcode: 0, errmsg: 'ok' });
    const c = client();
    await Promise.all(Array.from({ length: 8 }, () => c.get('/thing')));
    expect(issued).toBe(1);
  });

  it.each([
    [-1, 'transient'],
    [45033, 'transient'],
    [48002, 'permanent'],
    [60020, 'permanent'],
  ] as const)('classifies errcode %s as %s', async (code, kind) => {
    answer = () => ({ errcode: code, errmsg: 'from wecom' });
    const c = new WecomClient({ baseUrl, corpId: 'ww1', corpSecret: 'the-corp-secret', rateLimitBackoffMs: 1 });
    await expect(c.get('/thing')).rejects.toMatchObject({ kind, vendorCode: String(code), vendorMessage: 'from wecom' });
  });

  it('refuses an answer without errcode', async () => {
    answer = () => ({ hello: 'world' });
    await expect(client().get('/thing')).rejects.toMatchObject({ kind: 'permanent', vendorCode: 'invalid_response' });
  });

  it('pages user/list_id until the cursor is empty', async () => {
    const pages: Record<string, unknown> = {
      '': { next_cursor: 'c1', dept_user: [{ userid: 'a', department: 1 }] },
      c1: { next_cursor: '', dept_user: [{ userid: 'b', department: 2 }] },
    };
    const seen: string[] = [];
    answer = (_token, body) => {
      const { cursor = '', limit } = JSON.parse(body) as { cursor?: string; limit: number };
      seen.push(`${cursor}:${limit}`);
      return { errcode: 0, errmsg: 'ok', ...(pages[cursor] as object) };
    };
    const rows = [];
    for await (const page of client().listUserIds(1)) rows.push(...page);
    expect(rows.map((r) => r.userid)).toEqual(['a', 'b']);
    expect(seen).toEqual([':1', 'c1:1']);
  });
});
