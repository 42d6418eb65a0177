// The Feishu fake spoken to directly, as Feishu's own API: what a real tenant would answer.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeControl, fakeState } from '../shared/test-helpers';
import { FeishuEventReceiver, larkHeaders, type FeishuCallbackResult } from './callback';
import { startFeishuFake, type RunningFeishuFake } from './fake';
import { fixtureCredentials, fixtureSeed } from './fake/test-fixtures';

const events = { encryptKey: 'fake-encrypt-key', verificationToken: 'fake-verification-token' };
let fake: RunningFeishuFake;

interface Answer {
  status: number;
  headers: Headers;
  body: { code: number; msg: string; data?: Record<string, unknown>; tenant_access_token?: string; expire?: number };
}

async function tokenCall(credentials: Record<string, unknown> = { app_id: fixtureCredentials.appId, app_secret: fixtureCredentials.appSecret }): Promise<Answer['body']> {
  const res = await fetch(`${fake.baseUrl}/auth/v3/tenant_access_token/internal`, { method: 'POST', body: JSON.stringify(credentials), headers: { 'content-type': 'application/json' } });
  return (await res.json()) as Answer['body'];
}

async function call(method: string, path: string, options: { query?: Record<string, string>; body?: unknown; token?: string | null } = {}): Promise<Answer> {
  const token = options.token === undefined ? (await tokenCall()).tenant_access_token : options.token;
  const url = new URL(`${fake.baseUrl}${path}`);
  for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const custom = { user_id_type: 'user_id', department_id_type: 'department_id' };

beforeEach(async () => {
  fake = await startFeishuFake({ ...fixtureCredentials, events });
  expect((await fakeControl(fake, 'seed', fixtureSeed)).status).toBe(200);
});
afterEach(() => fake.close());

describe('Feishu fake: tokens and envelope', () => {
  it('issues a tenant token, the same one while it has over 30 minutes left', async () => {
    const first = await tokenCall();
    expect(first).toMatchObject({ code: 0, msg: 'ok', expire: 7200 });
    expect((await tokenCall()).tenant_access_token).toBe(first.tenant_access_token);
    expect(await tokenCall({ app_id: 'cli_other', app_secret: fixtureCredentials.appSecret })).toMatchObject({ code: 10003 });
    expect(await tokenCall({ app_id: fixtureCredentials.appId, app_secret: 'nope' })).toMatchObject({ code: 10014 });
  });

  it('answers 99991661 without a token, 99991668 for an unknown one and 99991663 once it expired', async () => {
    expect((await call('GET', '/contact/v3/departments/0', { token: null })).body.code).toBe(99991661);
    expect((await call('GET', '/contact/v3/departments/0', { token: 'made-up' })).body.code).toBe(99991668);
    await fake.close();
    fake = await startFeishuFake({ ...fixtureCredentials, tokenTtlSeconds: 1 });
    const { tenant_access_token: token } = await tokenCall();
    expect((await call('GET', '/contact/v3/departments/0', { token })).body.code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call('GET', '/contact/v3/departments/0', { token })).body).toMatchObject({ code: 99991663 });
    expect((await tokenCall()).tenant_access_token).not.toBe(token);
  });

  it('honours user_id_type and department_id_type, open ids by default', async () => {
    const byCustom = await call('GET', '/contact/v3/users/u5', { query: custom });
    const user = byCustom.body.data?.user as { open_id: string; union_id: string; department_ids: string[]; leader_user_id: string };
    expect(user).toMatchObject({ user_id: 'u5', department_ids: ['sales', 'rnd'], leader_user_id: 'u0' });
    expect(user.open_id).toMatch(/^ou_/);
    expect(user.union_id).toMatch(/^on_/);
    const byOpen = (await call('GET', `/contact/v3/users/${user.open_id}`)).body.data?.user as { department_ids: string[]; leader_user_id: string };
    expect(byOpen.department_ids.every((id) => id.startsWith('od-'))).toBe(true);
    expect(byOpen.leader_user_id).toMatch(/^ou_/);
    expect((await call('GET', '/contact/v3/users/u5')).body.code).toBe(41050); // u5 is no open_id
    expect((await call('GET', '/contact/v3/users/u5', { query: { user_id_type: 'email' } })).body.code).toBe(99992402);
  });

  it('pages children and members with page_token, page_size up to 50', async () => {
    const first = await call('GET', '/contact/v3/departments/0/children', { query: { ...custom, fetch_child: 'true', page_size: '3' } });
    expect(first.body.data).toMatchObject({ has_more: true, page_token: expect.any(String) });
    const second = await call('GET', '/contact/v3/departments/0/children', { query: { ...custom, fetch_child: 'true', page_size: '3', page_token: String(first.body.data?.page_token) } });
    expect(second.body.data).toMatchObject({ has_more: false });
    expect([...(first.body.data?.items as object[]), ...(second.body.data?.items as object[])].map((d) => (d as { department_id: string }).department_id)).toEqual(['rnd', 'sales', 'platform', 'empty']);
    const direct = await call('GET', '/contact/v3/departments/0/children', { query: custom });
    expect((direct.body.data?.items as object[]).length).toBe(2);
    expect((await call('GET', '/contact/v3/departments/0/children', { query: { page_size: '51' } })).body.code).toBe(99992402);
    const members = await call('GET', '/contact/v3/users/find_by_department', { query: { ...custom, department_id: 'rnd' } });
    expect((members.body.data?.items as Array<{ user_id: string }>).map((u) => u.user_id)).toEqual(['u5', 'u10', 'u15', 'u20']);
  });
});

