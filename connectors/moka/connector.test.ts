import { generateKeyPairSync } from 'node:crypto';
import type { DirectoryPage } from '../../engine/model';
import { fakeControl, vendorFailure as failure } from '../shared/test-helpers';
import type { Connector } from '../types';
import { employeesPath } from './client';
import { mokaFakeDefaults, startMokaFake, type RunningMokaFake } from './fake';
import { fixtureDepartments, fixtureEmployees, fixtureNow } from './fake/test-fixtures';
import { createMokaConnector, type MokaSettings } from './index';

let fake: RunningMokaFake;
let requests: URL[];
let fetchSpy: jest.SpyInstance;
const { entCode, apiKey, privateKey, departmentsApiCode, employeesApiCode } = mokaFakeDefaults;

function connector(extra: Partial<MokaSettings> = {}, secrets = { apiKey, privateKey }, now = fixtureNow): Connector {
  return createMokaConnector({ baseUrl: fake.baseUrl, entCode, departmentsApiCode, employeesApiCode, ...extra }, secrets, { now: () => now });
}

async function read(c: Connector) {
  const pages: DirectoryPage[] = [];
  for await (const page of c.readSnapshot()) pages.push(page);
  return { departments: pages.flatMap((p) => p.departments), users: pages.flatMap((p) => p.users) };
}

beforeEach(async () => {
  fake = await startMokaFake({ port: 0, ratePerSecond: 1_000, ratePerMinute: 10_000 });
  expect((await fakeControl(fake, 'seed', { departments: fixtureDepartments, employees: fixtureEmployees })).status).toBe(200);
  requests = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input));
    if (url.pathname.startsWith('/api-platform/')) requests.push(url);
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('Moka connector', () => {
  it('reads departments and employees in pages; employee_status 在职 / 试用 in, 待入职 not yet, 离职 out; a future start waits for its day', async () => {
    const { departments, users } = await read(connector({ pageSize: 3, ratePerSecond: 100, ratePerMinute: 1_000 }));
    expect(departments).toEqual([
      { id: '1', name: 'Acme', parentId: null, order: 1, leaderIds: [] },
      { id: '2', name: 'Product', parentId: '1', order: 2, leaderIds: [] },
    ]);
    expect(users.map((u) => u.name).sort()).toEqual(['Boss', 'Staff0', 'Staff1', 'Staff2', 'Staff3', 'Staff4', 'Trial']);
    expect(users.find((u) => u.id === '2')).toEqual({
      id: '2', username: 'M2', name: 'Trial', email: 'trial@acme.test', mobile: '13900002', employeeNumber: 'M2', title: 'Engineer',
      departmentIds: ['2'], mainDepartmentId: '2', managerId: '1', status: 'active', attributes: {},
    });
    // 10 employees in pages of 3: four calls, each with its own signed query.
    const employeeCalls = requests.filter((u) => u.pathname.endsWith(employeesPath));
    expect(employeeCalls).toHaveLength(4);
    expect(new Set(employeeCalls.map((u) => u.searchParams.get('nonce'))).size).toBe(4);
    expect([...employeeCalls[0].searchParams.keys()].sort()).toEqual(['apiCode', 'entCode', 'nonce', 'sign', 'timestamp']);

    const monday = await read(connector({ ratePerSecond: 100 }, { apiKey, privateKey }, new Date(fixtureNow.getTime() + 86_400_000)));
    expect(monday.users.find((u) => u.name === 'Monday')).toMatchObject({ managerId: '2' });
  });

  it('reads the employees changed in a date range (startDate / endDate)', async () => {
    const c = connector({ ratePerSecond: 100 }) as Connector & { readChangedEmployees(range: { startDate: string; endDate: string }): AsyncIterable<Array<{ name: string }>> };
    const names: string[] = [];
    for await (const list of c.readChangedEmployees({ startDate: '2026-06-01', endDate: '2026-06-30' })) names.push(...list.map((e) => e.name));
    expect(names).toEqual(['Trial']);
  });

  it('a wrong API key is HTTP 401, a key pair Moka does not know a refused signature; neither is echoed', async () => {
    const wrongKey = await failure(read(connector({}, { apiKey: 'wrong-api-key-1', privateKey })));
    expect(wrongKey).toMatchObject({ kind: 'permanent', vendorCode: '401' });
    expect(wrongKey.message).not.toContain('wrong-api-key-1');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await failure(read(connector({}, { apiKey, privateKey: other })))).toMatchObject({ vendorCode: '403', vendorMessage: '签名验证失败' });
  });

  it('accepts the key as bare base64 PKCS#8, refuses what is no RSA key naming the field', async () => {
    const bare = privateKey.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    expect((await read(connector({}, { apiKey, privateKey: bare }))).users).toHaveLength(7);
    expect(() => connector({}, { apiKey, privateKey: 'not a key' })).toThrow('privateKey: is not an RSA private key');
    expect(() => connector({ pageSize: 201 })).toThrow('pageSize: must be an integer from 1 to 200');
  });

  it('Moka refusing for the rate (3/s) is waited out once, then transient; our own limiter keeps a default read under it', async () => {
    await fakeControl(fake, 'faults', { rateLimitBurst: 1 });
    expect((await read(connector({ ratePerSecond: 100 }))).users).toHaveLength(7);
    await fakeControl(fake, 'faults', { rateLimitBurst: 2 });
    expect(await failure(read(connector({ ratePerSecond: 100 })))).toMatchObject({ kind: 'transient', vendorCode: '429' });
    await fake.close();
    fake = await startMokaFake({ port: 0 }); // Moka's own 3/s and 60/min
    await fakeControl(fake, 'seed', { departments: fixtureDepartments, employees: fixtureEmployees });
    expect((await read(connector({ pageSize: 2 }))).users).toHaveLength(7); // 1 + 5 calls at the default 2/s
  });

  it('is read-only', async () => {
    expect(await failure(connector().apply({ action: 'DeleteUser', id: '1' }))).toMatchObject({ vendorCode: 'invalid_input' });
  });
});
