/**
 * The SCIM connector against a third-party SCIM 2.0 server (`scim2-server` from PyPI, in memory):
 * every operation, the enterprise extension, groups as departments, paging, correlation before
 * create, ETags, PUT instead of PATCH, the lost-create look-up and the connection test.
 */
import type { User } from '../../engine/model';
import { startScimServer, type RunningScimServer } from '../../test/support/scim-server';
import { vendorFailure } from '../shared/test-helpers';
import type { Connector } from '../types';
import { testScimConnection } from './connection-test';
import { createScimConnector, type ScimSettings } from './index';
import { enterpriseSchema } from './mapping';

jest.setTimeout(30_000);

let server: RunningScimServer;

beforeAll(async () => {
  server = await startScimServer();
});
afterAll(() => server?.close());

const settings = (extra: Partial<ScimSettings> = {}): ScimSettings => ({ profile: 'generic', baseUrl: server.baseUrl, ...extra });
const connect = (extra: Partial<ScimSettings> = {}) => createScimConnector(settings(extra), { token: server.token });

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** What HTTP calls `run` made, as "METHOD /path". */
async function recordingMethods<T>(run: () => Promise<T>): Promise<{ result: T; sent: string[] }> {
  const sent: string[] = [];
  const realFetch = global.fetch;
  const spy = jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    sent.push(`${String(init?.method)} ${new URL(String(input)).pathname.replace(/^\/v2/, '')}`);
    return realFetch(input, init);
  });
  try {
    return { result: await run(), sent };
  } finally {
    spy.mockRestore();
  }
}

async function snapshot(connector: Connector) {
  const departments = [];
  const users = [];
  for await (const page of connector.readSnapshot()) {
    departments.push(...page.departments);
    users.push(...page.users);
  }
  return { departments, users };
}

const person = (username: string, extra: Partial<User> = {}): User => ({
  id: '',
  username,
  name: `${username} Person`,
  email: `${username}@acme.test`,
  mobile: null,
  employeeNumber: null,
  title: null,
  departmentIds: [],
  mainDepartmentId: null,
  managerId: null,
  status: 'active',
  attributes: {},
  ...extra,
});

test('departments become Groups, users carry the enterprise extension and group membership, and read back as they were written', async () => {
  const scim = connect();
  const engineering = (await scim.apply({ action: 'CreateDepartment', department: { id: '', name: 'Engineering', parentId: null, order: 0, leaderIds: [] } })).externalId!;
  const sales = (await scim.apply({ action: 'CreateDepartment', department: { id: '', name: 'Sales', parentId: null, order: 0, leaderIds: [] } })).externalId!;
  const alice = (await scim.apply({ action: 'CreateUser', user: person('alice', { employeeNumber: 'E1', title: 'CTO', mobile: '13800000001', departmentIds: [engineering], mainDepartmentId: engineering }) })).externalId!;
  const bob = (await scim.apply({ action: 'CreateUser', user: person('bob', { employeeNumber: 'E2', departmentIds: [engineering, sales], mainDepartmentId: sales, managerId: alice }) })).externalId!;

  const stored = await raw('GET', `/Users/${bob}`);
  expect(stored.body).toMatchObject({
    userName: 'bob',
    externalId: 'bob',
    displayName: 'bob Person',
    active: true,
    emails: [{ value: 'bob@acme.test', type: 'work', primary: true }],
    [enterpriseSchema]: { employeeNumber: 'E2', department: 'Sales', manager: { value: alice } },
  });
  const { departments, users } = await snapshot(connect());
  expect(departments.map((d) => [d.name, d.parentId])).toEqual(expect.arrayContaining([['Engineering', null], ['Sales', null]]));
  expect(users.find((u) => u.id === alice)).toMatchObject({ username: 'alice', employeeNumber: 'E1', title: 'CTO', mobile: '13800000001', departmentIds: [engineering], mainDepartmentId: engineering, managerId: null });
  expect(users.find((u) => u.id === bob)).toMatchObject({ managerId: alice, mainDepartmentId: sales, status: 'active' });
  expect([...users.find((u) => u.id === bob)!.departmentIds].sort()).toEqual([engineering, sales].sort());
});