describe('Feishu fake: refusals', () => {
  const user = { name: 'N', mobile: '+8613011112222', department_ids: ['sales'], employee_type: 1 };

  it.each([
    [41009, { ...user, mobile: undefined }],
    [99992402, { ...user, employee_type: 6 }],
    [99992402, { ...user, department_ids: [] }],
    [40004, { ...user, department_ids: ['nowhere'] }],
    [41001, { ...user, mobile: '+8613800000001' }],
    [41002, { ...user, email: 'U1@acme.test' }],
    [41011, { ...user, user_id: 'gone' }],
  ])('answers %s to a bad user create, with HTTP 400 and nothing written', async (code, body) => {
    const res = await call('POST', '/contact/v3/users', { query: custom, body });
    expect(res).toMatchObject({ status: 400, body: { code } });
    expect((await fakeState<{ users: unknown[] }>(fake)).users).toHaveLength(25);
  });

  it('does not resurrect an active user, and resurrects a resigned one into its former departments', async () => {
    expect((await call('POST', '/contact/v3/users/u1/resurrect', { query: custom, body: {} })).body.code).toBe(99992402);
    expect((await call('DELETE', '/contact/v3/users/u1', { query: custom })).body.code).toBe(0);
    expect((await call('DELETE', '/contact/v3/users/u1', { query: custom })).body.code).toBe(41050);
    const state = await fakeState<{ departments: Array<{ department_id: string; leader_user_id: string }> }>(fake);
    expect(state.departments.find((d) => d.department_id === 'rnd')?.leader_user_id).toBe(''); // a resigned leader leaves
    expect((await call('POST', '/contact/v3/users/u1/resurrect', { query: custom, body: {} })).body.code).toBe(0);
    expect((await call('GET', '/contact/v3/users/u1', { query: custom })).body.data?.user).toMatchObject({ department_ids: ['platform'], status: { is_resigned: false } });
  });

  it('refuses a department moved under itself, and any change to the root', async () => {
    expect((await call('PATCH', '/contact/v3/departments/rnd', { query: custom, body: { parent_department_id: 'empty' } })).body.code).toBe(99992402);
    expect((await call('PATCH', '/contact/v3/departments/0', { query: custom, body: { name: 'X' } })).body.code).toBe(40002);
  });

  it('answers a repeated client_token with the first create, as Feishu does', async () => {
    const first = await call('POST', '/contact/v3/users', { query: { ...custom, client_token: 'tok-1' }, body: user });
    const again = await call('POST', '/contact/v3/users', { query: { ...custom, client_token: 'tok-1' }, body: user });
    expect(again.body.data?.user).toEqual(first.body.data?.user);
    const other = await call('POST', '/contact/v3/users', { query: { ...custom, client_token: 'tok-2' }, body: user });
    expect(other.body.code).toBe(41001); // a new token is a new create: the mobile is taken
  });
});

