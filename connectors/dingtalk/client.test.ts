import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeControl, vendorFailure } from '../shared/test-helpers';
import { DingtalkClient, envelopeCode, type DingtalkClientOptions } from './client';
import { startDingtalkFake, type RunningDingtalkFake } from './fake';

const creds = { appKey: 'dingclientkey', appSecret: 'client-secret-value-42' };
let fake: RunningDingtalkFake;
let tokenFetches: number;
let fetchSpy: jest.SpyInstance;

function client(extra: Partial<DingtalkClientOptions> = {}): DingtalkClient {
  return new DingtalkClient({ oapiBaseUrl: fake.oapiBaseUrl, apiBaseUrl: fake.apiBaseUrl, ...creds, rateLimitBackoffMs: 20, ...extra });
}


beforeEach(async () => {
  fake = await startDingtalkFake({ ...creds, port: 0 });
  tokenFetches = 0;
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/gettoken')) tokenFetches += 1;
    return realFetch(input, init);
  });
});
afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('DingtalkClient against the fake', () => {
  it('caches one token for concurrent calls and returns the envelope result', async () => {
    const c = client();
    const results = await Promise.all(Array.from({ length: 6 }, () => c.post<{ dept_id: number }>('/topapi/v2/department/get', { dept_id: 1 })));
    expect(results.every((r) => r.dept_id === 1)).toBe(true);
    expect(tokenFetches).toBe(1);
  });

  it('fetches a new token when the old one is revoked (40014) and repeats the call once', async () => {
    const c = client();
    await c.post('/topapi/v2/department/get', { dept_id: 1 });
    await fakeControl(fake, 'faults', { revokeTokens: true });
    await expect(c.post('/topapi/v2/department/get', { dept_id: 1 })).resolves.toMatchObject({ dept_id: 1 });
    expect(tokenFetches).toBe(2);
  });

  it('refreshes the token before it expires (no failed call mid-run)', async () => {
    const short = await startDingtalkFake({ ...creds, tokenTtlSeconds: 1 });
    try {
      const c = new DingtalkClient({ oapiBaseUrl: short.oapiBaseUrl, ...creds });
      await c.post('/topapi/v2/department/get', { dept_id: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      await expect(c.post('/topapi/v2/department/get', { dept_id: 1 })).resolves.toMatchObject({ dept_id: 1 });
      expect(tokenFetches).toBe(2);
    } finally {
      await short.close();
    }
  });

  it('unwraps 88 to its sub_code and rides out a short rate-limit burst', async () => {
    await fakeControl(fake, 'faults', { rateLimitBurst: 3 });
    await expect(client().post('/topapi/v2/department/get', { dept_id: 1 })).resolves.toMatchObject({ dept_id: 1 });
    await fakeControl(fake, 'faults', { rateLimitBurst: 10 });
    const err = await vendorFailure(client({ maxRateLimitRetries: 2 }).post('/topapi/v2/department/get', { dept_id: 1 }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: '90002', retryAfterMs: 20 });
  });

  it('leaves a minute-long wait (90006) to the caller instead of blocking', async () => {
    const slow = await startDingtalkFake({ ...creds, ratePerMinute: 2 });
    try {
      const c = new DingtalkClient({ oapiBaseUrl: slow.oapiBaseUrl, ...creds });
      // the quota is per API: two calls of department/get fit, the third does not
      await c.post('/topapi/v2/department/get', { dept_id: 1 });
      await c.post('/topapi/v2/department/get', { dept_id: 1 });
      const started = Date.now();
      const err = await vendorFailure(c.post('/topapi/v2/department/get', { dept_id: 1 }));
      expect(err).toMatchObject({ kind: 'transient', vendorCode: '90006', retryAfterMs: 60_000 });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await slow.close();
    }
  });

  it('keeps under the per-second limit itself, so a burst of calls never meets 90018', async () => {
    const strict = await startDingtalkFake({ ...creds, ratePerSecond: 4 });
    try {
      // like the default (35 under 40), the client keeps a margin below the vendor's limit
      const c = new DingtalkClient({ oapiBaseUrl: strict.oapiBaseUrl, ...creds, ratePerSecond: 3, maxRateLimitRetries: 0 });
      const started = Date.now();
      await Promise.all(Array.from({ length: 6 }, () => c.post('/topapi/v2/department/get', { dept_id: 1 })));
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    } finally {
      await strict.close();
    }
  });

  it('never puts the app secret or a token in an error', async () => {
    const err = await vendorFailure(client({ appSecret: 'wrong-secret-value' }).post('/topapi/v2/department/get', { dept_id: 1 }));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '40001' });
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    const transport = await vendorFailure(client().post('/topapi/v2/department/get', { dept_id: 1 }));
    expect(transport).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
    for (const e of [err, transport]) expect(`${e.message} ${e.vendorMessage}`).not.toMatch(/wrong-secret-value|client-secret-value-42/);
    expect(transport.message).toContain('appsecret=REDACTED');
  });

  it('fetches and caches the new-API token; a wrong secret is a permanent error without the secret', async () => {
    const c = client();
    const first = await c.apiAccessToken();
    expect(await c.apiAccessToken()).toBe(first);
    const err = await vendorFailure(client({ appSecret: 'nope-nope-nope' }).apiAccessToken());
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalidClientId' });
    expect(err.message).not.toContain('nope-nope-nope');
  });

  it('refuses missing settings by name', () => {
    expect(() => new DingtalkClient({ oapiBaseUrl: '', appKey: 'k', appSecret: 's' })).toThrow('oapiBaseUrl: required');
    expect(() => new DingtalkClient({ oapiBaseUrl: 'http://x', appKey: 'k', appSecret: '' })).toThrow('appSecret: required');
  });
});

