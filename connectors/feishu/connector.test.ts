import type { DirectoryPage, User } from '../../engine/model';
import { fakeControl, fakeState, vendorFailure as failure } from '../shared/test-helpers';
import type { Connector } from '../types';
import { startFeishuFake, type RunningFeishuFake } from './fake';
import { fixtureCredentials, fixtureSeed } from './fake/test-fixtures';
import { createFeishuConnector, feishuCapabilities, feishuFieldAliases, type FeishuSettings } from './index';

const { appId, appSecret } = fixtureCredentials;
let fake: RunningFeishuFake;
let calls: Array<{ method: string; path: string; query: URLSearchParams }>;
let fetchSpy: jest.SpyInstance;

type State = { departments: Array<Record<string, unknown>>; users: Array<Record<string, unknown> & { status: Record<string, boolean> }> };

function connector(extra: Partial<FeishuSettings> = {}): Connector {
  return createFeishuConnector({ baseUrl: fake.baseUrl, appId, ...extra }, { appSecret });
}

async function readAll(c: Connector): Promise<DirectoryPage[]> {
  const pages: DirectoryPage[] = [];
  for await (const page of c.readSnapshot()) pages.push(page);
  return pages;
}

const newUser = (over: Partial<User> = {}): User => ({
  id: 'newguy', username: 'newguy', name: 'New Guy', email: 'ng@acme.test', mobile: '13700000001', employeeNumber: null, title: null,
  departmentIds: ['sales'], mainDepartmentId: null, managerId: null, status: 'active', attributes: {}, ...over,
});

const apiCalls = (suffix: string, method?: string) => calls.filter((c) => c.path.endsWith(suffix) && (!method || c.method === method));

