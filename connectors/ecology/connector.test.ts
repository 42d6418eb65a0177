// The e-cology connector and client against the fake: paged reads of subcompany, departments,
// jobtitles and people; synDepartment / synHrmresource keyed on code and workcode; delete = canceled;
// offboarding by status 5; per-record result codes as item errors; both authentication modes.
import { fakeControl, fakeState, vendorFailure } from '../shared/test-helpers';
import type { Connector } from '../types';
import type { DirectoryPage } from '../../engine/model';
import { findEarlierCreate } from '../../activities/recover-create';
import { EcologyClient, ecologyToken } from './client';
import { testEcologyConnection } from './connection-test';
import { ecologyTokenKey, startEcologyFake, type RunningEcologyFake } from './fake';
import { createEcologyConnector, type EcologySettings } from './index';
import type { EcologyDepartment, EcologyUser } from './mapping';

const tokenKey = 'conn-test-token-key-5936562a';
let fake: RunningEcologyFake;
let posted: string[];
let fetchSpy: jest.SpyInstance;

const connector = (extra: Partial<EcologySettings> = {}, secrets: { tokenKey?: string } = { tokenKey }): Connector =>
  createEcologyConnector({ baseUrl: fake.baseUrl, auth: 'token', subcompanyId: 1, pageSize: 2, ...extra }, secrets);

const dept = (code: string, name: string, parent?: string) => ({ departmentcode: code, departmentname: name, ...(parent ? { supdepid: `{JSON}{"departmentcode":"${parent}"}` } : {}) });
const person = (workcode: string, lastname: string, department: string, extra: Record<string, unknown> = {}) => ({
  workcode,
  lastname,
  loginid: workcode.toLowerCase(),
  departmentid: `{JSON}{"departmentcode":"${department}"}`,
  email: `${workcode.toLowerCase()}@acme.test`,
  ...extra,
});

async function snapshot(c: Connector): Promise<DirectoryPage> {
  const all: DirectoryPage = { departments: [], users: [] };
  for await (const page of c.readSnapshot()) {
    all.departments.push(...page.departments);
    all.users.push(...page.users);
  }
  return all;
}

const state = () => fakeState<{ departments: EcologyDepartment[]; users: EcologyUser[] }>(fake);
const stored = async (workcode: string) => (await state()).users.find((u) => u.workcode === workcode);

