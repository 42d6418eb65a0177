import type { DirectoryPage, User } from '../../engine/model';
import { fakeControl, fakeState, vendorFailure } from '../shared/test-helpers';
import type { Connector, ConnectorOperation } from '../types';
import { startDingtalkFake, type DingtalkFakeOptions, type RunningDingtalkFake } from './fake';
import { createDingtalkConnector, dingtalkCapabilities, dingtalkFieldAliases, type DingtalkSettings } from './index';

const creds = { appKey: 'dingconnkey', appSecret: 'conn-secret-value-123' };
let fake: RunningDingtalkFake;
let calls: string[];
let inFlight = 0;
let maxInFlight = 0;
let fetchSpy: jest.SpyInstance;

async function startFake(options: DingtalkFakeOptions = {}): Promise<void> {
  fake = await startDingtalkFake({ ...creds, port: 0, ratePerSecond: 5_000, ...options });
}

function connector(extra: Partial<DingtalkSettings> = {}): Connector {
  return createDingtalkConnector(
    { oapiBaseUrl: fake.oapiBaseUrl, apiBaseUrl: fake.apiBaseUrl, appKey: creds.appKey, ratePerSecond: 1_000, rateLimitBackoffMs: 20, ...extra },
    { appSecret: creds.appSecret },
  );
}


async function readAll(c: Connector): Promise<DirectoryPage[]> {
  const pages: DirectoryPage[] = [];
  for await (const page of c.readSnapshot()) pages.push(page);
  return pages;
}

const count = (path: string) => calls.filter((c) => c === path).length;

const baseSeed = {
  department: [
    { dept_id: 1, name: 'Acme' },
    { dept_id: 2, name: 'Sales', parent_id: 1, order: 2 },
    { dept_id: 3, name: 'R&D', parent_id: 1, order: 1, dept_manager_userid_list: ['lead'] },
    { dept_id: 4, name: 'Empty', parent_id: 3 },
    { dept_id: 9, name: 'Hidden', parent_id: 1 },
  ],
  userlist: [
    { userid: 'lead', name: 'Lead', mobile: '13900000000', dept_id_list: [3], title: 'CTO', job_number: 'E1', email: 'lead@acme.test' },
    { userid: 'dev', name: 'Dev', mobile: '13900000001', dept_id_list: [3, 2], manager_userid: 'lead', job_number: 'E2' },
    { userid: 'newbie', name: 'Newbie', mobile: '13900000002', dept_id_list: [2], active: false },
  ],
  out_of_scope: [9],
};

