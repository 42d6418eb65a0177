import { fakeControl, fakeState } from '../shared/test-helpers';
import { startDingtalkFake, type RunningDingtalkFake } from './fake';
import { fakeToken, rawPost } from './fake/test-helpers';

const creds = { appKey: 'dingfakekey01', appSecret: 'fake-secret-value' };
let fake: RunningDingtalkFake;
let token: string;
const post = (path: string, body: Record<string, unknown> = {}) => rawPost(fake, token, path, body);

const seed = {
  department: [
    { dept_id: 1, name: 'Acme' },
    { dept_id: 2, name: 'R&D', parent_id: 1, order: 10 },
    { dept_id: 3, name: 'Backend', parent_id: 2 },
    { dept_id: 9, name: 'Secret lab', parent_id: 1 },
  ],
  userlist: [
    { userid: 'alice', name: 'Alice', mobile: '13800000001', dept_id_list: [3], email: 'alice@acme.test' },
    { userid: 'newbie', name: 'New', mobile: '13800000002', dept_id_list: '2', active: false },
  ],
  out_of_scope: [9],
};

beforeEach(async () => {
  fake = await startDingtalkFake({ ...creds, port: 0 });
  expect((await fakeControl(fake, 'seed', seed)).status).toBe(200);
  token = await fakeToken(fake, creds);
});
afterEach(() => fake.close());

