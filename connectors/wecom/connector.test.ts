import { VendorError } from '../errors';
import type { Connector } from '../types';
import type { DirectoryPage } from '../../engine/model';
import { startWecomFake, type RunningWecomFake } from './fake';
import { fakeControl, fakeState } from './fake/test-helpers';
import { createWecomConnector, wecomFieldAliases, type WecomSettings } from './index';

const corpId = 'wwconn01';
const corpSecret = 'conn-secret-value-123';
let fake: RunningWecomFake;
let calls: string[];
let fetchSpy: jest.SpyInstance;

function connector(extra: Partial<WecomSettings> = {}): Connector {
  return createWecomConnector({ baseUrl: fake.baseUrl, corpId, rateLimitBackoffMs: 150, ...extra }, { corpSecret });
}

async function failure(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof VendorError) return err;
    throw err;
  }
  throw new Error('expected a VendorError');
}

const seedUsers = Array.from({ length: 25 }, (_, i) => ({
  userid: `user${i}`,
  name: `User ${i}`,
  department: i % 5 === 0 ? [2, 3] : [i % 2 === 0 ? 2 : 3],
  main_department: i % 2 === 0 ? 2 : 3,
  email: `user${i}@acme.test`,
  position: i === 0 ? 'CEO' : 'Engineer',
  direct_leader: i === 0 ? [] : ['user0'],
  enable: i === 24 ? 0 : 1,
  extattr: { attrs: [{ type: 0, name: 'employeeNumber', text: { value: `E${100 + i}` } }] },
}));