beforeEach(async () => {
  await startFake();
  await fakeControl(fake, 'seed', baseSeed);
  calls = [];
  inFlight = 0;
  maxInFlight = 0;
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.startsWith('/__fake')) return realFetch(input, init);
    calls.push(url.pathname);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await realFetch(input, init);
    } finally {
      inFlight -= 1;
    }
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('DingTalk connector: reading', () => {
  it('declares no freeze, so offboarding becomes a staged delete', () => {
    expect(connector().capabilities).toEqual(dingtalkCapabilities);
    expect(dingtalkCapabilities).toMatchObject({ disableUser: false, deleteUser: true, write: true, realtimeEvents: true });
    expect(dingtalkFieldAliases).toMatchObject({ job_number: 'employeeNumber', manager_userid: 'managerId', title: 'title', dept_id_list: 'departmentIds' });
  });

  it('maps the directory to the canonical model: root 1 has parentId null, members of two departments appear once', async () => {
    const pages = await readAll(connector());
    const departments = pages.flatMap((p) => p.departments);
    const users = pages.flatMap((p) => p.users);
    expect(departments).toEqual([
      { id: '1', name: 'Acme', parentId: null, order: 0, leaderIds: [] },
      { id: '3', name: 'R&D', parentId: '1', order: 1, leaderIds: ['lead'] },
      { id: '2', name: 'Sales', parentId: '1', order: 2, leaderIds: [] },
      { id: '4', name: 'Empty', parentId: '3', order: 0, leaderIds: [] },
    ]);
    expect(users.map((u) => u.id).sort()).toEqual(['dev', 'lead']);
    expect(users.find((u) => u.id === 'dev')).toEqual({
      id: 'dev',
      username: 'dev',
      name: 'Dev',
      email: null,
      mobile: '+8613900000001',
      employeeNumber: 'E2',
      title: null,
      departmentIds: ['3', '2'],
      mainDepartmentId: '3',
      managerId: 'lead',
      status: 'active',
      attributes: {},
    });
  });

  it('walks a wide and deep tree with one listsub and one get per department, 8 calls in flight at most', async () => {
    const wide = Array.from({ length: 60 }, (_, i) => ({ dept_id: 100 + i, name: `Team ${i}`, parent_id: 1 }));
    const deep = Array.from({ length: 12 }, (_, i) => ({ dept_id: 500 + i, name: `Level ${i}`, parent_id: i === 0 ? 100 : 499 + i }));
    await fakeControl(fake, 'seed', { department: [{ dept_id: 1, name: 'Acme' }, ...wide, ...deep], userlist: [] });
    calls = [];
    const pages = await readAll(connector());
    const total = 1 + wide.length + deep.length;
    expect(pages.flatMap((p) => p.departments)).toHaveLength(total);
    expect(count('/topapi/v2/department/listsub')).toBe(total);
    expect(count('/topapi/v2/department/get')).toBe(total);
    const departmentCalls = calls.filter((c) => c.startsWith('/topapi/v2/department/')).length;
    expect(departmentCalls).toBeLessThanOrEqual(2 * total);
    expect(count('/gettoken')).toBe(1);
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('pages members with cursor and size, across several pages, each member once', async () => {
    const many = Array.from({ length: 230 }, (_, i) => ({ userid: `u${i}`, name: `User ${i}`, mobile: `1370000${String(i).padStart(4, '0')}`, dept_id_list: i < 20 ? [2, 3] : [2] }));
    const departments = baseSeed.department.slice(0, 4).map(({ dept_id, name, parent_id }) => ({ dept_id, name, parent_id }));
    expect((await fakeControl(fake, 'seed', { department: departments, userlist: many })).status).toBe(200);
    calls = [];
    const users = (await readAll(connector({ listPageSize: 50 }))).flatMap((p) => p.users);
    expect(users).toHaveLength(230);
    expect(new Set(users.map((u) => u.id)).size).toBe(230);
    // dept 2: 230 members in 5 pages; dept 3: 20 in 1; root and Empty: 1 empty page each
    expect(count('/topapi/v2/user/list')).toBe(5 + 1 + 1 + 1);
  });

  it('reads by ids, reports what is gone, and marks members whose invitation is pending', async () => {
    const result = await connector().readByIds({ departmentIds: ['3', '404', 'abc'], userIds: ['lead', 'ghost', 'newbie'] });
    expect(result.departments.map((d) => d.id)).toEqual(['3']);
    expect(result.users.map((u) => u.id)).toEqual(['lead', 'newbie']);
    expect(result.users[1].attributes).toEqual({ dingtalkInvitationPending: true });
    expect(result.missing).toEqual({ departmentIds: ['404', 'abc'], userIds: ['ghost'] });
  });

  it('survives a token revoked mid-run and a rate-limit burst mid-run', async () => {
    const iterator = connector().readSnapshot()[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.departments).toHaveLength(4);
    await fakeControl(fake, 'faults', { revokeTokens: true, rateLimitBurst: 4 });
    const rest: User[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) rest.push(...next.value.users);
    expect(rest.map((u) => u.id).sort()).toEqual(['dev', 'lead']);
    expect(count('/gettoken')).toBe(2);
  });

  it('keeps working when tokens expire between runs', async () => {
    await fake.close();
    await startFake({ tokenTtlSeconds: 1 });
    await fakeControl(fake, 'seed', baseSeed);
    const c = connector();
    await readAll(c);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(c.apply({ action: 'UpdateUser', id: 'dev', changes: { title: 'Senior' } })).resolves.toEqual({});
    expect(count('/gettoken')).toBe(2);
  });
});

type State = {
  department: Array<{ dept_id: number; name: string; parent_id: number; order: number; dept_manager_userid_list: string[] }>;
  userlist: Array<Record<string, unknown> & { userid: string }>;
};
const state = () => fakeState<State>(fake);
const dept = async (id: number) => (await state()).department.find((d) => d.dept_id === id);
const user = async (id: string) => (await state()).userlist.find((u) => u.userid === id);

const newUser = (over: Partial<User> = {}): User => ({
  id: 'ann',
  username: 'ann',
  name: 'Ann',
  email: 'ann@acme.test',
  mobile: '+8613911112222',
  employeeNumber: 'E9',
  title: 'Engineer',
  departmentIds: ['2', '3'],
  mainDepartmentId: '3',
  managerId: 'lead',
  status: 'active',
  attributes: {},
  ...over,
});

describe('DingTalk connector: writing', () => {
  it('creates, renames, moves and deletes departments', async () => {
    const c = connector();
    const { externalId } = await c.apply({ action: 'CreateDepartment', department: { id: '', name: 'Ops', parentId: null, order: 5, leaderIds: ['lead'] } });
    const id = Number(externalId);
    expect(await dept(id)).toMatchObject({ name: 'Ops', parent_id: 1, order: 5, dept_manager_userid_list: ['lead'] });
    await c.apply({ action: 'UpdateDepartment', id: String(id), changes: { name: 'Operations', parentId: '3', order: 7, leaderIds: [] } });
    expect(await dept(id)).toMatchObject({ name: 'Operations', parent_id: 3, order: 7, dept_manager_userid_list: [] });
    await c.apply({ action: 'DeleteDepartment', id: String(id) });
    expect(await dept(id)).toBeUndefined();
  });

  it('creates a user with dept_id_list as a comma list (main first), manager, job number and title', async () => {
    const c = connector();
    expect(await c.apply({ action: 'CreateUser', user: newUser() })).toEqual({ externalId: 'ann' });
    expect(await user('ann')).toMatchObject({ dept_id_list: [3, 2], manager_userid: 'lead', job_number: 'E9', title: 'Engineer', email: 'ann@acme.test', mobile: '13911112222' });
    const [read] = (await c.readByIds({ departmentIds: [], userIds: ['ann'] })).users;
    // DingTalk has no main department: it reads back as the first of the list, the same set
    expect(read).toEqual(newUser({ departmentIds: ['3', '2'] }));
  });

  it('writes mainland mobiles bare and others as +xx-xxxxxx, and reads both back as E.164', async () => {
    const c = connector();
    await c.apply({ action: 'CreateUser', user: newUser({ id: 'hk', username: 'hk', mobile: '+85291234567', email: null }) });
    expect((await user('hk'))?.mobile).toBe('+852-91234567');
    await c.apply({ action: 'UpdateUser', id: 'hk', changes: { mobile: '+8613911113333' } });
    expect((await user('hk'))?.mobile).toBe('13911113333');
    expect((await c.readByIds({ departmentIds: [], userIds: ['hk', 'lead'] })).users.map((u) => u.mobile)).toEqual(['+8613911113333', '+8613900000000']);
  });

  it('updates, moves (departments, main department) and deletes a user', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateUser', id: 'dev', changes: { title: 'Lead dev', email: null, managerId: null, employeeNumber: 'E22' } });
    expect(await user('dev')).toMatchObject({ title: 'Lead dev', email: '', manager_userid: '', job_number: 'E22' });
    await c.apply({ action: 'UpdateUser', id: 'dev', changes: { departmentIds: ['4'] } });
    expect((await user('dev'))?.dept_id_list).toEqual([4]);
    await c.apply({ action: 'UpdateUser', id: 'lead', changes: { departmentIds: ['3', '2'], mainDepartmentId: '2' } });
    expect((await user('lead'))?.dept_id_list).toEqual([2, 3]);
    await c.apply({ action: 'UpdateUser', id: 'lead', changes: { mainDepartmentId: '3' } });
    expect((await user('lead'))?.dept_id_list).toEqual([3, 2]);
    await c.apply({ action: 'DeleteUser', id: 'dev' });
    expect(await user('dev')).toBeUndefined();
  });

  it('refuses to disable or enable clearly, without calling DingTalk', async () => {
    const c = connector();
    for (const action of ['DisableUser', 'EnableUser'] as const) {
      const err = await vendorFailure(c.apply({ action, id: 'dev' }));
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'unsupported' });
      expect(err.message).toContain('staged delete');
    }
    expect(await vendorFailure(c.apply({ action: 'UpdateUser', id: 'dev', changes: { status: 'disabled' } }))).toMatchObject({ vendorCode: 'unsupported' });
    expect(calls).toEqual([]);
  });

  it('gives members with a pending invitation a clear permanent status instead of a retry loop', async () => {
    const c = connector();
    const update = await vendorFailure(c.apply({ action: 'UpdateUser', id: 'newbie', changes: { title: 'x' } }));
    expect(update).toMatchObject({ kind: 'permanent', vendorCode: 'invitation_pending' });
    expect(update.message).toContain('newbie has not accepted the DingTalk invitation');
    const create = await vendorFailure(c.apply({ action: 'CreateUser', user: newUser({ id: 'newbie', username: 'newbie', mobile: '13955556666' }) }));
    expect(create).toMatchObject({ kind: 'permanent', vendorCode: 'invitation_pending' });
    // a member not yet joined is not listed: the snapshot does not show them
    expect((await readAll(c)).flatMap((p) => p.users).map((u) => u.id)).not.toContain('newbie');
  });

  it('in a tenant where members must confirm, a created member stays pending and says so', async () => {
    await fakeControl(fake, 'seed', { ...baseSeed, invite_confirmation: true });
    const c = connector();
    await c.apply({ action: 'CreateUser', user: newUser() });
    expect((await c.readByIds({ departmentIds: [], userIds: ['ann'] })).users[0].attributes).toEqual({ dingtalkInvitationPending: true });
    expect(await vendorFailure(c.apply({ action: 'UpdateUser', id: 'ann', changes: { title: 'x' } }))).toMatchObject({ vendorCode: 'invitation_pending' });
  });

  const refusals: Array<[string, ConnectorOperation, string]> = [
    ['department not found', { action: 'UpdateDepartment', id: '404', changes: { name: 'X' } }, '60003'],
    ['parent not found', { action: 'CreateDepartment', department: { id: '', name: 'X', parentId: '77', order: 0, leaderIds: [] } }, '60004'],
    ['department has members', { action: 'DeleteDepartment', id: '2' }, '60005'],
    ['department has sub-departments', { action: 'DeleteDepartment', id: '3' }, '60006'],
    ['root cannot be deleted', { action: 'DeleteDepartment', id: '1' }, '60007'],
    ['name exists among siblings', { action: 'CreateDepartment', department: { id: '', name: 'Sales', parentId: null, order: 0, leaderIds: [] } }, '60008'],
    ['userid exists', { action: 'CreateUser', user: newUser({ id: 'dev', username: 'dev', mobile: '13977778888' }) }, '60102'],
    ['mobile exists', { action: 'CreateUser', user: newUser({ mobile: '13900000001' }) }, '60104'],
    ['user not found', { action: 'UpdateUser', id: 'ghost', changes: { title: 'x' } }, '60121'],
    ['department out of scope', { action: 'CreateUser', user: newUser({ departmentIds: ['9'], mainDepartmentId: '9' }) }, '50004'],
    ['a department moved below itself', { action: 'UpdateDepartment', id: '3', changes: { parentId: '4' } }, '40035'],
  ];
  it.each(refusals)('maps "%s" to a permanent item error with DingTalk\'s code', async (_what, op, code) => {
    const err = await vendorFailure(connector().apply(op));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: code });
    expect(err.message).toMatch(new RegExp(`DingTalk /topapi/v2/\\S+ failed: ${code} \\S`));
    expect(err.message).not.toContain(creds.appSecret);
  });

  it.each([
    ['user.mobile', { action: 'CreateUser', user: newUser({ mobile: null }) }],
    ['user.username', { action: 'UpdateUser', id: 'dev', changes: { username: 'dev2' } }],
    ['department.name', { action: 'CreateDepartment', department: { id: '', name: 'x'.repeat(65), parentId: null, order: 0, leaderIds: [] } }],
    ['user.departmentIds', { action: 'UpdateUser', id: 'dev', changes: { departmentIds: ['od-1'] } }],
  ] as Array<[string, ConnectorOperation]>)('refuses bad input naming %s, before any call', async (field, op) => {
    const err = await vendorFailure(connector().apply(op));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
    expect(err.vendorMessage.startsWith(`${field}:`)).toBe(true);
    expect(calls.filter((c) => c.startsWith('/topapi'))).toEqual([]);
  });

  it('refuses bad settings by name', () => {
    expect(() => connector({ listPageSize: 101 })).toThrow('listPageSize');
    expect(() => connector({ readConcurrency: 0 })).toThrow('readConcurrency');
  });
});