beforeEach(async () => {
  fake = await startEcologyFake({ tokenKey });
  await fakeControl(fake, 'seed', {
    departments: [dept('D1', 'Engineering'), dept('D2', 'Platform', 'D1'), dept('D3', 'Sales')],
    users: [
      person('E1', 'Alice Wang', 'D1', { jobtitle: 'CTO', mobile: '13800000001' }),
      person('E2', 'Bob Li', 'D2', { managerid: 'E1', jobtitle: 'Engineer' }),
      person('E3', 'Carol Zhang', 'D3', { managerid: 'E1', status: '0' }),
      person('E4', 'Dan Gone', 'D3', { status: '5' }),
      person('E5', 'Eve Hu', 'D3', { managerid: 'E3' }),
    ],
  });
  posted = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    posted.push(`${url.pathname.split('/').pop()} ${String(init?.body ?? '')}`);
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('reads', () => {
  test('a snapshot pages through every read API and maps codes, workcodes, managers, titles and statuses', async () => {
    const all = await snapshot(connector());
    expect(all.departments.map((d) => [d.id, d.name, d.parentId])).toEqual([
      ['D1', 'Engineering', null],
      ['D2', 'Platform', 'D1'],
      ['D3', 'Sales', null],
    ]);
    const byId = new Map(all.users.map((u) => [u.id, u]));
    expect([...byId.keys()]).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);
    expect(byId.get('E1')).toMatchObject({ username: 'e1', name: 'Alice Wang', employeeNumber: 'E1', title: 'CTO', mobile: '+8613800000001', departmentIds: ['D1'], managerId: null, status: 'active' });
    expect(byId.get('E2')).toMatchObject({ managerId: 'E1', departmentIds: ['D2'], mainDepartmentId: 'D2', title: 'Engineer' });
    expect(byId.get('E3')).toMatchObject({ status: 'active' }); // 0 试用 is employed
    expect(byId.get('E4')).toMatchObject({ status: 'disabled' }); // 5 离职
    // Five people at two a page: three pages of people, each a form POST with params as JSON text.
    const userPages = posted.filter((p) => p.startsWith('getHrmUserInfoWithPage'));
    expect(userPages).toHaveLength(3);
    expect(new URLSearchParams(userPages[2].split(' ')[1]).get('params')).toBe(JSON.stringify({ pagesize: 2, curpage: 3 }));
  });

  test('only the configured subcompany is read: its departments and people; canceled departments are not; a missing subcompany is named', async () => {
    await fakeControl(fake, 'seed', {
      reset: false,
      subcompanies: [{ id: 50, subcompanycode: 'SH', subcompanyname: '上海分部' }],
      departments: [{ ...dept('SH1', 'Shanghai Ops'), subcompanyid1: '50' }, dept('OLD', 'Old')],
      users: [person('S1', 'Sam Wu', 'SH1', { managerid: 'E1' })],
    });
    await connector().apply({ action: 'DeleteDepartment', id: 'OLD' });
    const mine = await snapshot(connector());
    expect(mine.departments.map((d) => d.id)).toEqual(['D1', 'D2', 'D3']);
    expect(mine.users.map((u) => u.id)).not.toContain('S1');
    const shanghai = await snapshot(connector({ subcompanyId: 50 }));
    expect(shanghai.departments.map((d) => [d.id, d.parentId])).toEqual([['SH1', null]]);
    // A manager in another subcompany is still named by workcode.
    expect(shanghai.users.map((u) => [u.id, u.managerId])).toEqual([['S1', 'E1']]);
    const err = await vendorFailure(snapshot(connector({ subcompanyId: 9 })));
    expect(err.message).toContain('connector.settings.subcompanyId');
  });

  test('readByIds answers found and missing ids', async () => {
    const found = await connector().readByIds({ departmentIds: ['D1', 'DX'], userIds: ['E2', 'EX'] });
    expect(found.departments.map((d) => d.id)).toEqual(['D1']);
    expect(found.users.map((u) => u.id)).toEqual(['E2']);
    expect(found.missing).toEqual({ departmentIds: ['DX'], userIds: ['EX'] });
  });
});

describe('writes', () => {
  test('hire: a department is added under its parent with a code of ours, a person upserted by workcode with the manager as a workcode', async () => {
    const c = connector();
    const { externalId: code } = await c.apply({ action: 'CreateDepartment', department: { id: '', name: 'Tools', parentId: 'D1', order: 3, leaderIds: [] } });
    expect(code).toMatch(/^SC[0-9A-F]{10}$/);
    const created = (await state()).departments.find((d) => d.departmentcode === code)!;
    expect(created).toMatchObject({ departmentname: 'Tools', supdepid: (await state()).departments.find((d) => d.departmentcode === 'D1')!.id, subcompanyid1: 1, showorder: 3 });
    const user = { id: '', username: 'fay', name: 'Fay Sun', email: 'fay@acme.test', mobile: '+8613800000006', employeeNumber: 'E6', title: 'Engineer', departmentIds: [code!], mainDepartmentId: code!, managerId: 'E1', status: 'active' as const, attributes: {} };
    expect(await c.apply({ action: 'CreateUser', user })).toEqual({ externalId: 'E6' });
    const sent = posted.find((p) => p.startsWith('synHrmresource'))!;
    expect(JSON.parse(new URLSearchParams(sent.split(' ')[1]).get('data')!)).toEqual([
      { workcode: 'E6', loginid: 'fay', lastname: 'Fay Sun', email: 'fay@acme.test', mobile: '13800000006', jobtitle: 'Engineer', departmentid: `{JSON}{"departmentcode":"${code}"}`, managerid: 'E1', status: '1' },
    ]);
    expect(await stored('E6')).toMatchObject({ departmentcode: code, managerid: (await stored('E1'))!.id, status: '1' });
    // Its lost answer is found again by name under the parent.
    expect(await c.findChildDepartment!('D1', 'Tools')).toMatchObject({ id: code });
  });

  test('transfer, manager change, leave (status 5) and rehire (status 1) are synHrmresource edits of one record', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateUser', id: 'E2', changes: { departmentIds: ['D3'], mainDepartmentId: 'D3' } });
    await c.apply({ action: 'UpdateUser', id: 'E2', changes: { managerId: 'E3' } });
    expect(await stored('E2')).toMatchObject({ departmentcode: 'D3', managerid: (await stored('E3'))!.id, lastname: 'Bob Li' });
    await c.apply({ action: 'DisableUser', id: 'E2' });
    expect(await stored('E2')).toMatchObject({ status: '5' });
    await c.apply({ action: 'EnableUser', id: 'E2' });
    expect(await stored('E2')).toMatchObject({ status: '1' });
    expect((await state()).users).toHaveLength(5);
  });

  test('a department rename, reorder and move are one synDepartment edit keyed on its code', async () => {
    const c = connector();
    await c.apply({ action: 'UpdateDepartment', id: 'D2', changes: { name: 'Platform & Tools', parentId: 'D3', order: 7 } });
    const sent = JSON.parse(new URLSearchParams(posted.at(-1)!.split(' ')[1]).get('data')!);
    expect(sent).toEqual([{ '@action': 'edit', departmentcode: 'D2', departmentname: 'Platform & Tools', departmentmark: 'Platform & Tools', supdepid: '{JSON}{"departmentcode":"D3"}', showorder: '7' }]);
    expect((await snapshot(c)).departments.find((d) => d.id === 'D2')).toEqual({ id: 'D2', name: 'Platform & Tools', parentId: 'D3', order: 7, leaderIds: [] });
    await c.apply({ action: 'UpdateDepartment', id: 'D2', changes: { parentId: null } });
    expect((await snapshot(c)).departments.find((d) => d.id === 'D2')).toMatchObject({ parentId: null });
  });

  test('a department delete cancels it (封存); it is no longer read', async () => {
    const c = connector();
    await c.apply({ action: 'DeleteDepartment', id: 'D3' }).catch(() => undefined);
    const tools = await c.apply({ action: 'CreateDepartment', department: { id: '', name: 'Empty', parentId: null, order: 0, leaderIds: [] } });
    await c.apply({ action: 'DeleteDepartment', id: tools.externalId! });
    expect((await state()).departments.find((d) => d.departmentcode === tools.externalId)).toMatchObject({ canceled: '1' });
    expect((await snapshot(c)).departments.map((d) => d.id)).not.toContain(tools.externalId);
  });

  test("per-record refusals fail the item with e-cology's code and message", async () => {
    const c = connector();
    const members = await vendorFailure(c.apply({ action: 'DeleteDepartment', id: 'D3' }));
    expect(members).toMatchObject({ kind: 'permanent', vendorCode: '0', vendorMessage: '部门下存在人员，不能封存' });
    const manager = await vendorFailure(c.apply({ action: 'UpdateUser', id: 'E2', changes: { managerId: 'E99' } }));
    expect(manager).toMatchObject({ kind: 'permanent', vendorCode: '0', vendorMessage: '上级不存在: E99' });
    const cycle = await vendorFailure(c.apply({ action: 'UpdateDepartment', id: 'D1', changes: { parentId: 'D2' } }));
    expect(cycle.vendorMessage).toBe('上级部门不能是自己或下级部门');
    // Refused before any call: a workcode change, a second department, no workcode.
    expect((await vendorFailure(c.apply({ action: 'UpdateUser', id: 'E2', changes: { employeeNumber: 'E22' } }))).message).toContain('user.employeeNumber');
    expect((await vendorFailure(c.apply({ action: 'UpdateUser', id: 'E2', changes: { departmentIds: ['D1', 'D3'] } }))).message).toContain('user.departmentIds');
    const nameless = { id: '', username: 'x', name: 'X', email: null, mobile: null, employeeNumber: null, title: null, departmentIds: ['D1'], mainDepartmentId: 'D1', managerId: null, status: 'active' as const, attributes: {} };
    expect((await vendorFailure(c.apply({ action: 'CreateUser', user: nameless }))).message).toContain('user.employeeNumber');
    expect(await vendorFailure(c.apply({ action: 'DeleteUser', id: 'E2' }))).toMatchObject({ vendorCode: 'invalid_input' });
  });
});

