import { VendorError } from '../errors';
import { startFakeServer, type FakeReply, type FakeRequest, type RunningFake } from '../shared/fake-kit';
import { FeishuClient, feishuBaseUrl, larkBaseUrl } from './client';

// A scripted Feishu: each test decides how the API answers a given token.
let server: RunningFake;
let issued = 0;
let answer: (req: FakeRequest, token: string) => FakeReply;
const appSecret = 'the-app-secret-value';

beforeAll(async () => {
  const scripted = (req: FakeRequest) => answer(req, /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
  server = await startFakeServer({
    prefix: '/open-apis',
    vendor: {
      routes: {
        'POST /auth/v3/tenant_access_token/internal': (req) => {
          const body = JSON.parse(req.rawBody) as { app_id: string; app_secret: string };
          if (body.app_secret !== appSecret) return { status: 400, body: { code: 10014, msg: `app secret invalid: ${body.app_secret}` } };
          issued += 1;
          return { body: { code: 0, msg: 'ok', tenant_access_token: `t-${issued}-secretish`, expire: 7200 } };
        },
        'GET /thing': scripted,
        'GET /list': scripted,
      },
      rateLimitReply: () => ({ status: 429, body: { code: 99991400 } }),
      state: () => ({}),
      seed: () => undefined,
      emit: () => Promise.resolve(undefined),
      revokeTokens: () => undefined,
    },
  });
});
afterAll(() => server.close());
beforeEach(() => {
  issued = 0;
});

const client = (extra: Partial<ConstructorParameters<typeof FeishuClient>[0]> = {}) => new FeishuClient({ baseUrl: server.baseUrl, appId: 'cli_1', appSecret, ...extra });
const ok = (data: unknown): FakeReply => ({ body: { code: 0, msg: 'success', data } });

describe('FeishuClient', () => {
  it('knows the Feishu and Lark base URLs', () => {
    expect(feishuBaseUrl).toBe('https://open.feishu.cn/open-apis');
    expect(larkBaseUrl).toBe('https://open.larksuite.com/open-apis');
  });

  it('sends the tenant token as a Bearer header and unwraps data', async () => {
    answer = (_req, token) => ok({ token });
    await expect(client().request('GET', '/thing')).resolves.toEqual({ token: 't-1-secretish' });
  });

  it.each([99991663, 99991668, 99991671])('fetches a new token on %s and repeats the call once', async (code) => {
    answer = (_req, token) => (token.startsWith('t-1-') ? { status: 400, body: { code, msg: `token ${token} invalid` } } : ok({ value: 42 }));
    await expect(client().request('GET', '/thing')).resolves.toEqual({ value: 42 });
    expect(issued).toBe(2);
  });

  it('gives up after one retry, with the token scrubbed from the message', async () => {
    answer = (_req, token) => ({ status: 400, body: { code: 99991663, msg: `tenant token ${token} expired` } });
    const err = (await client().request('GET', '/thing').catch((e: unknown) => e)) as VendorError;
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '99991663' });
    expect(`${err.message} ${err.vendorMessage}`).not.toMatch(/t-\d-secretish/);
    expect(issued).toBe(2);
  });

  it('never puts the app secret in an error, even when Feishu echoes it', async () => {
    const err = (await client({ appSecret: 'wrong-secret-value' }).request('GET', '/thing').catch((e: unknown) => e)) as VendorError;
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '10014' });
    expect(`${err.message} ${err.vendorMessage}`).not.toContain('wrong-secret-value');
  });

  it('shares one token fetch among concurrent calls', async () => {
    answer = () => ok({});
    const c = client();
    await Promise.all(Array.from({ length: 8 }, () => c.request('GET', '/thing')));
    expect(issued).toBe(1);
  });

  it('treats HTTP 429 as a rate limit with the x-ogw-ratelimit-reset wait, and holds every call back', async () => {
    let calls = 0;
    answer = () => {
      calls += 1;
      return calls === 1
        ? { status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-limit': '50', 'x-ogw-ratelimit-reset': '1' } }
        : ok({});
    };
    const c = client();
    await expect(c.request('GET', '/thing')).rejects.toMatchObject({ kind: 'transient', vendorCode: '99991400', retryAfterMs: 1000 });
    const started = Date.now();
    await c.request('GET', '/thing');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('treats code 99991400 without a reset header as a rate limit with the fallback wait', async () => {
    answer = () => ({ status: 400, body: { code: 99991400, msg: 'request trigger frequency limit' } });
    await expect(client({ rateLimitFallbackMs: 5 }).request('GET', '/thing')).rejects.toMatchObject({ kind: 'transient', retryAfterMs: 5 });
  });

  it('refuses an answer without code, and classifies other codes as permanent with the message', async () => {
    answer = () => ({ body: { hello: 'world' } });
    await expect(client().request('GET', '/thing')).rejects.toMatchObject({ kind: 'permanent', vendorCode: 'invalid_response' });
    answer = () => ({ status: 400, body: { code: 41001, msg: 'mobile already exists' } });
    await expect(client().request('GET', '/thing')).rejects.toMatchObject({ kind: 'permanent', vendorCode: '41001', vendorMessage: 'mobile already exists' });
  });

  it('keeps contact calls within the per-second window', async () => {
    answer = () => ok({});
    const c = client({ ratePerSecond: 3 });
    const started = Date.now();
    for (let i = 0; i < 4; i += 1) await c.request('GET', '/thing');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('pages with page_token until has_more is false, page_size ≤ 50', async () => {
    const seen: string[] = [];
    answer = (req) => {
      const pageToken = req.query.get('page_token') ?? '';
      seen.push(`${pageToken}:${req.query.get('page_size')}`);
      return ok(pageToken === '' ? { items: [1, 2], has_more: true, page_token: 'p2' } : { items: [3], has_more: false });
    };
    const items: number[] = [];
    for await (const page of client().paginate<number>('/list', { fetch_child: true }, 2)) items.push(...page);
    expect(items).toEqual([1, 2, 3]);
    expect(seen).toEqual([':2', 'p2:2']);
    await expect(client().paginate('/list', {}, 51).next()).rejects.toMatchObject({ vendorCode: 'invalid_input' });
  });

  it('stops on has_more without a new page_token instead of looping', async () => {
    answer = () => ok({ items: [1], has_more: true, page_token: 'same' });
    const run = async () => {
      for await (const page of client().paginate('/list')) void page;
    };
    await expect(run()).rejects.toMatchObject({ vendorCode: 'invalid_response' });
  });

  it('needs its settings', () => {
    expect(() => new FeishuClient({ baseUrl: '', appId: 'a', appSecret: 's' })).toThrow('baseUrl');
    expect(() => new FeishuClient({ baseUrl: 'http://x', appId: '', appSecret: 's' })).toThrow('appId');
    expect(() => new FeishuClient({ baseUrl: 'http://x', appId: 'a', appSecret: '' })).toThrow('appSecret');
  });
});