beforeEach(async () => {
  fake = await startFeishuFake({ ...fixtureCredentials, port: 0 });
  expect((await fakeControl(fake, 'seed', fixtureSeed)).status).toBe(200);
  calls = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.startsWith('/open-apis/')) calls.push({ method: init?.method ?? 'GET', path: url.pathname.slice('/open-apis'.length), query: url.searchParams });
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('Feishu connector: reading', () => {
  it('declares every capability and exports field aliases', () => {
    expect(Object.values(feishuCapabilities).every(Boolean)).toBe(true);
    expect(connector().kind).toBe('feishu');
    expect(feishuFieldAliases).toMatchObject({ job_title: 'title', employee_no: 'employeeNumber', leader_user_id: 'managerId', user_id: 'username' });
  });

  it('reads a paged snapshot with custom ids: the tree from children?fetch_child, members once each', async () => {
    const pages = await readAll(connector({ pageSize: 3 }));
    const departments = pages.flatMap((p) => p.departments);
    const users = pages.flatMap((p) => p.users);
    const children = apiCalls('/contact/v3/departments/0/children');
    expect(children).toHaveLength(2); // 4 departments, 3 per page
    expect(children[0].query.get('fetch_child')).toBe('true');
    expect(children[1].query.get('page_token')).toBeTruthy();
    expect(calls.every((c) => c.path.startsWith('/auth') || (c.query.get('user_id_type') === 'user_id' && c.query.get('department_id_type') === 'department_id'))).toBe(true);
    expect(calls.every((c) => Number(c.query.get('page_size') ?? 0) <= 50)).toBe(true);
    // one find_by_department per department (root included) plus its further pages
    expect(new Set(apiCalls('/users/find_by_department').map((c) => c.query.get('department_id')))).toEqual(new Set(['0', 'sales', 'rnd', 'platform', 'empty']));
    expect(apiCalls('/users/find_by_department').length).toBeGreaterThan(5);
    expect(departments).toEqual([
      { id: 'rnd', name: 'R&D', parentId: null, order: 1, leaderIds: ['u1'] },
      { id: 'sales', name: 'Sales', parentId: null, order: 2, leaderIds: [] },
      { id: 'platform', name: 'Platform', parentId: 'rnd', order: 1, leaderIds: [] },
      { id: 'empty', name: 'Empty', parentId: 'platform', order: 1000, leaderIds: [] },
    ]);
    expect(users).toHaveLength(24); // the resigned member is not in the directory
    expect(new Set(users.map((u) => u.id)).size).toBe(24);
    expect(users.find((u) => u.id === 'u5')).toEqual({
      id: 'u5', username: 'u5', name: 'User 5', email: 'u5@acme.test', mobile: '+8613800000005', employeeNumber: 'E105', title: 'Engineer',
      departmentIds: ['sales', 'rnd'], mainDepartmentId: 'sales', managerId: 'u0', status: 'active',
      attributes: { employeeType: 1, openId: expect.stringMatching(/^ou_/) },
    });
    expect(users.find((u) => u.id === 'u0')).toMatchObject({ departmentIds: [], mainDepartmentId: null, managerId: null });
    expect(users.find((u) => u.id === 'u23')?.status).toBe('disabled');
    expect(users.find((u) => u.id === 'u3')?.attributes.employeeType).toBe(2);
  });

  it('reads by ids and reports unknown and resigned ones as missing', async () => {
    const result = await connector().readByIds({ departmentIds: ['platform', 'nope'], userIds: ['u1', 'ghost', 'gone'] });
    expect(result.departments).toEqual([{ id: 'platform', name: 'Platform', parentId: 'rnd', order: 1, leaderIds: [] }]);
    expect(result.users.map((u) => u.id)).toEqual(['u1']);
    expect(result.missing).toEqual({ departmentIds: ['nope'], userIds: ['ghost', 'gone'] });
  });
});

describe('Feishu connector: writing', () => {
  it('creates departments with a custom id, a leader and top level "0", or lets Feishu choose the id', async () => {
    const c = connector();
    expect(await c.apply({ action: 'CreateDepartment', department: { id: 'ops', name: 'Ops', parentId: 'sales', order: 3, leaderIds: ['u2', 'u4'] } })).toEqual({ externalId: 'ops' });
    const chosen = await c.apply({ action: 'CreateDepartment', department: { id: '', name: 'Top', parentId: null, order: 0, leaderIds: [] } });
    expect(chosen.externalId).toEqual(expect.any(String));
    const state = await fakeState<State>(fake);
    expect(state.departments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ department_id: 'ops', name: 'Ops', parent_department_id: 'sales', order: '3', leader_user_id: 'u2', open_department_id: expect.stringMatching(/^od-/) }),
        expect.objectContaining({ department_id: chosen.externalId, name: 'Top', parent_department_id: '0' }),
      ]),
    );
  });

  it('renames, reorders, moves, sets and clears the leader of a department, then deletes it', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateDepartment', id: 'empty', changes: { name: 'Infra', order: 7, parentId: 'sales', leaderIds: ['u3'] } });
    let read = (await c.readByIds({ departmentIds: ['empty'], userIds: [] })).departments[0];
    expect(read).toEqual({ id: 'empty', name: 'Infra', parentId: 'sales', order: 7, leaderIds: ['u3'] });
    await c.apply({ action: 'UpdateDepartment', id: 'empty', changes: { parentId: null, leaderIds: [] } });
    read = (await c.readByIds({ departmentIds: ['empty'], userIds: [] })).departments[0];
    expect(read).toMatchObject({ parentId: null, leaderIds: [] });
    expect(await c.apply({ action: 'UpdateDepartment', id: 'empty', changes: {} })).toEqual({});
    await c.apply({ action: 'DeleteDepartment', id: 'empty' });
    expect((await c.readByIds({ departmentIds: ['empty'], userIds: [] })).missing.departmentIds).toEqual(['empty']);
  });

  it('creates, updates, moves, freezes, unfreezes and resigns a user', async () => {
    const c = connector({ defaultEmployeeType: 3 });
    const created = await c.apply({
      action: 'CreateUser',
      user: newUser({ id: 'zhang.san', username: 'zhang.san', employeeNumber: 'E9', title: 'Dev', departmentIds: ['sales', 'platform'], mainDepartmentId: 'platform', managerId: 'u1' }),
    });
    expect(created).toEqual({ externalId: 'zhang.san' });
    let stored = (await fakeState<State>(fake)).users.find((u) => u.user_id === 'zhang.san');
    expect(stored).toMatchObject({ mobile: '+8613700000001', employee_type: 3, department_ids: ['platform', 'sales'], leader_user_id: 'u1', employee_no: 'E9', job_title: 'Dev' });
    let read = (await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0];
    expect(read).toMatchObject({ mobile: '+8613700000001', mainDepartmentId: 'platform', departmentIds: ['platform', 'sales'], managerId: 'u1' });

    await c.apply({
      action: 'UpdateUser',
      id: 'zhang.san',
      changes: { title: 'Lead', departmentIds: ['rnd'], managerId: 'u0', employeeNumber: 'E10', email: null, attributes: { employeeType: 5 } },
    });
    read = (await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0];
    expect(read).toMatchObject({ title: 'Lead', departmentIds: ['rnd'], managerId: 'u0', employeeNumber: 'E10', email: null, attributes: { employeeType: 5 } });
    await c.apply({ action: 'UpdateUser', id: 'zhang.san', changes: { departmentIds: ['rnd', 'sales'] } });
    await c.apply({ action: 'UpdateUser', id: 'zhang.san', changes: { mainDepartmentId: 'sales' } });
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0].departmentIds).toEqual(['sales', 'rnd']);

    await c.apply({ action: 'DisableUser', id: 'zhang.san' });
    stored = (await fakeState<State>(fake)).users.find((u) => u.user_id === 'zhang.san');
    expect(stored?.status.is_frozen).toBe(true);
    await c.apply({ action: 'EnableUser', id: 'zhang.san' });
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).users[0].status).toBe('active');

    await c.apply({ action: 'DeleteUser', id: 'zhang.san' });
    expect(apiCalls('/contact/v3/users/zhang.san', 'DELETE')).toHaveLength(1);
    stored = (await fakeState<State>(fake)).users.find((u) => u.user_id === 'zhang.san');
    expect(stored?.status.is_resigned).toBe(true);
    expect((await c.readByIds({ departmentIds: [], userIds: ['zhang.san'] })).missing.userIds).toEqual(['zhang.san']);
  });

  it('creates a frozen user when asked for status disabled', async () => {
    await connector().apply({ action: 'CreateUser', user: newUser({ status: 'disabled' }) });
    expect((await fakeState<State>(fake)).users.find((u) => u.user_id === 'newguy')?.status.is_frozen).toBe(true);
  });

  it('asks Feishu to send its invitation (need_send_notification) only when the task turns inviteOnCreate on', async () => {
    await connector().apply({ action: 'CreateUser', user: newUser() });
    await connector({ inviteOnCreate: true }).apply({ action: 'CreateUser', user: newUser({ id: 'welcome', username: 'welcome', mobile: '13700000002', email: 'w@acme.test' }) });
    expect((await fakeState<{ invited: string[] }>(fake)).invited).toEqual(['welcome']);
  });

  it('resurrects a resigned user on EnableUser, and on CreateUser when the same person returns', async () => {
    const c = connector();
    await c.apply({ action: 'EnableUser', id: 'gone' });
    expect(apiCalls('/contact/v3/users/gone/resurrect', 'POST')).toHaveLength(1);
    expect((await c.readByIds({ departmentIds: [], userIds: ['gone'] })).users[0]).toMatchObject({ id: 'gone', status: 'active', departmentIds: ['sales'] });

    await c.apply({ action: 'DeleteUser', id: 'u7' });
    const back = await c.apply({ action: 'CreateUser', user: newUser({ id: 'u7', username: 'u7', name: 'User 7 again', mobile: '13800000007', email: 'u7@acme.test', departmentIds: ['rnd'], title: 'Returner' }) });
    expect(back).toEqual({ externalId: 'u7' });
    expect(apiCalls('/contact/v3/users/u7/resurrect', 'POST')).toHaveLength(1);
    const state = await fakeState<State>(fake);
    expect(state.users.filter((u) => u.user_id === 'u7')).toHaveLength(1);
    expect((await c.readByIds({ departmentIds: [], userIds: ['u7'] })).users[0]).toMatchObject({ name: 'User 7 again', departmentIds: ['rnd'], title: 'Returner', status: 'active' });
  });

  it('resurrects a user it created itself and then resigned, although the rehire repeats the first client_token', async () => {
    const c = connector();
    await c.apply({ action: 'CreateUser', user: newUser({ id: '', title: 'First hire' }) });
    await c.apply({ action: 'DeleteUser', id: 'newguy' });
    expect(await c.apply({ action: 'CreateUser', user: newUser({ id: '', title: 'Rehired', departmentIds: ['rnd'] }) })).toEqual({ externalId: 'newguy' });
    const tokens = apiCalls('/contact/v3/users', 'POST').map((call) => call.query.get('client_token'));
    expect(tokens[0]).toBe(tokens[1]);
    expect(apiCalls('/contact/v3/users/newguy/resurrect', 'POST')).toHaveLength(1);
    expect((await fakeState<State>(fake)).users.filter((u) => u.user_id === 'newguy')).toHaveLength(1);
    expect((await c.readByIds({ departmentIds: [], userIds: ['newguy'] })).users[0]).toMatchObject({ title: 'Rehired', departmentIds: ['rnd'], status: 'active' });
  });

  it('sends a client_token derived from the create, so a retried create does not duplicate', async () => {
    const c = connector();
    const department = { id: '', name: 'Retry Me', parentId: 'sales', order: 0, leaderIds: [] };
    const first = await c.apply({ action: 'CreateDepartment', department });
    const again = await c.apply({ action: 'CreateDepartment', department });
    expect(again).toEqual(first);
    const user = newUser({ id: 'retry.user', username: 'retry.user' });
    expect(await c.apply({ action: 'CreateUser', user })).toEqual({ externalId: 'retry.user' });
    expect(await c.apply({ action: 'CreateUser', user })).toEqual({ externalId: 'retry.user' }); // not 41011: the first create is returned
    const tokens = [...apiCalls('/contact/v3/departments', 'POST'), ...apiCalls('/contact/v3/users', 'POST')].map((call) => call.query.get('client_token'));
    expect(tokens.every((t) => typeof t === 'string' && /^[0-9a-f-]{36}$/.test(t))).toBe(true);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).toBe(tokens[3]);
    // another connector instance (a retried activity) derives the same token
    await connector().apply({ action: 'CreateDepartment', department });
    const state = await fakeState<State>(fake);
    expect(state.departments.filter((d) => d.name === 'Retry Me')).toHaveLength(1);
    expect(state.users.filter((u) => u.user_id === 'retry.user')).toHaveLength(1);
  });
});