describe('Feishu fake: rate limits', () => {
  it('refuses the call over the per-second quota with HTTP 429, 99991400 and the reset hint', async () => {
    await fake.close();
    fake = await startFeishuFake({ ...fixtureCredentials, ratePerSecond: 3 });
    const { tenant_access_token: token } = await tokenCall();
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await call('GET', '/contact/v3/departments/0', { token }));
    expect(answers.slice(0, 3).every((a) => a.body.code === 0)).toBe(true);
    expect(answers[3]).toMatchObject({ status: 429, body: { code: 99991400 } });
    expect(answers[3].headers.get('x-ogw-ratelimit-limit')).toBe('3');
    expect(answers[3].headers.get('x-ogw-ratelimit-reset')).toBe('1');
  });

  it('counts the per-minute quota across every contact API', async () => {
    await fake.close();
    fake = await startFeishuFake({ ...fixtureCredentials, ratePerSecond: 100, ratePerMinute: 4 });
    const { tenant_access_token: token } = await tokenCall();
    await call('GET', '/contact/v3/departments/0', { token });
    await call('GET', '/contact/v3/users/u1', { token, query: custom });
    await call('GET', '/contact/v3/departments/0/children', { token });
    await call('GET', '/contact/v3/users/find_by_department', { token, query: { department_id: '0' } });
    const over = await call('GET', '/contact/v3/users/u1', { token, query: custom });
    expect(over).toMatchObject({ status: 429, body: { code: 99991400 } });
    expect(over.headers.get('x-ogw-ratelimit-limit')).toBe('4');
    expect(Number(over.headers.get('x-ogw-ratelimit-reset'))).toBeGreaterThan(50);
    expect((await tokenCall()).code).toBe(0); // the auth API is not part of the contact quota
  });
});

describe('Feishu fake: what the app is granted', () => {
  it('reports its scopes on /application/v6/scopes, 更新通讯录 (contact:contact) granted unless seeded otherwise', async () => {
    const granted = await call('GET', '/application/v6/scopes');
    expect(granted.status).toBe(200);
    expect(granted.body.data?.scopes).toContainEqual({ scope_name: 'contact:contact', grant_status: 1 });
    expect(granted.body.data?.scopes).toContainEqual({ scope_name: 'contact:contact:readonly_as_app', grant_status: 1 });
    expect((await fakeControl(fake, 'seed', { ...fixtureSeed, contact_write: false })).status).toBe(200);
    const denied = await call('GET', '/application/v6/scopes');
    expect(denied.body.data?.scopes).toContainEqual({ scope_name: 'contact:contact', grant_status: 2 });
    expect(await call('GET', '/application/v6/scopes', { token: null })).toMatchObject({ body: { code: 99991661 } });
  });

  it('refuses every contact write without contact:contact with 99991672, and reads as before', async () => {
    expect((await fakeControl(fake, 'seed', { ...fixtureSeed, contact_write: false })).status).toBe(200);
    const refused = { status: 400, body: { code: 99991672, msg: expect.stringContaining('[contact:contact]') } };
    expect(await call('POST', '/contact/v3/departments', { query: custom, body: { name: 'New', parent_department_id: '0' } })).toMatchObject(refused);
    expect(await call('PATCH', '/contact/v3/users/u1', { query: custom, body: { name: 'Renamed' } })).toMatchObject(refused);
    expect(await call('DELETE', '/contact/v3/users/u1', { query: custom })).toMatchObject(refused);
    expect(await call('POST', '/contact/v3/users', { query: custom, body: { name: 'X', mobile: '+8613700000000', department_ids: ['sales'], employee_type: 1 } })).toMatchObject(refused);
    expect(await call('GET', '/contact/v3/users/u1', { query: custom })).toMatchObject({ status: 200, body: { code: 0 } });
    expect((await fakeControl(fake, 'seed', { ...fixtureSeed, contact_write: 'no' })).status).toBe(400);
  });
});