describe('a create whose answer was lost', () => {
  test('is found again (a department by name under its parent, a person by the workcode sent), never made twice', async () => {
    const c = connector();
    await fakeControl(fake, 'faults', { dropResponses: 1, dropRoute: 'POST /synDepartment' });
    const department = { id: '', name: 'Tools', parentId: 'D1', order: 0, leaderIds: [] };
    expect(await vendorFailure(c.apply({ action: 'CreateDepartment', department }))).toMatchObject({ kind: 'transient' });
    const found = await findEarlierCreate(c, 'ecology', { action: 'CreateDepartment', department }, null);
    expect(found).toMatch(/^SC/);
    expect((await state()).departments.filter((d) => d.departmentname === 'Tools')).toHaveLength(1);

    await fakeControl(fake, 'faults', { dropResponses: 1, dropRoute: 'POST /synHrmresource' });
    const user = { id: '', username: 'fay', name: 'Fay Sun', email: 'fay@acme.test', mobile: null, employeeNumber: 'E6', title: null, departmentIds: [found!], mainDepartmentId: found!, managerId: 'E1', status: 'active' as const, attributes: {} };
    expect(await vendorFailure(c.apply({ action: 'CreateUser', user }))).toMatchObject({ kind: 'transient' });
    expect(await findEarlierCreate(c, 'ecology', { action: 'CreateUser', user }, null)).toBe('E6');
    expect((await state()).users.filter((u) => u.workcode === 'E6')).toHaveLength(1);
  });
});