beforeEach(async () => {
  fake = await startWecomFake({ corpId, corpSecret, port: 0 });
  await fakeControl(fake, 'seed', {
    department: [
      { id: 1, name: 'Acme', parentid: 0 },
      { id: 2, name: 'Sales', parentid: 1, order: 2 },
      { id: 3, name: 'R&D', parentid: 1, order: 1, department_leader: ['user1'] },
      { id: 4, name: 'Empty', parentid: 3 },
    ],
    userlist: seedUsers,
  });
  calls = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.startsWith('/cgi-bin/')) calls.push(url.pathname.slice('/cgi-bin'.length));
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

async function readAll(c: Connector): Promise<DirectoryPage[]> {
  const pages: DirectoryPage[] = [];
  for await (const page of c.readSnapshot()) pages.push(page);
  return pages;
}

describe('WeCom connector: reading', () => {
  it('declares every capability', () => {
    expect(Object.values(connector().capabilities).every(Boolean)).toBe(true);
  });

  it('reads a paged snapshot, each user once, mapped to the canonical model', async () => {
    const pages = await readAll(connector({ listPageSize: 4 }));
    const departments = pages.flatMap((p) => p.departments);
    const users = pages.flatMap((p) => p.users);
    expect(pages.length).toBeGreaterThan(1);
    expect(calls.filter((c) => c === '/user/list_id').length).toBe(8); // 30 membership rows / 4 per page
    // user/list per department: one call per department with members instead of one per user
    expect(calls.filter((c) => c === '/user/list').length).toBe(2);
    expect(calls.filter((c) => c === '/user/get').length).toBe(0);
    expect(departments).toEqual(
      expect.arrayContaining([
        { id: '1', name: 'Acme', parentId: null, order: 100000000, leaderIds: [] },
        { id: '3', name: 'R&D', parentId: '1', order: 1, leaderIds: ['user1'] },
        { id: '4', name: 'Empty', parentId: '3', order: 0, leaderIds: [] },
      ]),
    );
    expect(users).toHaveLength(25);
    expect(new Set(users.map((u) => u.id)).size).toBe(25);
    expect(users.find((u) => u.id === 'user5')).toEqual({
      id: 'user5',
      username: 'user5',
      name: 'User 5',
      email: 'user5@acme.test',
      mobile: null,
      employeeNumber: 'E105',
      title: 'Engineer',
      departmentIds: ['2', '3'],
      mainDepartmentId: '3',
      managerId: 'user0',
      status: 'active',
      attributes: {},
    });
    expect(users.find((u) => u.id === 'user24')?.status).toBe('disabled');
    expect(users.find((u) => u.id === 'user0')?.managerId).toBeNull();
  });

  it('reads by ids and reports what is gone', async () => {
    const result = await connector().readByIds({ departmentIds: ['3', '99', 'abc'], userIds: ['user1', 'ghost'] });
    expect(result.departments.map((d) => d.id)).toEqual(['3']);
    expect(result.users.map((u) => u.id)).toEqual(['user1']);
    expect(result.missing).toEqual({ departmentIds: ['99', 'abc'], userIds: ['ghost'] });
  });

  it('exports vendor → canonical field aliases', () => {
    expect(wecomFieldAliases).toMatchObject({ position: 'title', userid: 'username', direct_leader: 'managerId', department_leader: 'leaderIds' });
  });
});

describe('WeCom connector: writing', () => {
  it('creates departments with a stable numeric id or lets WeCom choose', async () => {
    const c = connector();
    expect(await c.apply({ action: 'CreateDepartment', department: { id: '500', name: 'Ops', parentId: '2', order: 3, leaderIds: [] } })).toEqual({ externalId: '500' });
    const chosen = await c.apply({ action: 'CreateDepartment', department: { id: '', name: 'Top', parentId: null, order: 0, leaderIds: ['user2'] } });
    expect(chosen.externalId).toMatch(/^\d+$/);
    const state = await fakeState(fake);
    expect(state.department).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 500, name: 'Ops', parentid: 2, order: 3 }),
        expect.objectContaining({ id: Number(chosen.externalId), name: 'Top', parentid: 1, department_leader: ['user2'] }),
      ]),
    );
  });

  it('renames, reorders, moves and sets leaders of a department, then deletes it', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateDepartment', id: '4', changes: { name: 'Platform', order: 7, parentId: '2', leaderIds: ['user3'] } });
    expect((await fakeState(fake)).department).toContainEqual(expect.objectContaining({ id: 4, name: 'Platform', order: 7, parentid: 2, department_leader: ['user3'] }));
    await c.apply({ action: 'DeleteDepartment', id: '4' });
    expect((await fakeState(fake)).department.map((d) => d.id)).not.toContain(4);
  });

  it('creates, updates, moves, disables, enables, renames and deletes a user', async () => {
    const c = connector();
    const created = await c.apply({
      action: 'CreateUser',
      user: {
        id: '', username: 'zhang.san', name: 'Zhang San', email: 'zs@acme.test', mobile: '13800000009', employeeNumber: 'E9', title: 'Dev',
        departmentIds: ['3'], mainDepartmentId: null, managerId: 'user1', status: 'active', attributes: {},
      },
    });
    expect(created).toEqual({ externalId: 'zhang.san' });
    let read = (await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0];
    expect(read).toMatchObject({ title: 'Dev', departmentIds: ['3'], mainDepartmentId: '3', managerId: 'user1', employeeNumber: 'E9', mobile: '+8613800000009' });

    await c.apply({ action: 'UpdateUser', id: 'zhang.san', changes: { title: 'Lead', departmentIds: ['2'], mainDepartmentId: '2', managerId: 'user0', employeeNumber: 'E10' } });
    read = (await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0];
    expect(read).toMatchObject({ title: 'Lead', departmentIds: ['2'], mainDepartmentId: '2', managerId: 'user0', employeeNumber: 'E10' });

    await c.apply({ action: 'DisableUser', id: 'zhang.san' });
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0].status).toBe('disabled');
    await c.apply({ action: 'EnableUser', id: 'zhang.san' });
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0].status).toBe('active');

    expect(await c.apply({ action: 'UpdateUser', id: 'zhang.san', changes: { username: 'zhangsan' } })).toEqual({ externalId: 'zhangsan' });
    await c.apply({ action: 'DeleteUser', id: 'zhangsan' });
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhangsan', 'zhang.san'] })).missing.userIds).toEqual(['zhangsan', 'zhang.san']);
  });

  it('sends to_invite false on create unless the task turns inviteOnCreate on (WeCom alone would invite everyone)', async () => {
    const member = (userid: string) => ({
      id: userid, username: userid, name: userid, email: `${userid}@acme.test`, mobile: null, employeeNumber: null, title: null,
      departmentIds: ['2'], mainDepartmentId: null, managerId: null, status: 'active' as const, attributes: {},
    });
    await connector().apply({ action: 'CreateUser', user: member('quiet') });
    await connector({ inviteOnCreate: true }).apply({ action: 'CreateUser', user: member('welcome') });
    expect((await fakeState<{ invited: string[] }>(fake)).invited).toEqual(['welcome']);
  });
});