test('updates, a move between groups, a manager change, disable (active:false), enable, rename and deletes', async () => {
  const scim = connect();
  const { departments, users } = await snapshot(scim);
  const idOf = (name: string) => departments.find((d) => d.name === name)!.id;
  const bob = users.find((u) => u.username === 'bob')!;
  const alice = users.find((u) => u.username === 'alice')!;

  await scim.apply({ action: 'UpdateUser', id: bob.id, changes: { title: 'Engineer', email: 'bob.li@acme.test', departmentIds: [idOf('Sales')], mainDepartmentId: idOf('Sales') } });
  await scim.apply({ action: 'UpdateUser', id: alice.id, changes: { managerId: bob.id } });
  await scim.apply({ action: 'UpdateUser', id: alice.id, changes: { managerId: null, title: null } });
  await scim.apply({ action: 'DisableUser', id: bob.id });
  let read = await snapshot(connect());
  expect(read.users.find((u) => u.id === bob.id)).toMatchObject({ title: 'Engineer', email: 'bob.li@acme.test', departmentIds: [idOf('Sales')], status: 'disabled' });
  expect(read.users.find((u) => u.id === alice.id)).toMatchObject({ managerId: null, title: null });
  expect((await raw('GET', `/Users/${bob.id}`)).body.active).toBe(false);

  await scim.apply({ action: 'EnableUser', id: bob.id });
  await scim.apply({ action: 'UpdateDepartment', id: idOf('Sales'), changes: { name: 'Sales EMEA', parentId: null } });
  await scim.apply({ action: 'DeleteUser', id: bob.id });
  await scim.apply({ action: 'DeleteDepartment', id: idOf('Engineering') });
  read = await snapshot(connect());
  expect(read.users.map((u) => u.username)).toEqual(['alice']);
  expect(read.departments.map((d) => d.name)).toEqual(['Sales EMEA']);
  // A delete of what is already gone succeeds: a retried delete must not fail.
  await scim.apply({ action: 'DeleteUser', id: bob.id });
  expect(await connect().readByIds({ departmentIds: [idOf('Engineering')], userIds: [bob.id, alice.id] })).toMatchObject({
    users: [{ id: alice.id }],
    missing: { departmentIds: [idOf('Engineering')], userIds: [bob.id] },
  });
});

test('correlation before create: an account that already has the userName is adopted and brought up to date, not duplicated', async () => {
  const existing = await raw('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Carol', displayName: 'Old Carol' });
  expect(existing.status).toBe(201);
  const methods = await recordingMethods(() => connect().apply({ action: 'CreateUser', user: person('carol', { title: 'Sales lead' }) }));
  expect(methods.result.externalId).toBe(existing.body.id);
  // Found by the filter first: no POST was tried (so no 409 either).
  expect(methods.sent).not.toContain('POST /Users');
  const found = await raw('GET', `/Users?filter=${encodeURIComponent('userName eq "carol"')}`);
  expect(found.body.totalResults).toBe(1);
  expect(found.body.Resources[0]).toMatchObject({ displayName: 'carol Person', title: 'Sales lead', externalId: 'carol' });
});

test('409 uniqueness on create (the filter missed it) adopts the account that holds the userName', async () => {
  const existing = await raw('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Gina' });
  const scim = createScimConnector(settings({ profile: 'generic' }), { token: server.token });
  // The look-up before the create (one `userName … or externalId …` query on the generic profile)
  // answers nothing, as an index that lags a moment behind a create would.
  const realFetch = global.fetch;
  let misses = 1;
  const sent: string[] = [];
  const spy = jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    sent.push(`${String(init?.method)} ${new URL(String(input)).pathname.replace(/^\/v2/, '')}`);
    if (String(input).includes('filter=') && misses-- > 0) return realFetch(String(input).replace(/filter=[^&]*/, 'filter=userName+eq+%22__nobody__%22'), init);
    return realFetch(input, init);
  });
  let methods;
  try {
    methods = { result: await scim.apply({ action: 'CreateUser', user: person('gina') }), sent };
  } finally {
    spy.mockRestore();
  }
  expect(methods.result.externalId).toBe(existing.body.id);
  expect(methods.sent).toContain('POST /Users');
  expect((await raw('GET', `/Users?filter=${encodeURIComponent('userName eq "gina"')}`)).body.totalResults).toBe(1);
});

test('a lost create answer is found with one look-up (findCreatedUser), and a name with quotes is filtered safely', async () => {
  const scim = connect();
  const user = person('dave "the" \\ o\'brien');
  const { externalId } = await scim.apply({ action: 'CreateUser', user });
  expect(await scim.findCreatedUser!(user)).toBe(externalId);
  expect(await scim.findCreatedUser!(person('nobody'))).toBeUndefined();
});

test('paging reads every user exactly once across pages', async () => {
  const scim = connect({ pageSize: 3 });
  for (let i = 0; i < 8; i++) await scim.apply({ action: 'CreateUser', user: person(`pager${i}`) });
  const { users } = await snapshot(connect({ pageSize: 3 }));
  const pagers = users.filter((u) => u.username.startsWith('pager')).map((u) => u.username);
  expect(pagers.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `pager${i}`));
  expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
});

