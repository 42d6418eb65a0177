import { FakeInputError, FakeRateLimiter, FakeTokenStore, seedStep, startFakeServer, type FakeVendor, type RunningFake } from './fake-kit';

// A toy vendor: enough to show what every vendor fake gets from the kit.
let fake: RunningFake;
let revoked = 0;
let seeded: unknown;

const toyVendor: FakeVendor = {
  routes: {
    'GET /users/:id': (req) => ({ body: { route: 'one', id: req.params.id } }),
    'GET /users/find_by_department': () => ({ body: { route: 'find' } }),
    'POST /echo': (req) => ({ body: { got: req.rawBody } }),
    'GET /query': (req) => ({ body: { tags: req.query.getAll('tag'), path: req.path } }),
    'GET /text': () => ({ body: 'plain answer', contentType: 'text/plain' }),
  },
  notFoundReply: (req) => ({ status: 404, body: { code: 404, msg: `vendor has no ${req.method} ${req.path}` } }),
  rateLimitReply: () => ({ status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-reset': '3' } }),
  state: () => ({ seeded }),
  seed: (body) => {
    if (typeof body !== 'object' || body === null || !('users' in body)) throw new FakeInputError('seed: users is required');
    seeded = body;
  },
  emit: async (body) => ({ echoed: body }),
  revokeTokens: () => {
    revoked += 1;
  },
};

beforeEach(async () => {
  revoked = 0;
  fake = await startFakeServer({ prefix: '/api', rateLimit: { limit: 2, windowMs: 60_000 }, vendor: toyVendor });
});
afterEach(() => fake.close());

const get = async (path: string) => {
  const res = await fetch(`${fake.url}${path}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
};
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${fake.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('fake kit', () => {
  it('routes below the prefix with :params, preferring exact routes', async () => {
    expect(fake.baseUrl).toBe(`${fake.url}/api`);
    expect((await get('/api/users/ou%2D7')).body).toEqual({ route: 'one', id: 'ou-7' });
    expect((await get('/api/users/find_by_department')).body).toEqual({ route: 'find' });
    expect((await get('/api/nothing')).status).toBe(404);
  });

  // Fastify's defaults differ from a vendor's: each of these stays the vendor's own not-found answer.
  it.each([
    ['a trailing slash', 'GET', '/api/users/find_by_department/'],
    ['another case', 'GET', '/api/USERS/find_by_department'],
    ['an empty :param', 'GET', '/api/users/'],
    ['a wrong method', 'DELETE', '/api/users/a'],
    ['HEAD of a GET route', 'HEAD', '/api/query'],
    ['a duplicate slash', 'GET', '/api//users/a'],
  ])('answers %s with the vendor not-found reply', async (_label, method, path) => {
    const res = await fetch(`${fake.url}${path}`, { method });
    expect(res.status).toBe(404);
    if (method !== 'HEAD') expect(await res.json()).toEqual({ code: 404, msg: `vendor has no ${method} ${path.slice('/api'.length)}` });
  });

  it('answers the kit 404 outside the prefix, and for control routes with the wrong method', async () => {
    expect(await get('/elsewhere')).toMatchObject({ status: 404, body: { error: 'no route GET /elsewhere' } });
    expect(await get('/__fake/seed')).toMatchObject({ status: 404, body: { error: 'no route GET /__fake/seed' } });
  });

  it('keeps URLSearchParams semantics for repeated keys, and the path below the prefix', async () => {
    expect((await get('/api/query?tag=a&tag=b&tag=')).body).toEqual({ tags: ['a', 'b', ''], path: '/query' });
  });

  it('hands the handler the raw body whatever its content type, however large, even when it is not JSON', async () => {
    const unlimited = await startFakeServer({ prefix: '/api', vendor: toyVendor });
    const send = async (body: string, contentType?: string) => {
      const res = await fetch(`${unlimited.url}/api/echo`, { method: 'POST', body, headers: contentType ? { 'content-type': contentType } : {} });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(await send('{"broken', 'application/json')).toEqual({ status: 200, body: { got: '{"broken' } });
    expect(await send('', 'application/json')).toEqual({ status: 200, body: { got: '' } });
    expect(await send('<xml><Encrypt>x</Encrypt></xml>', 'text/xml')).toEqual({ status: 200, body: { got: '<xml><Encrypt>x</Encrypt></xml>' } });
    expect(await send('a=1&b=2', 'application/x-www-form-urlencoded')).toEqual({ status: 200, body: { got: 'a=1&b=2' } });
    const big = JSON.stringify({ pad: 'x'.repeat(3 * 1024 * 1024) });
    expect(await send(big, 'application/json')).toEqual({ status: 200, body: { got: big } });
    await unlimited.close();
  });

  it('sends a reply with its own content type as is', async () => {
    const res = await fetch(`${fake.url}/api/text`);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('plain answer');
  });

  it('rate-limits per declared route with the vendor reply, and counts those refusals', async () => {
    const limited = async () => ((await get('/__fake/calls')).body.rateLimited as Record<string, number>)['GET /users/:id'] ?? 0;
    expect(await limited()).toBe(0);
    await get('/api/users/a');
    await get('/api/users/b');
    const third = await get('/api/users/c');
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ogw-ratelimit-reset')).toBe('3');
    expect((await get('/api/users/find_by_department')).status).toBe(200);
    expect(await limited()).toBe(1);
  });

  it('injects server errors and rate-limit bursts, then recovers; revokes tokens', async () => {
    expect((await post('/__fake/faults', { serverErrors: 1, rateLimitBurst: 1, revokeTokens: true })).status).toBe(200);
    expect((await fetch(`${fake.url}/api/echo`, { method: 'POST' })).status).toBe(500);
    expect((await post('/api/echo', {})).body).toMatchObject({ code: 99991400 });
    expect((await post('/api/echo', { a: 1 })).body).toEqual({ got: '{"a":1}' });
    expect(revoked).toBe(1);
  });

  it('drops the answers of the named route after running them, and counts calls per route', async () => {
    const echoed: string[] = [];
    const before = (await get('/__fake/calls')).body.calls as Record<string, number>;
    expect((await post('/__fake/faults', { dropResponses: 1, dropRoute: 'POST /echo' })).status).toBe(200);
    expect((await get('/api/users/find_by_department')).status).toBe(200);
    await expect(fetch(`${fake.url}/api/echo`, { method: 'POST', body: 'lost' }).then((r) => r.text())).rejects.toThrow();
    echoed.push(JSON.stringify((await post('/api/echo', 'kept')).body));
    expect(echoed).toEqual(['{"got":"\\"kept\\""}']);
    const after = (await get('/__fake/calls')).body.calls as Record<string, number>;
    expect(after['POST /echo'] - (before['POST /echo'] ?? 0)).toBe(2);
    expect((await post('/__fake/faults', { dropRoute: 'POST /nowhere' })).status).toBe(400);
  });

  it('seeds, dumps state and emits through the vendor; bad control input is a 400 naming the problem', async () => {
    expect((await post('/__fake/seed', { users: [1] })).status).toBe(200);
    expect((await get('/__fake/state')).body).toEqual({ seeded: { users: [1] } });
    expect(await post('/__fake/seed', { nope: true })).toEqual({ status: 400, body: { error: 'seed: users is required' } });
    expect((await post('/__fake/emit', { x: 1 })).body).toEqual({ ok: true, response: { echoed: { x: 1 } } });
    expect((await post('/__fake/faults', { rateLimitBurst: 'lots' })).body).toEqual({ error: 'rateLimitBurst must be a non-negative integer' });
  });
});

describe('FakeTokenStore', () => {
  it('issues tokens that expire and can be revoked', () => {
    let now = 0;
    const store = new FakeTokenStore(10, () => now);
    const { token, expiresInSeconds } = store.issue();
    expect(expiresInSeconds).toBe(10);
    expect(store.check(token)).toBe('valid');
    expect(store.check(undefined)).toBe('missing');
    expect(store.check('forged')).toBe('unknown');
    now = 10_000;
    expect(store.check(token)).toBe('expired');
    store.revokeAll();
    expect(store.check(token)).toBe('unknown');
  });
});

describe('FakeRateLimiter', () => {
  it('refuses over the limit and says when the window frees a slot', () => {
    let now = 1_000;
    const limiter = new FakeRateLimiter(2, 1_000, () => now);
    expect([limiter.hit('k'), limiter.hit('k'), limiter.hit('k')]).toEqual([true, true, false]);
    expect(limiter.retryAfterMs('k')).toBe(1_000);
    now += 400;
    expect(limiter.retryAfterMs('k')).toBe(600);
    expect(limiter.retryAfterMs('other')).toBe(0);
    now += 600;
    expect(limiter.hit('k')).toBe(true);
  });
});

describe('seedStep', () => {
  it('names the refused record, and lets other errors through', () => {
    class VendorRefusal extends Error {}
    const isVendor = (err: unknown) => err instanceof VendorRefusal;
    expect(() => seedStep('users', 3, isVendor, () => {
      throw new VendorRefusal('41009 mobile is required');
    })).toThrow(new FakeInputError('seed: users[3]: 41009 mobile is required'));
    expect(() => seedStep('users', 0, isVendor, () => {
      throw new TypeError('bug');
    })).toThrow(TypeError);
    expect(() => seedStep('users', 0, isVendor, () => undefined)).not.toThrow();
  });
});