describe('authentication', () => {
  test('token mode sends {key: UPPER(MD5(tokenKey + ts)), ts} in every form body', async () => {
    await snapshot(connector());
    for (const call of posted) {
      const token = JSON.parse(new URLSearchParams(call.split(' ')[1]).get('token')!) as { key: string; ts: string };
      expect(token.key).toBe(ecologyTokenKey(tokenKey, token.ts));
      expect(token.key).toMatch(/^[0-9A-F]{32}$/);
    }
    expect(ecologyToken('5936562a-d47c-4a29-9b74-b310e6c971b7', 1603600893041)).toBe(JSON.stringify({ key: ecologyTokenKey('5936562a-d47c-4a29-9b74-b310e6c971b7', '1603600893041'), ts: '1603600893041' }));
  });

  test('a wrong key and a token older than 5 minutes are refused; the key never reaches the error', async () => {
    const wrong = await vendorFailure(snapshot(connector({}, { tokenKey: 'not-the-key-at-all' })));
    expect(wrong).toMatchObject({ kind: 'permanent', vendorCode: '-1', vendorMessage: 'token 校验失败' });
    expect(wrong.message).not.toContain('not-the-key-at-all');
    const stale = new EcologyClient({ baseUrl: fake.baseUrl, auth: 'token', tokenKey, now: () => Date.now() - 6 * 60_000 });
    expect(await vendorFailure(stale.readAll('getHrmdepartmentWithPage', 10).next())).toMatchObject({ vendorCode: '-1', vendorMessage: 'token 已过期' });
  });

  test('IP allow-list mode sends no token: refused from an address not listed, accepted from a listed one', async () => {
    const refused = await vendorFailure(snapshot(connector({ auth: 'ip-allowlist' }, {})));
    expect(refused.vendorMessage).toContain('不在白名单中');
    expect(posted.every((p) => !p.includes('token='))).toBe(true);
    const listed = await startEcologyFake({ tokenKey, allowedIps: ['127.0.0.1'] });
    try {
      const c = createEcologyConnector({ baseUrl: listed.baseUrl, auth: 'ip-allowlist', subcompanyId: 1 }, {});
      expect((await snapshot(c)).departments).toEqual([]);
    } finally {
      await listed.close();
    }
  });

  test('a 5xx is transient (the run retries it); the token may also come as key/ts headers (the fake accepts both)', async () => {
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    expect(await vendorFailure(snapshot(connector()))).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
    const ts = String(Date.now());
    const answer = await (await fetch(`${fake.url}/api/hrm/resful/getHrmsubcompanyWithPage`, { method: 'POST', headers: { key: ecologyTokenKey(tokenKey, ts), ts } })).json();
    expect(answer).toMatchObject({ code: '1', data: { totalSize: 1 } });
  });

  test('token mode without a key is refused naming the secret', () => {
    expect(() => connector({}, {})).toThrow('connector.secrets.tokenKey');
  });

  test('the connection test reports credentials, the subcompany and reading people', async () => {
    const ok = await testEcologyConnection({ baseUrl: fake.baseUrl, auth: 'token', subcompanyId: 1 }, { tokenKey }, { direction: 'downstream', realtime: false });
    expect(ok.map((c) => [c.name, c.ok])).toEqual([['credentials', true], ['visibility_scope', true], ['read_contacts', true], ['write_contacts', true]]);
    const bad = await testEcologyConnection({ baseUrl: fake.baseUrl, auth: 'token', subcompanyId: 1 }, { tokenKey: 'wrong-key-123' }, { direction: 'upstream', realtime: false });
    expect(bad.map((c) => [c.name, c.ok])).toEqual([['credentials', false], ['visibility_scope', false], ['read_contacts', false]]);
    expect(bad[0].detail).toBe('-1: token 校验失败');
    const missing = await testEcologyConnection({ baseUrl: fake.baseUrl, auth: 'token', subcompanyId: 9 }, { tokenKey }, { direction: 'upstream', realtime: false });
    expect(missing[1]).toMatchObject({ name: 'visibility_scope', ok: false });
  });
});