describe('DingTalk fake: tokens and envelopes', () => {
  it('refuses bad credentials and tokens with DingTalk codes, every answer carrying request_id', async () => {
    const badKey = await (await fetch(`${fake.oapiBaseUrl}/gettoken?appkey=nope&appsecret=${creds.appSecret}`)).json();
    const badSecret = await (await fetch(`${fake.oapiBaseUrl}/gettoken?appkey=${creds.appKey}&appsecret=wrong`)).json();
    expect(badKey).toMatchObject({ errcode: 40089 });
    expect(badSecret).toMatchObject({ errcode: 40001 });
    expect(await rawPost(fake, undefined, '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 41001 });
    expect(await rawPost(fake, 'made-up', '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 40014 });
    const good = await post('/topapi/v2/department/get', { dept_id: 2 });
    expect(good).toMatchObject({ errcode: 0, errmsg: 'ok', result: { dept_id: 2, name: 'R&D', parent_id: 1, order: 10 } });
    expect(typeof good.request_id).toBe('string');
  });

  it('expires tokens after their TTL with 42001, and revokes them on demand with 40014', async () => {
    const short = await startDingtalkFake({ ...creds, tokenTtlSeconds: 1 });
    try {
      const t = await fakeToken(short, creds);
      expect(await rawPost(short, t, '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 0 });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await rawPost(short, t, '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 42001 });
    } finally {
      await short.close();
    }
    await fakeControl(fake, 'faults', { revokeTokens: true });
    expect(await post('/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 40014 });
  });

  it('issues the new-API token on /v1.0/oauth2/accessToken and refuses a wrong secret with HTTP 400', async () => {
    const res = await fetch(`${fake.apiBaseUrl}/v1.0/oauth2/accessToken`, { method: 'POST', body: JSON.stringify(creds) });
    expect(await res.json()).toMatchObject({ accessToken: expect.any(String), expireIn: 7200 });
    const bad = await fetch(`${fake.apiBaseUrl}/v1.0/oauth2/accessToken`, { method: 'POST', body: JSON.stringify({ ...creds, appSecret: 'x' }) });
    expect(bad.status).toBe(400);
  });
});

describe('DingTalk fake: rate limits and faults', () => {
  it('answers 90018 over the per-second limit, per API', async () => {
    const slow = await startDingtalkFake({ ...creds, ratePerSecond: 3 });
    try {
      const t = await fakeToken(slow, creds);
      const answers = await Promise.all(Array.from({ length: 5 }, () => rawPost(slow, t, '/topapi/v2/department/get', { dept_id: 1 })));
      expect(answers.map((a) => a.errcode).sort()).toEqual([0, 0, 0, 90018, 90018]);
      // another API has its own quota
      expect(await rawPost(slow, t, '/topapi/v2/department/listsub', { dept_id: 1 })).toMatchObject({ errcode: 0 });
    } finally {
      await slow.close();
    }
  });

  it('answers 88 with sub_code 90006 over the per-minute limit', async () => {
    const slow = await startDingtalkFake({ ...creds, ratePerMinute: 2 });
    try {
      const t = await fakeToken(slow, creds);
      for (let i = 0; i < 2; i += 1) expect(await rawPost(slow, t, '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 0 });
      expect(await rawPost(slow, t, '/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 88, sub_code: '90006' });
    } finally {
      await slow.close();
    }
  });

  it('injects a platform-wide burst (88 / 90002) and server errors', async () => {
    await fakeControl(fake, 'faults', { rateLimitBurst: 1, serverErrors: 1 });
    const first = await fetch(`${fake.oapiBaseUrl}/topapi/v2/department/get?access_token=${token}`, { method: 'POST', body: '{"dept_id":1}' });
    expect(first.status).toBe(500);
    expect(await post('/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 88, sub_code: '90002' });
    expect(await post('/topapi/v2/department/get', { dept_id: 1 })).toMatchObject({ errcode: 0 });
  });
});

describe('DingTalk fake: directory rules', () => {
  it('lists one level at a time, hiding what is out of scope, and refuses it with 50004', async () => {
    expect((await post('/topapi/v2/department/listsub', { dept_id: 1 })).result).toEqual([
      { dept_id: 2, name: 'R&D', parent_id: 1, create_dept_group: false, auto_add_user: false },
    ]);
    expect((await post('/topapi/v2/department/listsubid', { dept_id: 2 })).result).toEqual({ dept_id_list: [3] });
    expect(await post('/topapi/v2/department/get', { dept_id: 9 })).toMatchObject({ errcode: 50004 });
    expect(await post('/topapi/v2/user/create', { name: 'X', mobile: '1', dept_id_list: '9' })).toMatchObject({ errcode: 50004 });
  });

  it('creates, moves and refuses departments like DingTalk', async () => {
    const created = await post('/topapi/v2/department/create', { name: 'Ops', parent_id: 2, order: 3 });
    expect(created).toMatchObject({ errcode: 0, result: { dept_id: expect.any(Number) } });
    const id = (created.result as { dept_id: number }).dept_id;
    expect(await post('/topapi/v2/department/create', { name: 'Ops', parent_id: 2 })).toMatchObject({ errcode: 60008 });
    expect(await post('/topapi/v2/department/create', { name: 'Orphan', parent_id: 77 })).toMatchObject({ errcode: 60004 });
    expect(await post('/topapi/v2/department/update', { dept_id: 2, parent_id: id })).toMatchObject({ errcode: 40035 });
    expect(await post('/topapi/v2/department/update', { dept_id: id, parent_id: 1, dept_manager_userid_list: 'alice' })).toMatchObject({ errcode: 0 });
    expect(await post('/topapi/v2/department/get', { dept_id: 404 })).toMatchObject({ errcode: 60003 });
    expect(await post('/topapi/v2/department/delete', { dept_id: 1 })).toMatchObject({ errcode: 60007 });
    expect(await post('/topapi/v2/department/delete', { dept_id: 2 })).toMatchObject({ errcode: 60006 });
    expect(await post('/topapi/v2/department/delete', { dept_id: 3 })).toMatchObject({ errcode: 60005 });
    expect(await post('/topapi/v2/department/delete', { dept_id: id })).toMatchObject({ errcode: 0 });
  });

  it('creates users from comma-separated dept_id_list and refuses duplicates, unknowns and pending members', async () => {
    const created = await post('/topapi/v2/user/create', { userid: 'bob', name: 'Bob', mobile: '13800000003', dept_id_list: '3,2', manager_userid: 'alice', job_number: 'E7', title: 'Dev' });
    expect(created).toMatchObject({ errcode: 0, result: { userid: 'bob' } });
    expect((await post('/topapi/v2/user/get', { userid: 'bob' })).result).toMatchObject({ dept_id_list: [3, 2], manager_userid: 'alice', job_number: 'E7', title: 'Dev', active: true });
    expect(await post('/topapi/v2/user/create', { userid: 'bob', name: 'B', mobile: '139' })).toMatchObject({ errcode: 60102 });
    expect(await post('/topapi/v2/user/create', { userid: 'carol', name: 'C', mobile: '13800000001' })).toMatchObject({ errcode: 60104 });
    expect(await post('/topapi/v2/user/get', { userid: 'ghost' })).toMatchObject({ errcode: 60121 });
    expect(await post('/topapi/v2/user/update', { userid: 'newbie', title: 'x' })).toMatchObject({ errcode: 60148 });
    expect(await post('/topapi/v2/user/create', { name: 'No mobile' })).toMatchObject({ errcode: 40035 });
  });

  it('pages user/list with cursor and size ≤ 100, leaving out members who have not joined', async () => {
    const page = await post('/topapi/v2/user/list', { dept_id: 2, cursor: 0, size: 10 });
    expect(page.result).toEqual({ has_more: false, list: [] });
    expect(await post('/topapi/v2/user/list', { dept_id: 2, cursor: 0, size: 101 })).toMatchObject({ errcode: 40035 });
    for (let i = 0; i < 3; i += 1) await post('/topapi/v2/user/create', { userid: `u${i}`, name: `U${i}`, mobile: `1390000000${i}`, dept_id_list: '3' });
    const first = (await post('/topapi/v2/user/list', { dept_id: 3, cursor: 0, size: 2 })).result as { has_more: boolean; next_cursor: number; list: Array<{ userid: string }> };
    expect(first).toMatchObject({ has_more: true, next_cursor: 2 });
    const second = (await post('/topapi/v2/user/list', { dept_id: 3, cursor: first.next_cursor, size: 2 })).result as { has_more: boolean; list: Array<{ userid: string }> };
    expect([...first.list, ...second.list].map((u) => u.userid)).toEqual(['alice', 'u0', 'u1', 'u2']);
    expect(second.has_more).toBe(false);
  });

  it('dumps its state, refuses a bad seed with a 400 naming the record, and keeps the old directory', async () => {
    const state = await fakeState<{ department: Array<{ dept_id: number }>; userlist: Array<{ userid: string; active: boolean }>; out_of_scope: number[] }>(fake);
    expect(state.department.map((d) => d.dept_id)).toEqual([1, 9, 2, 3]);
    expect(state.userlist.find((u) => u.userid === 'newbie')?.active).toBe(false);
    expect(state.out_of_scope).toEqual([9]);
    const bad = await fakeControl(fake, 'seed', { department: [{ dept_id: 5, name: 'Lost', parent_id: 42 }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('department[0]');
    expect((await fakeState<{ userlist: unknown[] }>(fake)).userlist).toHaveLength(2);
  });

  it('refuses emit without callback keys', async () => {
    expect((await fakeControl(fake, 'emit', { url: 'http://127.0.0.1:1/x', event: { EventType: 'user_add_org' } })).status).toBe(400);
  });
});

describe('DingTalk fake: what the app is granted', () => {
  it('wraps every contact write of an app without the write permission in 88 / sub_code 60011, and reads as before', async () => {
    expect((await fakeControl(fake, 'seed', { ...seed, contact_write: false })).status).toBe(200);
    token = await fakeToken(fake, creds);
    const refused = { errcode: 88, sub_code: '60011', request_id: expect.any(String) };
    expect(await post('/topapi/v2/department/update', { dept_id: 1 })).toMatchObject(refused);
    expect(await post('/topapi/v2/department/create', { name: 'New', parent_id: 1 })).toMatchObject(refused);
    expect(await post('/topapi/v2/user/update', { userid: 'alice', title: 'Boss' })).toMatchObject(refused);
    expect(await post('/topapi/v2/user/delete', { userid: 'alice' })).toMatchObject(refused);
    expect(await post('/topapi/v2/user/get', { userid: 'alice' })).toMatchObject({ errcode: 0, result: { title: '' } });
    expect((await fakeState<{ contact_write: boolean }>(fake)).contact_write).toBe(false);
    expect((await fakeControl(fake, 'seed', { ...seed, contact_write: 'no' })).status).toBe(400);
  });
});