test('ETags: a change made by someone else since our read gets 412 on If-Match, is re-read and re-sent, and keeps both changes', async () => {
  const scim = connect();
  const erin = (await scim.apply({ action: 'CreateUser', user: person('erin') })).externalId!;
  // Someone else edits erin after our create gave us its version.
  expect((await raw('PATCH', `/Users/${erin}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { title: 'Sales' } }] })).status).toBeLessThan(300);
  const sent: Array<{ method: string; ifMatch: string | null; status: number }> = [];
  const realFetch = global.fetch;
  const spy = jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    const res = await realFetch(input, init);
    sent.push({ method: String(init?.method), ifMatch: new Headers(init?.headers).get('if-match'), status: res.status });
    return res;
  });
  try {
    await scim.apply({ action: 'UpdateUser', id: erin, changes: { name: 'Erin Zhou' } });
  } finally {
    spy.mockRestore();
  }
  expect(sent.filter((s) => s.method === 'PATCH').map((s) => [s.status, s.ifMatch !== null])).toEqual([
    [412, true],
    [expect.any(Number), true],
  ]);
  expect((await raw('GET', `/Users/${erin}`)).body).toMatchObject({ displayName: 'Erin Zhou', title: 'Sales' });
});

test('without PATCH (patch: false) every change is a PUT of the whole resource, other attributes kept', async () => {
  const scim = connect({ patch: false });
  const frank = (await scim.apply({ action: 'CreateUser', user: person('frank', { employeeNumber: 'E6', title: 'Ops' }) })).externalId!;
  await scim.apply({ action: 'UpdateUser', id: frank, changes: { title: 'Ops lead' } });
  await scim.apply({ action: 'DisableUser', id: frank });
  expect((await raw('GET', `/Users/${frank}`)).body).toMatchObject({ title: 'Ops lead', active: false, [enterpriseSchema]: { employeeNumber: 'E6' } });
});

test('SCIM refusals become permanent VendorErrors with status and scimType; the token never appears', async () => {
  const error = await vendorFailure(connect().apply({ action: 'UpdateUser', id: 'no-such-user', changes: { title: 'x' } }));
  expect(error).toMatchObject({ kind: 'permanent', vendorCode: '404' });
  const wrong = await vendorFailure(createScimConnector(settings(), { token: 'wrong-token-value' }).readByIds({ departmentIds: [], userIds: ['x'] }));
  expect(wrong.vendorCode).toBe('401');
  expect(JSON.stringify({ message: wrong.message, detail: wrong.vendorMessage })).not.toContain(server.token);
});

test('connection test: token accepted, users readable, writes allowed by an empty PATCH that changes nothing; a wrong token fails credentials', async () => {
  const before = await raw('GET', '/Users?count=1&startIndex=1');
  const checks = await testScimConnection(settings(), { token: server.token }, { direction: 'downstream', realtime: false });
  expect(checks.map((c) => [c.name, c.ok])).toEqual([
    ['credentials', true],
    ['read_contacts', true],
    ['write_contacts', true],
  ]);
  const after = await raw('GET', `/Users/${before.body.Resources[0].id}`);
  expect(after.body.meta.lastModified).toBe(before.body.Resources[0].meta.lastModified);
  const refused = await testScimConnection(settings(), { token: 'wrong-token-value' }, { direction: 'downstream', realtime: false });
  expect(refused.map((c) => [c.name, c.ok])).toEqual([
    ['credentials', false],
    ['read_contacts', false],
    ['write_contacts', false],
  ]);
});

test('people created at once into one department all join its Group: concurrent membership writes do not lose to each other on the ETag', async () => {
  // Seen in the scim-downstream benchmark: 16 creates in flight PATCHed one Group with the same
  // If-Match; after one re-read the loser lost again and its CreateUser failed with 412.
  const scim = connect();
  const team = (await scim.apply({ action: 'CreateDepartment', department: { id: '', name: 'Crowded', parentId: null, order: 0, leaderIds: [] } })).externalId!;
  const names = Array.from({ length: 16 }, (_, i) => `crowd${i}`);
  const results = await Promise.allSettled(names.map((name) => scim.apply({ action: 'CreateUser', user: person(name, { departmentIds: [team], mainDepartmentId: team }) })));
  expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
  const group = (await raw('GET', `/Groups/${team}`)).body as { members?: { value: string }[] };
  expect(group.members?.length).toBe(16);
});

test('a server that ignores the or-filter (answers other users) makes correlation ask one condition at a time, not create a duplicate', async () => {
  // More users than the look-up's page of 3, all created before the one it must find.
  for (const n of [1, 2, 3, 4]) await raw('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `someone-else-${n}` });
  const existing = await raw('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'Hana' });
  const scim = connect();
  const realFetch = global.fetch;
  const spy = jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
    const url = String(input);
    // Drop an `or` filter as a careless server would: the first page of every user comes back.
    if (decodeURIComponent(url.replace(/\+/g, ' ')).includes(' or ')) return realFetch(url.replace(/filter=[^&]*&?/, ''), init);
    return realFetch(input, init);
  });
  let result;
  try {
    result = await scim.apply({ action: 'CreateUser', user: person('hana') });
  } finally {
    spy.mockRestore();
  }
  expect(result.externalId).toBe(existing.body.id);
  expect((await raw('GET', `/Users?filter=${encodeURIComponent('userName eq "hana"')}`)).body.totalResults).toBe(1);
});