describe('the fake', () => {
  test('answers unknown paths with a 404 page, bad params with its envelope, and a bad data body per e-cology', async () => {
    expect((await fetch(`${fake.url}/api/hrm/resful/nothing`, { method: 'POST' })).status).toBe(404);
    const body = new URLSearchParams({ token: ecologyToken(tokenKey, Date.now()), params: '{bad' });
    const answer = await (await fetch(`${fake.url}/api/hrm/resful/getHrmdepartmentWithPage`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json();
    expect(answer).toEqual({ code: '0', msg: 'params 格式错误' });
    const page = (await (
      await fetch(`${fake.url}/api/hrm/resful/getHrmdepartmentWithPage`, {
        method: 'POST',
        body: new URLSearchParams({ token: ecologyToken(tokenKey, Date.now()) }),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    ).json()) as { data: { dataList: unknown[] } };
    // Without params: e-cology's defaults, page 1 of 20.
    expect(page).toMatchObject({ code: '1', data: { totalSize: 3, pageSize: 20, page: 1 } });
    expect(page.data.dataList).toHaveLength(3);
  });

  test('a batch of records is answered per record: one refusal leaves the others written', async () => {
    const data = JSON.stringify([
      { workcode: 'E7', lastname: 'Gus', departmentid: '{JSON}{"departmentcode":"D1"}' },
      { workcode: 'E8', lastname: 'Hal', departmentid: '{JSON}{"departmentcode":"NOPE"}' },
    ]);
    const body = new URLSearchParams({ token: ecologyToken(tokenKey, Date.now()), data });
    const answer = await (await fetch(`${fake.url}/api/hrm/resful/synHrmresource`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).json();
    expect(answer).toEqual({ code: '1', result: { E7: { code: '1', msg: '成功' }, E8: { code: '0', msg: 'departmentid: 部门不存在: {JSON}{"departmentcode":"NOPE"}' } } });
    expect(await stored('E7')).toBeDefined();
    expect(await stored('E8')).toBeUndefined();
  });
});