describe('Feishu connector: errors', () => {
  it.each([
    ['43000', { action: 'CreateDepartment', department: { id: '', name: 'Platform', parentId: 'rnd', order: 0, leaderIds: [] } }],
    ['43005', { action: 'CreateDepartment', department: { id: '', name: 'Other', parentId: null, order: 2, leaderIds: [] } }],
    ['43007', { action: 'CreateDepartment', department: { id: 'sales', name: 'Sales 2', parentId: null, order: 0, leaderIds: [] } }],
    ['43011', { action: 'DeleteDepartment', id: 'sales' }],
    ['43012', { action: 'DeleteDepartment', id: 'rnd' }],
    ['40002', { action: 'DeleteDepartment', id: '0' }],
    ['44101', { action: 'CreateDepartment', department: { id: '', name: 'Orphan', parentId: 'nowhere', order: 0, leaderIds: [] } }],
    ['40004', { action: 'UpdateDepartment', id: 'nowhere', changes: { name: 'X' } }],
    ['41001', { action: 'CreateUser', user: newUser({ mobile: '+8613800000002' }) }],
    ['41002', { action: 'CreateUser', user: newUser({ email: 'u2@acme.test' }) }],
    ['41011', { action: 'CreateUser', user: newUser({ id: 'u2', username: 'u2', mobile: '13711110000', email: null }) }],
    ['41050', { action: 'UpdateUser', id: 'ghost', changes: { title: 'x' } }],
  ] as const)('maps Feishu %s to a permanent item error with the vendor code', async (code, op) => {
    const err = await failure(connector().apply(op as never));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: code });
    expect(err.message).toContain(code);
    expect(err.vendorMessage.length).toBeGreaterThan(0);
  });

  it('refuses missing required fields and bad input before any call, naming the field', async () => {
    const c = connector();
    const cases: Array<[Promise<unknown>, string]> = [
      [c.apply({ action: 'CreateUser', user: newUser({ mobile: null }) }), 'user.mobile'],
      [c.apply({ action: 'UpdateUser', id: 'u1', changes: { mobile: null } }), 'user.mobile'],
      [c.apply({ action: 'CreateUser', user: newUser({ attributes: { employeeType: 9 } }) }), 'user.attributes.employeeType'],
      [c.apply({ action: 'CreateUser', user: newUser({ departmentIds: Array.from({ length: 51 }, (_, i) => `d${i}`) }) }), 'user.departmentIds'],
      [c.apply({ action: 'CreateDepartment', department: { id: '', name: 'a/b', parentId: null, order: 0, leaderIds: [] } }), 'department.name'],
      [c.apply({ action: 'UpdateUser', id: 'u1', changes: { username: 'renamed' } }), 'user.username'],
    ];
    for (const [p, field] of cases) {
      const err = await failure(p);
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
      expect(err.message).toContain(field);
    }
    expect(calls).toEqual([]);
    expect(() => createFeishuConnector({ baseUrl: fake.baseUrl, appId, defaultEmployeeType: 7 as never }, { appSecret })).toThrow('defaultEmployeeType');
    expect(() => createFeishuConnector({ baseUrl: fake.baseUrl, appId, pageSize: 51 }, { appSecret })).toThrow('pageSize');
  });

  it('recovers transparently from a token revoked mid-run (refresh and retry once)', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateUser', id: 'u1', changes: { title: 'A' } });
    await fakeControl(fake, 'faults', { revokeTokens: true });
    await c.apply({ action: 'UpdateUser', id: 'u1', changes: { title: 'B' } });
    expect(apiCalls('/auth/v3/tenant_access_token/internal')).toHaveLength(2);
    expect(apiCalls('/contact/v3/users/u1', 'PATCH')).toHaveLength(3);
  });

  it('keeps working across a token that expires mid-run (TTL 2 s)', async () => {
    await fake.close();
    fake = await startFeishuFake({ ...fixtureCredentials, tokenTtlSeconds: 2 });
    await fakeControl(fake, 'seed', fixtureSeed);
    const c = connector();
    expect((await c.readByIds({ departmentIds: ['sales'], userIds: [] })).departments).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 2100));
    expect((await c.readByIds({ departmentIds: ['sales'], userIds: [] })).departments).toHaveLength(1);
    expect(apiCalls('/auth/v3/tenant_access_token/internal')).toHaveLength(2);
  });

  it('reports a 429 burst as transient with the x-ogw-ratelimit-reset wait, and holds back before the retry', async () => {
    const c = connector();
    await fakeControl(fake, 'faults', { rateLimitBurst: 1 });
    const err = await failure(c.apply({ action: 'DisableUser', id: 'u2' }));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: '99991400', retryAfterMs: 1000 });
    const started = Date.now();
    await c.apply({ action: 'DisableUser', id: 'u2' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await fakeState<State>(fake)).users.find((u) => u.user_id === 'u2')?.status.is_frozen).toBe(true);
  });

  it('reports a 5xx as transient', async () => {
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    expect(await failure(connector().apply({ action: 'DeleteUser', id: 'u3' }))).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
  });

  it('never shows the app secret or the token in errors', async () => {
    const bad = await failure(createFeishuConnector({ baseUrl: fake.baseUrl, appId }, { appSecret: 'wrong-secret-value' }).apply({ action: 'DeleteUser', id: 'u3' }));
    expect(bad).toMatchObject({ kind: 'permanent', vendorCode: '10014' });
    expect(JSON.stringify({ ...bad, message: bad.message })).not.toContain('wrong-secret-value');
    await fake.close();
    const down = await failure(connector().apply({ action: 'DeleteUser', id: 'u3' }));
    expect(down).toMatchObject({ kind: 'transient', vendorCode: 'network' });
    expect(`${down.message} ${down.vendorMessage}`).not.toContain(appSecret);
    fake = await startFeishuFake(fixtureCredentials);
  });
});