describe('WeCom connector: errors', () => {
  const user = (over: Record<string, unknown> = {}) => ({
    id: 'newguy', username: 'newguy', name: 'New Guy', email: 'ng@acme.test', mobile: null, employeeNumber: null, title: null,
    departmentIds: ['2'], mainDepartmentId: null, managerId: null, status: 'active' as const, attributes: {}, ...over,
  });

  it('writes mainland mobiles bare and others in WeCom\'s "+区号 号码" form, and reads both back as E.164', async () => {
    const c = connector();
    await c.apply({ action: 'CreateUser', user: user({ id: 'hk', username: 'hk', mobile: '+85291234567', email: null }) });
    await c.apply({ action: 'CreateUser', user: user({ id: 'cn', username: 'cn', mobile: '+8613800000019', email: null }) });
    const stored = (await fakeState(fake)).userlist as unknown as { userid: string; mobile: string }[];
    expect(stored.find((u) => u.userid === 'hk')?.mobile).toBe('+852 91234567');
    expect(stored.find((u) => u.userid === 'cn')?.mobile).toBe('13800000019');
    expect((await c.readByIds({ departmentIds: [], userIds: ['hk', 'cn'] })).users.map((u) => u.mobile)).toEqual(['+85291234567', '+8613800000019']);
    expect((await failure(c.apply({ action: 'UpdateUser', id: 'hk', changes: { mobile: 'n/a' } }))).message).toMatch(/user\.mobile/);
  });

  it.each([
    ['60003', { action: 'UpdateDepartment', id: '99', changes: { name: 'X' } }],
    ['60004', { action: 'CreateDepartment', department: { id: '', name: 'X', parentId: '98', order: 0, leaderIds: [] } }],
    ['60005', { action: 'DeleteDepartment', id: '2' }],
    ['60006', { action: 'DeleteDepartment', id: '3' }],
    ['60007', { action: 'DeleteDepartment', id: '1' }],
    ['60008', { action: 'CreateDepartment', department: { id: '', name: 'Empty', parentId: '3', order: 0, leaderIds: [] } }],
    ['60102', { action: 'CreateUser', user: user({ id: 'USER1' }) }],
    ['60106', { action: 'CreateUser', user: user({ email: 'user1@acme.test' }) }],
    ['60111', { action: 'UpdateUser', id: 'ghost', changes: { title: 'x' } }],
    ['60123', { action: 'CreateUser', user: user({ departmentIds: ['77'] }) }],
    ['60129', { action: 'UpdateUser', id: 'user1', changes: { email: null, mobile: null } }],
  ] as const)('maps WeCom %s to a permanent item error with the vendor code', async (code, op) => {
    const err = await failure(connector().apply(op as never));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: code });
    expect(err.message).toContain(code);
    expect(err.vendorMessage.length).toBeGreaterThan(0);
  });

  it('maps 60104 (mobile exists) too', async () => {
    const c = connector();
    await c.apply({ action: 'CreateUser', user: user({ id: 'm1', mobile: '13811112222', email: null }) });
    const err = await failure(c.apply({ action: 'CreateUser', user: user({ id: 'm2', mobile: '13811112222', email: null }) }));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: '60104' });
  });

  it.each([
    ['R&D: "Core"', 'department.name', 'contains ":"'],
    ['a/b|c', 'department.name', 'contains "|"'],
    ['x'.repeat(65), 'department.name', 'longer than 64'],
  ])('refuses department name %j before any call', async (name, field, hint) => {
    const c = connector();
    const err = await failure(c.apply({ action: 'CreateDepartment', department: { id: '', name, parentId: '1', order: 0, leaderIds: [] } }));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
    expect(err.message).toContain(field);
    expect(err.message).toContain(hint);
    const err2 = await failure(c.apply({ action: 'UpdateDepartment', id: '2', changes: { name } }));
    expect(err2.vendorCode).toBe('invalid_input');
    expect(calls).toEqual([]);
  });

  it('refuses a bad userid or a user with neither mobile nor email before any call', async () => {
    const c = connector();
    expect((await failure(c.apply({ action: 'CreateUser', user: user({ id: '张三' }) }))).message).toContain('user.id');
    expect((await failure(c.apply({ action: 'CreateUser', user: user({ id: '', username: 'a b' }) }))).message).toContain('user.username');
    expect((await failure(c.apply({ action: 'CreateUser', user: user({ email: null, mobile: null }) }))).message).toMatch(/mobile or an email/);
    expect(calls).toEqual([]);
  });

  it('recovers transparently from a token revoked mid-run', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateUser', id: 'user1', changes: { title: 'A' } });
    await fakeControl(fake, 'faults', { revokeTokens: true });
    await c.apply({ action: 'UpdateUser', id: 'user1', changes: { title: 'B' } });
    expect(calls.filter((p) => p === '/gettoken')).toHaveLength(2);
    expect(calls.filter((p) => p === '/user/update')).toHaveLength(3);
  });

  it('keeps working across a token that expires (TTL 1 s)', async () => {
    await fake.close();
    fake = await startWecomFake({ corpId, corpSecret, tokenTtlSeconds: 1 });
    const c = connector();
    expect((await c.readByIds({ departmentIds: ['1'], userIds: [] })).departments).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await c.readByIds({ departmentIds: ['1'], userIds: [] })).departments).toHaveLength(1);
    expect(calls.filter((p) => p === '/gettoken')).toHaveLength(2);
  });

  it('reports a rate-limit burst as transient with a wait hint, then succeeds when retried', async () => {
    const c = connector();
    await fakeControl(fake, 'faults', { rateLimitBurst: 1 });
    const err = await failure(c.apply({ action: 'DisableUser', id: 'user2' }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: '45009', retryAfterMs: 150 });
    const started = Date.now();
    await c.apply({ action: 'DisableUser', id: 'user2' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(100); // the client held back after the refusal
    expect((await fakeState(fake)).userlist).toContainEqual(expect.objectContaining({ userid: 'user2', enable: 0 }));
  });

  it('reports a 5xx as transient', async () => {
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    const err = await failure(connector().apply({ action: 'DeleteUser', id: 'user3' }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
  });

  it('never shows the corp secret or the access token in errors', async () => {
    const c = createWecomConnector({ baseUrl: fake.baseUrl, corpId, rateLimitBackoffMs: 150 }, { corpSecret: 'wrong-secret-value' });
    const bad = await failure(c.apply({ action: 'DeleteUser', id: 'user3' }));
    expect(bad).toMatchObject({ kind: 'permanent', vendorCode: '40001' });
    expect(JSON.stringify({ ...bad, message: bad.message })).not.toContain('wrong-secret-value');

    await fake.close(); // now every call fails on the network
    const down = await failure(connector().apply({ action: 'DeleteUser', id: 'user3' }));
    expect(down).toMatchObject({ kind: 'transient', vendorCode: 'network' });
    expect(`${down.message} ${down.vendorMessage}`).not.toContain(corpSecret);
    fake = await startWecomFake({ corpId, corpSecret });
  });
});