describe('Feishu fake: control routes', () => {
  it('dumps the directory in Feishu shape and refuses a bad seed naming the record', async () => {
    const state = await fakeState<{ app_id: string; departments: unknown[]; users: unknown[] }>(fake);
    expect(state.app_id).toBe(fixtureCredentials.appId);
    expect(state.departments).toHaveLength(4);
    const bad = await fakeControl(fake, 'seed', { departments: [{ department_id: 'x', name: 'X', parent_department_id: 'missing' }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('departments[0]: 44101');
    const badUser = await fakeControl(fake, 'seed', { users: [{ user_id: 'a', name: 'A' }] });
    expect(JSON.stringify(badUser.body)).toContain('users[0]: 41009');
    expect((await fakeState<{ departments: unknown[] }>(fake)).departments).toHaveLength(4); // a refused seed changes nothing
  });

  describe('emit', () => {
    let receiver: Server;
    let receiverUrl: string;
    let received: FeishuCallbackResult[];

    beforeEach(async () => {
      received = [];
      const verifier = new FeishuEventReceiver(events);
      receiver = createServer((req, res) => {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          try {
            const result = verifier.receive(larkHeaders(req.headers), raw);
            received.push(result);
            res.end(JSON.stringify(result.type === 'url_verification' ? { challenge: result.challenge } : {}));
          } catch (err) {
            res.statusCode = 401;
            res.end(JSON.stringify({ error: (err as Error).message }));
          }
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/feishu`;
    });
    afterEach(async () => {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    });

    it('passes the url_verification challenge', async () => {
      const res = await fakeControl(fake, 'emit', { url: receiverUrl, urlVerification: true });
      expect(res.body).toMatchObject({ ok: true, response: { status: 200, verified: true } });
    });

    it('sends signed, encrypted contact events that verify and parse, duplicates flagged', async () => {
      await fakeControl(fake, 'emit', { url: receiverUrl, event_type: 'contact.user.updated_v3', id: 'u5', event_id: 'ev-42' });
      await fakeControl(fake, 'emit', { url: receiverUrl, event_type: 'contact.user.updated_v3', id: 'u5', event_id: 'ev-42' });
      await fakeControl(fake, 'emit', { url: receiverUrl, event_type: 'contact.department.deleted_v3', id: 'old-dept' });
      const raw = { added: { users: [{ user_id: 'u9', open_id: 'ou_x' }] }, removed: {} };
      await fakeControl(fake, 'emit', { url: receiverUrl, event_type: 'contact.scope.updated_v3', event: raw, event_id: 'ev-s' });
      expect(received).toEqual([
        { type: 'event', eventId: 'ev-42', eventType: 'contact.user.updated_v3', duplicate: false, events: [{ entity: 'user', id: 'u5', kind: 'updated', eventId: 'ev-42' }] },
        expect.objectContaining({ eventId: 'ev-42', duplicate: true }),
        expect.objectContaining({ events: [expect.objectContaining({ entity: 'department', id: 'old-dept', kind: 'deleted' })] }),
        expect.objectContaining({ events: [{ entity: 'user', id: 'u9', kind: 'created', eventId: 'ev-s#0' }] }),
      ]);
    });

    it('is refused by a receiver with other keys, and needs its own keys and a URL', async () => {
      await fake.close();
      fake = await startFeishuFake({ ...fixtureCredentials, events: { encryptKey: 'another-key', verificationToken: events.verificationToken } });
      const res = await fakeControl(fake, 'emit', { url: receiverUrl, event_type: 'contact.user.created_v3', id: 'u1' });
      expect(res.body).toMatchObject({ response: { status: 401 } });
      expect(received).toEqual([]);
      expect((await fakeControl(fake, 'emit', { url: 'nope', event_type: 'x' })).status).toBe(400);
      const plain = await startFeishuFake(fixtureCredentials);
      expect(JSON.stringify((await fakeControl(plain, 'emit', { url: receiverUrl })).body)).toContain('encryptKey');
      await plain.close();
    });
  });
});