describe('DingtalkClient token codes (scripted server)', () => {
  let server: Server;
  let base: string;
  let issued = 0;
  let answer: (token: string) => Record<string, unknown>;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/gettoken') {
        issued += 1;
        res.end(JSON.stringify({ errcode: 0, access_token: `tok-${issued}-abcdef`, expires_in: 7200 }));
        return;
      }
      req.resume().on('end', () => res.end(JSON.stringify(answer(url.searchParams.get('access_token') ?? ''))));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    issued = 0;
  });

  it.each([40001, 40014, 42001])('fetches a new token on %s and repeats the call once', async (code) => {
    answer = (token) => (token.startsWith('tok-1-') ? { errcode: code, errmsg: `bad token ${token}` } : { errcode: 0, result: { ok: true } });
    await expect(new DingtalkClient({ oapiBaseUrl: base, ...creds }).post('/x', {})).resolves.toEqual({ ok: true });
    expect(issued).toBe(2);
  });

  it('gives up after one retry, with the token scrubbed', async () => {
    answer = (token) => ({ errcode: 42001, errmsg: `expired ${token}` });
    const err = await vendorFailure(new DingtalkClient({ oapiBaseUrl: base, ...creds }).post('/x', {}));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '42001' });
    expect(`${err.message} ${err.vendorMessage}`).not.toMatch(/tok-\d-abcdef/);
    expect(issued).toBe(2);
  });

  it('treats -1 as transient and names other 88 sub_codes as the code', async () => {
    answer = () => ({ errcode: -1, errmsg: 'system busy' });
    expect(await vendorFailure(new DingtalkClient({ oapiBaseUrl: base, ...creds }).post('/x', {}))).toMatchObject({ kind: 'transient', vendorCode: '-1' });
    answer = () => ({ errcode: 88, errmsg: 'ding talk error', sub_code: '60011', sub_msg: 'no permission', request_id: 'r1' });
    const err = await vendorFailure(new DingtalkClient({ oapiBaseUrl: base, ...creds }).post('/x', {}));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '60011', vendorMessage: 'no permission' });
    expect(err.message).toContain('request_id r1');
    expect(envelopeCode({ errcode: 88 })).toBe('88');
  });
});
